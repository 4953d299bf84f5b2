/*
 * Every OpenSSL call of the TLS layer (tls.h): contexts for servers,
 * https upstreams and jwks_urls, SNI, client certificates, and the text of TLS
 * errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tls.h"

/* Why OpenSSL failed, as text, and its queue emptied: the system's
 * reason when a system call failed under it (a file that cannot be
 * opened: "No such file or directory", not "SSL routines::system lib"),
 * else its first error, the cause ("PEM routines::no start line", not
 * "SSL routines::PEM lib"). */
static const char *
ssl_reason(char *buf, size_t len)
{
	unsigned long e, first = 0, sys = 0;

	while ((e = ERR_get_error()) != 0) {
		if (ERR_SYSTEM_ERROR(e) && sys == 0)
			sys = e;
		if (first == 0)
			first = e;
	}
	if (sys != 0)
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(sys)));
	else if (first == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(first, buf, len);
	return buf;
}

static char *
ctx_error(const char *what, const char *file, const mg_conf_pos_t *pos)
{
	char reason[256], *err = NULL;

	ssl_reason(reason, sizeof(reason));
	if (asprintf(&err, "cannot load %s \"%s\" (%s) in %s:%d", what,
		file ? file : "", reason, pos->file ? pos->file : "?",
		pos->line) < 0)
		return NULL;
	return err;
}

