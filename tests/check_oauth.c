/*
 * The client-credentials grant's messages (proto/oauth.c): the token
 * request's form and the client's Basic credentials, byte for byte, and
 * the token endpoint's answers, good and bad, each read into a token or
 * the reason (which never holds the token).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "oauth.h"
#include "suites.h"

static char *scopes[] = { "mcp:tools", "read write" };
static char *resources[] = { "https://api.example.com/mcp" };
static char *audiences[] = { "api", "other" };

START_TEST(test_oauth_form)
{
	mg_oauth_client_t o = { .client_id = "mcpgw" };
	char             *f;

	f = mg_oauth_form(&o);
	ck_assert_str_eq(f, "grant_type=client_credentials");
	free(f);

	o.scopes = (mg_conf_words_t){ scopes, 2 };
	o.resources = (mg_conf_words_t){ resources, 1 };
	o.audiences = (mg_conf_words_t){ audiences, 2 };
	f = mg_oauth_form(&o);
	ck_assert_str_eq(f,
	    "grant_type=client_credentials&scope=mcp%3Atools%20read%20write"
	    "&resource=https%3A%2F%2Fapi.example.com%2Fmcp"
	    "&audience=api&audience=other");
	free(f);

	/* client_secret_post: the credentials in the form */
	o = (mg_oauth_client_t){ .client_id = "my id",
		.client_secret = "a+b&c=d~",
		.client_auth = MG_OAUTH_POST };
	f = mg_oauth_form(&o);
	ck_assert_str_eq(f,
	    "grant_type=client_credentials&client_id=my%20id"
	    "&client_secret=a%2Bb%26c%3Dd~");
	free(f);
}
END_TEST

/* RFC 8693 2.1: the subject token first, of type access_token, and an
 * access token asked for; then the settings as for client credentials. */
START_TEST(test_oauth_exchange_form)
{
	mg_oauth_client_t o = { .client_id = "mcpgw" };
	char             *f;

	f = mg_oauth_exchange_form(&o, "eyJ.a-b_c.d");
	ck_assert_str_eq(f,
	    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-"
	    "exchange&subject_token=eyJ.a-b_c.d"
	    "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3A"
	    "access_token"
	    "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3A"
	    "access_token");
	free(f);

	o = (mg_oauth_client_t){ .client_id = "c",
		.client_secret = "s",
		.client_auth = MG_OAUTH_POST,
		.scopes = { scopes, 1 },
		.resources = { resources, 1 },
		.audiences = { audiences, 1 } };
	f = mg_oauth_exchange_form(&o, "t+/=");
	ck_assert_str_eq(f,
	    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-"
	    "exchange&subject_token=t%2B%2F%3D"
	    "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3A"
	    "access_token"
	    "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3A"
	    "access_token"
	    "&scope=mcp%3Atools&resource=https%3A%2F%2Fapi.example.com%2Fmcp"
	    "&audience=api&client_id=c&client_secret=s");
	free(f);
}
END_TEST

START_TEST(test_oauth_basic)
{
	char *b = mg_oauth_basic("mcpgw", "s3cret");

	ck_assert_str_eq(b, "Basic bWNwZ3c6czNjcmV0"); /* mcpgw:s3cret */
	free(b);
	/* each form-encoded first (RFC 6749 2.3.1): "a%20b:x%3Ay%C3%A9" */
	b = mg_oauth_basic("a b", "x:y\xc3\xa9");
	ck_assert_str_eq(b, "Basic YSUyMGI6eCUzQXklQzMlQTk=");
	free(b);
}
END_TEST

typedef struct {
	int         status;
	const char *body;
	int         rc;
	const char *token;      /* MG_OK */
	long long   expires_in; /* MG_OK */
	const char *why;        /* MG_ERROR */
} answer_t;

