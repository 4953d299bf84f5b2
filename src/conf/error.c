/*
 * Error messages of the configuration: each names file and line, the
 * first one is kept (malloc'd, for the caller to free), and the ones that
 * follow it are dropped, so a setter may return an error from anywhere.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

static char *
conf_vstrf(const char *fmt, va_list ap)
{
	va_list aq;
	char   *s;
	int     n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *
mg_conf_strf(const char *fmt, ...)
{
	va_list ap;
	char   *s;

	va_start(ap, fmt);
	s = conf_vstrf(fmt, ap);
	va_end(ap);
	return s;
}

/* On out of memory *err stays NULL: there is no room for a message. */
void
mg_conf_set_err(char **err, char *msg)
{
	if (err != NULL && *err == NULL)
		*err = msg;
	else
		free(msg);
}

static int
conf_verror(
    conf_parse_t *cp, const char *file, int line, const char *fmt, va_list ap)
{
	char *msg;

	if ((msg = conf_vstrf(fmt, ap)) != NULL) {
		mg_conf_set_err(
		    cp->err, mg_conf_strf("%s in %s:%d", msg, file, line));
		free(msg);
	}
	return MG_ERROR;
}

int
mg_conf_error(conf_parse_t *cp, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(cp, cp->file, line, fmt, ap);
	va_end(ap);
	return MG_ERROR;
}

int
mg_conf_error_at(
    conf_parse_t *cp, const mg_conf_pos_t *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(cp, pos->file, pos->line, fmt, ap);
	va_end(ap);
	return MG_ERROR;
}

int
mg_conf_nomem(conf_parse_t *cp)
{
	mg_conf_set_err(cp->err, strdup("out of memory"));
	return MG_ERROR;
}

int
mg_conf_invalid(conf_parse_t *cp, const conf_command_t *cmd, const char *what,
    const char *value)
{
	return mg_conf_error(cp, cp->args->line,
	    "invalid %s \"%s\" in \"%s\" directive", what, value, cmd->name);
}

int
mg_conf_duplicate(conf_parse_t *cp, const conf_command_t *cmd)
{
	return mg_conf_error(
	    cp, cp->args->line, "\"%s\" directive is duplicate", cmd->name);
}

/* A second named thing: say where the first one is. */
int
mg_conf_duplicate_name(conf_parse_t *cp, const char *what, const char *prefix,
    const char *name, const mg_conf_pos_t *first)
{
	mg_conf_set_err(cp->err,
	    mg_conf_strf(
		"duplicate %s \"%s%s\" in %s:%d (first defined in %s:%d)", what,
		prefix, name, cp->file, cp->args->line, first->file,
		first->line));
	return MG_ERROR;
}

mg_conf_pos_t
mg_conf_pos(const conf_parse_t *cp)
{
	mg_conf_pos_t pos = { cp->file, cp->args->line };

	return pos;
}
