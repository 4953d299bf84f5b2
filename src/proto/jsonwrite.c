/*
 * The JSON-RPC encoders: a response, an error, a request or a
 * notification appended to an evbuffer in one piece, with strings
 * escaped so that the output is always valid JSON.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "jsonrpc.h"
#include "jsonrpc_int.h"

#define RPC_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A piece of an encoded message. */
typedef struct {
	const char *s;
	size_t      n;
	int         quote; /* write S as an escaped JSON string */
	size_t      out;   /* bytes it takes in the output */
} rpc_piece_t;

/* A piece of fixed text; QUOTED: a C string to escape. */
#define PIECE(str) ((rpc_piece_t){ (str), sizeof(str) - 1, 0, 0 })
#define QUOTED(str) ((rpc_piece_t){ (str), strlen(str), 1, 0 })

static size_t
esc_put(char *dst, size_t o, const char *s, size_t n)
{
	if (dst != NULL)
		memcpy(dst + o, s, n);
	return o + n;
}

/*
 * Write S as a quoted JSON string to DST (or only count, if DST is NULL);
 * return the bytes it takes.  Invalid UTF-8 bytes become U+FFFD.
 */
static size_t
rpc_escape(char *dst, const char *src, size_t n)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char                 u[6] = { '\\', 'u', '0', '0' };
	size_t               o = esc_put(dst, 0, "\"", 1), i = 0, k;

	while (i < n) {
		switch (s[i]) {
		case '"': o = esc_put(dst, o, "\\\"", 2); break;
		case '\\': o = esc_put(dst, o, "\\\\", 2); break;
		case '\b': o = esc_put(dst, o, "\\b", 2); break;
		case '\f': o = esc_put(dst, o, "\\f", 2); break;
		case '\n': o = esc_put(dst, o, "\\n", 2); break;
		case '\r': o = esc_put(dst, o, "\\r", 2); break;
		case '\t': o = esc_put(dst, o, "\\t", 2); break;
		default:
			if (s[i] < 0x20) {
				u[4] = hex[s[i] >> 4];
				u[5] = hex[s[i] & 0xf];
				o = esc_put(dst, o, u, 6);
			} else if ((k = mg_utf8_seq(s + i, n - i)) == 0)
				o = esc_put(dst, o, "\xef\xbf\xbd", 3);
			else {
				o = esc_put(dst, o, src + i, k);
				i += k;
				continue;
			}
		}
		i++;
	}
	return esc_put(dst, o, "\"", 1);
}

/* Append the pieces to OUT in one contiguous reservation: all or nothing. */
static int
rpc_emit(struct evbuffer *out, rpc_piece_t *pc, size_t npc)
{
	struct evbuffer_iovec v;
	size_t                total = 0, o = 0;
	char                 *dst;

	for (size_t i = 0; i < npc; i++) {
		if (pc[i].s == NULL)
			return MG_ERROR;
		pc[i].out =
		    pc[i].quote ? rpc_escape(NULL, pc[i].s, pc[i].n) : pc[i].n;
		total += pc[i].out;
	}
	if (evbuffer_reserve_space(out, (ev_ssize_t)total, &v, 1) != 1)
		return MG_ERROR;
	dst = v.iov_base;
	for (size_t i = 0; i < npc; i++)
		if (pc[i].quote)
			o += rpc_escape(dst + o, pc[i].s, pc[i].n);
		else
			o = esc_put(dst, o, pc[i].s, pc[i].n);
	v.iov_len = total;
	return evbuffer_commit_space(out, &v, 1) == 0 ? MG_OK : MG_ERROR;
}

/* A JSON value as json-c serializes it; NULL is null. */
static void
rpc_value(rpc_piece_t *pc, struct json_object *v)
{
	*pc = PIECE("null");
	if (v != NULL)
		pc->s = json_object_to_json_string_length(
		    v, RPC_JSON_FLAGS, &pc->n);
}

int
mg_rpc_write_result(
    struct evbuffer *out, struct json_object *id, struct json_object *result)
{
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"id\":"), PIECE(""),
		PIECE(",\"result\":"), PIECE(""), PIECE("}") };

	rpc_value(&pc[1], id);
	rpc_value(&pc[3], result);
	return rpc_emit(out, pc, MG_NELEM(pc));
}

int
mg_rpc_write_error(struct evbuffer *out, struct json_object *id, int code,
    const char *message, struct json_object *data)
{
	char        num[16];
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"id\":"), PIECE(""),
		PIECE(",\"error\":{\"code\":"), PIECE(""),
		PIECE(",\"message\":"), PIECE(""), PIECE(",\"data\":"),
		PIECE(""), PIECE("}}") };

	if (message == NULL)
		message = "";
	/* an id that could not be read is left out, not null: the MCP
	 * schemas (2025-11-25, 2026-07-28) have no null RequestId */
	if (id == NULL)
		pc[0] = PIECE("{\"jsonrpc\":\"2.0\"");
	else
		rpc_value(&pc[1], id);
	pc[3].s = num;
	pc[3].n = (size_t)snprintf(num, sizeof(num), "%d", code);
	pc[5] = QUOTED(message);
	if (data == NULL)
		pc[6] = pc[7] = PIECE("");
	else
		rpc_value(&pc[7], data);
	return rpc_emit(out, pc, MG_NELEM(pc));
}

int
mg_rpc_write_request(struct evbuffer *out, struct json_object *id,
    const char *method, struct json_object *params)
{
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"id\":"), PIECE(""),
		PIECE(",\"method\":"), PIECE(""), PIECE(",\"params\":"),
		PIECE(""), PIECE("}") };

	if (method == NULL)
		return MG_ERROR;
	pc[3] = QUOTED(method);
	if (params == NULL)
		pc[4] = pc[5] = PIECE("");
	else
		rpc_value(&pc[5], params);
	rpc_value(&pc[1], id);
	return rpc_emit(out, pc, MG_NELEM(pc));
}

int
mg_rpc_write_notification(
    struct evbuffer *out, const char *method, struct json_object *params)
{
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"method\":"),
		PIECE(""), PIECE(",\"params\":"), PIECE(""), PIECE("}") };

	if (method == NULL)
		return MG_ERROR;
	pc[1] = QUOTED(method);
	if (params == NULL)
		pc[2] = pc[3] = PIECE("");
	else
		rpc_value(&pc[3], params);
	return rpc_emit(out, pc, MG_NELEM(pc));
}
