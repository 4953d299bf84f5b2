/*
 * The request limits' directives, as nginx's limit_req and limit_conn
 * modules have them: the zones (limit_req_zone, limit_conn_zone), a
 * level's lines (limit_req, limit_conn) and settings (their statuses,
 * log level, dry run); what the lines need of the zones (validation) and
 * what a location takes from its server (defaults).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "log.h"

#define LIMIT_MIN_SIZE (8 * 1024)         /* a zone's table at least */
#define LIMIT_MAX_RATE (1000000LL * 1000) /* milli-requests a second */
#define LIMIT_MAX_LINES 8 /* limit_req or limit_conn lines at one level */

static mg_limit_zone_t *
limit_zone_find(const mg_conf_t *conf, const char *name)
{
	for (mg_limit_zone_t *z = conf->limit_zones; z != NULL; z = z->next)
		if (strcmp(z->name, name) == 0)
			return z;
	return NULL;
}

/* "zone=NAME:SIZE" into Z. */
static int
limit_zone_arg(conf_parse_t *cp, const conf_command_t *cmd, const char *a,
    mg_limit_zone_t *z)
{
	const char      *colon = strchr(a + 5, ':');
	mg_limit_zone_t *dup;

	if (colon == NULL || colon == a + 5 ||
	    mg_conf_parse_size(colon + 1, &z->size) != MG_OK)
		return mg_conf_invalid(cp, cmd, "zone", a + 5);
	if (z->size < LIMIT_MIN_SIZE)
		return mg_conf_error(cp, cp->args->line,
		    "zone \"%.*s\" is too small (at least 8k) in \"%s\"",
		    (int)(colon - a - 5), a + 5, cmd->name);
	if ((z->name = mg_conf_strndup(
		 cp->conf, a + 5, (size_t)(colon - a - 5))) == NULL)
		return mg_conf_nomem(cp);
	if ((dup = limit_zone_find(cp->conf, z->name)) != NULL)
		return mg_conf_duplicate_name(
		    cp, "zone", "", z->name, &dup->pos);
	return MG_OK;
}

/* "rate=Nr/s" or "rate=Nr/m", in milli-requests a second. */
static int
limit_rate_arg(conf_parse_t *cp, const conf_command_t *cmd, const char *a,
    mg_limit_zone_t *z)
{
	char     *end;
	long long n = strtoll(a + 5, &end, 10);
	int       per_min = strcmp(end, "r/m") == 0;

	if (end == a + 5 || n <= 0 || n > LIMIT_MAX_RATE / 1000 ||
	    (!per_min && strcmp(end, "r/s") != 0))
		return mg_conf_invalid(cp, cmd, "rate", a + 5);
	z->rate = per_min ? n * 1000 / 60 : n * 1000;
	if (z->rate == 0)
		z->rate = 1;
	return MG_OK;
}

/* limit_req_zone KEY zone=NAME:SIZE rate=R; limit_conn_zone KEY
 * zone=NAME:SIZE */
int
mg_conf_limit_zone(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	conf_args_t     *a = cp->args;
	mg_limit_zone_t *z, **tail;
	const char      *why = "empty key";
	int              req = strcmp(cmd->name, "limit_req_zone") == 0;

	(void)ctx;
	if ((z = mg_conf_alloc(cp->conf, sizeof(*z))) == NULL ||
	    (z->key_text = mg_conf_strdup(cp->conf, a->v[1])) == NULL)
		return mg_conf_nomem(cp);
	z->kind = req ? MG_LIMIT_ZONE_REQ : MG_LIMIT_ZONE_CONN;
	z->pos = mg_conf_pos(cp);
	for (size_t i = 2; i < a->n; i++) {
		if (strncmp(a->v[i], "zone=", 5) == 0 && z->name == NULL) {
			if (limit_zone_arg(cp, cmd, a->v[i], z) != MG_OK)
				return MG_ERROR;
		} else if (req && strncmp(a->v[i], "rate=", 5) == 0 &&
		    z->rate == 0) {
			if (limit_rate_arg(cp, cmd, a->v[i], z) != MG_OK)
				return MG_ERROR;
		} else
			return mg_conf_invalid(cp, cmd, "parameter", a->v[i]);
	}
	if (z->name == NULL || (req && z->rate == 0))
		return mg_conf_error(cp, a->line, "\"%s\" needs zone=%s",
		    cmd->name, req ? " and rate=" : "");
	z->key.name = z->name;
	z->key.escape = MG_LOG_ESC_NONE;
	z->key.pos = z->pos;
	if (a->v[1][0] == '\0' ||
	    mg_conf_key_compile(cp->conf, &z->key, a->v[1], &why) != MG_OK)
		return mg_conf_error(
		    cp, a->line, "%s in the key of \"%s\"", why, cmd->name);
	for (tail = &cp->conf->limit_zones; *tail != NULL;
	     tail = &(*tail)->next)
		;
	*tail = z;
	z->index = cp->conf->nlimit_zones++;
	return MG_OK;
}

