/*
 * Setters of the upstream context: an HTTP(S) server or a stdio command,
 * the headers sent to it and the era it speaks.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"
#include "units.h"

/* The parts of URL into the upstream's server, in the pool. */
static int
conf_url_copy(mg_conf_t *conf, const char *text, const mg_conf_url_t *url,
    mg_upstream_server_t *u)
{
	u->tls = url->tls;
	u->host = mg_conf_strdup(conf, url->host);
	u->port = mg_conf_strdup(conf,
	    url->port != NULL ? url->port
		: url->tls    ? "443"
			      : "80");
	u->path = mg_conf_strdup(conf, url->path);
	u->authority = mg_conf_strdup(conf, url->authority);
	u->url = mg_conf_strdup(conf, text);
	if (u->host == NULL || u->port == NULL || u->path == NULL ||
	    u->authority == NULL || u->url == NULL)
		return MG_ERROR;
	return MG_OK;
}

/* TEXT into U: MG_OK, MG_DECLINED (not a URL we take: *WHY says why) or
 * MG_ERROR (out of memory). */
int
mg_conf_url_set(mg_conf_t *conf, const char *text, mg_upstream_server_t *u,
    const char **why)
{
	mg_conf_url_t url;
	int           rc;

	if (mg_conf_parse_url(text, &url, why) != MG_OK)
		return MG_DECLINED;
	rc = conf_url_copy(conf, text, &url, u);
	mg_conf_url_clear(&url);
	return rc;
}

/* server URL [weight=N] [max_fails=N] [fail_timeout=TIME] [backup]: the
 * first is the upstream's server; two or more make a pool (set_pool.c). */
int
mg_conf_set_upstream_server(
    conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t       *u = ctx;
	mg_upstream_server_t s = { 0 };
	const char          *why = NULL;
	int                  rc;

	(void)cmd;
	rc = mg_conf_url_set(cp->conf, cp->args->v[1], &s, &why);
	if (rc == MG_ERROR)
		return mg_conf_nomem(cp);
	if (rc != MG_OK)
		return mg_conf_error(cp, cp->args->line,
		    "invalid upstream server \"%s\": %s (want "
		    "http://HOST[:PORT]/PATH or https://...)",
		    cp->args->v[1], why);
	s.pos = mg_conf_pos(cp);
	if (mg_conf_member_add(cp, u, &s, NULL, 2, cp->args->n - 2) != MG_OK)
		return MG_ERROR;
	if (u->server.url == NULL)
		u->server = s;
	return MG_OK;
}

/* command [PARAMS] PATH [ARG...]: a stdio server, run by the connector
 * per session; PARAMS (weight=N ...) as a server line's, before PATH.
 * PATH must be absolute and executable now (the connector runs it later,
 * as the configured user, with no shell).  Two or more make a pool. */
int
mg_conf_set_command(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	conf_args_t   *a = cp->args;
	char         **argv;
	size_t         p = 1;

	(void)cmd;
	while (p < a->n - 1 && mg_conf_member_param(a->v[p]))
		p++;
	if (a->v[p][0] != '/')
		return mg_conf_error(cp, a->line,
		    "command \"%s\": the path must be absolute (no shell or "
		    "PATH search runs it)",
		    a->v[p]);
	if (access(a->v[p], X_OK) != 0)
		return mg_conf_error(cp, a->line, "command \"%s\": %s", a->v[p],
		    strerror(errno));
	if ((argv = mg_conf_alloc(cp->conf, (a->n - p + 1) * sizeof(*argv))) ==
	    NULL)
		return mg_conf_nomem(cp);
	for (size_t i = p; i < a->n; i++)
		if ((argv[i - p] = mg_conf_strdup(cp->conf, a->v[i])) == NULL)
			return mg_conf_nomem(cp);
	argv[a->n - p] = NULL;
	if (mg_conf_member_add(cp, u, NULL, argv, 1, p - 1) != MG_OK)
		return MG_ERROR;
	if (u->command == NULL) {
		u->command = argv;
		u->command_pos = mg_conf_pos(cp);
	}
	return MG_OK;
}

/* header NAME VALUE: added to every request to the upstream. */
int
mg_conf_set_header(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *name = cp->args->v[1], *value = cp->args->v[2];
	char         **v;
	size_t         len;

	if (name[0] == '\0' || strpbrk(name, " \t\r\n:") != NULL)
		return mg_conf_invalid(cp, cmd, "value", name);
	if (strpbrk(value, "\r\n") != NULL)
		return mg_conf_invalid(cp, cmd, "value", value);
	if ((v = mg_conf_alloc(cp->conf, (u->nheaders + 1) * sizeof(*v))) ==
	    NULL)
		return mg_conf_nomem(cp);
	for (size_t i = 0; i < u->nheaders; i++)
		v[i] = u->headers[i];
	len = strlen(name) + strlen(value) + 3;
	if ((v[u->nheaders] = mg_conf_alloc(cp->conf, len)) == NULL)
		return mg_conf_nomem(cp);
	snprintf(v[u->nheaders], len, "%s: %s", name, value);
	u->headers = v;
	u->nheaders++;
	return MG_OK;
}

/* protocol auto | 2026-07-28 | 2025-11-25 | 2024-11-05: the era an
 * upstream speaks (2024-11-05: the legacy HTTP+SSE transport). */
int
mg_conf_set_protocol(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *v = cp->args->v[1];

	if (u->protocol_pos.file != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (strcmp(v, "auto") == 0)
		u->protocol = MG_PROTOCOL_AUTO;
	else if (strcmp(v, "2026-07-28") == 0)
		u->protocol = MG_PROTOCOL_2026;
	else if (strcmp(v, "2025-11-25") == 0)
		u->protocol = MG_PROTOCOL_2025;
	else if (strcmp(v, "2024-11-05") == 0)
		u->protocol = MG_PROTOCOL_2024;
	else
		return mg_conf_error(cp, cp->args->line,
		    "invalid value \"%s\" in \"protocol\" directive (auto, "
		    "2026-07-28, 2025-11-25 or 2024-11-05)",
		    v);
	u->protocol_pos = mg_conf_pos(cp);
	return MG_OK;
}
