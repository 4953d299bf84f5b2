/*
 * The access phase's other methods in the configuration: auth_keys (API
 * keys), auth_cert (the verified client certificate as an identity) and
 * auth_order (which method a route tries first), their setters, what
 * they need of the rest of the configuration, and their inheritance.
 * auth_jwt has its own file (set_auth.c); what a keys file holds is the
 * master's to find out (master/auth_keys.c).
 *
 * A method is used by a route only when the route configures it: a
 * server's ssl_verify_client alone makes no identity, so that adding a
 * certificate requirement to a server never turns "JWT required" into
 * "JWT or certificate".  An auth_order that leaves out a method a route
 * configures is refused, rather than silently ignoring the method.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"

#define CONF_HEADER_MAX 64 /* bytes of header=NAME */

static const char *const conf_auth_methods[MG_AUTH_NMETHODS] = {
	[MG_AUTH_CERT] = "cert",
	[MG_AUTH_JWT] = "jwt",
	[MG_AUTH_KEY] = "key",
};

/* An HTTP field name (RFC 9110 5.1: a token). */
static int
conf_header_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_HEADER_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') ||
			strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return 0;
	return 1;
}

/* header=NAME: the header a key may come in, besides "Bearer KEY". */
static int
conf_keys_param(conf_parse_t *cp, const conf_command_t *cmd, mg_auth_keys_t *a,
    const char *param)
{
	const char *name = param + 7;

	if (strncmp(param, "header=", 7) != 0)
		return mg_conf_invalid(cp, cmd, "parameter", param);
	if (strcasecmp(name, "Authorization") == 0)
		return mg_conf_error(cp, cp->args->line,
		    "invalid value \"%s\" in \"%s\" directive (a key in "
		    "Authorization is sent as \"Bearer KEY\", which is "
		    "always accepted)",
		    param, cmd->name);
	if (!conf_header_ok(name))
		return mg_conf_invalid(cp, cmd, "value", param);
	if ((a->header = mg_conf_strdup(cp->conf, name)) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* auth_keys FILE [header=NAME]; auth_keys off; */
int
mg_conf_auth_keys(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_keys_t **field = CONF_FIELD(ctx, cmd, mg_auth_keys_t *);
	conf_command_t   file = *cmd;
	conf_args_t     *args = cp->args;
	mg_auth_keys_t  *a;

	if (*field != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((a = mg_conf_alloc(cp->conf, sizeof(*a))) == NULL)
		return mg_conf_nomem(cp);
	*field = a;
	a->pos = mg_conf_pos(cp);
	if (strcmp(args->v[1], "off") == 0) {
		a->off = 1;
		return args->n == 2
		    ? MG_OK
		    : mg_conf_invalid(cp, cmd, "parameter", args->v[2]);
	}
	/* the file as jwks_file's: relative to the including file */
	file.offset = offsetof(mg_auth_keys_t, file);
	if (mg_conf_set_auth_file(cp, &file, a) != MG_OK)
		return MG_ERROR;
	return args->n == 2 ? MG_OK : conf_keys_param(cp, cmd, a, args->v[2]);
}

/* auth_cert on | off */
int
mg_conf_set_auth_cert(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_cert_t *c = CONF_FIELD(ctx, cmd, mg_auth_cert_t);
	const char     *v = cp->args->v[1];

	if (c->pos.file != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
		return mg_conf_invalid(cp, cmd, "value", v);
	c->on = strcmp(v, "on") == 0;
	c->pos = mg_conf_pos(cp);
	return MG_OK;
}

/* auth_order METHOD ...: each of cert, jwt, key at most once. */
int
mg_conf_set_auth_order(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_order_t *o = CONF_FIELD(ctx, cmd, mg_auth_order_t);
	conf_args_t     *args = cp->args;
	size_t           m;

	if (o->n > 0)
		return mg_conf_duplicate(cp, cmd);
	for (size_t i = 1; i < args->n; i++) {
		for (m = 0; m < MG_AUTH_NMETHODS; m++)
			if (strcmp(args->v[i], conf_auth_methods[m]) == 0)
				break;
		if (m == MG_AUTH_NMETHODS)
			return mg_conf_error(cp, args->line,
			    "invalid value \"%s\" in \"%s\" directive (cert, "
			    "jwt or key)",
			    args->v[i], cmd->name);
		if (memchr(o->v, (int)m, o->n) != NULL)
			return mg_conf_error(cp, args->line,
			    "\"%s\" is named twice in \"%s\" directive",
			    args->v[i], cmd->name);
		o->v[o->n++] = (uint8_t)m;
	}
	o->pos = mg_conf_pos(cp);
	return MG_OK;
}

/* A route's own setting of a method, else its server's. */
static const mg_auth_cert_t *
conf_cert_of(const mg_location_t *loc, const mg_server_t *srv)
{
	return loc->auth_cert.pos.file != NULL ? &loc->auth_cert
					       : &srv->auth_cert;
}

static int
conf_uses(const void *loc_own, const void *srv_own, int loc_off, int srv_off)
{
	if (loc_own != NULL)
		return !loc_off;
	return srv_own != NULL && !srv_off;
}

/* Which methods LOC uses, before defaults merged them (MG_AUTH_* bits). */
static unsigned
conf_methods_of(const mg_location_t *loc, const mg_server_t *srv)
{
	unsigned m = 0;

	if (conf_cert_of(loc, srv)->on)
		m |= 1u << MG_AUTH_CERT;
	if (conf_uses(loc->auth_jwt, srv->auth_jwt,
		loc->auth_jwt && loc->auth_jwt->off,
		srv->auth_jwt && srv->auth_jwt->off))
		m |= 1u << MG_AUTH_JWT;
	if (conf_uses(loc->auth_keys, srv->auth_keys,
		loc->auth_keys && loc->auth_keys->off,
		srv->auth_keys && srv->auth_keys->off))
		m |= 1u << MG_AUTH_KEY;
	return m;
}

static int
conf_validate_cert(
    conf_parse_t *cp, const mg_server_t *srv, const mg_auth_cert_t *c)
{
	if (!c->on || srv->tls.verify_client != MG_VERIFY_OFF)
		return MG_OK;
	return mg_conf_error_at(cp, &c->pos,
	    "\"auth_cert on\" needs \"ssl_verify_client on\" or "
	    "\"ssl_verify_client optional\" in its server");
}

/* Every method LOC uses is in the auth_order that applies to it. */
static int
conf_validate_order(
    conf_parse_t *cp, const mg_location_t *loc, const mg_server_t *srv)
{
	const mg_auth_order_t *o =
	    loc->auth_order.n > 0 ? &loc->auth_order : &srv->auth_order;
	unsigned used = conf_methods_of(loc, srv);

	if (o->n == 0)
		return MG_OK;
	for (size_t i = 0; i < o->n; i++)
		used &= ~(1u << o->v[i]);
	for (size_t m = 0; m < MG_AUTH_NMETHODS; m++)
		if (used & (1u << m))
			return mg_conf_error_at(cp, &o->pos,
			    "\"auth_order\" leaves out \"%s\", which location "
			    "\"%s\" uses",
			    conf_auth_methods[m], loc->path);
	return MG_OK;
}

int
mg_conf_validate_access(conf_parse_t *cp, const mg_server_t *srv)
{
	if (conf_validate_cert(cp, srv, &srv->auth_cert) != MG_OK)
		return MG_ERROR;
	for (const mg_location_t *l = srv->locations; l != NULL; l = l->next)
		if (conf_validate_cert(cp, srv, &l->auth_cert) != MG_OK ||
		    conf_validate_order(cp, l, srv) != MG_OK)
			return MG_ERROR;
	return MG_OK;
}

/* After this, each location of SRV has what it enforces: its keys or
 * NULL, its auth_cert, and an order (cert jwt key when none is
 * written). */
void
mg_conf_access_defaults(mg_server_t *srv)
{
	static const mg_auth_order_t def = { { MG_AUTH_CERT, MG_AUTH_JWT,
						 MG_AUTH_KEY },
		MG_AUTH_NMETHODS, { NULL, 0 } };

	for (mg_location_t *loc = srv->locations; loc != NULL;
	     loc = loc->next) {
		if (loc->auth_keys == NULL)
			loc->auth_keys = srv->auth_keys;
		if (loc->auth_keys != NULL && loc->auth_keys->off)
			loc->auth_keys = NULL;
		loc->auth_cert = *conf_cert_of(loc, srv);
		if (loc->auth_order.n == 0)
			loc->auth_order = srv->auth_order;
		if (loc->auth_order.n == 0)
			loc->auth_order = def;
	}
	if (srv->auth_keys != NULL && srv->auth_keys->off)
		srv->auth_keys = NULL;
}
