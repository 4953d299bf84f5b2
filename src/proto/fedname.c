/*
 * Federation's naming: which member owns a name or URI the client sends,
 * what the member calls it, and back (PREFIX + SEP + the member's own
 * name; tools renamed and filtered first), and the ids of the members'
 * requests to the client.  The JSON rewriting is fedlist.c's, cursors
 * fedcursor.c's.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fedname.h"

/* Does S (LEN bytes) equal the C string W? */
static int
fed_eq(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(s, w, len) == 0;
}

/* The member whose PREFIX + SEP begins S with something after it (the
 * longest prefix), else the prefix off member, else NULL; *skip: the
 * bytes of S that are not the member's. */
static const mg_member_t *
fed_owner(const mg_location_t *loc, const char *sep, const char *s, size_t len,
    size_t *skip)
{
	const mg_member_t *best = NULL, *off = NULL;
	size_t             slen = strlen(sep), plen, best_len = 0;

	for (const mg_member_t *m = loc->members; m != NULL; m = m->next) {
		if (m->prefix == NULL) {
			off = m;
			continue;
		}
		plen = strlen(m->prefix);
		if (len > plen + slen && plen > best_len &&
		    memcmp(s, m->prefix, plen) == 0 &&
		    memcmp(s + plen, sep, slen) == 0) {
			best = m;
			best_len = plen;
		}
	}
	*skip = best != NULL ? best_len + slen : 0;
	return best != NULL ? best : off;
}

/* Is the member's own tool NAME shown, by tools_allow and tools_deny? */
static int
fed_tool_shown(const mg_member_t *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->allow.n; i++)
		if (fnmatch(m->allow.v[i], name, 0) == 0)
			break;
	if (m->allow.n > 0 && i == m->allow.n)
		return 0;
	for (i = 0; i < m->deny.n; i++)
		if (fnmatch(m->deny.v[i], name, 0) == 0)
			return 0;
	return 1;
}

/* Of the rename pairs, the one whose side WHICH (0: own, 1: shown) is S
 * (LEN bytes), or -1. */
static int
fed_rename_find(const mg_member_t *m, int which, const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < m->rename.n; i += 2)
		if (fed_eq(s, len, m->rename.v[i + (size_t)which]))
			return (int)i;
	return -1;
}

int
mg_fed_name_in(const mg_location_t *loc, int kind, const char *name, size_t len,
    const mg_member_t **mp, char *out, size_t outlen)
{
	const mg_member_t *m;
	const char        *own;
	size_t             skip, n;
	int                r;

	*mp = NULL;
	if (len == 0 || memchr(name, '\0', len) != NULL ||
	    (m = fed_owner(loc, loc->name_sep, name, len, &skip)) == NULL)
		return MG_DECLINED;
	own = name + skip;
	n = len - skip;
	if (kind == MG_FED_TOOL) {
		if ((r = fed_rename_find(m, 1, own, n)) >= 0) {
			own = m->rename.v[r];
			n = strlen(own);
		} else if (fed_rename_find(m, 0, own, n) >= 0)
			return MG_DECLINED; /* shown by its new name only */
	}
	if (n >= outlen)
		return MG_DECLINED;
	memcpy(out, own, n);
	out[n] = '\0';
	if (kind == MG_FED_TOOL && !fed_tool_shown(m, out))
		return MG_DECLINED;
	*mp = m;
	return MG_OK;
}

int
mg_fed_name_out(const mg_location_t *loc, const mg_member_t *m, int kind,
    const char *name, char *out, size_t outlen)
{
	const char *shown = name;
	size_t      len = strlen(name), skip;
	int         r, w;

	if (len == 0)
		return MG_DECLINED;
	if (kind == MG_FED_TOOL) {
		if (!fed_tool_shown(m, name))
			return MG_DECLINED;
		if ((r = fed_rename_find(m, 0, name, len)) >= 0)
			shown = m->rename.v[r + 1];
		else if (fed_rename_find(m, 1, name, len) >= 0)
			return MG_DECLINED; /* a renamed tool took its name */
	}
	if (m->prefix == NULL)
		w = snprintf(out, outlen, "%s", shown);
	else
		w = snprintf(
		    out, outlen, "%s%s%s", m->prefix, loc->name_sep, shown);
	if (w < 0 || (size_t)w >= outlen)
		return MG_DECLINED;
	/* a name another member's prefix claims would go there: hidden
	 * rather than misrouted */
	if (fed_owner(loc, loc->name_sep, out, (size_t)w, &skip) != m ||
	    (size_t)w - skip != strlen(shown))
		return MG_DECLINED;
	return MG_OK;
}

