/*
 * Defaults, applied once after the whole configuration is read and
 * validated: fields start unset (driven by the directive table), unset
 * HTTP settings are merged from the outer block, and whatever is still
 * unset takes its row's default.  A location without auth_jwt takes its
 * server's block (the same one, not a copy); "off" leaves none.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "conf_int.h"
#include "log.h"

enum { CONF_KIND_NONE, CONF_KIND_INT, CONF_KIND_INT64, CONF_KIND_STR };

/* The field type a setter fills, for table-driven unset and defaults. */
static int
conf_kind(const conf_command_t *cmd)
{
	if (cmd->set == mg_conf_set_num || cmd->set == mg_conf_set_flag ||
	    cmd->set == mg_conf_set_workers || cmd->set == mg_conf_set_num_off)
		return CONF_KIND_INT;
	if (cmd->set == mg_conf_set_size || cmd->set == mg_conf_set_time)
		return CONF_KIND_INT64;
	if (cmd->set == mg_conf_set_str || cmd->set == mg_conf_set_path)
		return CONF_KIND_STR;
	return CONF_KIND_NONE;
}

void
mg_conf_unset(int ctx_type, void *ctx)
{
	const conf_command_t *cmd;
	size_t                i;

	for (i = 0; i < mg_ncommands; i++) {
		cmd = &mg_commands[i];
		if (!(cmd->ctx & ctx_type))
			continue;
		switch (conf_kind(cmd)) {
		case CONF_KIND_INT:
			*CONF_FIELD(ctx, cmd, int) = MG_UNSET;
			break;
		case CONF_KIND_INT64:
			*CONF_FIELD(ctx, cmd, int64_t) = MG_UNSET_SIZE;
			break;
		case CONF_KIND_STR: *CONF_FIELD(ctx, cmd, char *) = NULL; break;
		}
	}
}

static int
conf_default_field(mg_conf_t *conf, const conf_command_t *cmd, void *ctx)
{
	const conf_bounds_t *b;

	switch (conf_kind(cmd)) {
	case CONF_KIND_INT:
		b = cmd->data;
		if (*CONF_FIELD(ctx, cmd, int) == MG_UNSET)
			*CONF_FIELD(ctx, cmd, int) = (int)b->def;
		break;
	case CONF_KIND_INT64:
		b = cmd->data;
		if (*CONF_FIELD(ctx, cmd, int64_t) == MG_UNSET_SIZE)
			*CONF_FIELD(ctx, cmd, int64_t) = b->def;
		break;
	case CONF_KIND_STR:
		if (*CONF_FIELD(ctx, cmd, char *) == NULL &&
		    (*CONF_FIELD(ctx, cmd, char *) =
			    mg_conf_strdup(conf, cmd->data)) == NULL)
			return MG_ERROR;
		break;
	}
	return MG_OK;
}

/* Fields still unset take the default in their command's data. */
static int
conf_default(mg_conf_t *conf, int ctx_type, void *ctx)
{
	size_t i;

	for (i = 0; i < mg_ncommands; i++) {
		if (!(mg_commands[i].ctx & ctx_type) || !mg_commands[i].data)
			continue;
		/* inner blocks take the outer value instead (conf_merge) */
		if ((mg_commands[i].flags & CONF_INHERIT) &&
		    ctx_type != MG_CTX_MAIN)
			continue;
		if (conf_default_field(conf, &mg_commands[i], ctx) != MG_OK)
			return MG_ERROR;
	}
	return MG_OK;
}

