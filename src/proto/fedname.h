/*
 * A federated route's names (lead's placeholder of the helper's header;
 * replaced at merge).
 */
#ifndef MG_FEDNAME_H
#define MG_FEDNAME_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct json_object;

enum { MG_FED_TOOL, MG_FED_PROMPT };
int   mg_fed_name_in(const mg_location_t *loc, int kind, const char *name,
      size_t len, const mg_member_t **m, char *out, size_t outlen);
int   mg_fed_name_out(const mg_location_t *loc, const mg_member_t *m, int kind,
      const char *name, char *out, size_t outlen);
int   mg_fed_uri_in(const mg_location_t *loc, const char *uri, size_t len,
      const mg_member_t **m, const char **own, size_t *own_len);
char *mg_fed_uri_out(
    const mg_location_t *loc, const mg_member_t *m, const char *uri);
char *mg_fed_list_out(const mg_location_t *loc, const mg_member_t *m,
    const char *method, struct json_object *result);
void  mg_fed_list_merge(
     struct json_object *into, struct json_object *from, const char *method);
void mg_fed_caps_merge(struct json_object *into, struct json_object *caps);
void mg_fed_message_out(
    const mg_location_t *loc, const mg_member_t *m, struct json_object *msg);
struct json_object *mg_fed_id_out(const mg_member_t *m, struct json_object *id);
int mg_fed_id_in(const mg_location_t *loc, struct json_object *id, int *member,
    struct json_object **orig);
typedef struct {
	int   member;
	char *cursor;
} mg_fed_page_t;
typedef struct {
	uint32_t      route;
	uint8_t       method;
	int           n;
	mg_fed_page_t page[MG_FED_MAX_MEMBERS];
} mg_fed_cursor_t;
uint32_t mg_fed_route_hash(const mg_location_t *loc);
int      mg_fed_list_method(const char *method);
int      mg_fed_cursor_pack(
	 const mg_fed_cursor_t *c, uint8_t *out, size_t outlen, size_t *n);
int  mg_fed_cursor_unpack(const uint8_t *in, size_t n, mg_fed_cursor_t *c);
void mg_fed_cursor_clear(mg_fed_cursor_t *c);

#endif
