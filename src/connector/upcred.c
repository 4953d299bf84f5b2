/*
 * An HTTP(S) upstream's own credentials on each request the connector
 * sends it (never the client's: the client's Authorization is not
 * relayed): the header_secret_file headers, and with oauth_client
 * "Authorization: Bearer" and the token of its client-credentials grant
 * (oauthcc.c).  A request waits for a first token, or a new one, without
 * holding a connection; a 401 from the upstream to a token is answered
 * by one more try with a new token, then by a JSON-RPC error naming the
 * upstream: a client that got our upstream's 401 would take it for the
 * gateway's own and start an authorization flow against it.
 */
#include "config.h"

#include <stddef.h>

#include "upx.h"

int
mg_upcred_pool_new(mg_pool_t *p, httpups_t *ups, struct ssl_ctx_st *tls)
{
	if (p->up->oauth == NULL)
		return MG_OK;
	p->cc = mg_oauthcc_new(ups->base, ups->dns, p->up, tls);
	return p->cc != NULL ? MG_OK : MG_ERROR;
}

void
mg_upcred_pool_free(mg_pool_t *p)
{
	mg_oauthcc_free(p->cc);
	p->cc = NULL;
}

/* The token client's answer to a waiting exchange. */
static void
upcred_done(
    mg_oauthcc_wait_t *w, const char *token, unsigned gen, const char *err)
{
	upx_t *x = (upx_t *)((char *)w - offsetof(upx_t, cred_wait));

	if (token == NULL) {
		mg_upx_end(x, UP_ERR,
		    "no access token from its authorization server (%s)", err);
		return;
	}
	x->cred_token = token;
	x->cred_gen = gen;
	mg_upx_send(x);
}

/* Before each request of X goes out: MG_OK, or MG_AGAIN when it waits
 * for a token (mg_upx_send is called again, or the exchange ends). */
int
mg_upcred_ready(upx_t *x)
{
	mg_oauthcc_t *cc = x->pool->cc;

	if (cc == NULL || x->cred_token != NULL)
		return MG_OK;
	x->cred_wait.done = upcred_done;
	x->cred_token = mg_oauthcc_token(cc, &x->cred_wait, &x->cred_gen);
	return x->cred_token != NULL ? MG_OK : MG_AGAIN;
}

void
mg_upcred_head(upx_t *x, mg_head_t *h)
{
	for (const mg_upstream_var_t *v = x->pool->up->secret_headers; v;
	     v = v->next) {
		mg_head_str(h, v->name);
		mg_head_mem(h, ": ", 2);
		mg_head_str(h, v->value ? v->value : "");
		mg_head_mem(h, "\r\n", 2);
	}
	x->cred_sent = x->cred_token != NULL;
	if (x->cred_token == NULL)
		return;
	mg_head_str(h, "Authorization: Bearer ");
	mg_head_str(h, x->cred_token);
	mg_head_mem(h, "\r\n", 2);
	/* valid for this write only: the next one asks again */
	x->cred_token = NULL;
}

/* Is a 401 to X's request about the credentials mcpgw sent? */
int
mg_upcred_sent(const upx_t *x)
{
	return x->cred_sent || x->pool->up->secret_headers != NULL;
}

/* The upstream answered 401 to X's credentials: MG_OK to send the
 * request again with a new token, or MG_ERROR when X has ended. */
int
mg_upcred_refused(upx_t *x)
{
	if (x->cred_sent && !x->cred_retried) {
		x->cred_retried = 1;
		mg_oauthcc_refused(x->pool->cc, x->cred_gen);
		return MG_OK;
	}
	mg_upx_end(x, UP_ERR, "refused the credentials mcpgw sent (HTTP 401)");
	return MG_ERROR;
}

void
mg_upcred_forget(upx_t *x)
{
	if (x->pool != NULL && x->pool->cc != NULL)
		mg_oauthcc_unwait(x->pool->cc, &x->cred_wait);
}
