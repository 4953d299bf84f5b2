/*
 * Typed, framed, versioned messages between mcpgw's processes over Unix
 * stream sockets: master <-> child control channels and worker <->
 * connector links.
 *
 * A frame is a fixed header and a payload.  The header is in host byte
 * order (both ends are on one machine, built from one tree).  Every frame
 * is checked before its payload is touched: version, type range and the
 * payload length against the channel's frame limit.  Frames may carry one
 * file descriptor (SCM_RIGHTS), attached to the frame's first byte.
 */
#ifndef MG_IPC_H
#define MG_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

#define MG_IPC_VERSION 1
#define MG_IPC_HDR_SIZE 16
#define MG_IPC_MAX_FRAME (16u * 1024 * 1024)

/* Message types, numbered in ranges by purpose. */
typedef enum {
	/* 0x01xx: master <-> child control */
	MG_MSG_CONTROL_FIRST = 0x0100,
	MG_MSG_READY = 0x0100, /* child -> master: serving */
	MG_MSG_QUIT,           /* master -> child: finish, then exit */
	MG_MSG_TERMINATE,      /* master -> child: exit now */
	MG_MSG_REOPEN,         /* master -> child: new log fd attached */
	MG_MSG_LINK,           /* master -> child: worker<->connector socket */
	MG_MSG_CONTROL_LAST,

	/* 0x02xx: worker -> connector */
	MG_MSG_UPSTREAM_FIRST = 0x0200,
	MG_MSG_HELLO = 0x0200, /* worker introduces itself on a link */
	MG_MSG_CANCEL,         /* notifications/cancelled we could not place */
	MG_MSG_REQ,            /* relay one HTTP request to an upstream */
	MG_MSG_REQ_CANCEL,     /* the client is gone: stop relaying it */
	MG_MSG_RESUME,         /* a stream another worker holds, please */
	MG_MSG_PEER_HEAD,      /* answers to MG_MSG_RESUME_FWD, passed on */
	MG_MSG_PEER_EVENT,     /*   as RESP_HEAD, RESP_EVENT, RESP_END */
	MG_MSG_PEER_END,
	MG_MSG_ANSWER, /* a client's response we could not place */
	MG_MSG_PARK,   /* keep this relay for the client's retry (bridge) */
	MG_MSG_UPSTREAM_LAST,

	/* 0x03xx: connector -> worker */
	MG_MSG_DOWNSTREAM_FIRST = 0x0300,
	MG_MSG_WELCOME = 0x0300, /* connector's answer to HELLO */
	MG_MSG_CANCEL_FWD,       /* another worker's MG_MSG_CANCEL */
	MG_MSG_RESP_HEAD,        /* the upstream's status (and session) */
	MG_MSG_RESP_DATA,        /* one JSON-RPC message of the answer */
	MG_MSG_RESP_END,         /* the answer is over (or failed) */
	MG_MSG_RESP_EVENT,       /* one SSE event of the answer, id and all */
	MG_MSG_RESUME_FWD,       /* another worker's MG_MSG_RESUME */
	MG_MSG_PEER_CANCEL,      /* that worker's client is gone */
	MG_MSG_ANSWER_FWD,       /* another worker's MG_MSG_ANSWER */
	MG_MSG_NOTIFY_FWD,       /* a notification for a session's GET stream */
	MG_MSG_DOWNSTREAM_LAST
} mg_msg_type_t;

#define MG_IPC_F_FD 0x01 /* the frame carries a descriptor */

typedef struct {
	uint8_t  version;
	uint8_t  flags;
	uint16_t type;
	uint32_t len; /* payload bytes after the header */
	uint64_t id;  /* request id; 0 for control frames */
} mg_ipc_hdr_t;

/* Payload of MG_MSG_LINK and MG_MSG_HELLO. */
typedef struct {
	int32_t slot; /* the worker's slot number */
	int32_t generation;
} mg_msg_link_t;

/*
 * Payload of MG_MSG_RESUME and MG_MSG_RESUME_FWD: a client came back with
 * Last-Event-ID naming a stream of the built-in servers that worker SLOT
 * holds.  The holder answers with PEER_HEAD, PEER_EVENT... and PEER_END
 * (the payloads of RESP_HEAD, RESP_EVENT and RESP_END), or with PEER_END
 * alone and an error code when the stream or its events are gone; the
 * connector passes them on to the asking worker under its request id.
 */
typedef struct {
	int32_t  slot; /* the worker holding the stream */
	uint32_t seq;  /* the last event the client has */
	uint64_t session;
	uint64_t stream;
} mg_msg_resume_t;