/* An encrypted key has no pass phrase here: fail, never prompt on a
 * terminal the master may still have. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return 0;
}

static int
set_protocols(SSL_CTX *ctx, int protocols)
{
	int min = protocols & MG_TLS_V12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	int max = protocols & MG_TLS_V13 ? TLS1_3_VERSION : TLS1_2_VERSION;

	return SSL_CTX_set_min_proto_version(ctx, min) == 1 &&
	    SSL_CTX_set_max_proto_version(ctx, max) == 1;
}

/* ALPN: HTTP/1.1 is all we speak. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char http11[] = "\x08http/1.1";

	if (SSL_select_next_proto((unsigned char **)out, outlen, http11,
		sizeof(http11) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static int
server_client_certs(SSL_CTX *ctx, const mg_tls_conf_t *t)
{
	STACK_OF(X509_NAME) * names;

	if (t->verify_client == MG_VERIFY_OFF)
		return 1;
	if (SSL_CTX_load_verify_locations(ctx, t->client_certificate, NULL) !=
		1 ||
	    (names = SSL_load_client_CA_file(t->client_certificate)) == NULL)
		return 0;
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER |
		(t->verify_client == MG_VERIFY_ON
			? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
			: 0),
	    NULL);
	return 1;
}

static SSL_CTX *
server_ctx(const mg_server_t *srv, char **err)
{
	const mg_tls_conf_t *t = &srv->tls;
	SSL_CTX             *ctx = SSL_CTX_new(TLS_server_method());
	char                 sid_ctx[32];
	const char          *what = "TLS settings", *file = NULL;

	if (ctx == NULL || !set_protocols(ctx, t->protocols))
		goto fail;
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	what = "ssl_certificate";
	file = t->certificate;
	if (SSL_CTX_use_certificate_chain_file(ctx, t->certificate) != 1)
		goto fail;
	what = "ssl_certificate_key";
	file = t->certificate_key;
	if (SSL_CTX_use_PrivateKey_file(
		ctx, t->certificate_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	what = "ssl_ciphers";
	file = t->ciphers;
	if (t->ciphers && SSL_CTX_set_cipher_list(ctx, t->ciphers) != 1)
		goto fail;
	what = "ssl_client_certificate";
	file = t->client_certificate;
	if (!server_client_certs(ctx, t))
		goto fail;
	SSL_CTX_set_options(
	    ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* resumption: tickets whose keys every worker inherits, and ids */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	/* one context per server: a session (or ticket) of one server never
	 * resumes on another, which may demand a client certificate */
	snprintf(sid_ctx, sizeof(sid_ctx), "mcpgw-server-%d", srv->index);
	SSL_CTX_set_session_id_context(
	    ctx, (const unsigned char *)sid_ctx, (unsigned)strlen(sid_ctx));
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
fail:
	*err = ctx_error(what, file, &t->certificate_pos);
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL_CTX *
client_ctx(const mg_upstream_t *up, char **err)
{
	const mg_tls_conf_t *t = &up->tls;
	SSL_CTX             *ctx = SSL_CTX_new(TLS_client_method());
	const char          *what = "TLS settings", *file = NULL;

	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	what = "ssl_trusted_certificate";
	file = t->trusted_certificate;
	if (t->trusted_certificate ? SSL_CTX_load_verify_locations(
					 ctx, t->trusted_certificate, NULL) != 1
				   : SSL_CTX_set_default_verify_paths(ctx) != 1)
		goto fail;
	what = "ssl_certificate";
	file = t->certificate;
	if (t->certificate &&
	    SSL_CTX_use_certificate_chain_file(ctx, t->certificate) != 1)
		goto fail;
	what = "ssl_certificate_key";
	file = t->certificate_key;
	if (t->certificate_key &&
	    (SSL_CTX_use_PrivateKey_file(
		 ctx, t->certificate_key, SSL_FILETYPE_PEM) != 1 ||
		SSL_CTX_check_private_key(ctx) != 1))
		goto fail;
	SSL_CTX_set_verify(
	    ctx, t->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x08http/1.1", 9);
	return ctx;
fail:
	*err = ctx_error(what, file, &up->server.pos);
	SSL_CTX_free(ctx);
	return NULL;
}

/* A jwks_url's: TLS 1.2 or later, the server always verified, against
 * jwks_trusted_certificate or the system's CAs. */
static SSL_CTX *
jwks_ctx(const mg_auth_jwt_t *a, char **err)
{
	const mg_conf_file_t *ca = &a->jwks_trusted_certificate;
	SSL_CTX              *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	if (ca->path ? SSL_CTX_load_verify_locations(ctx, ca->path, NULL) != 1
		     : SSL_CTX_set_default_verify_paths(ctx) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x08http/1.1", 9);
	return ctx;
fail:
	*err = ctx_error("jwks_trusted_certificate", ca->path,
	    ca->path ? &ca->pos : &a->jwks_url.pos);
	SSL_CTX_free(ctx);
	return NULL;
}

/* A context for A, by its index, unless it has one or needs none. */
static int
jwks_ctx_add(mg_tls_set_t *set, const mg_auth_jwt_t *a, char **err)
{
	if (a == NULL || a->jwks_url.url == NULL || set->jwks[a->index])
		return MG_OK;
	set->jwks[a->index] = jwks_ctx(a, err);
	return set->jwks[a->index] ? MG_OK : MG_ERROR;
}

static int
jwks_ctxs(mg_tls_set_t *set, const mg_conf_t *conf, char **err)
{
	set->njwks = (size_t)conf->nauth_jwt;
	if ((set->jwks = calloc(set->njwks + 1, sizeof(SSL_CTX *))) == NULL)
		return MG_ERROR;
	for (const mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		if (jwks_ctx_add(set, s->auth_jwt, err) != MG_OK)
			return MG_ERROR;
		for (const mg_location_t *l = s->locations; l; l = l->next)
			if (jwks_ctx_add(set, l->auth_jwt, err) != MG_OK)
				return MG_ERROR;
	}
	return MG_OK;
}

static int
listens_ssl(const mg_server_t *srv)
{
	for (const mg_listen_t *l = srv->listens; l != NULL; l = l->next)
		if (l->ssl)
			return 1;
	return 0;
}

mg_tls_set_t *
mg_tls_set_new(const mg_conf_t *conf, char **err)
{
	mg_tls_set_t *set = calloc(1, sizeof(*set));
	size_t        i;

	*err = NULL;
	if (set == NULL)
		return NULL;
	for (const mg_server_t *s = conf->servers; s != NULL; s = s->next)
		set->nservers++;
	for (const mg_upstream_t *u = conf->upstreams; u != NULL; u = u->next)
		set->nupstreams++;
	set->servers = calloc(set->nservers + 1, sizeof(SSL_CTX *));
	set->upstreams = calloc(set->nupstreams + 1, sizeof(SSL_CTX *));
	if (set->servers == NULL || set->upstreams == NULL)
		goto fail;
	i = 0;
	for (const mg_server_t *s = conf->servers; s != NULL; s = s->next, i++)
		if (listens_ssl(s) &&
		    (set->servers[i] = server_ctx(s, err)) == NULL)
			goto fail;
	for (const mg_upstream_t *u = conf->upstreams; u != NULL; u = u->next) {
		/* an https token_url is reached with the upstream's settings */
		if (!u->server.tls &&
		    (u->oauth == NULL || !u->oauth->token.tls))
			continue;
		if ((set->upstreams[u->index] = client_ctx(u, err)) == NULL)
			goto fail;
		if (!u->tls.verify)
			mg_warn("\"ssl_verify off\" in upstream \"%s\": its "
				"certificate is not checked",
			    u->name);
	}
	if (jwks_ctxs(set, conf, err) != MG_OK)
		goto fail;
	return set;
fail:
	mg_tls_set_free(set);
	return NULL;
}

void
mg_tls_set_free(mg_tls_set_t *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; set->servers && i < set->nservers; i++)
		SSL_CTX_free(set->servers[i]);
	for (size_t i = 0; set->upstreams && i < set->nupstreams; i++)
		SSL_CTX_free(set->upstreams[i]);
	for (size_t i = 0; set->jwks && i < set->njwks; i++)
		SSL_CTX_free(set->jwks[i]);
	free(set->jwks);
	free(set->servers);
	free(set->upstreams);
	free(set);
}

/* ---- server side ------------------------------------------------------- */

/* One function finds contexts for every listener: the listener a
 * connection came on is its SSL's app data (mg_tls_server_bev). */
static mg_tls_sni_fn sni_find;

static int
sni_cb(SSL *ssl, int *alert, void *arg)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	SSL_CTX    *ctx;

	if (name == NULL || sni_find == NULL ||
	    (ctx = sni_find(SSL_get_app_data(ssl), name)) == NULL ||
	    ctx == SSL_get_SSL_CTX(ssl))
		return SSL_TLSEXT_ERR_OK;
	/* the other server's certificate, and its client verification */
	SSL_set_SSL_CTX(ssl, ctx);
	SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), NULL);
	SSL_set_client_CA_list(
	    ssl, SSL_dup_CA_list(SSL_CTX_get_client_CA_list(ctx)));
	return SSL_TLSEXT_ERR_OK;
}

