/*
 * The access phase's client certificates (auth_cert on; access.h): a
 * client whose TLS certificate the handshake verified against
 * ssl_client_certificate is identified by the certificate's subject.
 * The head phase already refused a missing certificate where
 * ssl_verify_client is on; with "optional", a client without one is
 * left to the route's other methods.  A certificate that fails
 * verification never gets this far (the handshake fails), so this
 * method never refuses anything itself, and it has no HTTP challenge.
 */
#include "config.h"

#include "access.h"

static int
cert_check(mg_mcp_ex_t *ex)
{
	const char *subject = mg_http_req_client_subject(ex->req);

	if (subject == NULL)
		return MG_DECLINED;
	return mg_auth_identify(ex, "cert", subject, NULL);
}

static const mg_conf_pos_t *
cert_configured(const mg_location_t *loc)
{
	return loc->auth_cert.on ? &loc->auth_cert.pos : NULL;
}

static int
cert_ask(mg_mcp_ex_t *ex)
{
	(void)ex;
	return 0;
}

const mg_access_method_t mg_access_cert = {
	"auth_cert",
	"client certificate",
	"a",
	cert_configured,
	cert_check,
	cert_ask,
};
