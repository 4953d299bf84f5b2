/*
 * IPC frames (ipc.c) and their payloads (msg.c), as a worker reads what
 * its link to the connector brings.
 *
 * Input: a stream of frames, header and payload, as a peer would write
 * them.  Properties:
 *   - mg_ipc_hdr_decode on the input's first bytes: a header it accepts
 *     encodes back to the same bytes, within the limit, of a known type
 *     and flags, and whole; MG_AGAIN only for a part of one;
 *   - each whole frame of the input, its payload alone in a heap block
 *     of its exact size, unpacked by its type's unpack (mg_msg_unpack;
 *     the sanitizer sees any read past it): a payload it takes packs
 *     back to the very same bytes, so it took all of them, each once;
 *   - the stream written into a real link (link.c over a socketpair, the
 *     channel's reads and mg_channel_next): every frame handed over is
 *     one mg_ipc_hdr_decode accepts and one its unpack takes, with every
 *     part inside the payload; the first one it refuses ends the link;
 *   - the answer frames (RESP_HEAD, with its upstream address for the
 *     access log, _DATA, _EVENT, _END) go to a worker's
 *     proxy (proxy.c) with two relays open, ids 1 and 2: every relay ends
 *     exactly once, nothing is called after its end, and what reaches
 *     its calls is readable (the sanitizer checks that).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "fuzz.h"
#include "ipc.h"
#include "link.h"
#include "msg.h"
#include "proxy.h"

static struct event_base *base;

typedef struct {
	int      ended;
	unsigned sum; /* touches every byte it is given */
} relay_seen_t;

typedef struct {
	mg_proxy_t  *proxy;
	mg_link_t   *link;
	int          lost;
	relay_seen_t relays[2];
} run_t;

static void
touch(relay_seen_t *r, const char *p, size_t len)
{
	FUZZ_ASSERT(!r->ended, "a call after the relay's end");
	for (size_t i = 0; i < len; i++)
		r->sum += (unsigned char)p[i];
}

static void
on_head(void *arg, int status, int kind, const char *sid, const char *ver)
{
	touch(arg, sid, strlen(sid));
	touch(arg, ver, strlen(ver));
}

/* RESP_HEAD's address and time, for the access log: before the head */
static void
on_upstream(void *arg, int status, const char *addr, int64_t us)
{
	(void)status, (void)us;
	touch(arg, addr, strlen(addr));
}

static void
on_data(void *arg, const char *msg, size_t len)
{
	touch(arg, msg, len);
}

static void
on_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	if (id != NULL)
		touch(arg, id, strlen(id));
	touch(arg, data, len);
}

static void
on_end(void *arg, int code, const char *message)
{
	relay_seen_t *r = arg;

	touch(r, message, strlen(message));
	r->ended++;
}

/* M packs to exactly the LEN bytes at P. */
static void
check_repack(const mg_msg_t *m, const uint8_t *p, size_t len)
{
	mg_msg_out_t out;
	size_t       off = 0;

	FUZZ_ASSERT(mg_msg_pack(m, &out) == MG_OK, "%s unpacks, not packs",
	    mg_ipc_type_name(m->type));
	for (size_t i = 0; i < out.n; i++) {
		FUZZ_ASSERT(out.part[i].len <= len - off &&
			(out.part[i].len == 0 ||
			    memcmp(out.part[i].p, p + off, out.part[i].len) ==
				0),
		    "%s packs back otherwise", mg_ipc_type_name(m->type));
		/* a part of the frame lies in the frame */
		FUZZ_ASSERT(i == 0 || out.part[i].len == 0 ||
			out.part[i].p == (const void *)(p + off),
		    "%s: part %zu is not where it was read",
		    mg_ipc_type_name(m->type), i);
		off += out.part[i].len;
	}
	FUZZ_ASSERT(off == len, "%s packs back to %zu bytes of %zu",
	    mg_ipc_type_name(m->type), off, len);
}

/* Every whole frame of the input, its payload unpacked on its own. */
static void
check_payloads(const uint8_t *data, size_t size)
{
	mg_ipc_hdr_t hdr;
	mg_msg_t     m;
	const char  *why;
	uint8_t     *p;

	while (mg_ipc_hdr_decode(data, size, MG_IPC_MAX_FRAME, &hdr, &why) ==
	    MG_OK) {
		p = malloc(hdr.len ? hdr.len : 1);
		FUZZ_ASSERT(p != NULL, "malloc");
		memcpy(p, data + MG_IPC_HDR_SIZE, hdr.len);
		if (mg_msg_unpack(hdr.type, p, hdr.len, &m) == MG_OK)
			check_repack(&m, p, hdr.len);
		free(p);
		data += MG_IPC_HDR_SIZE + hdr.len;
		size -= MG_IPC_HDR_SIZE + hdr.len;
	}
}