static const answer_t answers[] = {
	{ 200,
	    "{\"access_token\":\"eyJ.a.b\",\"token_type\":\"Bearer\","
	    "\"expires_in\":3600}",
	    MG_OK, "eyJ.a.b", 3600, NULL },
	{ 200, "{\"access_token\":\"t\",\"token_type\":\"bearer\"}", MG_OK, "t",
	    -1, NULL },
	{ 200, "{\"access_token\":\"t\",\"expires_in\":\"120\"}", MG_OK, "t",
	    120, NULL },
	{ 200, "{\"access_token\":\"t\",\"expires_in\":-5}", MG_OK, "t", -1,
	    NULL },
	{ 200, "{\"access_token\":\"t\",\"expires_in\":\"soon\"}", MG_OK, "t",
	    -1, NULL },
	{ 200, "{\"token_type\":\"Bearer\"}", MG_ERROR, NULL, 0,
	    "the token endpoint's answer has no access_token" },
	{ 200, "{\"access_token\":42}", MG_ERROR, NULL, 0,
	    "the token endpoint's answer has no access_token" },
	{ 200, "{\"access_token\":\"\"}", MG_ERROR, NULL, 0,
	    "the token endpoint's access_token is empty, longer than 16384 "
	    "bytes or not printable ASCII" },
	{ 200, "{\"access_token\":\"a b\"}", MG_ERROR, NULL, 0,
	    "the token endpoint's access_token is empty, longer than 16384 "
	    "bytes or not printable ASCII" },
	{ 200, "{\"access_token\":\"a\\r\\nX-Evil: 1\"}", MG_ERROR, NULL, 0,
	    "the token endpoint's access_token is empty, longer than 16384 "
	    "bytes or not printable ASCII" },
	{ 200, "{\"access_token\":\"t\",\"token_type\":\"DPoP\"}", MG_ERROR,
	    NULL, 0,
	    "the token endpoint issued a token of type \"DPoP\", not Bearer" },
	{ 200, "[1]", MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 200 (not JSON)" },
	{ 200, "not json", MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 200 (not JSON)" },
	{ 401,
	    "{\"error\":\"invalid_client\",\"error_description\":\"Client "
	    "authentication failed\"}",
	    MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 401: invalid_client (Client "
	    "authentication failed)" },
	{ 400, "{\"error\":\"invalid_scope\"}", MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 400: invalid_scope" },
	{ 400, "{\"error\":\"x\\u0007y\"}", MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 400: x?y" },
	{ 503, "<html>busy</html>", MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 503 (not JSON)" },
	/* token exchange (RFC 8693 2.2): issued_token_type beside */
	{ 200,
	    "{\"access_token\":\"x.y.z\",\"issued_token_type\":"
	    "\"urn:ietf:params:oauth:token-type:access_token\","
	    "\"token_type\":\"Bearer\",\"expires_in\":60}",
	    MG_OK, "x.y.z", 60, NULL },
	{ 200,
	    "{\"access_token\":\"x\",\"issued_token_type\":"
	    "\"urn:ietf:params:oauth:token-type:jwt\",\"token_type\":"
	    "\"N_A\"}",
	    MG_ERROR, NULL, 0,
	    "the token endpoint issued a token of type \"N_A\", not Bearer" },
	{ 400,
	    "{\"error\":\"invalid_grant\",\"error_description\":\"subject "
	    "token is invalid\"}",
	    MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 400: invalid_grant (subject "
	    "token is invalid)" },
	/* a token in an error answer is not ours, and not repeated */
	{ 500, "{\"access_token\":\"secret-t\"}", MG_ERROR, NULL, 0,
	    "the token endpoint answered HTTP 500" },
};

START_TEST(test_oauth_answer)
{
	const answer_t  *a = &answers[_i];
	mg_oauth_token_t t;
	char             why[300] = "";
	int              rc;

	rc = mg_oauth_token_parse(
	    a->status, a->body, strlen(a->body), &t, why, sizeof(why));
	ck_assert_msg(rc == a->rc, "[%d] rc %d, why \"%s\"", _i, rc, why);
	if (rc == MG_OK) {
		ck_assert_str_eq(t.token, a->token);
		ck_assert_int_eq(t.expires_in, a->expires_in);
		free(t.token);
	} else {
		ck_assert_ptr_null(t.token);
		ck_assert_str_eq(why, a->why);
	}
}
END_TEST

/* The largest token we carry, and one byte more. */
START_TEST(test_oauth_answer_size)
{
	size_t           n = MG_OAUTH_TOKEN_MAX + 1;
	char            *body = malloc(n + 32), why[300];
	mg_oauth_token_t t;

	memcpy(body, "{\"access_token\":\"", 17);
	memset(body + 17, 'a', n);
	memcpy(body + 17 + n, "\"}", 3);
	ck_assert_int_eq(
	    mg_oauth_token_parse(200, body, strlen(body), &t, why, sizeof(why)),
	    MG_ERROR);
	memcpy(body + 17 + n - 1, "\"}", 3);
	ck_assert_int_eq(
	    mg_oauth_token_parse(200, body, strlen(body), &t, why, sizeof(why)),
	    MG_OK);
	ck_assert_uint_eq(strlen(t.token), MG_OAUTH_TOKEN_MAX);
	free(t.token);
	free(body);
}
END_TEST

Suite *
oauth_suite(void)
{
	Suite *s = suite_create("oauth");
	TCase *tc = tcase_create("client credentials");

	tcase_add_test(tc, test_oauth_form);
	tcase_add_test(tc, test_oauth_exchange_form);
	tcase_add_test(tc, test_oauth_basic);
	tcase_add_loop_test(tc, test_oauth_answer, 0, (int)MG_NELEM(answers));
	tcase_add_test(tc, test_oauth_answer_size);
	suite_add_tcase(s, tc);
	return s;
}
