/*
 * One worker <-> connector link as either end sees it: a channel on an
 * event loop.  Frames arrive through the owner's callback; a lost peer is
 * one path (the on_lost callback), after which the link is freed.
 */
#ifndef MG_LINK_H
#define MG_LINK_H

#include "msg.h"

struct event_base;

typedef struct mg_link mg_link_t;

typedef struct {
	/* a frame, unpacked (msg.h); MSG's parts are valid during the call.
	 * A frame whose payload does not unpack is never passed on: it is
	 * logged (its type, in lost's WHY) and the link is lost. */
	void (*frame)(void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr,
	    const mg_msg_t *msg);
	/* the peer is gone or broke the protocol; LINK is freed after */
	void (*lost)(void *arg, mg_link_t *link, const char *why);
	void *arg;
} mg_link_ops_t;

mg_link_t *mg_link_new(
    struct event_base *base, int fd, int slot, const mg_link_ops_t *ops);
void mg_link_free(mg_link_t *link);
int  mg_link_slot(const mg_link_t *link);
/* Pack M (msg.h), queue it under request ID and start writing. */
int mg_link_send_msg(mg_link_t *link, uint64_t id, const mg_msg_t *m);
/* Queue a frame of N payload parts (copied once) and start writing. */
int mg_link_sendv(mg_link_t *link, unsigned type, uint64_t id,
    const mg_ipc_part_t *parts, size_t n);
/* Queue a packed payload (a frame held back) and start writing; MG_OK
 * or MG_ERROR. */
int mg_link_send(mg_link_t *link, unsigned type, uint64_t id,
    const void *payload, size_t len);
/* One SSE event of an answer (RESP_EVENT or PEER_EVENT): its id (NULL if
 * none; cut at 255 bytes), retry (ms, or -1) and data. */
int mg_link_send_event(mg_link_t *link, unsigned type, uint64_t id,
    const char *evid, long retry, const char *data, size_t len);
/* The end of an answer (RESP_END or PEER_END): CODE 0, or a JSON-RPC
 * error code and MESSAGE (cut at 512 bytes). */
int mg_link_send_end(
    mg_link_t *link, unsigned type, uint64_t id, int code, const char *message);

#endif
