/*
 * The session of an exchange: whose limit a new session counts against,
 * its refusal when the table or the client is full, and the check that
 * the Mcp-Session-Id a request carries opens, is ours and is alive.  The
 * token of a proxy route also carries the upstream's session.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "exchange.h"
#include "limit.h"
#include "selfconn.h"

/*
 * The owner a new session of this request is counted against: the
 * client's address (limit.h: an IPv4 address, an IPv6 /64), or no one
 * for the connector's own requests (selfconn.h), whose clients were
 * counted on their way in.  Per identity limits go here once the access
 * phase establishes who a client is: the identity becomes an owner of its
 * own with its own limit, checked beside the address.
 */
uint32_t
mg_ex_session_owner(const mg_mcp_ex_t *ex)
{
	const struct sockaddr *sa = mg_http_req_peer_addr(ex->req);
	uint64_t               client;

	if (mg_limit_client(sa, &client) != MG_OK || mg_selfconn_is(sa))
		return 0;
	return mg_sesstab_owner(ex->ctx->sessions, client);
}

uint32_t
mg_ex_session_limit(const mg_mcp_ex_t *ex)
{
	return (uint32_t)ex->ctx->conf->sessions_per_address;
}

/*
 * A new session refused, RC as mg_sesstab_add_for said: counted, logged
 * once in a while, and the answer's status, JSON-RPC code and message.  A
 * client at its own limit gets 429 (it, not the gateway, must slow down;
 * others are served); a full table is the gateway's state: 503.
 */
int
mg_ex_session_refused(
    const mg_mcp_ex_t *ex, int rc, int *code, char *msg, size_t len)
{
	char who[INET6_ADDRSTRLEN + 4];
	int  limit = ex->ctx->conf->sessions_per_address;

	if (rc == MG_ERROR) { /* mg_ex_relay_session: no token */
		*code = MG_RPC_INTERNAL_ERROR;
		snprintf(msg, len, "cannot seal a session id");
		return 500;
	}
	mg_limit_client_text(mg_http_req_peer_addr(ex->req), who, sizeof(who));
	if (rc == MG_BUSY) {
		mg_limit_refused(MG_LIMIT_SESSIONS_ADDR,
		    "sessions_per_address (%d) reached by %s: refusing a new "
		    "session on %s",
		    limit, who, ex->loc->path);
		*code = MG_LIMIT_ERR;
		snprintf(msg, len,
		    "too many sessions from this address "
		    "(sessions_per_address %d); end some with DELETE or try "
		    "again later",
		    limit);
		return 429;
	}
	mg_limit_refused(MG_LIMIT_SESSIONS_FULL,
	    "session table full (max_sessions %d): refusing a new session "
	    "from %s on %s",
	    ex->ctx->conf->max_sessions, who, ex->loc->path);
	*code = MG_RPC_INTERNAL_ERROR;
	snprintf(msg, len, "too many sessions; try again later");
	return 503;
}

void
mg_ex_session_refuse(mg_mcp_ex_t *ex, struct json_object *id, int rc)
{
	char msg[160];
	int  code,
	    status = mg_ex_session_refused(ex, rc, &code, msg, sizeof(msg));

	mg_ex_refuse(ex, status, id, code, msg);
}

/* Before a proxy route's initialize goes upstream: a client at its limit
 * is refused now, not once the upstream has opened a session for it. */
int
mg_ex_session_room(mg_mcp_ex_t *ex, struct json_object *id)
{
	uint32_t limit = mg_ex_session_limit(ex);

	if (limit == 0 ||
	    mg_sesstab_owner_count(ex->ctx->sessions, mg_ex_session_owner(ex)) <
		limit)
		return MG_OK;
	mg_ex_session_refuse(ex, id, MG_BUSY);
	return MG_ERROR;
}

/*
 * Is the session S still alive here?  The shared table knows every session
 * this gateway has seen.  A sealed id it has never seen was issued by
 * another instance with the same key (or before this master started):
 * it is taken in while it is younger than session_timeout, since an
 * older one may have idled out or been deleted elsewhere.
 */
static int
session_alive(mg_mcp_ex_t *ex, const mg_session_t *s)
{
	mg_sesstab_t *t = ex->ctx->sessions;
	int64_t       timeout = ex->ctx->conf->session_timeout;
	int           rc = mg_sesstab_touch(t, s->id, mg_ex_now_ms(), timeout);

	if (rc != MG_AGAIN)
		return rc;
	if (((int64_t)time(NULL) - s->issued) * 1000 > timeout)
		return MG_DECLINED;
	/* counted against the client, but never refused: it exists */
	rc = mg_sesstab_add_for(
	    t, s->id, mg_ex_now_ms(), mg_ex_session_owner(ex), 0);
	if (rc == MG_OK)
		return MG_OK;
	/* another worker took it in at the same moment, or the table is full */
	return mg_sesstab_touch(t, s->id, mg_ex_now_ms(), timeout);
}

