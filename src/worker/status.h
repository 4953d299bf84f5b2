/*
 * The status page (location /status { status; }): statusjson.c builds
 * its data as one json-c tree, statushtml.c renders that tree as a page
 * for people, statuspage.c answers with one or the other.  Private to
 * worker/.
 */
#ifndef MG_STATUS_H
#define MG_STATUS_H

struct json_object;
struct evbuffer;
typedef struct mg_mcp_ctx mg_mcp_ctx_t;

/* Texts from upstreams are cut to this many bytes on the board
 * (MG_BOARD_TEXT); everything else comes from the configuration. */

/* statusjson.c: the whole status, a new tree (json_object_put it). */
struct json_object *mg_status_json(const mg_mcp_ctx_t *ctx);

/* statushtml.c: ST as an HTML page (UTF-8, no external assets) appended
 * to OUT; every text HTML-escaped.  MG_OK, or MG_ERROR (no memory). */
int mg_status_html(struct json_object *st, struct evbuffer *out);

#endif
