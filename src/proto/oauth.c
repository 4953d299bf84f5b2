/*
 * The client-credentials grant's messages (oauth.h), pure.  The request
 * is built in one allocation of its exact size, so that no copy of the
 * client secret is left behind in memory a realloc gave back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jsonrpc.h"
#include "oauth.h"

#define OAUTH_WHY_MAX 200 /* of the server's own error_description */

/* ---- form encoding ------------------------------------------------------ */

static int
form_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* S form-encoded at AT (when AT is not NULL); its encoded length.  Every
 * byte but the unreserved ones as %XX: a space too, which every decoder
 * reads right, where "+" is read as a plus by some. */
static size_t
form_put(char *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t            n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (form_plain(*p)) {
			if (at)
				at[n] = (char)*p;
			n++;
			continue;
		}
		if (at) {
			at[n] = '%';
			at[n + 1] = hex[*p >> 4];
			at[n + 2] = hex[*p & 15];
		}
		n += 3;
	}
	return n;
}

/* A form being measured (out NULL) or written. */
typedef struct {
	char  *out;
	size_t len;
} form_t;

static void
form_raw(form_t *f, const char *s)
{
	size_t n = strlen(s);

	if (f->out)
		memcpy(f->out + f->len, s, n);
	f->len += n;
}

/* "&NAME=VALUE", VALUE encoded. */
static void
form_field(form_t *f, const char *name, const char *value)
{
	form_raw(f, "&");
	form_raw(f, name);
	form_raw(f, "=");
	f->len += form_put(f->out ? f->out + f->len : NULL, value);
}

/* GRANT, then the client's settings; SUBJECT (a token to exchange, RFC
 * 8693 2.1) if not NULL. */
static void
form_build(form_t *f, const mg_oauth_client_t *o, const char *subject)
{
	if (subject == NULL)
		form_raw(f, "grant_type=client_credentials");
	else {
		form_raw(f, "grant_type=");
		f->len += form_put(
		    f->out ? f->out + f->len : NULL, MG_OAUTH_GRANT_EXCHANGE);
		form_field(f, "subject_token", subject);
		form_field(f, "subject_token_type", MG_OAUTH_TYPE_ACCESS);
		form_field(f, "requested_token_type", MG_OAUTH_TYPE_ACCESS);
	}
	if (o->scopes.n > 0) {
		/* one field: the scopes space-separated (RFC 6749 3.3) */
		form_raw(f, "&scope=");
		for (size_t i = 0; i < o->scopes.n; i++) {
			if (i > 0)
				form_raw(f, "%20");
			f->len += form_put(
			    f->out ? f->out + f->len : NULL, o->scopes.v[i]);
		}
	}
	for (size_t i = 0; i < o->resources.n; i++)
		form_field(f, "resource", o->resources.v[i]);
	for (size_t i = 0; i < o->audiences.n; i++)
		form_field(f, "audience", o->audiences.v[i]);
	if (o->client_auth == MG_OAUTH_POST) {
		form_field(f, "client_id", o->client_id);
		form_field(f, "client_secret",
		    o->client_secret ? o->client_secret : "");
	}
}

static char *
form_new(const mg_oauth_client_t *o, const char *subject)
{
	form_t f = { NULL, 0 };

	form_build(&f, o, subject);
	if ((f.out = malloc(f.len + 1)) == NULL)
		return NULL;
	f.len = 0;
	form_build(&f, o, subject);
	f.out[f.len] = '\0';
	return f.out;
}

char *
mg_oauth_form(const mg_oauth_client_t *o)
{
	return form_new(o, NULL);
}

char *
mg_oauth_exchange_form(const mg_oauth_client_t *o, const char *subject)
{
	return form_new(o, subject);
}

