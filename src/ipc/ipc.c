/*
 * Framed messages over Unix stream sockets, with descriptor passing.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "ipc.h"
#include "log.h"

#define MG_IPC_MAX_FDS 16 /* descriptors received but not yet taken */
#define MG_IPC_READ 65536

struct mg_fdpos {
	size_t pos; /* stream offset of the frame it goes with */
	int    fd;
};

struct mg_channel {
	int              fd;
	size_t           max_frame;
	struct evbuffer *in;
	struct evbuffer *out;
	size_t           consumed; /* bytes of the last frame taken */
	/* descriptors received, in order */
	int in_fds[MG_IPC_MAX_FDS];
	int in_nfds;
	/* descriptors to send, with the stream offset they go out at */
	struct mg_fdpos out_fds[MG_IPC_MAX_FDS];
	int             out_nfds;
	size_t          sent;   /* bytes written since creation */
	size_t          queued; /* bytes queued since creation */
};

static const struct {
	unsigned    type;
	const char *name;
} type_names[] = {
	{ MG_MSG_READY, "READY" },
	{ MG_MSG_QUIT, "QUIT" },
	{ MG_MSG_TERMINATE, "TERMINATE" },
	{ MG_MSG_REOPEN, "REOPEN" },
	{ MG_MSG_LINK, "LINK" },
	{ MG_MSG_HELLO, "HELLO" },
	{ MG_MSG_WELCOME, "WELCOME" },
	{ MG_MSG_CANCEL, "CANCEL" },
	{ MG_MSG_CANCEL_FWD, "CANCEL_FWD" },
	{ MG_MSG_REQ, "REQ" },
	{ MG_MSG_REQ_CANCEL, "REQ_CANCEL" },
	{ MG_MSG_RESP_HEAD, "RESP_HEAD" },
	{ MG_MSG_RESP_DATA, "RESP_DATA" },
	{ MG_MSG_RESP_END, "RESP_END" },
	{ MG_MSG_RESP_EVENT, "RESP_EVENT" },
	{ MG_MSG_RESUME, "RESUME" },
	{ MG_MSG_PEER_HEAD, "PEER_HEAD" },
	{ MG_MSG_PEER_EVENT, "PEER_EVENT" },
	{ MG_MSG_PEER_END, "PEER_END" },
	{ MG_MSG_RESUME_FWD, "RESUME_FWD" },
	{ MG_MSG_PEER_CANCEL, "PEER_CANCEL" },
	{ MG_MSG_ANSWER, "ANSWER" },
	{ MG_MSG_ANSWER_FWD, "ANSWER_FWD" },
	{ MG_MSG_PARK, "PARK" },
	{ MG_MSG_KID_UNKNOWN, "KID_UNKNOWN" },
	{ MG_MSG_NOTIFY_FWD, "NOTIFY_FWD" },
	{ MG_MSG_JWKS, "JWKS" },
};

void
mg_answer_ignore_head(
    void *arg, int status, int kind, const char *sid, const char *version)
{
	(void)arg, (void)status, (void)kind, (void)sid, (void)version;
}

void
mg_answer_ignore_data(void *arg, const char *msg, size_t len)
{
	(void)arg, (void)msg, (void)len;
}

void
mg_answer_ignore_event(
    void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)arg, (void)id, (void)retry, (void)data, (void)len;
}

void
mg_answer_ignore_end(void *arg, int code, const char *message)
{
	(void)arg, (void)code, (void)message;
}

const mg_answer_ops_t mg_answer_ignore = { mg_answer_ignore_head,
	mg_answer_ignore_data, mg_answer_ignore_event, mg_answer_ignore_end,
	NULL, NULL };

