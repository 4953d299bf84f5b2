/*
 * Federation's naming (proto/fedname.c, fedlist.c, fedcursor.c) on what
 * a client or a member may send: names, URIs, request ids, list cursors
 * and list results, against two federated locations of a fixed
 * configuration (renames, filters, prefixes that begin alike, a prefix
 * off member; the default separators, and "/" with "::").
 *
 * Input: byte 0 mod 6 picks the function, byte 1 the location (bit 7),
 * the member and the kind or list; the rest is the text.  Properties:
 *   - a client name (a URI) a member owns is what that member's own name
 *     (URI) is shown as, byte for byte; a shown name comes back to its
 *     member and own name;
 *   - an id taken in is what mg_fed_id_out makes of its original again;
 *   - a cursor unpacked packs to the same bytes;
 *   - a list result keeps no nextCursor and only items whose name or URI
 *     comes back to the member.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conf.h"
#include "fedname.h"
#include "fuzz.h"

#define FCONF                                                                  \
	"upstream everything { server http://127.0.0.1:9/; }\n"                \
	"upstream e2 { server http://127.0.0.1:9/; }\n"                        \
	"upstream plain { server http://127.0.0.1:9/; }\n"                     \
	"upstream demo { server http://127.0.0.1:9/; }\n"                      \
	"server { listen 127.0.0.1:8080;\n"                                    \
	"location /f {\n"                                                      \
	"mcp_member everything { prefix ev;\n"                                 \
	" tools_allow echo add get_* sum s*; tools_deny get_secret*;\n"        \
	" tool_rename echo say; tool_rename add sum; }\n"                      \
	"mcp_member e2 { prefix ev_; }\n"                                      \
	"mcp_member plain { prefix off; }\n"                                   \
	"mcp_member demo;\n"                                                   \
	"}\n"                                                                  \
	"location /g { mcp_member demo; mcp_member e2 { prefix d; }\n"         \
	" mcp_member everything { prefix off; tool_rename a b; }\n"            \
	" mcp_name_separator /; mcp_uri_separator :: ; }\n"                    \
	"}\n"

#define NAME_MAX_OUT 4096

static mg_conf_t *conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;

	(void)argc;
	(void)argv;
	fuzz_quiet();
	if ((conf = mg_conf_load_string(FCONF, "fed.conf", &err)) == NULL) {
		fprintf(stderr, "fuzz_fedname: %s\n", err);
		abort();
	}
	return 0;
}

static const mg_member_t *
member_at(const mg_location_t *loc, int i)
{
	const mg_member_t *m = loc->members;

	for (i %= loc->nmembers; i > 0; i--)
		m = m->next;
	return m;
}

/* Member M's own NAME, shown, comes back (and WANT, if given, is what
 * it is shown as). */
static void
name_round(const mg_location_t *loc, const mg_member_t *m, int kind,
    const char *name, const char *want)
{
	static char        shown[NAME_MAX_OUT], back[NAME_MAX_OUT];
	const mg_member_t *o;
	int rc = mg_fed_name_out(loc, m, kind, name, shown, sizeof(shown));

	FUZZ_ASSERT(want == NULL || rc == MG_OK, "\"%s\" of %s not shown", name,
	    m->name);
	if (rc != MG_OK)
		return;
	FUZZ_ASSERT(want == NULL || strcmp(shown, want) == 0,
	    "\"%s\" shown as \"%s\"", want, shown);
	rc = mg_fed_name_in(
	    loc, kind, shown, strlen(shown), &o, back, sizeof(back));
	FUZZ_ASSERT(rc == MG_OK && o == m && strcmp(back, name) == 0,
	    "\"%s\" of %s shown as \"%s\" came back as \"%s\" of %s", name,
	    m->name, shown, rc == MG_OK ? back : "", o ? o->name : "nobody");
}

static void
fuzz_name_in(const mg_location_t *loc, int kind, const char *s, size_t n)
{
	static char        own[NAME_MAX_OUT];
	const mg_member_t *m;

	/* room for a prefix and a separator in what it is shown as */
	if (n > NAME_MAX_OUT / 2 ||
	    mg_fed_name_in(loc, kind, s, n, &m, own, sizeof(own)) != MG_OK)
		return;
	FUZZ_ASSERT(m != NULL && strlen(own) < sizeof(own), "no member");
	name_round(loc, m, kind, own, s);
}

static void
fuzz_uri_in(const mg_location_t *loc, const char *s, size_t n)
{
	const mg_member_t *m, *o;
	const char        *own, *own2;
	size_t             len, len2;
	char              *copy, *shown;

	if (mg_fed_uri_in(loc, s, n, &m, &own, &len) != MG_OK)
		return;
	FUZZ_ASSERT(own >= s && own + len == s + n, "own URI outside");
	if ((copy = strndup(own, len)) == NULL)
		return;
	shown = mg_fed_uri_out(loc, m, copy);
	FUZZ_ASSERT(shown != NULL && strcmp(shown, s) == 0,
	    "\"%s\" shown as \"%s\"", s, shown ? shown : "");
	FUZZ_ASSERT(mg_fed_uri_in(
			loc, shown, strlen(shown), &o, &own2, &len2) == MG_OK &&
		o == m && len2 == len,
	    "\"%s\" changed owner", shown);
	free(shown);
	free(copy);
}

