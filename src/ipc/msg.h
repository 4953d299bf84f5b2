/*
 * The payload of every IPC message type, and the one place that packs and
 * unpacks them (msg.c), as OpenSMTPD's imsg does: a struct per payload,
 * a pack and an unpack per type, chosen by one table row.
 *
 * Unpack reads a payload field by field, checks every length before it
 * uses it, and ends as OpenSMTPD's m_end does: bytes left over are an
 * error, so a payload is consumed whole or refused.  A receiver never
 * touches a payload's bytes itself; a frame its unpack refuses closes the
 * link it came on (link.c, child.c, the master).
 *
 * Nothing is copied: a text or byte part of an unpacked message points
 * into the frame (valid as long as the frame), and a packed message is a
 * list of parts (its fixed fields, then pointers to the caller's texts)
 * that go into the channel's output in one copy.  REQ and RESP_DATA are
 * on the path of every proxied call.
 */
#ifndef MG_MSG_H
#define MG_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

/* Bytes of a text part at most (those without are up to the frame). */
#define MG_MSG_VERSION_MAX 31         /* a protocol version */
#define MG_MSG_ADDR_MAX 55            /* RESP_HEAD's upstream address */
#define MG_MSG_LEI_MAX 255            /* a Last-Event-ID */
#define MG_MSG_EVENT_ID_MAX 255       /* an SSE event's id */
#define MG_MSG_END_MAX 512            /* RESP_END's message */
#define MG_MSG_CANCEL_ID_MAX 255      /* CANCEL's request id */
#define MG_MSG_TEXT16_MAX 65535       /* REQ's init and headers */
#define MG_MSG_KID_MAX 255            /* KID_UNKNOWN's kid */
#define MG_MSG_JWKS_MAX (1024 * 1024) /* a JWK Set the connector fetched */
#define MG_MSG_TOKEN_MAX 65536        /* REQ's client token (max_token_size) */

/* A part of a message: bytes in the frame, not NUL-terminated. */
typedef struct {
	const char *p;
	size_t      len;
} mg_msg_text_t;

/* LINK (with the socket), HELLO and WELCOME. */
typedef struct {
	int32_t slot; /* the worker's slot number */
	int32_t generation;
} mg_msg_link_t;

/* REOPEN (with the log's descriptor): the worker's access log INDEX, or
 * -1 for the error log. */
typedef struct {
	int32_t index;
} mg_msg_reopen_t;

/*
 * REQ: relay one HTTP request.  The frame's request id names the exchange
 * in both directions; answers are matched by it, never by JSON-RPC ids.
 * HEADERS are lines ("Name: value\r\n") the upstream gets as they are (a
 * 2026-07-28 request's Mcp-Method, Mcp-Name, Mcp-Param-*); INIT the
 * client's initialize params (to open the upstream session again if it
 * forgot it); LEI the Last-Event-ID of a GET that resumes.  TOKEN is the
 * client's bearer token, with its exp (seconds since the epoch, 0 if it
 * has none), only for an upstream that takes it (forward_client_token,
 * oauth_token_exchange); empty for every other request.
 */
typedef struct {
	uint8_t        method; /* mg_http_method_t */
	uint8_t        flags;  /* MG_REQ_F_* */
	uint16_t       hops;   /* gateways crossed so far, this one included */
	int32_t        upstream; /* index in the configuration */
	uint64_t       session;  /* the gateway's session number, 0 if none */
	const uint8_t *park;     /* MG_PARK_KEY bytes (MG_REQ_F_RESUME); packed
				    as zeros if NULL */
	mg_msg_text_t sid; /* the upstream's session id (< MG_UP_SID_MAX) */
	mg_msg_text_t version, init, body, lei, headers;
	mg_msg_text_t token;     /* never logged */
	int64_t       token_exp; /* s */
	/* header lines packed before HEADERS, in the same part of the frame:
	 * the receiver reads them as the first lines of HEADERS (the trace
	 * context lines, which every request has and no caller need copy) */
	mg_msg_text_t pre;
} mg_msg_req_t;

/* RESP_HEAD and PEER_HEAD: the upstream's status, kind (MG_RESP_*) and,
 * for an initialize, its session id and protocol version; for the access
 * log, the address the connector reached it at ("127.0.0.1:9000",
 * "stdio:PID"; empty: not known) and the microseconds from the REQ to
 * this head (-1: not measured). */
typedef struct {
	int32_t       status;
	uint8_t       kind;
	mg_msg_text_t sid, version;
	int64_t       us;
	mg_msg_text_t addr;
} mg_msg_head_t;