/* The session of this request: MG_OK, or answered (400/404). */
int
mg_ex_check_session(mg_mcp_ex_t *ex)
{
	const char  *token = mg_http_req_header(ex->req, "Mcp-Session-Id");
	mg_session_t s;

	/* opened already (a federated route's, before it chose a member):
	 * one AES-GCM open a request is enough */
	if (ex->session != 0 && ex->sess != NULL)
		return MG_OK;
	if (token == NULL) {
		mg_ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "Bad Request: Mcp-Session-Id header is required");
		return MG_ERROR;
	}
	if (mg_session_open(ex->ctx->key, token, strlen(token), &s) != MG_OK ||
	    strcmp(s.route, ex->loc->path) != 0 ||
	    session_alive(ex, &s) != MG_OK) {
		mg_ex_refuse(
		    ex, 404, NULL, MG_MCP_ERR_SESSION, "Session not found");
		return MG_ERROR;
	}
	ex->session = s.id;
	/* the upstream's part of the token: only a proxy route needs it */
	if ((ex->upstream != NULL || ex->loc->members != NULL) &&
	    ex->sess == NULL &&
	    (ex->sess = malloc(sizeof(*ex->sess) + s.upstream_len)) != NULL) {
		memcpy(ex->sess->version, s.version, sizeof(s.version));
		ex->sess->upstream_len = s.upstream_len;
		memcpy(ex->sess->upstream, s.upstream, s.upstream_len);
	}
	/* no MCP-Protocol-Version: the version the session negotiated */
	if (mg_http_req_header(ex->req, "MCP-Protocol-Version") == NULL &&
	    mg_ex_version_index(s.version) >= 0)
		ex->version = mg_ex_version_index(s.version);
	return MG_OK;
}

/* The token's upstream blob: [u16 n][upstream session id][u16 n][params]. */
static void
blob_pack(mg_session_t *s, const char *sid, const char *init)
{
	size_t n = strlen(sid), m = init ? strlen(init) : 0;

	/* the connector refuses longer ids (MG_UP_SID_MAX) */
	if (n >= MG_UP_SID_MAX)
		n = 0;
	/* params that do not fit: the upstream session cannot be reopened */
	if (4 + n + m > sizeof(s->upstream))
		m = 0;
	s->upstream[0] = (uint8_t)(n >> 8);
	s->upstream[1] = (uint8_t)n;
	memcpy(s->upstream + 2, sid, n);
	s->upstream[2 + n] = (uint8_t)(m >> 8);
	s->upstream[3 + n] = (uint8_t)m;
	memcpy(s->upstream + 4 + n, init, m);
	s->upstream_len = 4 + n + m;
}

int
mg_ex_blob_unpack(const ex_sess_t *s, const char **sid, size_t *sid_len,
    const char **init, size_t *init_len)
{
	size_t n, m;

	if (s->upstream_len < 4)
		return MG_ERROR;
	n = (size_t)s->upstream[0] << 8 | s->upstream[1];
	if (4 + n > s->upstream_len)
		return MG_ERROR;
	m = (size_t)s->upstream[2 + n] << 8 | s->upstream[3 + n];
	if (4 + n + m != s->upstream_len)
		return MG_ERROR;
	*sid = (const char *)s->upstream + 2;
	*sid_len = n;
	*init = (const char *)s->upstream + 4 + n;
	*init_len = m;
	return MG_OK;
}

void
mg_ex_session_init(mg_mcp_ex_t *ex, mg_session_t *s, const char *version)
{
	memset(s, 0, sizeof(*s));
	s->id = mg_sesstab_new_id();
	s->issued = (int64_t)time(NULL);
	snprintf(s->route, sizeof(s->route), "%s", ex->loc->path);
	snprintf(s->version, sizeof(s->version), "%s", version);
}

int
mg_ex_session_issue(mg_mcp_ex_t *ex, const mg_session_t *s)
{
	char token[MG_SESSION_TOKEN_MAX + 1];
	int  rc;

	if (mg_session_seal(ex->ctx->key, s, token, sizeof(token)) != MG_OK)
		return MG_ERROR;
	rc = mg_sesstab_add_for(ex->ctx->sessions, s->id, mg_ex_now_ms(),
	    mg_ex_session_owner(ex), mg_ex_session_limit(ex));
	if (rc != MG_OK)
		return rc;
	ex->session = s->id;
	mg_http_add_header(ex->req, "Mcp-Session-Id", token);
	return MG_OK;
}

/* An initialize answered by the upstream: our session wraps its own.
 * MG_OK, or what mg_sesstab_add_for said (MG_ERROR: no token). */
int
mg_ex_relay_session(mg_mcp_ex_t *ex, const char *sid, const char *version)
{
	mg_session_t s;

	mg_ex_session_init(ex, &s, version);
	blob_pack(&s, sid, ex->init_params);
	return mg_ex_session_issue(ex, &s);
}
