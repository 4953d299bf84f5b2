/*
 * The connector's reading of a token endpoint's answer (proto/oauth.c,
 * mg_oauth_token_parse): what an authorization server sends back for the
 * client-credentials grant and the token exchange, before any of it goes
 * into a header upstream.
 *
 * Input: byte 0 picks the HTTP status (200 most of the time; 400, 401,
 * 500, 302), the rest is the body.  Properties:
 *   - accepted: only a 200; a token of 1 to MG_OAUTH_TOKEN_MAX bytes of
 *     visible ASCII (it goes into "Authorization: Bearer"), the body's
 *     access_token exactly; expires_in -1 or not negative;
 *   - refused: no token; a reason that is not empty, is printable, and
 *     never holds the body's access_token (a reason is logged).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "oauth.h"

static const int statuses[8] = { 200, 200, 200, 200, 400, 401, 500, 302 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* The body's access_token, if the body is an object that has a string
 * one (a reference into ROOT), else NULL. */
static const char *
body_token(struct json_object *root)
{
	struct json_object *v;

	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "access_token", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_oauth_token_t    t;
	char                why[256];
	int                 status, rc;
	const char         *body, *bt;
	struct json_object *root;

	if (size < 1)
		return 0;
	status = statuses[data[0] & 7];
	body = (const char *)data + 1;
	memset(why, 0, sizeof(why));
	rc = mg_oauth_token_parse(status, body, size - 1, &t, why, sizeof(why));
	{
		char *copy = strndup(body, size - 1);

		root = copy ? json_tokener_parse(copy) : NULL;
		free(copy);
	}
	bt = body_token(root);
	if (rc == MG_OK) {
		size_t n = strlen(t.token);

		FUZZ_ASSERT(status == 200, "a token from HTTP %d", status);
		FUZZ_ASSERT(n >= 1 && n <= MG_OAUTH_TOKEN_MAX, "length %zu", n);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(t.token[i] > 0x20 && t.token[i] < 0x7f,
			    "byte %zu is 0x%02x", i, (unsigned char)t.token[i]);
		FUZZ_ASSERT(bt == NULL || strcmp(bt, t.token) == 0,
		    "the token is not the body's access_token");
		FUZZ_ASSERT(t.expires_in >= -1, "expires_in %lld",
		    (long long)t.expires_in);
		free(t.token);
	} else {
		FUZZ_ASSERT(rc == MG_ERROR, "result %d", rc);
		FUZZ_ASSERT(t.token == NULL, "a token with a refusal");
		FUZZ_ASSERT(why[0] != '\0', "no reason");
		for (size_t i = 0; why[i] != '\0'; i++)
			FUZZ_ASSERT(why[i] >= 0x20 && why[i] < 0x7f,
			    "reason byte %zu is 0x%02x", i,
			    (unsigned char)why[i]);
		FUZZ_ASSERT(
		    bt == NULL || strlen(bt) < 8 || strstr(why, bt) == NULL,
		    "the reason holds the token: %s", why);
	}
	json_object_put(root);
	return 0;
}