/* Payload of MG_MSG_NOTIFY_FWD: the session number, then the
 * notification (JSON text, not NUL-terminated) for its GET stream. */
/* Payload of MG_MSG_CANCEL and MG_MSG_CANCEL_FWD: the session number,
 * then the request id as JSON text (not NUL-terminated).  Of MG_MSG_ANSWER
 * and MG_MSG_ANSWER_FWD: the session number, then the client's JSON-RPC
 * response to a request of a built-in server (not NUL-terminated). */
typedef struct {
	uint64_t session;
} mg_msg_cancel_t;

/*
 * MG_MSG_REQ: this struct, then sid_len bytes of the upstream session id,
 * ver_len of the protocol version, init_len of the client's initialize
 * params (to open the upstream session again if it forgot it), body_len
 * of the body, lei_len of a Last-Event-ID, hdr_len of header lines
 * ("Name: value\r\n") the upstream gets as they are (a 2026-07-28
 * request's Mcp-Method, Mcp-Name, Mcp-Param-*).  The frame's request id names
 * the exchange in both directions; answers are matched by it, never by JSON-RPC
 * ids.
 */
#define MG_REQ_F_INITIALIZE 0x01 /* the body is an initialize request */
#define MG_REQ_F_DISCOVER 0x04   /* and it is server/discover */
#define MG_REQ_F_MODERN 0x02     /* a 2026-07-28 request: no session */
/* what a 2026-07-28 client declared in _meta: the bridge asks it nothing
 * else (its answers to a 2025 upstream's other requests are errors) */
#define MG_REQ_F_ELICIT 0x08
#define MG_REQ_F_SAMPLE 0x10
#define MG_REQ_F_ROOTS 0x20
/* a retry of a request the bridge parked (MG_MSG_PARK): PARK names it */
#define MG_REQ_F_RESUME 0x40
/* a 2025 client's resources/subscribe or unsubscribe (the body), or its
 * session's end (DELETE), over the bridge to an upstream of 2026-07-28:
 * the connector holds the session's subscriptions/listen (connector.c) */
#define MG_REQ_F_SUBSCRIBE 0x80
#define MG_PARK_KEY 16
#define MG_UP_SID_MAX 1024 /* an upstream's Mcp-Session-Id, at most */

typedef struct {
	uint8_t  method; /* mg_http_method_t */
	uint8_t  flags;
	uint16_t hops;     /* gateways crossed so far, this one included */
	int32_t  upstream; /* index in the configuration */
	uint16_t sid_len;
	uint16_t ver_len;
	uint16_t init_len;
	uint16_t lei_len; /* Last-Event-ID of a GET that resumes, after body */
	uint32_t body_len;
	uint16_t hdr_len; /* header lines for the upstream, after lei */
	uint64_t session; /* the gateway's session number, 0 if none */
	uint8_t  park[MG_PARK_KEY]; /* with MG_REQ_F_RESUME */
} mg_msg_req_t;

/* MG_MSG_PARK: the MG_PARK_KEY bytes the worker sealed into the
 * requestState of its input_required result.  The connector keeps the
 * relay (its upstream exchange goes on) under that key, with what the
 * upstream sends meanwhile, until a request with MG_REQ_F_RESUME and the
 * key takes it over, or the upstream's read_timeout passes. */

/* MG_MSG_RESP_EVENT: this struct, then id_len bytes of the upstream's
 * event id, then the data (a JSON-RPC message, or empty). */
typedef struct {
	int32_t  retry; /* ms, or -1 */
	uint16_t id_len;
	uint16_t has_id;
} mg_msg_event_t;

/* MG_MSG_RESP_HEAD: this struct, then the upstream session id and the
 * protocol version (both from an initialize, else empty). */
#define MG_RESP_NONE 0 /* no body (202, 204) */
#define MG_RESP_JSON 1 /* one message in one DATA */
#define MG_RESP_SSE 2  /* DATA per event */

typedef struct {
	int32_t  status;
	uint8_t  kind;
	uint8_t  pad;
	uint16_t sid_len;
	uint16_t ver_len;
	uint16_t pad2;
} mg_msg_head_t;

/* MG_MSG_RESP_END: this struct, then a message when code != 0. */
typedef struct {
	int32_t code; /* 0: complete; else a JSON-RPC error code */
} mg_msg_end_t;

