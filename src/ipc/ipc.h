/*
 * Typed, framed, versioned messages between mcpgw's processes over Unix
 * stream sockets: master <-> child control channels and worker <->
 * connector links.
 *
 * A frame is a fixed header and a payload.  The header is in host byte
 * order (both ends are on one machine, built from one tree).  Every frame
 * is checked before its payload is touched: version, type range and the
 * payload length against the channel's frame limit.  Frames may carry one
 * file descriptor (SCM_RIGHTS), attached to the frame's first byte.  The
 * payloads themselves are msg.h's: packed and unpacked only there.
 */
#ifndef MG_IPC_H
#define MG_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"
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
	MG_MSG_KID_UNKNOWN, /* a token's kid an auth_jwt block's set lacks */
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
	MG_MSG_JWKS,             /* an auth_jwt block's JWK Set, as fetched */
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

/* Flags of MG_MSG_REQ (msg.h): what the relayed request is. */
#define MG_REQ_F_INITIALIZE 0x01 /* the body is an initialize request */
#define MG_REQ_F_DISCOVER 0x04   /* and it is server/discover */
#define MG_REQ_F_MODERN 0x02     /* a 2026-07-28 request: no session */
/* what a 2026-07-28 client declared in _meta: the bridge asks it nothing
 * else (its answers to a 2025 upstream's other requests are errors) */
#define MG_REQ_F_ELICIT MG_CAP_ELICIT
#define MG_REQ_F_SAMPLE MG_CAP_SAMPLE
#define MG_REQ_F_ROOTS MG_CAP_ROOTS
/* a retry of a request the bridge parked (MG_MSG_PARK): PARK names it */
#define MG_REQ_F_RESUME 0x40
/* a 2025 client's resources/subscribe or unsubscribe (the body), or its
 * session's end (DELETE), over the bridge to an upstream of 2026-07-28:
 * the connector holds the session's subscriptions/listen (connector.c) */
#define MG_REQ_F_SUBSCRIBE 0x80
#define MG_PARK_KEY 16
#define MG_UP_SID_MAX 1024 /* an upstream's Mcp-Session-Id, at most */

/* The kind of an answer (MG_MSG_RESP_HEAD).  A JSON body the upstream
 * streams a message a line sends what comes before the answer as EVENTs
 * (no id), then the answer as one too. */
#define MG_RESP_NONE 0 /* no body (202, 204) */
#define MG_RESP_JSON 1 /* one message in one DATA */
#define MG_RESP_SSE 2  /* DATA per event */

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
	/* before head, for the access log: the upstream's own status, where
	 * the connector reached it ("" when not known) and in how many
	 * microseconds (-1: not measured); NULL: not wanted */
	void (*upstream)(void *arg, int status, const char *addr, int64_t us);
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
 * FD (or -1) is sent with it and closed here once sent (or on failure). */
int mg_channel_sendv(mg_channel_t *ch, unsigned type, uint64_t id,
    const mg_ipc_part_t *parts, size_t n, int fd);
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