void
mg_tls_server_sni(struct ssl_ctx_st *dflt, mg_tls_sni_fn find)
{
	sni_find = find;
	SSL_CTX_set_tlsext_servername_callback(dflt, sni_cb);
}

struct bufferevent *
mg_tls_server_bev(
    struct event_base *base, int fd, struct ssl_ctx_st *ctx, void *listener)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	SSL_set_app_data(ssl, listener);
	return bufferevent_openssl_socket_new(
	    base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

void
mg_tls_peer_subject(struct bufferevent *bev, char *buf, size_t len)
{
	SSL  *ssl = bufferevent_openssl_get_ssl(bev);
	X509 *cert;

	buf[0] = '\0';
	if (ssl == NULL || SSL_get_verify_result(ssl) != X509_V_OK ||
	    (cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return;
	X509_NAME_oneline(X509_get_subject_name(cert), buf, (int)len);
	X509_free(cert);
}

/* ---- client side --------------------------------------------------------- */

static int
is_address(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

struct bufferevent *
mg_tls_client_bev(
    struct event_base *base, struct ssl_ctx_st *ctx, const char *host)
{
	SSL                *ssl = SSL_new(ctx);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	if (is_address(host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) !=
		    1)
			goto fail;
	} else if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1) {
		goto fail;
	}
	bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		goto fail;
	/* a peer that closes without close_notify is common; not an error */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
fail:
	SSL_free(ssl);
	return NULL;
}

void
mg_tls_error(struct bufferevent *bev, char *buf, size_t len)
{
	SSL          *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e;
	long          verify;

	if (ssl != NULL && (verify = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(buf, len, "certificate verification failed (%s)",
		    X509_verify_cert_error_string(verify));
		return;
	}
	if ((e = bufferevent_get_openssl_error(bev)) != 0) {
		char reason[256];

		ERR_error_string_n(e, reason, sizeof(reason));
		snprintf(buf, len, "TLS failed (%s)", reason);
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		return;
	}
	snprintf(buf, len, "TLS failed (the peer closed the connection)");
}

struct ssl_ctx_st *
mg_tls_bev_ctx(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	return ssl ? SSL_get_SSL_CTX(ssl) : NULL;
}