/* Unset fields of IN take the value of OUT (main -> server -> location). */
static void
conf_merge_http(mg_http_conf_t *in, const mg_http_conf_t *out)
{
#define MERGE(f, unset)                                                        \
	if (in->f == (unset))                                                  \
	in->f = out->f
	MERGE(client_max_body_size, MG_UNSET_SIZE);
	MERGE(client_max_header_size, MG_UNSET_SIZE);
	MERGE(client_max_headers, MG_UNSET);
	MERGE(client_header_timeout, MG_UNSET_SIZE);
	MERGE(client_body_timeout, MG_UNSET_SIZE);
	MERGE(keepalive_timeout, MG_UNSET_SIZE);
	MERGE(sse_keepalive, MG_UNSET_SIZE);
	MERGE(sse_buffer, MG_UNSET_SIZE);
	MERGE(sse_resume_timeout, MG_UNSET_SIZE);
	MERGE(access_log, NULL);
	MERGE(max_hops, MG_UNSET);
#undef MERGE
	if (in->allow_origins == NULL) {
		in->allow_origins = out->allow_origins;
		in->nallow_origins = out->nallow_origins;
	}
}

static int
conf_default_auth(mg_conf_t *conf, mg_auth_jwt_t *a)
{
	if (a == NULL || a->off)
		return MG_OK;
	return conf_default(conf, MG_CTX_AUTH_JWT, a);
}

/* After this, a location's auth_jwt is what it enforces, or NULL. */
static void
conf_merge_auth(mg_location_t *loc, const mg_server_t *srv)
{
	if (loc->auth_jwt == NULL)
		loc->auth_jwt = srv->auth_jwt;
	if (loc->auth_jwt != NULL && loc->auth_jwt->off)
		loc->auth_jwt = NULL;
}

static int
conf_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

int
mg_conf_defaults(conf_parse_t *cp)
{
	mg_conf_t     *conf = cp->conf;
	mg_server_t   *srv;
	mg_location_t *loc;
	mg_upstream_t *u;
	int            rc;

	rc = conf_default(conf, MG_CTX_MAIN, conf);
	rc |= conf_default(conf, MG_CTX_CONNECTOR, &conf->connector);
	for (u = conf->upstreams; u != NULL; u = u->next) {
		rc |= conf_default(conf, MG_CTX_UPSTREAM, u);
		if (u->exchange != NULL)
			rc |= conf_default(
			    conf, MG_CTX_TOKEN_EXCHANGE, u->exchange);
	}
	for (srv = conf->servers; srv != NULL; srv = srv->next) {
		rc |= conf_default(conf, MG_CTX_SERVER, srv);
		rc |= conf_default_auth(conf, srv->auth_jwt);
		conf_merge_http(&srv->http, &conf->http);
		for (loc = srv->locations; loc != NULL; loc = loc->next) {
			rc |= conf_default(conf, MG_CTX_LOCATION, loc);
			rc |= mg_conf_members_defaults(conf, loc);
			rc |= conf_default_auth(conf, loc->auth_jwt);
			conf_merge_http(&loc->http, &srv->http);
			conf_merge_auth(loc, srv);
		}
		mg_conf_access_defaults(srv);
		if (srv->auth_jwt != NULL && srv->auth_jwt->off)
			srv->auth_jwt = NULL;
	}
	if (conf->worker_processes == MG_UNSET ||
	    conf->worker_processes == CONF_AUTO)
		conf->worker_processes = conf_ncpu();
	if (conf->error_log_level == MG_UNSET)
		conf->error_log_level = MG_LOG_INFO;
	/* per client: a tenth of the table, and 7/8 of a worker's
	 * connections (an eighth stays free for every other client) */
	if (conf->sessions_per_address == MG_UNSET)
		conf->sessions_per_address =
		    conf->max_sessions / 10 > 16 ? conf->max_sessions / 10 : 16;
	if (conf->connections_per_address == MG_UNSET)
		conf->connections_per_address =
		    conf->worker_connections - conf->worker_connections / 8;
	mg_conf_limits_defaults(conf);
	if (conf->error_log == NULL &&
	    (conf->error_log = mg_conf_strdup(conf, "stderr")) == NULL)
		rc = MG_ERROR;
	return rc == MG_OK ? MG_OK : mg_conf_nomem(cp);
}
