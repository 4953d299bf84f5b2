/*
 * JSON-RPC 2.0, as MCP uses it: parse and classify one JSON text, write
 * responses and notifications.  Pure: no I/O, no logging, no globals.
 *
 * The parser is stricter than json-c alone.  Every text is first checked
 * against the JSON grammar's tokens (RFC 8259): strict UTF-8 in strings, no
 * raw control characters, no NaN/Infinity, no "01", "1." or "-", no
 * comments.  json-c then builds the tree (at most MG_RPC_MAX_DEPTH levels).
 * Integers outside [INT64_MIN, UINT64_MAX], which json-c would clamp, are
 * kept as json-c doubles that serialize back to their exact digits, so a
 * message passes through the gateway unchanged.  A message with a member
 * name twice in one object is refused: json-c keeps the last, and a
 * receiver that keeps the first would read another message than the one
 * the gateway judged.
 */
#ifndef MG_JSONRPC_H
#define MG_JSONRPC_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

struct evbuffer;
struct json_object;

#define MG_RPC_PARSE_ERROR -32700
#define MG_RPC_INVALID_REQUEST -32600
#define MG_RPC_METHOD_NOT_FOUND -32601
#define MG_RPC_INVALID_PARAMS -32602
#define MG_RPC_INTERNAL_ERROR -32603

/* Nesting levels a message may have; one more is a parse error. */
#define MG_RPC_MAX_DEPTH 64

typedef enum {
	MG_RPC_REQUEST = 1,
	MG_RPC_NOTIFICATION,
	MG_RPC_RESULT,
	MG_RPC_ERROR,
	MG_RPC_BATCH
} mg_rpc_kind_t;

/*
 * A classified message.  Only ROOT is owned; the other pointers borrow from
 * it.  JSON null is a NULL json_object in json-c: an error response's id or
 * a result may be NULL for that reason.
 */
typedef struct {
	mg_rpc_kind_t       kind;
	struct json_object *root;   /* owned: the whole message */
	const char         *method; /* REQUEST, NOTIFICATION */
	struct json_object *id;     /* REQUEST, RESULT, ERROR (may be null) */
	struct json_object *params; /* NULL if absent */
	struct json_object *result; /* RESULT (NULL for a null result) */
	struct json_object *error;  /* ERROR: the error object */
	int64_t             error_code; /* ERROR: error.code */
} mg_rpc_msg_t;

/*
 * Why a text is not a usable message.  ID is the message's id when it could
 * be read and is a valid id (string or integer), for the error response;
 * NULL otherwise (the error response then has no "id").  ROOT owns the
 * parsed message, if there was one, and keeps ID alive.
 */
typedef struct {
	int                 code; /* an MG_RPC_* error code */
	char                message[128];
	struct json_object *id;
	struct json_object *root;
} mg_rpc_err_t;

/*
 * Parse exactly one JSON text of LEN bytes (BUF need not be NUL-terminated;
 * whitespace may follow the value, nothing else).  MG_OK: *msg is filled.
 * MG_ERROR: *err says why, with MG_RPC_PARSE_ERROR (not JSON, too deep,
 * empty), MG_RPC_INVALID_REQUEST (JSON, but not a JSON-RPC 2.0 message as
 * MCP allows it; among these, a member name twice in any object, names
 * compared as json-c compares them, decoded and up to a NUL: "duplicate
 * member \"NAME\"", with the id unless the id came twice) or
 * MG_RPC_INTERNAL_ERROR (out of memory).  A non-empty array is MG_OK with
 * kind MG_RPC_BATCH and ROOT the array: the caller decides whether batches
 * are allowed, and classifies the elements with mg_rpc_from_object.  Both
 * *msg and *err are always initialized, so clearing both is always safe.
 */
int mg_rpc_parse(
    const char *buf, size_t len, mg_rpc_msg_t *msg, mg_rpc_err_t *err);

/*
 * A request or notification the gateway passes on as it is, looked at
 * without a tree: what mg_rpc_parse would give, without json-c's
 * allocations (4 000 instructions for a tools/call, against 18 000).
 * MG_OK only when mg_rpc_parse would also give MG_OK, with this kind,
 * method and id: a JSON object with "jsonrpc":"2.0", a method without
 * escapes of fewer than 128 bytes, no result or error, params an object
 * or an array if present, and an id (for a request) that is a string
 * without escapes or an integer of 0 to 18 digits; in every object at
 * most 32 members, no escaped name and no name twice; no integer json-c
 * would clamp, at most 32 levels.  MG_DECLINED for anything else, valid
 * or not: mg_rpc_parse then says what it is (a name twice: it refuses
 * it).  NAME and URI point into BUF: params.name and params.uri when
 * they are strings (without escapes).
 */
typedef struct {
	mg_rpc_kind_t       kind; /* MG_RPC_REQUEST or MG_RPC_NOTIFICATION */
	char                method[128];
	struct json_object *id; /* owned; NULL for a notification */
	const char         *name, *uri;
	size_t              name_len, uri_len;
} mg_rpc_peek_t;

int  mg_rpc_peek(const char *buf, size_t len, mg_rpc_peek_t *pk);
void mg_rpc_peek_clear(mg_rpc_peek_t *pk);

/*
 * Classify OBJ (a batch element, or any tree) the same way.  On MG_OK
 * msg->root holds a new reference to OBJ, on MG_ERROR err->root does.  An
 * array is an invalid request here: batches do not nest.
 */
int mg_rpc_from_object(
    struct json_object *obj, mg_rpc_msg_t *msg, mg_rpc_err_t *err);

void mg_rpc_msg_clear(mg_rpc_msg_t *msg);
void mg_rpc_err_clear(mg_rpc_err_t *err);

/* BUF (LEN bytes) as a JSON value, read as mg_rpc_parse reads (the
 * process's one tokener, strict, big integers kept exactly), whatever its
 * shape; NULL when it is not one JSON value.  A member name twice is not
 * refused here (json-c keeps the last): for texts that mg_rpc_parse has
 * judged already, or that come from upstreams.  A new reference. */
struct json_object *mg_json_parse(const char *buf, size_t len);

/*
 * Ids are equal when of the same type and value: strings byte for byte,
 * integers exactly over the whole int64 and uint64 range, null and null.
 * Values of other types are never equal to anything but themselves.
 */
int mg_rpc_id_equal(struct json_object *a, struct json_object *b);

/*
 * Append one serialized message to OUT, with no trailing newline:
 *   {"jsonrpc":"2.0","id":ID,"result":RESULT}
 *   {"jsonrpc":"2.0","id":ID,"error":{"code":N,"message":"M"[,"data":D]}}
 *   {"jsonrpc":"2.0","method":"M"[,"params":P]}
 * A NULL ID or RESULT is written as null, but an error's NULL ID is left
 * out (the MCP schemas have no null id); NULL DATA or PARAMS are left
 * out.  Ids and values are written exactly as parsed.  Strings given as C
 * strings are escaped; invalid UTF-8 in them becomes U+FFFD, so the output
 * is always valid JSON.  The message is appended whole or not at all.
 */
int mg_rpc_write_result(
    struct evbuffer *out, struct json_object *id, struct json_object *result);
int mg_rpc_write_error(struct evbuffer *out, struct json_object *id, int code,
    const char *message, struct json_object *data);
int mg_rpc_write_notification(
    struct evbuffer *out, const char *method, struct json_object *params);
/* {"jsonrpc":"2.0","id":ID,"method":"M"[,"params":P]} */
int mg_rpc_write_request(struct evbuffer *out, struct json_object *id,
    const char *method, struct json_object *params);

#endif