static mg_limit_conf_t *
limit_conf(conf_parse_t *cp, void *ctx)
{
	return cp->ctx_type == MG_CTX_SERVER ? &((mg_server_t *)ctx)->limits
					     : &((mg_location_t *)ctx)->limits;
}

/* "methods=tools/call,prompts/get" */
static int
limit_methods(conf_parse_t *cp, const char *list, mg_limit_ref_t *r)
{
	const char *p = list;
	size_t      n = 1, i = 0, len;

	for (const char *c = list; *c != '\0'; c++)
		n += *c == ',';
	if ((r->methods.v = mg_conf_alloc(cp->conf, n * sizeof(char *))) ==
	    NULL)
		return mg_conf_nomem(cp);
	for (; i < n; i++, p += len + 1) {
		len = strcspn(p, ",");
		if (len == 0)
			return mg_conf_error(cp, cp->args->line,
			    "empty method in \"methods=%s\"", list);
		if ((r->methods.v[i] = mg_conf_strndup(cp->conf, p, len)) ==
		    NULL)
			return mg_conf_nomem(cp);
	}
	r->methods.n = n;
	return MG_OK;
}

static int
limit_number(conf_parse_t *cp, const conf_command_t *cmd, const char *what,
    const char *s, int64_t *v)
{
	char     *end;
	long long n = strtoll(s, &end, 10);

	if (end == s || *end != '\0' || n < 0 || n > 100000000)
		return mg_conf_invalid(cp, cmd, what, s);
	*v = n;
	return MG_OK;
}

static int
limit_ref_add(conf_parse_t *cp, mg_limit_ref_t **head, mg_limit_ref_t *r)
{
	int n = 0;

	for (; *head != NULL; head = &(*head)->next)
		if (++n >= LIMIT_MAX_LINES)
			return mg_conf_error(cp, cp->args->line,
			    "more than %d \"%s\" lines at one level",
			    LIMIT_MAX_LINES, cp->args->v[0]);
	*head = r;
	r->pos = mg_conf_pos(cp);
	return MG_OK;
}

/* limit_req zone=NAME [burst=N] [nodelay|delay=N] [methods=M,...] */
int
mg_conf_set_limit_req(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	conf_args_t    *a = cp->args;
	mg_limit_ref_t *r = mg_conf_alloc(cp->conf, sizeof(*r));
	int             nodelay = 0, rc = MG_OK;

	if (r == NULL)
		return mg_conf_nomem(cp);
	r->delay = MG_UNSET_SIZE;
	for (size_t i = 1; i < a->n && rc == MG_OK; i++) {
		const char *v = a->v[i];

		if (strncmp(v, "zone=", 5) == 0 && r->name == NULL)
			rc = (r->name = mg_conf_strdup(cp->conf, v + 5))
			    ? MG_OK
			    : mg_conf_nomem(cp);
		else if (strncmp(v, "burst=", 6) == 0)
			rc = limit_number(cp, cmd, "burst", v + 6, &r->burst);
		else if (strncmp(v, "delay=", 6) == 0 && !nodelay)
			rc = limit_number(cp, cmd, "delay", v + 6, &r->delay);
		else if (strcmp(v, "nodelay") == 0 && r->delay < 0)
			nodelay = 1;
		else if (strncmp(v, "methods=", 8) == 0 && r->methods.n == 0)
			rc = limit_methods(cp, v + 8, r);
		else
			rc = mg_conf_invalid(cp, cmd, "parameter", v);
	}
	if (rc != MG_OK)
		return rc;
	if (r->name == NULL)
		return mg_conf_error(
		    cp, a->line, "\"limit_req\" needs zone=NAME");
	r->delay = nodelay ? r->burst : r->delay < 0 ? 0 : r->delay;
	if (r->delay > r->burst)
		r->delay = r->burst;
	return limit_ref_add(cp, &limit_conf(cp, ctx)->req, r);
}

/* limit_conn NAME N [methods=M,...] */
int
mg_conf_set_limit_conn(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	conf_args_t    *a = cp->args;
	mg_limit_ref_t *r = mg_conf_alloc(cp->conf, sizeof(*r));

	if (r == NULL || (r->name = mg_conf_strdup(cp->conf, a->v[1])) == NULL)
		return mg_conf_nomem(cp);
	if (limit_number(cp, cmd, "number", a->v[2], &r->conn) != MG_OK)
		return MG_ERROR;
	if (r->conn == 0)
		return mg_conf_invalid(cp, cmd, "number", a->v[2]);
	if (a->n > 3 && strncmp(a->v[3], "methods=", 8) != 0)
		return mg_conf_invalid(cp, cmd, "parameter", a->v[3]);
	if (a->n > 3 && limit_methods(cp, a->v[3] + 8, r) != MG_OK)
		return MG_ERROR;
	return limit_ref_add(cp, &limit_conf(cp, ctx)->conn, r);
}

