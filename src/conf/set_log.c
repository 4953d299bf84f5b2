/*
 * The access log's directives: log_format (compiled here, once, into
 * literal and variable parts), access_log (a level's list of files), the
 * predefined formats and what access_log names.  Variables are known
 * here by name only: the master resolves them (worker/logvar.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "conf_int.h"

/*
 * The predefined formats.  mcpgw is the line mcpgw always wrote (14
 * fields; docs/mcp.md); json one JSON object per line.  Numbers that are
 * always there go unquoted, everything else as a string.
 */
static const struct {
	const char *name;
	int         escape;
	const char *text;
} conf_log_builtin[] = {
	{ "mcpgw", MG_LOG_ESC_DEFAULT,
	    "$time_local_ms $remote_addr $server_name $location $mcp_session "
	    "$request_method $mcp_method $mcp_tool $status $mcp_error "
	    "$body_bytes_sent $request_time_us $ssl_client_subject_quoted "
	    "$client_identity_quoted" },
	{ "json", MG_LOG_ESC_JSON,
	    "{\"time\":\"$time_iso8601\",\"request_id\":\"$request_id\","
	    "\"trace_id\":\"$trace_id\",\"remote_addr\":\"$remote_addr\","
	    "\"server\":\"$server_name\",\"location\":\"$location\","
	    "\"method\":\"$request_method\",\"uri\":\"$request_uri\","
	    "\"status\":$status,\"request_time\":$request_time,"
	    "\"request_length\":$request_length,"
	    "\"body_bytes_sent\":$body_bytes_sent,"
	    "\"mcp_session\":\"$mcp_session\",\"mcp_method\":\"$mcp_method\","
	    "\"mcp_tool\":\"$mcp_tool\",\"mcp_error\":\"$mcp_error\","
	    "\"mcp_protocol_version\":\"$mcp_protocol_version\","
	    "\"client_identity\":\"$client_identity\","
	    "\"upstream\":\"$upstream_name\","
	    "\"upstream_addr\":\"$upstream_addr\","
	    "\"upstream_status\":\"$upstream_status\","
	    "\"upstream_response_time\":\"$upstream_response_time\"}" },
};

static const char *const conf_log_escapes[] = {
	[MG_LOG_ESC_DEFAULT] = "default",
	[MG_LOG_ESC_JSON] = "json",
	[MG_LOG_ESC_NONE] = "none",
};

static int
conf_var_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* One more part; NULL when out of memory. */
static mg_log_part_t *
conf_part_add(mg_conf_t *conf, mg_log_format_t *f, size_t *cap)
{
	mg_log_part_t *p;

	if (f->nparts == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if ((p = mg_conf_alloc(conf, *cap * sizeof(*p))) == NULL)
			return NULL;
		if (f->nparts)
			memcpy(p, f->parts, f->nparts * sizeof(*p));
		f->parts = p;
	}
	p = &f->parts[f->nparts++];
	memset(p, 0, sizeof(*p));
	p->var = -1;
	return p;
}

/* TEXT into F's parts: "$name" or "${name}" a variable, the rest
 * literal.  MG_DECLINED: *WHY says what is wrong. */
static int
conf_log_compile(
    mg_conf_t *conf, mg_log_format_t *f, const char *s, const char **why)
{
	size_t         cap = f->nparts, nvars = 0, n;
	mg_log_part_t *p;
	int            brace;

	for (size_t i = 0; i < f->nparts; i++)
		nvars += f->parts[i].name != NULL;
	while (*s != '\0') {
		if (*s != '$') {
			n = strcspn(s, "$");
			if ((p = conf_part_add(conf, f, &cap)) == NULL ||
			    (p->text = mg_conf_strndup(conf, s, n)) == NULL)
				return MG_ERROR;
			p->len = n;
			f->literal += n;
			s += n;
			continue;
		}
		brace = s[1] == '{';
		s += 1 + brace;
		for (n = 0; conf_var_char(s[n]); n++)
			;
		if (n == 0 || (brace && s[n] != '}')) {
			*why = "invalid variable name";
			return MG_DECLINED;
		}
		if (++nvars > MG_LOG_FORMAT_MAX_VARS) {
			*why = "too many variables (at most 1000)";
			return MG_DECLINED;
		}
		/* a variable goes in one part with the literal before it */
		p = f->nparts > 0 && f->parts[f->nparts - 1].name == NULL
		    ? &f->parts[f->nparts - 1]
		    : conf_part_add(conf, f, &cap);
		if (p == NULL ||
		    (p->name = mg_conf_strndup(conf, s, n)) == NULL)
			return MG_ERROR;
		s += n + brace;
	}
	return MG_OK;
}

