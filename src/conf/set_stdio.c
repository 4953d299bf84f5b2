/*
 * Setters of a stdio server's own directives (an upstream with a
 * "command"): cwd, the directory its process runs in, checked when the
 * configuration is loaded; and, after parsing, what one directive cannot
 * see alone (mg_conf_validate_stdio).  process_queue and
 * process_queue_timeout are generic numbers (commands.c).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "conf_int.h"

/* cwd DIR: absolute, and a directory now (the connector chdirs there
 * after the fork, before the exec, and reports a failure then too). */
int
mg_conf_set_cwd(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	conf_args_t   *a = cp->args;
	struct stat    st;

	(void)cmd;
	if (u->cwd != NULL)
		return mg_conf_error(
		    cp, a->line, "upstream \"%s\" has a cwd already", u->name);
	if (a->v[1][0] != '/')
		return mg_conf_error(cp, a->line,
		    "cwd \"%s\": the path must be absolute", a->v[1]);
	if (stat(a->v[1], &st) != 0)
		return mg_conf_error(
		    cp, a->line, "cwd \"%s\": %s", a->v[1], strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return mg_conf_error(
		    cp, a->line, "cwd \"%s\": not a directory", a->v[1]);
	if ((u->cwd = mg_conf_strdup(cp->conf, a->v[1])) == NULL)
		return mg_conf_nomem(cp);
	u->cwd_pos = mg_conf_pos(cp);
	return MG_OK;
}

int
mg_conf_validate_stdio(conf_parse_t *cp, const mg_upstream_t *u)
{
	if (u->command == NULL && u->cwd != NULL)
		return mg_conf_error_at(cp, &u->cwd_pos,
		    "upstream \"%s\" has no \"command\": \"cwd\" is for a "
		    "stdio server",
		    u->name);
	return MG_OK;
}
