#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tls.h"

struct ssl_ctx_st *
mg_tls_client_ctx(const mg_upstream_t *up, char **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		if (asprintf(err, "cannot set up TLS for upstream \"%s\"",
			up->name) < 0)
			*err = NULL;
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x08http/1.1", 9);
	return ctx;
}

void
mg_tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

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
	snprintf(buf, len, "TLS failed");
}
