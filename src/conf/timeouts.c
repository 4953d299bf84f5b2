/*
 * The whole-request time limits: call_timeout (a generic time, in the
 * table) and tool_timeout NAME TIME, several per upstream or location,
 * and the one lookup that tells a request its limit.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

/* A name the workers can match: visible ASCII, shorter than what they
 * keep of a request's tool name (63 bytes), so that a kept name of full
 * length, perhaps cut, never matches. */
static int
tool_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > MG_TOOL_TIMEOUT_NAME_MAX)
		return 0;
	for (; *name != '\0'; name++)
		if (*name <= 0x20 || *name >= 0x7f)
			return 0;
	return 1;
}

/* tool_timeout NAME TIME: to the block's list, in file order. */
int
mg_conf_set_tool_timeout(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_tool_timeout_t  **list = CONF_FIELD(ctx, cmd, mg_tool_timeout_t *);
	const char          *name = cp->args->v[1], *v = cp->args->v[2];
	const conf_bounds_t *b = cmd->data;
	mg_tool_timeout_t   *t, **pp;
	int64_t              ms;

	if (!tool_name_ok(name))
		return mg_conf_invalid(cp, cmd, "tool name", name);
	if (mg_conf_parse_time(v, &ms) != MG_OK || ms < b->min || ms > b->max)
		return mg_conf_invalid(cp, cmd, "time", v);
	for (pp = list; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			return mg_conf_duplicate_name(
			    cp, "tool_timeout", "", name, &(*pp)->pos);
	if ((t = mg_conf_alloc(cp->conf, sizeof(*t))) == NULL ||
	    (t->name = mg_conf_strdup(cp->conf, name)) == NULL)
		return mg_conf_nomem(cp);
	t->ms = ms;
	t->pos = mg_conf_pos(cp);
	*pp = t;
	return MG_OK;
}

static int64_t
tool_ms(const mg_tool_timeout_t *t, const char *tool)
{
	for (; t != NULL && tool != NULL; t = t->next)
		if (strcmp(t->name, tool) == 0)
			return t->ms;
	return 0;
}

int64_t
mg_conf_timeout_of(const mg_location_t *loc, const mg_upstream_t *up,
    const char *method, const char *tool, const char *up_tool)
{
	int64_t ms = 0;

	if (method != NULL && strcmp(method, "tools/call") == 0 &&
	    tool != NULL && tool[0] != '\0') {
		if (loc != NULL)
			ms = tool_ms(loc->tool_timeouts, tool);
		if (ms == 0 && up != NULL)
			ms = tool_ms(up->tool_timeouts,
			    up_tool != NULL ? up_tool : tool);
	}
	if (ms == 0 && loc != NULL && loc->call_timeout > 0)
		ms = loc->call_timeout;
	if (ms == 0 && up != NULL && up->call_timeout > 0)
		ms = up->call_timeout;
	return ms;
}
