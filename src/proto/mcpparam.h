/*
 * SEP-2243 custom headers on a gateway's side: the x-mcp-header
 * parameters of the tools an upstream lists, kept bounded, and the check
 * of a tools/call's Mcp-Param-* headers against them (mg_era_check_params
 * does the comparing).  For a bridge whose upstream has no such headers:
 * mcpgw is then the 2026-07-28 server the client sees, so it checks what
 * the upstream cannot.  Pure: no I/O.
 */
#ifndef MG_MCPPARAM_H
#define MG_MCPPARAM_H

#include <stddef.h>

#include "era.h"

struct json_object;

/* Tools with x-mcp-header parameters kept per upstream, and such
 * parameters kept per tool (its first ones; the rest unchecked). */
#define MG_MCPPARAM_TOOLS_MAX 1024
#define MG_MCPPARAM_PER_TOOL_MAX 16

typedef struct mg_mcpparam mg_mcpparam_t;

mg_mcpparam_t *mg_mcpparam_new(size_t max_tools, size_t max_per_tool);
void           mg_mcpparam_free(mg_mcpparam_t *m);

/*
 * One page of a tools/list RESULT: each tool with x-mcp-header parameters
 * kept (its schema cut to them), each without forgotten.  A tool past
 * max_tools, or a parameter past max_per_tool, is not kept: counted in
 * mg_mcpparam_dropped.  The page's nextCursor (a string), or NULL
 * (borrowed from RESULT).
 */
const char *mg_mcpparam_add_page(mg_mcpparam_t *m, struct json_object *result);
size_t      mg_mcpparam_dropped(const mg_mcpparam_t *m);
size_t      mg_mcpparam_count(const mg_mcpparam_t *m);

/* Is TOOL known to have x-mcp-header parameters? */
int mg_mcpparam_has(const mg_mcpparam_t *m, const char *tool);

/*
 * The first value of header NAME (any case) in LINES ("Name: value\r\n"
 * each, LEN bytes), into OUT (N bytes, cut to fit); OUT, or NULL when
 * absent.
 */
const char *mg_mcpparam_header(
    const char *lines, size_t len, const char *name, char *out, size_t n);

/*
 * A request BODY (LEN bytes) with its header LINES (as above): for a
 * tools/call of a tool kept in M, each x-mcp-header argument checked
 * against its Mcp-Param-* header (mg_era_check_params).  MG_OK (agrees,
 * or not a tools/call, or no such parameter set), MG_DECLINED (a
 * tools/call of a tool M does not hold: nothing to check against),
 * MG_ERROR with *ERR (-32020, 400; clear it with mg_era_err_clear) and
 * *ID (the request's id, a new reference, or NULL).
 */
int mg_mcpparam_check(const mg_mcpparam_t *m, const char *body, size_t len,
    const char *lines, size_t lines_len, mg_era_err_t *err,
    struct json_object **id);

/* The JSON-RPC error answer to a request refused by mg_mcpparam_check:
 * ERR (cleared) to ID (released), malloc'd and NUL-terminated (*LEN
 * bytes), or NULL. */
char *mg_mcpparam_refusal(
    struct json_object *id, mg_era_err_t *err, size_t *len);

#endif
