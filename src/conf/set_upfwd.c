/*
 * The client's own token on its way upstream: forward_client_token (as
 * it came, for trusted setups: the MCP specification forbids token
 * passthrough) and the oauth_token_exchange block (RFC 8693: exchanged
 * for a token meant for the upstream).  Both need a token to start with,
 * so a location that passes to such an upstream must ask for one
 * (auth_jwt); both set the upstream's Authorization, so nothing else
 * may.  The exchange block shares oauth_client's directives (token_url,
 * client_id, ...: set_upcred.c) and adds token_cache.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

/* forward_client_token on | off */
int
mg_conf_set_forward_token(
    conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *v = cp->args->v[1];

	if (u->forward_pos.file != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (strcmp(v, "on") == 0)
		u->forward_token = 1;
	else if (strcmp(v, "off") == 0)
		u->forward_token = 0;
	else
		return mg_conf_invalid(cp, cmd, "value", v);
	u->forward_pos = mg_conf_pos(cp);
	return MG_OK;
}

int
mg_conf_oauth_token_exchange(
    conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;

	if (u->exchange != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((u->exchange = mg_conf_alloc(cp->conf, sizeof(*u->exchange))) ==
	    NULL)
		return mg_conf_nomem(cp);
	mg_conf_unset(MG_CTX_TOKEN_EXCHANGE, u->exchange);
	u->exchange->pos = mg_conf_pos(cp);
	return mg_conf_parse_block(cp, MG_CTX_TOKEN_EXCHANGE, u->exchange, 1);
}

/* Where U's use of the client's token was written, and its name. */
static const mg_conf_pos_t *
conf_upfwd_pos(const mg_upstream_t *u, const char **what)
{
	*what = u->exchange != NULL ? "oauth_token_exchange"
				    : "forward_client_token on";
	return u->exchange != NULL ? &u->exchange->pos : &u->forward_pos;
}

int
mg_conf_validate_upfwd(conf_parse_t *cp, const mg_upstream_t *u)
{
	const mg_oauth_client_t *x = u->exchange;
	const mg_conf_pos_t     *pos;
	const char              *what;

	if (u->forward_token != 1 && x == NULL)
		return MG_OK;
	pos = conf_upfwd_pos(u, &what);
	if (u->forward_token == 1 && x != NULL)
		return mg_conf_error_at(cp, &x->pos,
		    "upstream \"%s\" has both \"forward_client_token on\" "
		    "and \"oauth_token_exchange\": one or the other",
		    u->name);
	if (u->command != NULL)
		return mg_conf_error_at(cp, pos,
		    "upstream \"%s\" runs a command: \"%s\" is for a "
		    "\"server\"",
		    u->name, what);
	if (u->oauth != NULL)
		return mg_conf_error_at(cp, pos,
		    "upstream \"%s\" has \"oauth_client\" and \"%s\": one "
		    "or the other",
		    u->name, what);
	if (mg_conf_upstream_sets_auth(u))
		return mg_conf_error_at(cp, pos,
		    "upstream \"%s\" sends an Authorization header already: "
		    "\"%s\" sets it",
		    u->name, what);
	if (x != NULL &&
	    (x->token.url == NULL || x->client_id == NULL ||
		x->client_secret_file.path == NULL))
		return mg_conf_error_at(cp, &x->pos,
		    "oauth_token_exchange needs \"token_url\", \"client_id\" "
		    "and \"client_secret_file\"");
	return MG_OK;
}

/* A location passing to an upstream that takes the client's token must
 * ask the client for one: LOC's auth_jwt, or its server's. */
int
mg_conf_validate_pass_token(
    conf_parse_t *cp, const mg_server_t *srv, const mg_location_t *loc)
{
	const mg_upstream_t *u = loc->upstream;
	const mg_auth_jwt_t *a = loc->auth_jwt ? loc->auth_jwt : srv->auth_jwt;
	const char          *what;

	if (u == NULL || (u->forward_token != 1 && u->exchange == NULL) ||
	    (a != NULL && !a->off))
		return MG_OK;
	(void)conf_upfwd_pos(u, &what);
	return mg_conf_error_at(cp, &loc->pos,
	    "location \"%s\" passes to upstream \"%s\", which has \"%s\", "
	    "but asks for no token: add \"auth_jwt\"",
	    loc->path, u->name, what);
}
