/*
 * An HTTP(S) upstream's credentials on each request the connector sends
 * it: the header_secret_file headers, and "Authorization: Bearer" with
 * the token of its oauth_client's client-credentials grant (oauthcc.c),
 * the client's own token (forward_client_token on: the worker sends it
 * along only then), or the client's token exchanged for one meant for
 * the upstream (oauth_token_exchange, tokex.c).  The client's
 * Authorization header itself is never relayed.  A request waits for a
 * first token, or a new one, without holding a connection; a 401 from
 * the upstream to a token we got is answered by one more try with a new
 * token, then by a JSON-RPC error naming the upstream: a client that got
 * our upstream's 401 would take it for the gateway's own and start an
 * authorization flow against it.
 */
#include "config.h"

#include <stddef.h>

#include <openssl/crypto.h>

#include "log.h"
#include "tokex.h"
#include "upx.h"

int
mg_upcred_pool_new(mg_pool_t *p, httpups_t *ups, struct ssl_ctx_st *tls)
{
	if (p->up->oauth != NULL &&
	    (p->cc = mg_oauthcc_new(ups->base, ups->dns, p->up, tls)) == NULL)
		return MG_ERROR;
	if (p->up->exchange != NULL &&
	    (p->tx = mg_tokex_new(ups->base, ups->dns, p->up, tls)) == NULL)
		return MG_ERROR;
	return MG_OK;
}

void
mg_upcred_pool_free(mg_pool_t *p)
{
	mg_oauthcc_free(p->cc);
	p->cc = NULL;
	mg_tokex_free(p->tx);
	p->tx = NULL;
}

/* The token client's answer to a waiting exchange. */
static void
upcred_done(
    mg_oauthcc_wait_t *w, const char *token, unsigned gen, const char *err)
{
	upx_t *x = (upx_t *)((char *)w - offsetof(upx_t, cred_wait));

	if (token == NULL && x->pool->tx != NULL) {
		mg_upx_end(
		    x, UP_ERR, "cannot exchange the client's token (%s)", err);
		return;
	}
	if (token == NULL) {
		mg_upx_end(x, UP_ERR,
		    "no access token from its authorization server (%s)", err);
		return;
	}
	x->cred_token = token;
	x->cred_gen = gen;
	mg_upx_send(x);
}

/* A request without the client's token to an upstream that takes it (a
 * client known by an API key or a certificate, or the connector's own
 * request): it goes without Authorization, said once per upstream. */
static int
upcred_no_token(upx_t *x)
{
	if (!x->pool->no_token_said)
		mg_info("upstream \"%s\": a request without a client's "
			"bearer token goes without Authorization (said once)",
		    x->pool->up->name);
	x->pool->no_token_said = 1;
	return MG_OK;
}

/* The client's token exchanged (oauth_token_exchange). */
static int
upcred_exchanged(upx_t *x)
{
	x->cred_token = mg_tokex_token(x->pool->tx, x->ctok, x->ctok_len,
	    x->ctok_exp, &x->cred_wait, &x->cred_gen);
	if (x->cred_token != NULL)
		return MG_OK;
	if (!x->cred_wait.queued) {
		mg_upx_end(x, UP_ERR,
		    "cannot exchange the client's token (out of memory)");
		return MG_ERROR;
	}
	return MG_AGAIN;
}

/* Before each request of X goes out: MG_OK, or not when it waits for a
 * token (mg_upx_send is called again, or the exchange ends). */
int
mg_upcred_ready(upx_t *x)
{
	mg_pool_t *p = x->pool;

	if (x->cred_token != NULL)
		return MG_OK;
	x->cred_wait.done = upcred_done;
	if ((p->up->forward_token || p->tx != NULL) && x->ctok_len == 0)
		return upcred_no_token(x);
	if (p->up->forward_token) {
		x->cred_token = x->ctok;
		return MG_OK;
	}
	if (p->tx != NULL)
		return upcred_exchanged(x);
	if (p->cc == NULL)
		return MG_OK;
	x->cred_token = mg_oauthcc_token(p->cc, &x->cred_wait, &x->cred_gen);
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
	mg_pool_t *p = x->pool;

	if (x->cred_sent && !x->cred_retried && (p->cc || p->tx)) {
		x->cred_retried = 1;
		if (p->tx != NULL)
			mg_tokex_refused(
			    p->tx, x->ctok, x->ctok_len, x->cred_gen);
		else
			mg_oauthcc_refused(p->cc, x->cred_gen);
		return MG_OK;
	}
	if (p->up->forward_token && x->cred_sent)
		mg_upx_end(x, UP_ERR, "refused the client's token (HTTP 401)");
	else
		mg_upx_end(
		    x, UP_ERR, "refused the credentials mcpgw sent (HTTP 401)");
	return MG_ERROR;
}

void
mg_upcred_forget(upx_t *x)
{
	if (x->pool != NULL && x->pool->cc != NULL)
		mg_oauthcc_unwait(x->pool->cc, &x->cred_wait);
	if (x->pool != NULL && x->pool->tx != NULL)
		mg_tokex_unwait(x->pool->tx, &x->cred_wait);
	if (x->ctok_len > 0) {
		OPENSSL_cleanse(x->ctok, x->ctok_len);
		x->ctok_len = 0;
	}
}