const char *
mg_ipc_type_name(unsigned type)
{
	for (size_t i = 0; i < MG_NELEM(type_names); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return "unknown";
}

int
mg_ipc_type_known(unsigned type)
{
	return (type >= MG_MSG_CONTROL_FIRST && type < MG_MSG_CONTROL_LAST) ||
	    (type >= MG_MSG_UPSTREAM_FIRST && type < MG_MSG_UPSTREAM_LAST) ||
	    (type >= MG_MSG_DOWNSTREAM_FIRST && type < MG_MSG_DOWNSTREAM_LAST);
}

void
mg_ipc_hdr_encode(const mg_ipc_hdr_t *hdr, uint8_t *out)
{
	out[0] = hdr->version;
	out[1] = hdr->flags;
	memcpy(out + 2, &hdr->type, 2);
	memcpy(out + 4, &hdr->len, 4);
	memcpy(out + 8, &hdr->id, 8);
}

int
mg_ipc_hdr_decode(const uint8_t *buf, size_t len, size_t max, mg_ipc_hdr_t *hdr,
    const char **why)
{
	if (len < MG_IPC_HDR_SIZE)
		return MG_AGAIN;
	hdr->version = buf[0];
	hdr->flags = buf[1];
	memcpy(&hdr->type, buf + 2, 2);
	memcpy(&hdr->len, buf + 4, 4);
	memcpy(&hdr->id, buf + 8, 8);
	if (hdr->version != MG_IPC_VERSION) {
		*why = "protocol version mismatch";
		return MG_ERROR;
	}
	if (!mg_ipc_type_known(hdr->type)) {
		*why = "unknown message type";
		return MG_ERROR;
	}
	if (hdr->len > max) {
		*why = "frame over the size limit";
		return MG_ERROR;
	}
	if (hdr->flags & ~MG_IPC_F_FD) {
		*why = "unknown frame flags";
		return MG_ERROR;
	}
	if (len - MG_IPC_HDR_SIZE < hdr->len)
		return MG_AGAIN;
	return MG_OK;
}

mg_channel_t *
mg_channel_new(int fd, size_t max_frame)
{
	mg_channel_t *ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->fd = fd;
	ch->max_frame = max_frame ? max_frame : MG_IPC_MAX_FRAME;
	ch->in = evbuffer_new();
	ch->out = evbuffer_new();
	if (ch->in == NULL || ch->out == NULL) {
		mg_channel_free(ch);
		return NULL;
	}
	return ch;
}

void
mg_channel_free(mg_channel_t *ch)
{
	if (ch == NULL)
		return;
	for (int i = 0; i < ch->in_nfds; i++)
		close(ch->in_fds[i]);
	for (int i = 0; i < ch->out_nfds; i++)
		close(ch->out_fds[i].fd);
	if (ch->in)
		evbuffer_free(ch->in);
	if (ch->out)
		evbuffer_free(ch->out);
	if (ch->fd >= 0)
		close(ch->fd);
	free(ch);
}

int
mg_channel_fd(const mg_channel_t *ch)
{
	return ch->fd;
}

int
mg_channel_pending(const mg_channel_t *ch)
{
	return evbuffer_get_length(ch->out) > 0;
}

int
mg_channel_send(mg_channel_t *ch, unsigned type, uint64_t id,
    const void *payload, size_t len, int fd)
{
	mg_ipc_part_t part = { payload, len };

	return mg_channel_sendv(ch, type, id, &part, 1, fd);
}

int
mg_channel_sendv(mg_channel_t *ch, unsigned type, uint64_t id,
    const mg_ipc_part_t *parts, size_t n, int fd)
{
	mg_ipc_hdr_t hdr = { MG_IPC_VERSION, 0, (uint16_t)type, 0, id };
	struct evbuffer_iovec vec;
	uint8_t              *p;
	size_t                len = 0;

	for (size_t i = 0; i < n; i++) {
		if (parts[i].len > ch->max_frame - len)
			goto refuse;
		len += parts[i].len;
	}
	if (fd >= 0 && ch->out_nfds == MG_IPC_MAX_FDS)
		goto refuse;
	if (fd >= 0) {
		hdr.flags |= MG_IPC_F_FD;
		ch->out_fds[ch->out_nfds].pos = ch->queued;
		ch->out_fds[ch->out_nfds++].fd = fd;
	}
	hdr.len = (uint32_t)len;
	/* the whole frame in one extent: one copy, one buffer call */
	if (evbuffer_reserve_space(
		ch->out, (ev_ssize_t)(MG_IPC_HDR_SIZE + len), &vec, 1) != 1)
		return MG_ERROR;
	mg_ipc_hdr_encode(&hdr, vec.iov_base);
	p = (uint8_t *)vec.iov_base + MG_IPC_HDR_SIZE;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len > 0) {
			memcpy(p, parts[i].p, parts[i].len);
			p += parts[i].len;
		}
	vec.iov_len = MG_IPC_HDR_SIZE + len;
	if (evbuffer_commit_space(ch->out, &vec, 1) != 0)
		return MG_ERROR;
	ch->queued += MG_IPC_HDR_SIZE + len;
	return MG_OK;
refuse:
	if (fd >= 0)
		close(fd);
	return MG_ERROR;
}

