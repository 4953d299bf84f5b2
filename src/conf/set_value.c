/*
 * The generic setters: a number, size, time, flag or string written to
 * the field at the command's offset, checked against the range in its
 * row, or a file name relative to the file being read.  Most directives
 * need nothing else.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "conf_int.h"
#include "units.h"

static int
conf_in_bounds(int64_t n, const conf_bounds_t *b, int64_t max)
{
	if (b != NULL)
		return n >= b->min && n <= b->max;
	return n <= max;
}

int
mg_conf_set_num(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int        *field = CONF_FIELD(ctx, cmd, int);
	const char *v = cp->args->v[1], *s = v;
	int64_t     n;

	if (*field != MG_UNSET)
		return mg_conf_duplicate(cp, cmd);
	if (mg_conf_parse_digits(&s, &n) != MG_OK || *s != '\0' ||
	    !conf_in_bounds(n, cmd->data, INT_MAX))
		return mg_conf_invalid(cp, cmd, "value", v);
	*field = (int)n;
	return MG_OK;
}

int
mg_conf_set_size(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int64_t    *field = CONF_FIELD(ctx, cmd, int64_t);
	const char *v = cp->args->v[1];
	int64_t     n;

	if (*field != MG_UNSET_SIZE)
		return mg_conf_duplicate(cp, cmd);
	if (mg_conf_parse_size(v, &n) != MG_OK ||
	    !conf_in_bounds(n, cmd->data, INT64_MAX))
		return mg_conf_invalid(cp, cmd, "size", v);
	*field = n;
	return MG_OK;
}

/* Milliseconds; unset is MG_UNSET_SIZE, as for sizes. */
int
mg_conf_set_time(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int64_t    *field = CONF_FIELD(ctx, cmd, int64_t);
	const char *v = cp->args->v[1];
	int64_t     n;

	if (*field != MG_UNSET_SIZE)
		return mg_conf_duplicate(cp, cmd);
	if (mg_conf_parse_time(v, &n) != MG_OK ||
	    !conf_in_bounds(n, cmd->data, INT64_MAX))
		return mg_conf_invalid(cp, cmd, "time", v);
	*field = n;
	return MG_OK;
}

int
mg_conf_set_flag(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int        *field = CONF_FIELD(ctx, cmd, int);
	const char *v = cp->args->v[1];

	if (*field != MG_UNSET)
		return mg_conf_duplicate(cp, cmd);
	if (strcmp(v, "on") == 0)
		*field = 1;
	else if (strcmp(v, "off") == 0)
		*field = 0;
	else
		return mg_conf_invalid(cp, cmd, "value", v);
	return MG_OK;
}

/* cmd->data, if any, is the default string. */
int
mg_conf_set_str(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	char **field = CONF_FIELD(ctx, cmd, char *);

	if (*field != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((*field = mg_conf_strdup(cp->conf, cp->args->v[1])) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* A file name, relative to the directory of the file being read (as
 * include's): the shipped configuration names its pid file beside itself,
 * which works from the source tree for any user. */
int
mg_conf_set_path(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	char **field = CONF_FIELD(ctx, cmd, char *);

	if (*field != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((*field = mg_conf_path(cp, cp->args->v[1])) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* A number, or "off" (0): a limit that may be turned off. */
int
mg_conf_set_num_off(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int *field = CONF_FIELD(ctx, cmd, int);

	if (*field == MG_UNSET && strcmp(cp->args->v[1], "off") == 0) {
		*field = 0;
		return MG_OK;
	}
	return mg_conf_set_num(cp, cmd, ctx);
}