static void
on_frame(void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	run_t       *run = arg;
	uint8_t      raw[MG_IPC_HDR_SIZE];
	mg_ipc_hdr_t again;
	const char  *why = NULL;

	/* the frame as the channel took it must pass the header check */
	mg_ipc_hdr_encode(hdr, raw);
	FUZZ_ASSERT(mg_ipc_hdr_decode(raw, sizeof(raw) + hdr->len,
			MG_IPC_MAX_FRAME, &again, &why) == MG_OK,
	    "the channel handed over a frame the check refuses: %s", why);
	FUZZ_ASSERT(m->type == hdr->type, "a %s frame handed over as %s",
	    mg_ipc_type_name(hdr->type), mg_ipc_type_name(m->type));
	switch (hdr->type) {
	case MG_MSG_RESP_HEAD:
	case MG_MSG_RESP_DATA:
	case MG_MSG_RESP_END:
	case MG_MSG_RESP_EVENT: mg_proxy_frame(run->proxy, hdr, m); break;
	default: break;
	}
}

static void
on_lost(void *arg, mg_link_t *link, const char *why)
{
	run_t *run = arg;

	run->lost = 1;
	run->link = NULL;
	mg_proxy_set_link(run->proxy, NULL); /* the worker's one path */
}

static void
check_header(const uint8_t *data, size_t size)
{
	mg_ipc_hdr_t hdr;
	uint8_t      raw[MG_IPC_HDR_SIZE];
	const char  *why = NULL;
	/* a limit from the id's first byte: small enough to be reached */
	size_t max = size > 8 ? data[8] * 64u : 0;
	int    rc = mg_ipc_hdr_decode(data, size, max, &hdr, &why);

	if (rc == MG_OK) {
		mg_ipc_hdr_encode(&hdr, raw);
		FUZZ_ASSERT(memcmp(raw, data, sizeof(raw)) == 0,
		    "a header decodes and encodes otherwise");
		FUZZ_ASSERT(hdr.version == MG_IPC_VERSION &&
			mg_ipc_type_known(hdr.type) && hdr.len <= max &&
			(hdr.flags & ~MG_IPC_F_FD) == 0 &&
			size - MG_IPC_HDR_SIZE >= hdr.len,
		    "an accepted header breaks a rule");
	} else if (rc == MG_AGAIN)
		FUZZ_ASSERT(
		    size < MG_IPC_HDR_SIZE || size - MG_IPC_HDR_SIZE < hdr.len,
		    "MG_AGAIN for a whole frame");
	else
		FUZZ_ASSERT(
		    rc == MG_ERROR && why != NULL, "MG_ERROR without a reason");
}

static void
check_link(const uint8_t *data, size_t size)
{
	static const mg_link_ops_t lops = { .frame = on_frame,
		.lost = on_lost };
	mg_link_ops_t              ops = lops;
	run_t                      run = { 0 };
	mg_relay_req_t req = { .method = 3, .body = "{}", .body_len = 2 };
	mg_relay_ops_t rops = { .head = on_head,
		.data = on_data,
		.event = on_event,
		.end = on_end,
		.upstream = on_upstream };
	int            sv[2];
	size_t         off = 0;
	ssize_t        n;
	char           sink[4096];

	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0,
	    "socketpair: %s", strerror(errno));
	ops.arg = &run;
	run.proxy = mg_proxy_new();
	run.link = mg_link_new(base, sv[0], 1, &ops);
	FUZZ_ASSERT(run.proxy != NULL && run.link != NULL, "proxy and link");
	mg_proxy_set_link(run.proxy, run.link);
	for (int i = 0; i < 2; i++) {
		rops.arg = &run.relays[i];
		FUZZ_ASSERT(mg_proxy_open(run.proxy, &req, &rops) != NULL,
		    "relay %d", i);
	}
	/* the whole stream, then the end of it: the link is lost at the
	 * latest when it reads the end */
	evutil_make_socket_nonblocking(sv[1]);
	while (off < size) {
		n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			while (recv(sv[1], sink, sizeof(sink), 0) > 0)
				;
			continue;
		}
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	while (!run.lost)
		event_base_loop(base, EVLOOP_ONCE);
	for (int i = 0; i < 2; i++)
		FUZZ_ASSERT(run.relays[i].ended == 1, "relay %d ended %d times",
		    i + 1, run.relays[i].ended);
	mg_proxy_free(run.proxy);
	close(sv[1]);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_header(data, size);
	check_payloads(data, size);
	check_link(data, size);
	return 0;
}
