/*
 * Federation's names (docs/federation.md): what the client of a federated
 * location sees of its members' tools, prompts, resources, ids and list
 * cursors, and the way back to the member that owns a name.  Pure: no
 * I/O, json-c only; the worker (worker/fed*.c) does the talking.
 */
#ifndef MG_FEDNAME_H
#define MG_FEDNAME_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct json_object;

enum { MG_FED_TOOL, MG_FED_PROMPT };

/* Client name -> the member that owns it and that member's own name in
 * OUT (NUL-terminated).  Ownership: the member whose PREFIX+SEP begins
 * NAME, with something after it (the longest such prefix wins); else the
 * `prefix off` member, if any.  For tools the member's renames are undone
 * (a renamed tool's own name is hidden) and tools_allow/tools_deny
 * applied to the member's own name.  MG_OK; MG_DECLINED: no member owns
 * it, it is hidden, or OUT is too small. */
int mg_fed_name_in(const mg_location_t *loc, int kind, const char *name,
    size_t len, const mg_member_t **m, char *out, size_t outlen);
/* Member M's own NAME -> the name the client sees, in OUT.  MG_DECLINED:
 * hidden by tools_allow/deny or by a rename onto it, a name of the
 * `prefix off` member that another member's prefix would claim, empty,
 * or too long. */
int mg_fed_name_out(const mg_location_t *loc, const mg_member_t *m, int kind,
    const char *name, char *out, size_t outlen);
/* A URI (or URI template) as the client sees it -> member and the
 * member's own URI (a pointer into URI, no copy).  MG_DECLINED: nobody's. */
int mg_fed_uri_in(const mg_location_t *loc, const char *uri, size_t len,
    const mg_member_t **m, const char **own, size_t *own_len);
/* Member M's URI -> the client's: malloc'd, NUL-terminated (prefix off: a
 * copy); NULL without memory. */
char *mg_fed_uri_out(
    const mg_location_t *loc, const mg_member_t *m, const char *uri);

/* Member M's RESULT to METHOD ("tools/list", "prompts/list",
 * "resources/list", "resources/templates/list"), changed in place: names
 * and uri / uriTemplate as the client sees them, items that cannot be
 * shown (hidden, no name) removed; its "nextCursor" removed and returned
 * (malloc'd; NULL: none). */
char *mg_fed_list_out(const mg_location_t *loc, const mg_member_t *m,
    const char *method, struct json_object *result);
/* The items of FROM's array (the one METHOD lists) appended to INTO's
 * (taken with json_object_get); INTO gets the array if it has none. */
void mg_fed_list_merge(
    struct json_object *into, struct json_object *from, const char *method);
/* Capabilities of members as one: INTO gets every capability of CAPS; a
 * boolean sub-flag (listChanged, subscribe) is true if any member's is;
 * other sub-keys (and experimental, extensions) by key, first wins. */
void mg_fed_caps_merge(struct json_object *into, struct json_object *caps);
/* Member M's message to the client rewritten in place (MSG the whole
 * JSON-RPC object): notifications/resources/updated: params.uri mapped;
 * notifications/message: params.logger = "PREFIX" or "PREFIX/LOGGER"
 * (the member's name when prefix off); a result: the uris of its
 * content[] items of type "resource_link" (uri) and "resource"
 * (resource.uri), as tools/call gives them, and of its contents[] items,
 * as resources/read does; anything else untouched. */
void mg_fed_message_out(
    const mg_location_t *loc, const mg_member_t *m, struct json_object *msg);

/* A member's request to the client gets an id the client answers with:
 * the JSON string "fed<INDEX>:<the original id as JSON text>".  _in: the
 * member index and the original id (a new json_object: a string or an
 * integer); MG_DECLINED for anything not of that form or an index >=
 * loc->nmembers. */
struct json_object *mg_fed_id_out(const mg_member_t *m, struct json_object *id);
int mg_fed_id_in(const mg_location_t *loc, struct json_object *id, int *member,
    struct json_object **orig);

/* A merged list's cursor: which members still have pages, each with its
 * own cursor, bound to the list method and the route.  Packed, it fits
 * MG_FED_CURSOR_MAX bytes or is refused (the worker seals it). */
#define MG_FED_CURSOR_MAX 1024

typedef struct {
	int   member;
	char *cursor; /* malloc'd */
} mg_fed_page_t;

typedef struct {
	uint32_t      route;  /* mg_fed_route_hash(loc) */
	uint8_t       method; /* mg_fed_list_method() */
	int           n;
	mg_fed_page_t page[MG_FED_MAX_MEMBERS];
} mg_fed_cursor_t;

/* FNV-1a of the path, the members' names and prefixes, the separators. */
uint32_t mg_fed_route_hash(const mg_location_t *loc);
/* 0..3 in the order tools, prompts, resources, templates; or -1. */
int mg_fed_list_method(const char *method);
/* MG_DECLINED: does not fit OUTLEN, or C is malformed (pages not in
 * increasing member order, a member out of range, a cursor too long). */
int mg_fed_cursor_pack(
    const mg_fed_cursor_t *c, uint8_t *out, size_t outlen, size_t *n);
/* Strict: every length checked, no leftover; MG_DECLINED (C cleared),
 * MG_ERROR without memory. */
int  mg_fed_cursor_unpack(const uint8_t *in, size_t n, mg_fed_cursor_t *c);
void mg_fed_cursor_clear(mg_fed_cursor_t *c);

#endif