int
mg_fed_uri_in(const mg_location_t *loc, const char *uri, size_t len,
    const mg_member_t **mp, const char **own, size_t *own_len)
{
	const mg_member_t *m;
	size_t             skip;

	*mp = NULL;
	if (len == 0 || memchr(uri, '\0', len) != NULL ||
	    (m = fed_owner(loc, loc->uri_sep, uri, len, &skip)) == NULL)
		return MG_DECLINED;
	*mp = m;
	*own = uri + skip;
	*own_len = len - skip;
	return MG_OK;
}

char *
mg_fed_uri_out(const mg_location_t *loc, const mg_member_t *m, const char *uri)
{
	size_t plen, slen, ulen = strlen(uri);
	char  *s;

	if (m->prefix == NULL)
		return strdup(uri);
	plen = strlen(m->prefix);
	slen = strlen(loc->uri_sep);
	if ((s = malloc(plen + slen + ulen + 1)) == NULL)
		return NULL;
	memcpy(s, m->prefix, plen);
	memcpy(s + plen, loc->uri_sep, slen);
	memcpy(s + plen + slen, uri, ulen + 1);
	return s;
}

/* Ids of the members' requests to the client. */

#define FED_ID_TAG "fed"

struct json_object *
mg_fed_id_out(const mg_member_t *m, struct json_object *id)
{
	const char         *text;
	char               *s;
	struct json_object *o;
	size_t              n;

	text = json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN);
	n = strlen(text) + sizeof(FED_ID_TAG) + 16;
	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, FED_ID_TAG "%d:%s", m->index, text);
	o = json_object_new_string(s);
	free(s);
	return o;
}

/* "N:" with N a member index written without leading zeros: the length
 * of it, or 0. */
static size_t
fed_id_index(const char *s, size_t len, int *index)
{
	size_t i = 0;
	int    v = 0;

	while (i < len && i < 3 && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (s[i++] - '0');
	if (i == 0 || i == 3 || i >= len || s[i] != ':' ||
	    (s[0] == '0' && i > 1))
		return 0;
	*index = v;
	return i + 1;
}

/* TEXT (LEN bytes) is one JSON string or integer as mg_fed_id_out
 * writes it (no space around it), nothing else. */
static struct json_object *
fed_id_parse(const char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object  *o;
	int                  t;

	if (len == 0 || len > 1024 || memchr(text, '\0', len) != NULL ||
	    strchr("\"-0123456789", text[0]) == NULL ||
	    strchr("\"0123456789", text[len - 1]) == NULL ||
	    (tok = json_tokener_new()) == NULL)
		return NULL;
	/* TEXT ends the id's string: its NUL tells a number it is whole */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, -1);
	t = o != NULL ? json_object_get_type(o) : json_type_null;
	if (o != NULL &&
	    (json_tokener_get_error(tok) != json_tokener_success ||
		json_tokener_get_parse_end(tok) != len ||
		(t != json_type_string && t != json_type_int))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int
mg_fed_id_in(const mg_location_t *loc, struct json_object *id, int *member,
    struct json_object **orig)
{
	const char *s;
	size_t      len, tag = sizeof(FED_ID_TAG) - 1, k;
	int         index;

	*orig = NULL;
	if (!json_object_is_type(id, json_type_string))
		return MG_DECLINED;
	s = json_object_get_string(id);
	len = (size_t)json_object_get_string_len(id);
	if (len <= tag || memcmp(s, FED_ID_TAG, tag) != 0 ||
	    (k = fed_id_index(s + tag, len - tag, &index)) == 0 ||
	    index >= loc->nmembers ||
	    (*orig = fed_id_parse(s + tag + k, len - tag - k)) == NULL)
		return MG_DECLINED;
	*member = index;
	return MG_OK;
}