/* One sendmsg: up to the next descriptor's frame, or that frame with it. */
static ssize_t
channel_send_some(mg_channel_t *ch)
{
	struct iovec  iov[16];
	struct msghdr msg = { 0 };
	union {
		struct cmsghdr hdr;
		char           buf[CMSG_SPACE(sizeof(int))];
	} cmsg;
	size_t limit = evbuffer_get_length(ch->out);
	int    n, with_fd = 0;

	if (ch->out_nfds > 0) {
		if (ch->out_fds[0].pos == ch->sent)
			with_fd = 1;
		else
			limit = ch->out_fds[0].pos - ch->sent;
	}
	n = evbuffer_peek(ch->out, (ev_ssize_t)limit, NULL,
	    (struct evbuffer_iovec *)iov, MG_NELEM(iov));
	msg.msg_iov = iov;
	msg.msg_iovlen =
	    (size_t)(n < (int)MG_NELEM(iov) ? n : (int)MG_NELEM(iov));
	/* evbuffer_peek may hand back more than LIMIT in its last vector. */
	{
		size_t total = 0;
		for (size_t i = 0; i < msg.msg_iovlen; i++) {
			if (total + iov[i].iov_len > limit)
				iov[i].iov_len = limit - total;
			total += iov[i].iov_len;
		}
	}
	if (with_fd) {
		memset(&cmsg, 0, sizeof(cmsg));
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = sizeof(cmsg.buf);
		cmsg.hdr.cmsg_level = SOL_SOCKET;
		cmsg.hdr.cmsg_type = SCM_RIGHTS;
		cmsg.hdr.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cmsg.hdr), &ch->out_fds[0].fd, sizeof(int));
	}
	return sendmsg(ch->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int
mg_channel_flush(mg_channel_t *ch)
{
	ssize_t n;
	size_t  was;

	while (evbuffer_get_length(ch->out) > 0) {
		was = ch->sent;
		n = channel_send_some(ch);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return MG_AGAIN;
			return MG_ERROR;
		}
		if (ch->out_nfds > 0 && ch->out_fds[0].pos == was) {
			/* the kernel holds its own reference now */
			close(ch->out_fds[0].fd);
			memmove(&ch->out_fds[0], &ch->out_fds[1],
			    (size_t)--ch->out_nfds * sizeof(ch->out_fds[0]));
		}
		evbuffer_drain(ch->out, (size_t)n);
		ch->sent += (size_t)n;
	}
	return MG_OK;
}

static void
channel_take_fds(mg_channel_t *ch, struct msghdr *msg)
{
	struct cmsghdr *c;
	int             fds[MG_IPC_MAX_FDS];
	size_t          nfds;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfds > MG_NELEM(fds))
			nfds = MG_NELEM(fds);
		memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
		for (size_t i = 0; i < nfds; i++) {
			if (ch->in_nfds < MG_IPC_MAX_FDS)
				ch->in_fds[ch->in_nfds++] = fds[i];
			else
				close(fds[i]);
		}
	}
}

int
mg_channel_read(mg_channel_t *ch)
{
	char          buf[MG_IPC_READ];
	struct iovec  iov = { buf, sizeof(buf) };
	struct msghdr msg = { 0 };
	union {
		struct cmsghdr hdr;
		char           buf[CMSG_SPACE(sizeof(int) * 4)];
	} cmsg;
	ssize_t n;

	for (;;) {
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = sizeof(cmsg.buf);
		n = recvmsg(ch->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return MG_OK;
			return MG_ERROR;
		}
		channel_take_fds(ch, &msg);
		if (n == 0)
			return MG_DECLINED;
		if (evbuffer_add(ch->in, buf, (size_t)n) != 0)
			return MG_ERROR;
		if ((size_t)n < sizeof(buf))
			return MG_OK;
	}
}

int
mg_channel_next(
    mg_channel_t *ch, mg_ipc_hdr_t *hdr, const uint8_t **payload, int *fd)
{
	uint8_t     raw[MG_IPC_HDR_SIZE];
	const char *why = NULL;
	size_t      have;
	int         rc;

	evbuffer_drain(ch->in, ch->consumed);
	ch->consumed = 0;
	*fd = -1;
	have = evbuffer_get_length(ch->in);
	if (evbuffer_copyout(ch->in, raw, sizeof(raw)) <
	    (ev_ssize_t)sizeof(raw))
		return MG_AGAIN;
	rc = mg_ipc_hdr_decode(raw, have, ch->max_frame, hdr, &why);
	if (rc == MG_ERROR) {
		mg_error(
		    "bad frame on channel %d: %s (version %u, type 0x%04x, "
		    "length %u)",
		    ch->fd, why, hdr->version, hdr->type, hdr->len);
		return MG_ERROR;
	}
	if (rc == MG_AGAIN)
		return MG_AGAIN;
	if (hdr->flags & MG_IPC_F_FD) {
		if (ch->in_nfds == 0) {
			mg_error("bad frame on channel %d: %s frame without "
				 "its descriptor",
			    ch->fd, mg_ipc_type_name(hdr->type));
			return MG_ERROR;
		}
		*fd = ch->in_fds[0];
		memmove(&ch->in_fds[0], &ch->in_fds[1],
		    (size_t)--ch->in_nfds * sizeof(int));
	}
	ch->consumed = MG_IPC_HDR_SIZE + hdr->len;
	*payload =
	    evbuffer_pullup(ch->in, (ev_ssize_t)ch->consumed) + MG_IPC_HDR_SIZE;
	return MG_OK;
}
