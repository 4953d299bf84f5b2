/*
 * health_check [interval=T] [timeout=T] [fails=N] [passes=N] [method=M]
 * in an upstream: the connector's active probes of its servers
 * (connector/health.c), parameters as nginx Plus's health_check; and
 * what it needs of its upstream (validation).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define HEALTH_INTERVAL_DEF 5000
#define HEALTH_TIMEOUT_DEF 2000
#define HEALTH_TIME_MIN 100     /* ms */
#define HEALTH_TIME_MAX 3600000 /* ms: an hour */
#define HEALTH_COUNT_MAX 100    /* fails, passes */

/* The methods a probe may send: answered by any server, no arguments. */
static const char *const health_methods[] = { "ping", "tools/list",
	"resources/list", "prompts/list", "server/discover" };

/* VALUE as a time into *MS: MG_OK or MG_ERROR. */
static int
health_time(const char *value, int64_t *ms)
{
	int64_t n;

	if (mg_conf_parse_time(value, &n) != MG_OK || n < HEALTH_TIME_MIN ||
	    n > HEALTH_TIME_MAX)
		return MG_ERROR;
	*ms = n;
	return MG_OK;
}

/* VALUE as a count into *N: MG_OK or MG_ERROR. */
static int
health_count(const char *value, int *n)
{
	char *end;
	long  v = strtol(value, &end, 10);

	if (value[0] < '0' || value[0] > '9' || *end != '\0' || v < 1 ||
	    v > HEALTH_COUNT_MAX)
		return MG_ERROR;
	*n = (int)v;
	return MG_OK;
}

static int
health_method(const char *value, const char **method)
{
	for (size_t i = 0; i < sizeof(health_methods) / sizeof(*health_methods);
	     i++)
		if (strcmp(value, health_methods[i]) == 0) {
			*method = health_methods[i];
			return MG_OK;
		}
	return MG_ERROR;
}

/* One NAME=VALUE of the directive into H: MG_OK, MG_DECLINED (no such
 * name) or MG_ERROR (a bad value). */
static int
health_param(mg_health_conf_t *h, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t      n = eq != NULL ? (size_t)(eq - arg) : 0;

	if (eq == NULL)
		return MG_DECLINED;
	if (n == 8 && strncmp(arg, "interval", n) == 0)
		return health_time(eq + 1, &h->interval);
	if (n == 7 && strncmp(arg, "timeout", n) == 0)
		return health_time(eq + 1, &h->timeout);
	if (n == 5 && strncmp(arg, "fails", n) == 0)
		return health_count(eq + 1, &h->fails);
	if (n == 6 && strncmp(arg, "passes", n) == 0)
		return health_count(eq + 1, &h->passes);
	if (n == 6 && strncmp(arg, "method", n) == 0)
		return health_method(eq + 1, &h->method);
	return MG_DECLINED;
}

int
mg_conf_set_health(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t    *u = ctx;
	mg_health_conf_t *h = &u->health;
	int               rc;

	if (h->pos.file != NULL)
		return mg_conf_duplicate(cp, cmd);
	*h = (mg_health_conf_t){ HEALTH_INTERVAL_DEF, HEALTH_TIMEOUT_DEF, 1, 1,
		NULL, mg_conf_pos(cp) };
	for (size_t i = 1; i < cp->args->n; i++) {
		rc = health_param(h, cp->args->v[i]);
		if (rc == MG_DECLINED)
			return mg_conf_error(cp, cp->args->line,
			    "unknown parameter \"%s\" in \"health_check\" "
			    "(interval=, timeout=, fails=, passes=, method=)",
			    cp->args->v[i]);
		if (rc != MG_OK)
			return mg_conf_error(cp, cp->args->line,
			    "invalid \"%s\" in \"health_check\" (times from "
			    "100ms to 1h, counts from 1 to %d, methods ping, "
			    "tools/list, resources/list, prompts/list, "
			    "server/discover)",
			    cp->args->v[i], HEALTH_COUNT_MAX);
	}
	return MG_OK;
}

/* What health_check needs of its upstream U. */
int
mg_conf_validate_health(conf_parse_t *cp, const mg_upstream_t *u)
{
	const mg_health_conf_t *h = &u->health;
	int                     urls = u->server.url != NULL;

	if (h->pos.file == NULL)
		return MG_OK;
	for (size_t i = 0; i < u->nmembers; i++)
		urls += u->members[i].server.url != NULL;
	if (urls == 0)
		return mg_conf_error_at(cp, &h->pos,
		    "upstream \"%s\" has no \"server\" URL for "
		    "\"health_check\" to probe (a stdio server is watched "
		    "through its process)",
		    u->name);
	if (u->protocol == MG_PROTOCOL_2024)
		return mg_conf_error_at(cp, &h->pos,
		    "upstream \"%s\": \"health_check\" probes Streamable HTTP, "
		    "not \"protocol 2024-11-05\" (HTTP+SSE)",
		    u->name);
	if (u->forward_token == 1 || u->exchange != NULL)
		return mg_conf_error_at(cp, &h->pos,
		    "upstream \"%s\": \"health_check\" probes carry no "
		    "client's token, which forward_client_token and "
		    "oauth_token_exchange need",
		    u->name);
	if (h->method == NULL)
		return MG_OK; /* server/discover or ping, by what it speaks */
	/* the session the connector holds with a 2025 upstream for its
	 * 2026-07-28 clients answers server/discover itself */
	if (strcmp(h->method, "server/discover") == 0 &&
	    u->protocol != MG_PROTOCOL_2026)
		return mg_conf_error_at(cp, &h->pos,
		    "upstream \"%s\": \"health_check method=server/discover\" "
		    "needs \"protocol 2026-07-28\" (use ping otherwise)",
		    u->name);
	if (strcmp(h->method, "ping") == 0 && u->protocol == MG_PROTOCOL_2026)
		return mg_conf_error_at(cp, &h->pos,
		    "upstream \"%s\": \"health_check method=ping\": ping is "
		    "not part of 2026-07-28 (use server/discover)",
		    u->name);
	return MG_OK;
}