static void
fuzz_id_in(const mg_location_t *loc, const char *s, size_t n)
{
	struct json_object *id = json_object_new_string_len(s, (int)n), *orig;
	struct json_object *again, *orig2;
	int                 member, member2;

	if (id == NULL)
		return;
	if (mg_fed_id_in(loc, id, &member, &orig) == MG_OK) {
		FUZZ_ASSERT(member >= 0 && member < loc->nmembers &&
			(json_object_is_type(orig, json_type_string) ||
			    json_object_is_type(orig, json_type_int)),
		    "member %d, or an id of the wrong type", member);
		again = mg_fed_id_out(member_at(loc, member), orig);
		FUZZ_ASSERT(
		    mg_fed_id_in(loc, again, &member2, &orig2) == MG_OK &&
			member2 == member && json_object_equal(orig, orig2),
		    "%s did not come back", json_object_get_string(again));
		json_object_put(orig2);
		json_object_put(again);
		json_object_put(orig);
	}
	json_object_put(id);
}

static void
fuzz_cursor(const uint8_t *s, size_t n)
{
	static uint8_t  out[70000];
	mg_fed_cursor_t c;
	size_t          len;

	if (n > sizeof(out) || mg_fed_cursor_unpack(s, n, &c) != MG_OK)
		return;
	FUZZ_ASSERT(mg_fed_cursor_pack(&c, out, sizeof(out), &len) == MG_OK &&
		len == n && memcmp(out, s, n) == 0,
	    "a cursor of %zu bytes packs differently", n);
	mg_fed_cursor_clear(&c);
}

/* What a list result keeps comes back to M. */
static void
check_list(const mg_location_t *loc, const mg_member_t *m, int k,
    struct json_object *result)
{
	static const char  *arrays[] = { "tools", "prompts", "resources",
		 "resourceTemplates" };
	static const char  *fields[] = { "name", "name", "uri", "uriTemplate" };
	static char         own[NAME_MAX_OUT];
	struct json_object *a, *v;
	const mg_member_t  *o;
	const char         *s, *own2;
	size_t              len;

	FUZZ_ASSERT(!json_object_object_get_ex(result, "nextCursor", NULL),
	    "nextCursor kept");
	if (!json_object_object_get_ex(result, arrays[k], &a))
		return;
	FUZZ_ASSERT(json_object_is_type(a, json_type_array), "no array");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		FUZZ_ASSERT(
		    json_object_object_get_ex(
			json_object_array_get_idx(a, i), fields[k], &v) &&
			json_object_is_type(v, json_type_string),
		    "an item without %s kept", fields[k]);
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (k <= 1)
			FUZZ_ASSERT(mg_fed_name_in(loc, k, s, len, &o, own,
					sizeof(own)) == MG_OK &&
				o == m,
			    "\"%s\" is not %s's", s, m->name);
		else
			FUZZ_ASSERT(mg_fed_uri_in(loc, s, len, &o, &own2,
					&len) == MG_OK &&
				o == m,
			    "\"%s\" is not %s's", s, m->name);
	}
}

static void
fuzz_list(const mg_location_t *loc, int sel, const char *s, size_t n)
{
	static const char   *methods[] = { "tools/list", "prompts/list",
		  "resources/list", "resources/templates/list" };
	const mg_member_t   *m = member_at(loc, sel >> 2);
	struct json_tokener *tok = json_tokener_new();
	struct json_object  *o, *into;
	char                *next;

	if (tok == NULL)
		return;
	o = json_tokener_parse_ex(tok, s, (int)n);
	json_tokener_free(tok);
	if (o == NULL)
		return;
	mg_fed_message_out(loc, m, o);
	next = mg_fed_list_out(loc, m, methods[sel & 3], o);
	free(next);
	if (json_object_is_type(o, json_type_object)) {
		check_list(loc, m, sel & 3, o);
		into = json_object_new_object();
		mg_fed_list_merge(into, o, methods[sel & 3]);
		mg_fed_caps_merge(into, o);
		mg_fed_caps_merge(into, o);
		json_object_put(into);
	}
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const mg_location_t *loc;
	char                *s;
	size_t               n;
	int                  sel;

	if (size < 2)
		return 0;
	loc = data[1] & 0x80 ? conf->servers->locations->next
			     : conf->servers->locations;
	sel = data[1] & 0x7f;
	n = size - 2;
	if ((s = malloc(n + 1)) == NULL)
		return 0;
	memcpy(s, data + 2, n);
	s[n] = '\0';
	switch (data[0] % 6) {
	case 0: fuzz_name_in(loc, sel & 1, s, n); break;
	case 1:
		if (strlen(s) < NAME_MAX_OUT / 2)
			name_round(
			    loc, member_at(loc, sel >> 1), sel & 1, s, NULL);
		break;
	case 2: fuzz_uri_in(loc, s, n); break;
	case 3: fuzz_id_in(loc, s, n); break;
	case 4: fuzz_cursor(data + 2, n); break;
	default: fuzz_list(loc, sel, s, n);
	}
	free(s);
	return 0;
}
