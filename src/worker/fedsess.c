/*
 * A federated session's members in the client's token: the client's
 * initialize params and, for each member that answered the initialize,
 * its upstream session id, so that any worker (and any mcpgw with the
 * same key) reaches the same member sessions.  A member with no entry
 * (it was down at the initialize, or joined the route at a reload) is
 * named by a session id made from ours: its upstream does not know it,
 * and the connector opens the session then, with the client's params,
 * as it does for any session an upstream forgot (docs/federation.md).
 *
 * The blob: [u16 n][params] [u8 count] then per member
 * [u16 hash of its name][u16 n][session id].
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedpriv.h"

static unsigned
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ (h >> 16)) & 0xffff;
}

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The params part of the blob; MG_ERROR: not a federated one. */
static int
blob_params(const ex_sess_t *s, const uint8_t **p, size_t *n)
{
	if (s == NULL || s->upstream_len < 3)
		return MG_ERROR;
	*n = get16(s->upstream);
	if (2 + *n + 1 > s->upstream_len)
		return MG_ERROR;
	*p = s->upstream + 2;
	return MG_OK;
}

void
mg_ex_fed_init(const mg_mcp_ex_t *ex, const char **init, size_t *len)
{
	const uint8_t *p;

	if (blob_params(ex->sess, &p, len) != MG_OK) {
		*init = "";
		*len = 0;
		return;
	}
	*init = (const char *)p;
}

/* Member M's session id from the token, or the one made from ours. */
void
mg_ex_fed_sid(
    const mg_mcp_ex_t *ex, const mg_member_t *m, char *out, size_t outlen)
{
	const ex_sess_t *s = ex->sess;
	const uint8_t   *p, *end;
	size_t           n;
	unsigned         h = name_hash(m->name);

	if (blob_params(s, &p, &n) == MG_OK) {
		end = s->upstream + s->upstream_len;
		p += n + 1; /* the count is implied by the length */
		while (end - p >= 4) {
			unsigned hash = get16(p);
			size_t   len = get16(p + 2);

			if ((size_t)(end - p) < 4 + len)
				break;
			if (hash == h && len < outlen) {
				memcpy(out, p + 4, len);
				out[len] = '\0';
				return;
			}
			p += 4 + len;
		}
	}
	if (m->upstream->protocol == MG_PROTOCOL_2026) {
		out[0] = '\0'; /* sessions are gone in 2026-07-28 */
		return;
	}
	/* a stdio member's connector opens a process under an id of its
	 * form; an HTTP member answers 404 and the connector opens one */
	if (m->upstream->command != NULL)
		snprintf(out, outlen, "stdio-%016llx%016llx",
		    (unsigned long long)ex->session,
		    (unsigned long long)(0x6665640000000000ull | h));
	else
		snprintf(out, outlen, "mcpgw-fed-%016llx-%04x",
		    (unsigned long long)ex->session, h);
}

const char *
mg_ex_fed_version(const mg_mcp_ex_t *ex)
{
	const char *v = mg_http_req_header(ex->req, "MCP-Protocol-Version");

	if (v != NULL)
		return v;
	if (ex->sess != NULL)
		return ex->sess->version;
	return mg_ex_versions[ex->version];
}

/* The blob for F's initialize: the params and each member's session. */
static void
blob_pack(mg_session_t *s, const mg_mcp_ex_t *ex, const mg_fed_t *f)
{
	size_t         n = ex->init_params ? strlen(ex->init_params) : 0;
	size_t         cap = sizeof(s->upstream), at;
	const uint8_t *params = (const uint8_t *)ex->init_params;

	if (3 + n > cap)
		n = 0; /* too long: members cannot be opened again */
	put16(s->upstream, n);
	memcpy(s->upstream + 2, params, n);
	at = 2 + n + 1;
	s->upstream[2 + n] = 0;
	for (int i = 0; i < f->nlegs; i++) {
		const mg_fed_leg_t *l = &f->leg[i];
		size_t              len;

		if (l->code != 0 || l->sid == NULL || l->sid[0] == '\0')
			continue;
		len = strlen(l->sid);
		if (len >= MG_UP_SID_MAX || at + 4 + len > cap)
			continue; /* opened again when needed */
		put16(s->upstream + at, name_hash(l->member->name));
		put16(s->upstream + at + 2, len);
		memcpy(s->upstream + at + 4, l->sid, len);
		at += 4 + len;
		s->upstream[2 + n]++;
	}
	s->upstream_len = at;
}

/* Our session over F's members (an initialize's answers): the token in
 * the answer's Mcp-Session-Id.  MG_OK, or what mg_sesstab_add_for said
 * (MG_ERROR: no token). */
int
mg_ex_fed_session(mg_mcp_ex_t *ex, mg_fed_t *f, const char *version)
{
	mg_session_t s;

	mg_ex_session_init(ex, &s, version);
	blob_pack(&s, ex, f);
	return mg_ex_session_issue(ex, &s);
}

/* The token as a plain route's for member M ([u16 n][session id]
 * [u16 n][params]), so that the relay sends M's request as on an
 * mcp_pass route.  MG_ERROR: out of memory. */
int
mg_ex_fed_member_blob(mg_mcp_ex_t *ex, const mg_member_t *m)
{
	char        sid[MG_UP_SID_MAX];
	const char *init;
	size_t      n, len;
	ex_sess_t  *s;

	if (ex->sess == NULL)
		return MG_OK; /* no session: 2026-07-28, or none yet */
	mg_ex_fed_sid(ex, m, sid, sizeof(sid));
	mg_ex_fed_init(ex, &init, &len);
	n = strlen(sid);
	if ((s = malloc(sizeof(*s) + 4 + n + len)) == NULL)
		return MG_ERROR;
	memcpy(s->version, ex->sess->version, sizeof(s->version));
	s->upstream_len = 4 + n + len;
	put16(s->upstream, n);
	memcpy(s->upstream + 2, sid, n);
	put16(s->upstream + 2 + n, len);
	memcpy(s->upstream + 4 + n, init, len);
	free(ex->sess);
	ex->sess = s;
	return MG_OK;
}