/* What a value leaves to the parts after it when the line is full: their
 * literals whole, and CONF_LOG_VAR_ROOM bytes for each variable, so that
 * one long value (a header) does not take the place of the short ones
 * after it (a method, a status). */
#define CONF_LOG_VAR_ROOM 16

static void
conf_log_tails(mg_log_format_t *f)
{
	size_t tail = 0;

	for (size_t i = f->nparts; i-- > 0;) {
		f->parts[i].tail = tail;
		tail += f->parts[i].len;
		tail += f->parts[i].name ? CONF_LOG_VAR_ROOM : 0;
	}
}

static mg_log_format_t *
conf_log_find(const mg_conf_t *conf, const char *name)
{
	for (mg_log_format_t *f = conf->log_formats; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static int
conf_log_builtin_name(const char *name)
{
	for (size_t i = 0; i < MG_NELEM(conf_log_builtin); i++)
		if (strcmp(conf_log_builtin[i].name, name) == 0)
			return 1;
	return 0;
}

static mg_log_format_t *
conf_log_new(conf_parse_t *cp, const char *name, mg_log_format_t ***tail)
{
	mg_log_format_t *f = mg_conf_alloc(cp->conf, sizeof(*f));

	if (f == NULL || (f->name = mg_conf_strdup(cp->conf, name)) == NULL)
		return NULL;
	for (*tail = &cp->conf->log_formats; **tail != NULL;
	     *tail = &(**tail)->next)
		;
	return f;
}

int
mg_conf_log_format(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	conf_args_t     *a = cp->args;
	mg_log_format_t *f, **tail;
	const char      *why = NULL;
	size_t           i = 2;
	int              rc;

	(void)ctx;
	if (conf_log_builtin_name(a->v[1]) || conf_log_find(cp->conf, a->v[1]))
		return mg_conf_error(cp, a->line,
		    "duplicate log_format \"%s\" (mcpgw and json are "
		    "predefined)",
		    a->v[1]);
	if ((f = conf_log_new(cp, a->v[1], &tail)) == NULL)
		return mg_conf_nomem(cp);
	f->pos = mg_conf_pos(cp);
	if (strncmp(a->v[2], "escape=", 7) == 0) {
		for (rc = 0; rc < (int)MG_NELEM(conf_log_escapes); rc++)
			if (strcmp(a->v[2] + 7, conf_log_escapes[rc]) == 0)
				break;
		if (rc == (int)MG_NELEM(conf_log_escapes))
			return mg_conf_invalid(cp, cmd, "escape", a->v[2] + 7);
		f->escape = rc;
		if (++i == a->n)
			return mg_conf_error(cp, a->line,
			    "log_format \"%s\" has no format string", f->name);
	}
	for (; i < a->n; i++)
		if ((rc = conf_log_compile(cp->conf, f, a->v[i], &why)) !=
		    MG_OK)
			return rc == MG_ERROR
			    ? mg_conf_nomem(cp)
			    : mg_conf_error(cp, a->line,
				  "%s in log_format \"%s\"", why, f->name);
	conf_log_tails(f);
	*tail = f;
	return MG_OK;
}

/* buffer=SIZE, flush=TIME */
static int
conf_access_param(conf_parse_t *cp, const conf_command_t *cmd,
    mg_access_log_t *al, const char *param)
{
	int64_t v;

	if (strncmp(param, "buffer=", 7) == 0) {
		if (mg_conf_parse_size(param + 7, &v) != MG_OK ||
		    v > 16 * 1024 * 1024)
			return mg_conf_invalid(
			    cp, cmd, "buffer size", param + 7);
		al->buffer = v;
	} else if (strncmp(param, "flush=", 6) == 0) {
		if (mg_conf_parse_time(param + 6, &v) != MG_OK || v < 1 ||
		    v > 3600000)
			return mg_conf_invalid(
			    cp, cmd, "flush time", param + 6);
		al->flush = v;
	} else
		return mg_conf_invalid(cp, cmd, "parameter", param);
	return MG_OK;
}

int
mg_conf_set_access_log(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_access_log_t **list = CONF_FIELD(ctx, cmd, mg_access_log_t *);
	mg_access_log_t  *al, **pp;
	conf_args_t      *a = cp->args;
	size_t            i = 2;
	int               off = strcmp(a->v[1], "off") == 0;

	if (*list != NULL && (off || (*list)->path == NULL))
		return mg_conf_error(cp, a->line,
		    "\"access_log off\" stands alone at its level");
	if (off && a->n > 2)
		return mg_conf_invalid(cp, cmd, "parameter", a->v[2]);
	if ((al = mg_conf_alloc(cp->conf, sizeof(*al))) == NULL)
		return mg_conf_nomem(cp);
	al->pos = mg_conf_pos(cp);
	al->buffer = MG_UNSET_SIZE;
	al->index = -1;
	if (!off && (al->path = mg_conf_strdup(cp->conf, a->v[1])) == NULL)
		return mg_conf_nomem(cp);
	if (a->n > 2 && strchr(a->v[2], '=') == NULL &&
	    (al->fmtname = mg_conf_strdup(cp->conf, a->v[i++])) == NULL)
		return mg_conf_nomem(cp);
	for (; i < a->n; i++)
		if (conf_access_param(cp, cmd, al, a->v[i]) != MG_OK)
			return MG_ERROR;
	/* as nginx: flush= alone keeps lines in a 64k buffer */
	if (al->buffer == MG_UNSET_SIZE)
		al->buffer = al->flush ? 64 * 1024 : 0;
	if (al->flush == 0)
		al->flush = 1000;
	for (pp = list; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = al;
	return MG_OK;
}

static int
conf_log_add_builtins(conf_parse_t *cp)
{
	mg_log_format_t *f, **tail;
	const char      *why = NULL;

	for (size_t i = 0; i < MG_NELEM(conf_log_builtin); i++) {
		if ((f = conf_log_new(cp, conf_log_builtin[i].name, &tail)) ==
		    NULL)
			return mg_conf_nomem(cp);
		f->pos = (mg_conf_pos_t){ "(predefined)", 0 };
		f->escape = conf_log_builtin[i].escape;
		f->builtin = 1;
		if (conf_log_compile(
			cp->conf, f, conf_log_builtin[i].text, &why) != MG_OK)
			return mg_conf_nomem(cp);
		conf_log_tails(f);
		*tail = f;
	}
	return MG_OK;
}

static int
conf_log_resolve(conf_parse_t *cp, mg_access_log_t *list)
{
	for (mg_access_log_t *al = list; al != NULL; al = al->next) {
		if (al->path == NULL)
			continue;
		al->format = conf_log_find(
		    cp->conf, al->fmtname ? al->fmtname : "mcpgw");
		if (al->format == NULL)
			return mg_conf_error_at(cp, &al->pos,
			    "unknown log format \"%s\"", al->fmtname);
	}
	return MG_OK;
}

/* The predefined formats, each format's literals against log_line_max,
 * and the format each access_log names. */
int
mg_conf_validate_logs(conf_parse_t *cp)
{
	mg_conf_t *conf = cp->conf;
	int64_t    max = conf->log_line_max;

	if (conf_log_add_builtins(cp) != MG_OK)
		return MG_ERROR;
	if (max == MG_UNSET_SIZE)
		max = 8192;
	for (mg_log_format_t *f = conf->log_formats; f != NULL; f = f->next)
		if ((int64_t)(f->literal + 1) > max)
			return mg_conf_error_at(cp, &f->pos,
			    "log_format \"%s\" is longer than log_line_max "
			    "(%lld bytes) without its variables",
			    f->name, (long long)max);
	if (conf_log_resolve(cp, conf->http.access_log) != MG_OK)
		return MG_ERROR;
	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		if (conf_log_resolve(cp, s->http.access_log) != MG_OK)
			return MG_ERROR;
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			if (conf_log_resolve(cp, l->http.access_log) != MG_OK)
				return MG_ERROR;
	}
	return MG_OK;
}

/* A limit zone's key (set_limit.c): TEXT compiled as a format's parts. */
int
mg_conf_key_compile(
    mg_conf_t *conf, mg_log_format_t *f, const char *text, const char **why)
{
	int rc = conf_log_compile(conf, f, text, why);

	if (rc == MG_OK)
		conf_log_tails(f);
	return rc;
}