/* limit_req_status, limit_conn_status CODE: 400 to 599, as nginx. */
int
mg_conf_set_limit_status(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_limit_conf_t *l = limit_conf(cp, ctx);
	int    *f = strcmp(cmd->name, "limit_req_status") == 0 ? &l->req_status
							       : &l->conn_status;
	int64_t v = 0;

	if (*f != 0)
		return mg_conf_duplicate(cp, cmd);
	if (limit_number(cp, cmd, "status", cp->args->v[1], &v) != MG_OK)
		return MG_ERROR;
	if (v < 400 || v > 599)
		return mg_conf_invalid(cp, cmd, "status", cp->args->v[1]);
	*f = (int)v;
	return MG_OK;
}

/* limit_req_log_level info|notice|warn|error; limit_req_dry_run on|off */
int
mg_conf_set_limit_misc(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_limit_conf_t *l = limit_conf(cp, ctx);
	const char      *v = cp->args->v[1];
	int              level;

	if (strcmp(cmd->name, "limit_req_dry_run") == 0) {
		if (l->dry_run != 0)
			return mg_conf_duplicate(cp, cmd);
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return mg_conf_invalid(cp, cmd, "value", v);
		l->dry_run = strcmp(v, "on") == 0 ? 2 : 1;
		return MG_OK;
	}
	if (l->log_level != 0)
		return mg_conf_duplicate(cp, cmd);
	level = mg_log_level_parse(v);
	if (level < MG_LOG_DEBUG || level > MG_LOG_ERROR)
		return mg_conf_invalid(cp, cmd, "level", v);
	l->log_level = level + 1;
	return MG_OK;
}

/* Each line of L names a zone of the right kind. */
static int
limit_resolve(conf_parse_t *cp, mg_limit_ref_t *r, int kind)
{
	static const char *const what[] = { "limit_req", "limit_conn" };

	for (; r != NULL; r = r->next) {
		r->zone = limit_zone_find(cp->conf, r->name);
		if (r->zone == NULL || r->zone->kind != kind)
			return mg_conf_error_at(cp, &r->pos,
			    "unknown %s zone \"%s\"", what[kind], r->name);
	}
	return MG_OK;
}

int
mg_conf_validate_limits(conf_parse_t *cp)
{
	for (mg_server_t *s = cp->conf->servers; s != NULL; s = s->next) {
		if (limit_resolve(cp, s->limits.req, MG_LIMIT_ZONE_REQ) ||
		    limit_resolve(cp, s->limits.conn, MG_LIMIT_ZONE_CONN))
			return MG_ERROR;
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			if (limit_resolve(
				cp, l->limits.req, MG_LIMIT_ZONE_REQ) ||
			    limit_resolve(
				cp, l->limits.conn, MG_LIMIT_ZONE_CONN))
				return MG_ERROR;
	}
	return MG_OK;
}

/* Whether the lines of R need the method or tool of a message. */
static int
limit_need_msg(const mg_limit_ref_t *r)
{
	for (; r != NULL; r = r->next) {
		if (r->methods.n > 0)
			return 1;
		for (size_t i = 0; r->zone && i < r->zone->key.nparts; i++)
			if (r->zone->key.parts[i].name != NULL &&
			    strncmp(r->zone->key.parts[i].name, "mcp_", 4) == 0)
				return 1;
	}
	return 0;
}

/* A level without lines of its own takes the outer level's, as nginx. */
static void
limit_merge(mg_limit_conf_t *in, const mg_limit_conf_t *out)
{
	if (in->req == NULL)
		in->req = out->req;
	if (in->conn == NULL)
		in->conn = out->conn;
	if (in->req_status == 0)
		in->req_status = out->req_status ? out->req_status : 429;
	if (in->conn_status == 0)
		in->conn_status = out->conn_status ? out->conn_status : 429;
	if (in->log_level == 0)
		in->log_level =
		    out->log_level ? out->log_level : MG_LOG_ERROR + 1;
	if (in->dry_run == 0)
		in->dry_run = out->dry_run ? out->dry_run : 1;
	in->need_msg = limit_need_msg(in->req) || limit_need_msg(in->conn);
}

void
mg_conf_limits_defaults(mg_conf_t *conf)
{
	static const mg_limit_conf_t none;

	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			limit_merge(&l->limits, &s->limits);
		limit_merge(&s->limits, &none);
	}
}