/*
 * The answer to a relayed request, as either end of a link sees it: the
 * connector's upstream client produces these calls and sends them as
 * RESP_* frames; the worker's proxy receives the frames and makes the
 * same calls.
 */
typedef struct {
	/* the upstream's status; for an initialize, its session and version */
	void (*head)(void *arg, int status, int kind, const char *sid,
	    const char *version);
	/* one JSON-RPC message (a JSON answer) */
	void (*data)(void *arg, const char *msg, size_t len);
	/* one SSE event: its id (NULL if none), retry (-1 if none), data (a
	 * message, or empty: a priming event) */
	void (*event)(void *arg, const char *id, long retry, const char *data,
	    size_t len);
	/* the last call: code 0, or a JSON-RPC error code and why */
	void (*end)(void *arg, int code, const char *message);
	void *arg;
} mg_answer_ops_t;

/* Calls that take an answer and do nothing with it, for a caller that
 * wants none (a response posted upstream, a session closed); each may
 * also stand for one call of a set of ops that wants the others. */
void mg_answer_ignore_head(
    void *arg, int status, int kind, const char *sid, const char *version);
void mg_answer_ignore_data(void *arg, const char *msg, size_t len);
void mg_answer_ignore_event(
    void *arg, const char *id, long retry, const char *data, size_t len);
void mg_answer_ignore_end(void *arg, int code, const char *message);
extern const mg_answer_ops_t mg_answer_ignore;

/* A part of a payload: pointer and length. */
typedef struct {
	const uint8_t *p;
	size_t         len;
} mg_ipc_part_t;

/*
 * Take a payload apart: a fixed struct of FIXED bytes, then N parts whose
 * lengths LENS gives (read from the struct by the caller after the first
 * call...).  mg_ipc_split checks every length against the payload and
 * that nothing is left over: MG_OK or MG_ERROR.
 */
int mg_ipc_split(const uint8_t *payload, size_t len, size_t fixed,
    const size_t *lens, size_t n, mg_ipc_part_t *parts);

/* Name of a type for log lines ("QUIT"), "unknown" otherwise. */
const char *mg_ipc_type_name(unsigned type);

/* Is TYPE one this build knows? */
int mg_ipc_type_known(unsigned type);

/* Encode HDR into OUT (MG_IPC_HDR_SIZE bytes). */
void mg_ipc_hdr_encode(const mg_ipc_hdr_t *hdr, uint8_t *out);

/*
 * Look at BUF (LEN bytes received so far): MG_OK with *hdr filled when a
 * whole frame (header and payload) is there, MG_AGAIN when more bytes are
 * needed, MG_ERROR when the frame is bad (version, unknown type, payload
 * over MAX); *why then says which.
 */
int mg_ipc_hdr_decode(const uint8_t *buf, size_t len, size_t max,
    mg_ipc_hdr_t *hdr, const char **why);

/*
 * A channel: one Unix stream socket with buffered, non-blocking I/O.  It
 * does no waiting of its own: the owner calls mg_channel_read when the fd
 * is readable and mg_channel_flush when it is writable (or wants to try).
 */
typedef struct mg_channel mg_channel_t;

mg_channel_t *mg_channel_new(int fd, size_t max_frame);
/* Close the socket, and every descriptor still queued either way. */
void mg_channel_free(mg_channel_t *ch);
int  mg_channel_fd(const mg_channel_t *ch);

/* Queue a frame whose payload is N parts, copied once into the output;
 * no descriptor. */
int mg_channel_sendv(mg_channel_t *ch, unsigned type, uint64_t id,
    const mg_ipc_part_t *parts, size_t n);
/* Queue a frame; FD (or -1) is sent with it and closed here once sent. */
int mg_channel_send(mg_channel_t *ch, unsigned type, uint64_t id,
    const void *payload, size_t len, int fd);
/* Write what is queued: MG_OK (all out), MG_AGAIN (more), MG_ERROR. */
int mg_channel_flush(mg_channel_t *ch);
int mg_channel_pending(const mg_channel_t *ch);

/* Read what the socket has: MG_OK, MG_DECLINED at end of file, MG_ERROR. */
int mg_channel_read(mg_channel_t *ch);

/*
 * Take the next whole frame: MG_OK with *hdr, *payload (valid until the
 * next call) and *fd (-1 if none; the caller owns it); MG_AGAIN if no whole
 * frame is buffered; MG_ERROR if the stream is bad (logged; close it).
 */
int mg_channel_next(
    mg_channel_t *ch, mg_ipc_hdr_t *hdr, const uint8_t **payload, int *fd);

#endif