/* RESP_DATA: one JSON-RPC message of the answer. */
typedef struct {
	mg_msg_text_t msg;
} mg_msg_data_t;

/* RESP_EVENT and PEER_EVENT: one SSE event, id and all. */
typedef struct {
	int32_t       retry;  /* ms, or -1 */
	uint8_t       has_id; /* else ID is empty */
	mg_msg_text_t id, data;
} mg_msg_event_t;

/* RESP_END and PEER_END: CODE 0 (complete), or a JSON-RPC error code and
 * a MESSAGE. */
typedef struct {
	int32_t       code;
	mg_msg_text_t message;
} mg_msg_end_t;

/*
 * CANCEL and CANCEL_FWD: a session's notifications/cancelled, TEXT the
 * request id as JSON text.  ANSWER and ANSWER_FWD: a client's JSON-RPC
 * response to a request of a built-in server.  NOTIFY_FWD: a
 * notification for the session's GET stream.
 */
typedef struct {
	uint64_t      session;
	mg_msg_text_t text;
} mg_msg_note_t;

/*
 * RESUME and RESUME_FWD: a client came back with Last-Event-ID naming a
 * stream of the built-in servers that worker SLOT holds.  The holder
 * answers with PEER_HEAD, PEER_EVENT... and PEER_END, or with PEER_END
 * alone and an error code when the stream or its events are gone; the
 * connector passes them on to the asking worker under its request id.
 */
typedef struct {
	int32_t  slot; /* the worker holding the stream */
	uint32_t seq;  /* the last event the client has */
	uint64_t session;
	uint64_t stream;
} mg_msg_resume_t;

/*
 * PARK: the MG_PARK_KEY bytes the worker sealed into the requestState of
 * its input_required result.  The connector keeps the relay (its upstream
 * exchange goes on) under that key, with what the upstream sends
 * meanwhile, until a REQ with MG_REQ_F_RESUME and the key takes it over,
 * or the upstream's read_timeout passes.
 */
typedef struct {
	const uint8_t *key;
} mg_msg_park_t;

/*
 * JWKS (connector -> worker): "the keys of auth_jwt block BLOCK are now
 * this JWK Set", TEXT the document as fetched from its jwks_url (empty:
 * none, the last one expired); sent to every worker when it changes and
 * to a worker when its link comes up.  KID_UNKNOWN (worker -> connector):
 * a token named kid TEXT, which the set of BLOCK lacks; the connector
 * fetches again, at most once per jwks_min_refresh.  BLOCK is the
 * block's index (mg_auth_jwt_t's), which every process computes alike.
 */
typedef struct {
	int32_t       block;
	mg_msg_text_t text;
} mg_msg_keys_t;

/* A message of any type.  READY, QUIT, TERMINATE, REQ_CANCEL and
 * PEER_CANCEL have no payload. */
typedef struct {
	unsigned type; /* mg_msg_type_t */
	union {
		mg_msg_link_t   link;
		mg_msg_reopen_t reopen;
		mg_msg_req_t    req;
		mg_msg_head_t   head;
		mg_msg_data_t   data;
		mg_msg_event_t  event;
		mg_msg_end_t    end;
		mg_msg_note_t   note;
		mg_msg_resume_t resume;
		mg_msg_park_t   park;
		mg_msg_keys_t   keys;
	};
} mg_msg_t;

/* A packed message: N parts, the first its fixed fields (held here). */
#define MG_MSG_PARTS 9
#define MG_MSG_FIXED_MAX 64

typedef struct {
	mg_ipc_part_t part[MG_MSG_PARTS];
	size_t        n;
	size_t        nfixed;
	uint8_t       fixed[MG_MSG_FIXED_MAX];
} mg_msg_out_t;

/* Pack M into OUT: MG_OK, or MG_ERROR if a part is over its limit or
 * the whole over MG_IPC_MAX_FRAME (nothing to send). */
int mg_msg_pack(const mg_msg_t *m, mg_msg_out_t *out);

/* Unpack the payload P (LEN bytes) of a TYPE frame into M: MG_OK, or
 * MG_ERROR if it is not exactly one payload of that type. */
int mg_msg_unpack(unsigned type, const uint8_t *p, size_t len, mg_msg_t *m);

/* T as a C string in BUF (SIZE bytes), cut to fit. */
const char *mg_msg_cstr(mg_msg_text_t t, char *buf, size_t size);

/* Pack M and queue it on CH with FD (or -1; closed here on failure). */
int mg_msg_send(mg_channel_t *ch, uint64_t id, const mg_msg_t *m, int fd);

#endif
