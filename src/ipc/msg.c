/*
 * Every IPC payload, packed and unpacked in one place (msg.h says why).
 *
 * The layout of a payload is its fixed fields in the order they are
 * read, host byte order, no padding, then its variable parts in order,
 * each of a length given by a fixed field: every byte is accounted for,
 * so a payload with bytes missing or left over is refused.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "msg.h"

/* Reads a payload field by field; a read past its end sets BAD, yields
 * zeros and leaves nothing more to read, so a caller checks once, at
 * the end (reader_end).  Inline: REQ is read on every proxied call. */
typedef struct {
	const uint8_t *p;
	size_t         len, off;
	int            bad;
} reader_t;

static inline void
get(reader_t *r, void *dst, size_t n)
{
	if (n > r->len - r->off) {
		r->bad = 1;
		r->off = r->len;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

#define GETTER(name, type)                                                     \
	static inline type name(reader_t *r)                                   \
	{                                                                      \
		type v;                                                        \
                                                                               \
		get(r, &v, sizeof(v));                                         \
		return v;                                                      \
	}

GETTER(get_u8, uint8_t)
GETTER(get_u16, uint16_t)
GETTER(get_u32, uint32_t)
GETTER(get_i32, int32_t)
GETTER(get_u64, uint64_t)

/* N bytes in place (N, not more than MAX). */
static const uint8_t *
get_bytes(reader_t *r, size_t n, size_t max)
{
	const uint8_t *p = r->p + r->off;

	if (n > max || n > r->len - r->off) {
		r->bad = 1;
		r->off = r->len;
		return (const uint8_t *)"";
	}
	r->off += n;
	return p;
}

static mg_msg_text_t
get_text(reader_t *r, size_t n, size_t max)
{
	const uint8_t *p = get_bytes(r, n, max);

	return (mg_msg_text_t){ (const char *)p, r->bad ? 0 : n };
}

/* OpenSMTPD's m_end: every field read, and nothing left over. */
static int
reader_end(const reader_t *r)
{
	return !r->bad && r->off == r->len ? MG_OK : MG_ERROR;
}

static void
put(mg_msg_out_t *o, const void *v, size_t n)
{
	memcpy(o->fixed + o->nfixed, v, n);
	o->nfixed += n;
}

#define PUT(o, type, v)                                                        \
	do {                                                                   \
		type v_ = (type)(v);                                           \
		put(o, &v_, sizeof(v_));                                       \
	} while (0)

static void
add_part(mg_msg_out_t *o, const void *p, size_t len)
{
	o->part[o->n++] = (mg_ipc_part_t){ p, len };
}

/* ---- payloads, one pack and one unpack each -------------------------- */

static int
pack_none(mg_msg_out_t *o, const mg_msg_t *m)
{
	(void)o, (void)m;
	return MG_OK;
}

static void
unpack_none(reader_t *r, mg_msg_t *m)
{
	(void)r, (void)m;
}

/* LINK, HELLO, WELCOME: i32 slot, i32 generation. */
static int
pack_link(mg_msg_out_t *o, const mg_msg_t *m)
{
	PUT(o, int32_t, m->link.slot);
	PUT(o, int32_t, m->link.generation);
	return MG_OK;
}

static void
unpack_link(reader_t *r, mg_msg_t *m)
{
	m->link.slot = get_i32(r);
	m->link.generation = get_i32(r);
}

/* REOPEN: i32 index, -1 for the error log. */
static int
pack_reopen(mg_msg_out_t *o, const mg_msg_t *m)
{
	if (m->reopen.index < -1)
		return MG_ERROR;
	PUT(o, int32_t, m->reopen.index);
	return MG_OK;
}

static void
unpack_reopen(reader_t *r, mg_msg_t *m)
{
	m->reopen.index = get_i32(r);
	if (m->reopen.index < -1)
		r->bad = 1;
}

/*
 * REQ: u8 method, u8 flags, u16 hops, i32 upstream, u16 sid, u16 version,
 * u16 init, u16 lei, u32 body, u16 headers, u32 token (the parts'
 * lengths), u64 session, MG_PARK_KEY bytes of park key, i64 token exp;
 * then the parts in that order (an empty token is no part at all; PRE,
 * if any, goes as the start of the headers).
 */
static int
pack_req(mg_msg_out_t *o, const mg_msg_t *m)
{
	static const uint8_t nokey[MG_PARK_KEY];
	const mg_msg_req_t  *q = &m->req;

	if (q->sid.len >= MG_UP_SID_MAX ||
	    q->version.len > MG_MSG_VERSION_MAX ||
	    q->init.len > MG_MSG_TEXT16_MAX || q->lei.len > MG_MSG_LEI_MAX ||
	    q->body.len > UINT32_MAX ||
	    q->pre.len + q->headers.len > MG_MSG_TEXT16_MAX ||
	    q->token.len > MG_MSG_TOKEN_MAX)
		return MG_ERROR;
	PUT(o, uint8_t, q->method);
	PUT(o, uint8_t, q->flags);
	PUT(o, uint16_t, q->hops);
	PUT(o, int32_t, q->upstream);
	PUT(o, uint16_t, q->sid.len);
	PUT(o, uint16_t, q->version.len);
	PUT(o, uint16_t, q->init.len);
	PUT(o, uint16_t, q->lei.len);
	PUT(o, uint32_t, q->body.len);
	PUT(o, uint16_t, q->pre.len + q->headers.len);
	PUT(o, uint32_t, q->token.len);
	PUT(o, uint64_t, q->session);
	put(o, q->park ? q->park : nokey, MG_PARK_KEY);
	PUT(o, int64_t, q->token_exp);
	add_part(o, q->sid.p, q->sid.len);
	add_part(o, q->version.p, q->version.len);
	add_part(o, q->init.p, q->init.len);
	add_part(o, q->body.p, q->body.len);
	add_part(o, q->lei.p, q->lei.len);
	if (q->pre.len > 0)
		add_part(o, q->pre.p, q->pre.len);
	add_part(o, q->headers.p, q->headers.len);
	if (q->token.len > 0)
		add_part(o, q->token.p, q->token.len);
	return MG_OK;
}

static void
unpack_req(reader_t *r, mg_msg_t *m)
{
	mg_msg_req_t *q = &m->req;
	size_t        sid, ver, init, lei, body, hdrs, tok;

	q->method = get_u8(r);
	q->flags = get_u8(r);
	q->hops = get_u16(r);
	q->upstream = get_i32(r);
	sid = get_u16(r);
	ver = get_u16(r);
	init = get_u16(r);
	lei = get_u16(r);
	body = get_u32(r);
	hdrs = get_u16(r);
	tok = get_u32(r);
	q->session = get_u64(r);
	q->park = get_bytes(r, MG_PARK_KEY, MG_PARK_KEY);
	q->token_exp = (int64_t)get_u64(r);
	q->sid = get_text(r, sid, MG_UP_SID_MAX - 1);
	q->version = get_text(r, ver, MG_MSG_VERSION_MAX);
	q->init = get_text(r, init, SIZE_MAX);
	q->body = get_text(r, body, SIZE_MAX);
	q->lei = get_text(r, lei, MG_MSG_LEI_MAX);
	q->headers = get_text(r, hdrs, SIZE_MAX);
	q->token = get_text(r, tok, MG_MSG_TOKEN_MAX);
	q->pre = (mg_msg_text_t){ NULL, 0 }; /* read as part of HEADERS */
}

/* RESP_HEAD, PEER_HEAD: i32 status, u8 kind, u16 sid, u16 version (the
 * lengths), i64 us, u8 addr (its length); then the session id, the
 * version and the address. */
static int
pack_head(mg_msg_out_t *o, const mg_msg_t *m)
{
	const mg_msg_head_t *h = &m->head;

	if (h->sid.len >= MG_UP_SID_MAX ||
	    h->version.len > MG_MSG_VERSION_MAX || h->kind > MG_RESP_SSE ||
	    h->addr.len > MG_MSG_ADDR_MAX)
		return MG_ERROR;
	PUT(o, int32_t, h->status);
	PUT(o, uint8_t, h->kind);
	PUT(o, uint16_t, h->sid.len);
	PUT(o, uint16_t, h->version.len);
	PUT(o, int64_t, h->us);
	PUT(o, uint8_t, h->addr.len);
	add_part(o, h->sid.p, h->sid.len);
	add_part(o, h->version.p, h->version.len);
	add_part(o, h->addr.p, h->addr.len);
	return MG_OK;
}

static void
unpack_head(reader_t *r, mg_msg_t *m)
{
	mg_msg_head_t *h = &m->head;
	size_t         sid, ver, addr;

	h->status = get_i32(r);
	h->kind = get_u8(r);
	sid = get_u16(r);
	ver = get_u16(r);
	h->us = (int64_t)get_u64(r);
	addr = get_u8(r);
	h->sid = get_text(r, sid, MG_UP_SID_MAX - 1);
	h->version = get_text(r, ver, MG_MSG_VERSION_MAX);
	h->addr = get_text(r, addr, MG_MSG_ADDR_MAX);
	if (h->kind > MG_RESP_SSE)
		r->bad = 1;
}

/* RESP_DATA: u32 length, the message. */
static int
pack_data(mg_msg_out_t *o, const mg_msg_t *m)
{
	if (m->data.msg.len > UINT32_MAX)
		return MG_ERROR;
	PUT(o, uint32_t, m->data.msg.len);
	add_part(o, m->data.msg.p, m->data.msg.len);
	return MG_OK;
}

static void
unpack_data(reader_t *r, mg_msg_t *m)
{
	m->data.msg = get_text(r, get_u32(r), SIZE_MAX);
}

/* RESP_EVENT, PEER_EVENT: i32 retry, u8 has_id, u16 id, u32 data (the
 * lengths); then the id and the data. */
static int
pack_event(mg_msg_out_t *o, const mg_msg_t *m)
{
	const mg_msg_event_t *e = &m->event;

	if (e->has_id > 1 || (!e->has_id && e->id.len > 0) ||
	    e->id.len > MG_MSG_EVENT_ID_MAX || e->data.len > UINT32_MAX)
		return MG_ERROR;
	PUT(o, int32_t, e->retry);
	PUT(o, uint8_t, e->has_id);
	PUT(o, uint16_t, e->id.len);
	PUT(o, uint32_t, e->data.len);
	add_part(o, e->id.p, e->id.len);
	add_part(o, e->data.p, e->data.len);
	return MG_OK;
}

static void
unpack_event(reader_t *r, mg_msg_t *m)
{
	mg_msg_event_t *e = &m->event;
	size_t          id, data;

	e->retry = get_i32(r);
	e->has_id = get_u8(r);
	id = get_u16(r);
	data = get_u32(r);
	e->id = get_text(r, id, MG_MSG_EVENT_ID_MAX);
	e->data = get_text(r, data, SIZE_MAX);
	if (e->has_id > 1 || (!e->has_id && id > 0))
		r->bad = 1;
}

/* RESP_END, PEER_END: i32 code, u16 length, the message. */
static int
pack_end(mg_msg_out_t *o, const mg_msg_t *m)
{
	if (m->end.message.len > MG_MSG_END_MAX)
		return MG_ERROR;
	PUT(o, int32_t, m->end.code);
	PUT(o, uint16_t, m->end.message.len);
	add_part(o, m->end.message.p, m->end.message.len);
	return MG_OK;
}

static void
unpack_end(reader_t *r, mg_msg_t *m)
{
	m->end.code = get_i32(r);
	m->end.message = get_text(r, get_u16(r), MG_MSG_END_MAX);
}

/* CANCEL, ANSWER, their _FWD, NOTIFY_FWD: u64 session, u32 length, the
 * text (a cancel's id: at most MG_MSG_CANCEL_ID_MAX). */
static int
pack_note_max(mg_msg_out_t *o, const mg_msg_t *m, size_t max)
{
	if (m->note.text.len > max)
		return MG_ERROR;
	PUT(o, uint64_t, m->note.session);
	PUT(o, uint32_t, m->note.text.len);
	add_part(o, m->note.text.p, m->note.text.len);
	return MG_OK;
}

static int
pack_note(mg_msg_out_t *o, const mg_msg_t *m)
{
	return pack_note_max(o, m, UINT32_MAX);
}

static int
pack_cancel(mg_msg_out_t *o, const mg_msg_t *m)
{
	return pack_note_max(o, m, MG_MSG_CANCEL_ID_MAX);
}

static void
unpack_note(reader_t *r, mg_msg_t *m)
{
	m->note.session = get_u64(r);
	m->note.text = get_text(r, get_u32(r), SIZE_MAX);
}

static void
unpack_cancel(reader_t *r, mg_msg_t *m)
{
	m->note.session = get_u64(r);
	m->note.text = get_text(r, get_u32(r), MG_MSG_CANCEL_ID_MAX);
}

/* RESUME, RESUME_FWD: i32 slot, u32 seq, u64 session, u64 stream. */
static int
pack_resume(mg_msg_out_t *o, const mg_msg_t *m)
{
	PUT(o, int32_t, m->resume.slot);
	PUT(o, uint32_t, m->resume.seq);
	PUT(o, uint64_t, m->resume.session);
	PUT(o, uint64_t, m->resume.stream);
	return MG_OK;
}

static void
unpack_resume(reader_t *r, mg_msg_t *m)
{
	m->resume.slot = get_i32(r);
	m->resume.seq = get_u32(r);
	m->resume.session = get_u64(r);
	m->resume.stream = get_u64(r);
}

/* PARK: MG_PARK_KEY bytes of key. */
static int
pack_park(mg_msg_out_t *o, const mg_msg_t *m)
{
	put(o, m->park.key, MG_PARK_KEY);
	return MG_OK;
}

static void
unpack_park(reader_t *r, mg_msg_t *m)
{
	m->park.key = get_bytes(r, MG_PARK_KEY, MG_PARK_KEY);
}

/* JWKS, KID_UNKNOWN: i32 block, u32 length, the text (a document of at
 * most MG_MSG_JWKS_MAX, a kid of at most MG_MSG_KID_MAX). */
static int
pack_keys_max(mg_msg_out_t *o, const mg_msg_t *m, size_t max)
{
	if (m->keys.block < 0 || m->keys.text.len > max)
		return MG_ERROR;
	PUT(o, int32_t, m->keys.block);
	PUT(o, uint32_t, m->keys.text.len);
	add_part(o, m->keys.text.p, m->keys.text.len);
	return MG_OK;
}

static void
unpack_keys_max(reader_t *r, mg_msg_t *m, size_t max)
{
	m->keys.block = get_i32(r);
	m->keys.text = get_text(r, get_u32(r), max);
	if (m->keys.block < 0)
		r->bad = 1;
}

static int
pack_jwks(mg_msg_out_t *o, const mg_msg_t *m)
{
	return pack_keys_max(o, m, MG_MSG_JWKS_MAX);
}

static void
unpack_jwks(reader_t *r, mg_msg_t *m)
{
	unpack_keys_max(r, m, MG_MSG_JWKS_MAX);
}

static int
pack_kid(mg_msg_out_t *o, const mg_msg_t *m)
{
	return pack_keys_max(o, m, MG_MSG_KID_MAX);
}

static void
unpack_kid(reader_t *r, mg_msg_t *m)
{
	unpack_keys_max(r, m, MG_MSG_KID_MAX);
}

/* ---- one row per type ------------------------------------------------ */

typedef struct {
	int (*pack)(mg_msg_out_t *o, const mg_msg_t *m);
	void (*unpack)(reader_t *r, mg_msg_t *m);
} codec_t;

#define NONE                                                                   \
	{                                                                      \
		pack_none, unpack_none                                         \
	}
#define ROW(x)                                                                 \
	{                                                                      \
		pack_##x, unpack_##x                                           \
	}

static const codec_t control[] = {
	[MG_MSG_READY - MG_MSG_CONTROL_FIRST] = NONE,
	[MG_MSG_QUIT - MG_MSG_CONTROL_FIRST] = NONE,
	[MG_MSG_TERMINATE - MG_MSG_CONTROL_FIRST] = NONE,
	[MG_MSG_REOPEN - MG_MSG_CONTROL_FIRST] = ROW(reopen),
	[MG_MSG_LINK - MG_MSG_CONTROL_FIRST] = ROW(link),
};

static const codec_t upstream[] = {
	[MG_MSG_HELLO - MG_MSG_UPSTREAM_FIRST] = ROW(link),
	[MG_MSG_CANCEL - MG_MSG_UPSTREAM_FIRST] = ROW(cancel),
	[MG_MSG_REQ - MG_MSG_UPSTREAM_FIRST] = ROW(req),
	[MG_MSG_REQ_CANCEL - MG_MSG_UPSTREAM_FIRST] = NONE,
	[MG_MSG_RESUME - MG_MSG_UPSTREAM_FIRST] = ROW(resume),
	[MG_MSG_PEER_HEAD - MG_MSG_UPSTREAM_FIRST] = ROW(head),
	[MG_MSG_PEER_EVENT - MG_MSG_UPSTREAM_FIRST] = ROW(event),
	[MG_MSG_PEER_END - MG_MSG_UPSTREAM_FIRST] = ROW(end),
	[MG_MSG_ANSWER - MG_MSG_UPSTREAM_FIRST] = ROW(note),
	[MG_MSG_PARK - MG_MSG_UPSTREAM_FIRST] = ROW(park),
	[MG_MSG_KID_UNKNOWN - MG_MSG_UPSTREAM_FIRST] = ROW(kid),
};

static const codec_t downstream[] = {
	[MG_MSG_WELCOME - MG_MSG_DOWNSTREAM_FIRST] = ROW(link),
	[MG_MSG_CANCEL_FWD - MG_MSG_DOWNSTREAM_FIRST] = ROW(cancel),
	[MG_MSG_RESP_HEAD - MG_MSG_DOWNSTREAM_FIRST] = ROW(head),
	[MG_MSG_RESP_DATA - MG_MSG_DOWNSTREAM_FIRST] = ROW(data),
	[MG_MSG_RESP_END - MG_MSG_DOWNSTREAM_FIRST] = ROW(end),
	[MG_MSG_RESP_EVENT - MG_MSG_DOWNSTREAM_FIRST] = ROW(event),
	[MG_MSG_RESUME_FWD - MG_MSG_DOWNSTREAM_FIRST] = ROW(resume),
	[MG_MSG_PEER_CANCEL - MG_MSG_DOWNSTREAM_FIRST] = NONE,
	[MG_MSG_ANSWER_FWD - MG_MSG_DOWNSTREAM_FIRST] = ROW(note),
	[MG_MSG_NOTIFY_FWD - MG_MSG_DOWNSTREAM_FIRST] = ROW(note),
	[MG_MSG_JWKS - MG_MSG_DOWNSTREAM_FIRST] = ROW(jwks),
};

/* Every known type has its row (a type added to the enum without one
 * fails to build). */
_Static_assert(MG_NELEM(control) == MG_MSG_CONTROL_LAST - MG_MSG_CONTROL_FIRST,
    "a control row missing");
_Static_assert(
    MG_NELEM(upstream) == MG_MSG_UPSTREAM_LAST - MG_MSG_UPSTREAM_FIRST,
    "an upstream row missing");
_Static_assert(
    MG_NELEM(downstream) == MG_MSG_DOWNSTREAM_LAST - MG_MSG_DOWNSTREAM_FIRST,
    "a downstream row missing");

static const codec_t *
codec_of(unsigned type)
{
	static const struct {
		const codec_t *rows;
		size_t         n;
	} ranges[] = { { control, MG_NELEM(control) },
		{ upstream, MG_NELEM(upstream) },
		{ downstream, MG_NELEM(downstream) } };
	unsigned range = (type >> 8) - 1, i = type & 0xff;

	if (range >= MG_NELEM(ranges) || i >= ranges[range].n ||
	    ranges[range].rows[i].pack == NULL)
		return NULL;
	return &ranges[range].rows[i];
}

int
mg_msg_pack(const mg_msg_t *m, mg_msg_out_t *out)
{
	const codec_t *c = codec_of(m->type);
	size_t         len;

	out->n = 1;
	out->nfixed = 0;
	if (c == NULL || c->pack(out, m) != MG_OK)
		return MG_ERROR;
	out->part[0] = (mg_ipc_part_t){ out->fixed, out->nfixed };
	len = out->nfixed;
	for (size_t i = 1; i < out->n; i++) {
		if (out->part[i].len > MG_IPC_MAX_FRAME - len)
			return MG_ERROR;
		len += out->part[i].len;
	}
	return MG_OK;
}

int
mg_msg_unpack(unsigned type, const uint8_t *p, size_t len, mg_msg_t *m)
{
	const codec_t *c = codec_of(type);
	reader_t       r = { p, len, 0, 0 };

	m->type = type;
	if (c == NULL)
		return MG_ERROR;
	c->unpack(&r, m);
	return reader_end(&r);
}

const char *
mg_msg_cstr(mg_msg_text_t t, char *buf, size_t size)
{
	size_t n = t.len < size ? t.len : size - 1;

	if (n > 0)
		memcpy(buf, t.p, n);
	buf[n] = '\0';
	return buf;
}

int
mg_msg_send(mg_channel_t *ch, uint64_t id, const mg_msg_t *m, int fd)
{
	mg_msg_out_t out;

	if (mg_msg_pack(m, &out) != MG_OK) {
		if (fd >= 0)
			close(fd);
		return MG_ERROR;
	}
	return mg_channel_sendv(ch, m->type, id, out.part, out.n, fd);
}