char *
mg_oauth_basic(const char *id, const char *secret)
{
	size_t idn = form_put(NULL, id), n = idn + 1 + form_put(NULL, secret);
	char  *plain = malloc(n + 1), *out;
	size_t outn = 6 + 4 * ((n + 2) / 3) + 1;

	if (plain == NULL)
		return NULL;
	form_put(plain, id);
	plain[idn] = ':';
	form_put(plain + idn + 1, secret);
	if ((out = malloc(outn)) != NULL) {
		memcpy(out, "Basic ", 6);
		EVP_EncodeBlock(
		    (unsigned char *)out + 6, (unsigned char *)plain, (int)n);
	}
	OPENSSL_cleanse(plain, n + 1);
	free(plain);
	return out;
}

/* ---- the answer ---------------------------------------------------------- */

/* The server's text, printable and short, into a reason. */
static void
why_text(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < size && n < OAUTH_WHY_MAX; s++)
		dst[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	dst[n] = '\0';
}

static const char *
member_str(struct json_object *root, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(root, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An error answer (RFC 6749 5.2): its code and description if it has
 * them. */
static int
token_refused(int status, struct json_object *root, char *why, size_t whylen)
{
	const char *code = root ? member_str(root, "error") : NULL;
	const char *desc = root ? member_str(root, "error_description") : NULL;
	char        c[64] = "", d[OAUTH_WHY_MAX + 1] = "";

	if (code != NULL)
		why_text(c, sizeof(c), code);
	if (desc != NULL)
		why_text(d, sizeof(d), desc);
	if (code == NULL)
		snprintf(why, whylen, "the token endpoint answered HTTP %d%s",
		    status, root ? "" : " (not JSON)");
	else
		snprintf(why, whylen,
		    "the token endpoint answered HTTP %d: %s%s%s%s", status, c,
		    desc ? " (" : "", d, desc ? ")" : "");
	return MG_ERROR;
}

/* expires_in: a number, or a string of digits (some servers send one). */
static int64_t
token_expiry(struct json_object *root)
{
	struct json_object *v;
	const char         *s;
	char               *end;
	long long           n;

	if (!json_object_object_get_ex(root, "expires_in", &v))
		return -1;
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double))
		n = (long long)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		n = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0')
			return -1;
	} else
		return -1;
	return n < 0 ? -1 : (int64_t)n;
}

/* A token we can put in a header: visible ASCII, not too long. */
static int
token_ok(const char *s, size_t len)
{
	if (len == 0 || len > MG_OAUTH_TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static void
token_type_refused(const char *type, char *why, size_t whylen)
{
	char t[33];

	why_text(t, sizeof(t), type);
	snprintf(why, whylen,
	    "the token endpoint issued a token of type \"%s\", not Bearer", t);
}

int
mg_oauth_token_parse(int status, const char *body, size_t len,
    mg_oauth_token_t *t, char *why, size_t whylen)
{
	struct json_object *root = mg_json_parse(body, len), *v;
	const char         *type, *tok;
	int                 rc = MG_ERROR;

	t->token = NULL;
	t->expires_in = -1;
	if (root != NULL && !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		root = NULL;
	}
	if (status != 200 || root == NULL) {
		token_refused(status, root, why, whylen);
		json_object_put(root);
		return MG_ERROR;
	}
	type = member_str(root, "token_type");
	if (!json_object_object_get_ex(root, "access_token", &v) ||
	    !json_object_is_type(v, json_type_string))
		snprintf(why, whylen,
		    "the token endpoint's answer has no "
		    "access_token");
	else if (!token_ok(tok = json_object_get_string(v),
		     (size_t)json_object_get_string_len(v)))
		snprintf(why, whylen,
		    "the token endpoint's access_token is empty, longer than "
		    "%d bytes or not printable ASCII",
		    MG_OAUTH_TOKEN_MAX);
	else if (type != NULL && strcasecmp(type, "Bearer") != 0)
		token_type_refused(type, why, whylen);
	else if ((t->token = strdup(tok)) == NULL)
		snprintf(why, whylen, "out of memory");
	else {
		t->expires_in = token_expiry(root);
		rc = MG_OK;
	}
	json_object_put(root);
	return rc;
}
