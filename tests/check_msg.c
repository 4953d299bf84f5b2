/*
 * The message codec (msg.c): every type packs and unpacks back to itself;
 * cut short at every byte, or with bytes left over, it is refused, and
 * never read past (each payload lies in a heap block of its exact size,
 * so a sanitizer build sees any read beyond it).  And a link closes on a
 * frame its codec refuses, naming the type.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "link.h"
#include "msg.h"
#include "suites.h"

static const uint8_t key[MG_PARK_KEY] = "0123456789abcdef";

#define TEXT(s) ((mg_msg_text_t){ s, sizeof(s) - 1 })

/* A message of TYPE with every field set and every part non-empty. */
static mg_msg_t
sample(unsigned type)
{
	mg_msg_t m = { .type = type };

	switch (type) {
	case MG_MSG_REOPEN: m.reopen.index = 3; break;
	case MG_MSG_LINK:
	case MG_MSG_HELLO:
	case MG_MSG_WELCOME: m.link = (mg_msg_link_t){ 5, 77 }; break;
	case MG_MSG_REQ:
		m.req =
		    (mg_msg_req_t){ 3, MG_REQ_F_INITIALIZE | MG_REQ_F_RESUME, 2,
			    1, 0x1122334455667788ull, key, TEXT("sid-1"),
			    TEXT("2025-06-18"), TEXT("{\"i\":1}"),
			    TEXT("{\"jsonrpc\":\"2.0\"}"), TEXT("ev-9"),
			    TEXT("Mcp-Method: x\r\n"), TEXT("eyJ.client.tok"),
			    1767225600, TEXT("traceparent: t\r\n") };
		break;
	case MG_MSG_RESP_HEAD:
	case MG_MSG_PEER_HEAD:
		m.head = (mg_msg_head_t){ 200, MG_RESP_SSE, TEXT("abc"),
			TEXT("2025-03-26"), 1234567, TEXT("127.0.0.1:9000") };
		break;
	case MG_MSG_RESP_DATA: m.data.msg = TEXT("{\"result\":{}}"); break;
	case MG_MSG_RESP_EVENT:
	case MG_MSG_PEER_EVENT:
		m.event = (mg_msg_event_t){ 1500, 1, TEXT("s1-4"),
			TEXT("{\"a\":1}") };
		break;
	case MG_MSG_RESP_END:
	case MG_MSG_PEER_END:
		m.end = (mg_msg_end_t){ -32000, TEXT("gone") };
		break;
	case MG_MSG_CANCEL:
	case MG_MSG_CANCEL_FWD:
	case MG_MSG_ANSWER:
	case MG_MSG_ANSWER_FWD:
	case MG_MSG_NOTIFY_FWD:
		m.note = (mg_msg_note_t){ 42, TEXT("\"req-7\"") };
		break;
	case MG_MSG_RESUME:
	case MG_MSG_RESUME_FWD:
		m.resume = (mg_msg_resume_t){ 1, 9, 0xabcdefull, 0x10002ull };
		break;
	case MG_MSG_PARK: m.park.key = key; break;
	case MG_MSG_JWKS:
		m.keys = (mg_msg_keys_t){ 2, TEXT("{\"keys\":[]}") };
		break;
	case MG_MSG_KID_UNKNOWN:
		m.keys = (mg_msg_keys_t){ 1, TEXT("2024-rotated") };
		break;
	default: break; /* no payload */
	}
	return m;
}

/* M packed, in one heap block of its exact size; *LEN its size. */
static uint8_t *
flatten(const mg_msg_t *m, size_t *len)
{
	mg_msg_out_t out;
	uint8_t     *buf;

	ck_assert_int_eq(mg_msg_pack(m, &out), MG_OK);
	*len = 0;
	for (size_t i = 0; i < out.n; i++)
		*len += out.part[i].len;
	buf = malloc(*len ? *len : 1);
	ck_assert_ptr_nonnull(buf);
	*len = 0;
	for (size_t i = 0; i < out.n; i++) {
		if (out.part[i].len > 0)
			memcpy(buf + *len, out.part[i].p, out.part[i].len);
		*len += out.part[i].len;
	}
	return buf;
}

/* The first LEN bytes of P (or P and PAD bytes more) in a block of
 * exactly that size. */
static uint8_t *
copy_of(const uint8_t *p, size_t len, size_t pad)
{
	uint8_t *b = malloc(len + pad ? len + pad : 1);

	ck_assert_ptr_nonnull(b);
	if (len > 0)
		memcpy(b, p, len);
	memset(b + len, 0, pad);
	return b;
}

/* Every type this build knows, by walking its three ranges. */
static size_t
all_types(unsigned *types, size_t max)
{
	static const unsigned ranges[][2] = {
		{ MG_MSG_CONTROL_FIRST, MG_MSG_CONTROL_LAST },
		{ MG_MSG_UPSTREAM_FIRST, MG_MSG_UPSTREAM_LAST },
		{ MG_MSG_DOWNSTREAM_FIRST, MG_MSG_DOWNSTREAM_LAST },
	};
	size_t n = 0;

	for (size_t r = 0; r < MG_NELEM(ranges); r++)
		for (unsigned t = ranges[r][0]; t < ranges[r][1]; t++) {
			ck_assert_uint_lt(n, max);
			types[n++] = t;
		}
	return n;
}

START_TEST(every_type_round_trips)
{
	unsigned types[64];
	size_t   n = all_types(types, MG_NELEM(types));

	for (size_t i = 0; i < n; i++) {
		mg_msg_t m = sample(types[i]), back;
		size_t   len, again_len;
		uint8_t *p = flatten(&m, &len), *again;

		ck_assert_msg(mg_msg_unpack(types[i], p, len, &back) == MG_OK,
		    "%s does not unpack", mg_ipc_type_name(types[i]));
		ck_assert_uint_eq(back.type, types[i]);
		/* what came back packs to the same bytes: every field */
		again = flatten(&back, &again_len);
		ck_assert_uint_eq(again_len, len);
		ck_assert_msg(len == 0 || memcmp(again, p, len) == 0,
		    "%s comes back otherwise", mg_ipc_type_name(types[i]));
		free(again);
		free(p);
	}
}
END_TEST

START_TEST(round_trip_fields)
{
	mg_msg_t m = sample(MG_MSG_REQ), back;
	size_t   len;
	uint8_t *p = flatten(&m, &len);

	ck_assert_int_eq(mg_msg_unpack(MG_MSG_REQ, p, len, &back), MG_OK);
	ck_assert_uint_eq(back.req.method, 3);
	ck_assert_uint_eq(
	    back.req.flags, MG_REQ_F_INITIALIZE | MG_REQ_F_RESUME);
	ck_assert_uint_eq(back.req.hops, 2);
	ck_assert_int_eq(back.req.upstream, 1);
	ck_assert(back.req.session == 0x1122334455667788ull);
	ck_assert(memcmp(back.req.park, key, MG_PARK_KEY) == 0);
	ck_assert(
	    back.req.sid.len == 5 && memcmp(back.req.sid.p, "sid-1", 5) == 0);
	/* the lines packed before the headers come back as their start */
	ck_assert(back.req.headers.len == 31 &&
	    memcmp(back.req.headers.p, "traceparent: t\r\nMcp-Method: x\r\n",
		31) == 0);
	ck_assert_uint_eq(back.req.pre.len, 0);
	ck_assert(back.req.token.len == 14 &&
	    memcmp(back.req.token.p, "eyJ.client.tok", 14) == 0);
	ck_assert(back.req.token_exp == 1767225600);
	/* parts point into the frame: nothing copied */
	ck_assert((const uint8_t *)back.req.body.p > p &&
	    (const uint8_t *)back.req.body.p + back.req.body.len <= p + len);
	free(p);

	m = sample(MG_MSG_RESP_EVENT);
	p = flatten(&m, &len);
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_RESP_EVENT, p, len, &back), MG_OK);
	ck_assert_int_eq(back.event.retry, 1500);
	ck_assert_uint_eq(back.event.has_id, 1);
	ck_assert(
	    back.event.id.len == 4 && memcmp(back.event.id.p, "s1-4", 4) == 0);
	ck_assert(back.event.data.len == 7);
	free(p);
}
END_TEST

START_TEST(every_type_refuses_short_and_long)
{
	unsigned types[64];
	size_t   n = all_types(types, MG_NELEM(types));

	for (size_t i = 0; i < n; i++) {
		mg_msg_t m = sample(types[i]), back;
		size_t   len;
		uint8_t *p = flatten(&m, &len), *b;

		for (size_t cut = 0; cut < len; cut++) {
			b = copy_of(p, cut, 0);
			ck_assert_msg(
			    mg_msg_unpack(types[i], b, cut, &back) == MG_ERROR,
			    "%s cut to %zu of %zu bytes is taken",
			    mg_ipc_type_name(types[i]), cut, len);
			free(b);
		}
		for (size_t pad = 1; pad <= 8; pad++) {
			b = copy_of(p, len, pad);
			ck_assert_msg(mg_msg_unpack(types[i], b, len + pad,
					  &back) == MG_ERROR,
			    "%s with %zu bytes more is taken",
			    mg_ipc_type_name(types[i]), pad);
			free(b);
		}
		free(p);
	}
}
END_TEST

/* Lengths that claim more than is there, at their limit and past it. */
START_TEST(refuses_bad_fields)
{
	mg_msg_t back;
	uint8_t  head[] = { 200, 0, 0, 0, 3 /* kind */, 0, 0, 0, 0, 0, 0, 0, 0,
		 0, 0, 0, 0, 0 /* addr */, 'x' };
	uint8_t  event[] = { 0, 0, 0, 0, 2 /* has_id */, 0, 0, 0, 0, 0, 0 };
	uint8_t  noid[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 'x' };
	int32_t  minus = -2;

	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_RESP_HEAD, head, sizeof(head), &back),
	    MG_ERROR);
	head[4] = MG_RESP_SSE;
	/* a byte past the parts: refused; counted as the address: taken */
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_RESP_HEAD, head, sizeof(head), &back),
	    MG_ERROR);
	head[17] = 1;
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_RESP_HEAD, head, sizeof(head), &back), MG_OK);
	ck_assert_uint_eq(back.head.addr.len, 1);
	ck_assert_int_eq(back.head.addr.p[0], 'x');
	head[17] = 2; /* more than is there */
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_RESP_HEAD, head, sizeof(head), &back),
	    MG_ERROR);
	head[17] = 1;
	ck_assert_int_eq(mg_msg_unpack(MG_MSG_RESP_HEAD, head, 17, &back),
	    MG_ERROR); /* cut before its address length */
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_RESP_EVENT, event, sizeof(event), &back),
	    MG_ERROR);
	/* an id without has_id */
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_RESP_EVENT, noid, sizeof(noid), &back),
	    MG_ERROR);
	ck_assert_int_eq(mg_msg_unpack(MG_MSG_REOPEN, (uint8_t *)&minus,
			     sizeof(minus), &back),
	    MG_ERROR);
	minus = -1; /* the error log */
	ck_assert_int_eq(mg_msg_unpack(MG_MSG_REOPEN, (uint8_t *)&minus,
			     sizeof(minus), &back),
	    MG_OK);
	ck_assert_int_eq(back.reopen.index, -1);
	ck_assert_int_eq(mg_msg_unpack(0x0999, NULL, 0, &back), MG_ERROR);
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_CONTROL_LAST, NULL, 0, &back), MG_ERROR);
}
END_TEST

/* What a receiver could not hold is never packed. */
START_TEST(pack_refuses_over_limits)
{
	static char   big[2048];
	mg_msg_t      m;
	mg_msg_out_t  out;
	mg_msg_text_t t;

	memset(big, 'x', sizeof(big));
	m = sample(MG_MSG_REQ);
	m.req.sid = (mg_msg_text_t){ big, MG_UP_SID_MAX };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m.req.sid.len = MG_UP_SID_MAX - 1;
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_OK);
	m.req.version = (mg_msg_text_t){ big, MG_MSG_VERSION_MAX + 1 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m = sample(MG_MSG_REQ);
	m.req.lei = (mg_msg_text_t){ big, MG_MSG_LEI_MAX + 1 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m = sample(MG_MSG_REQ);
	m.req.token.len = MG_MSG_TOKEN_MAX + 1; /* never read: refused */
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	/* no token: no part at all, and it comes back empty */
	m.req.token = (mg_msg_text_t){ NULL, 0 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_OK);
	ck_assert_uint_eq(out.n, MG_MSG_PARTS - 1);

	m = sample(MG_MSG_CANCEL);
	t = (mg_msg_text_t){ big, MG_MSG_CANCEL_ID_MAX + 1 };
	m.note.text = t;
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m.type = MG_MSG_ANSWER; /* an answer may be longer */
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_OK);

	m = sample(MG_MSG_RESP_END);
	m.end.message = (mg_msg_text_t){ big, MG_MSG_END_MAX + 1 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m = sample(MG_MSG_RESP_EVENT);
	m.event.id = (mg_msg_text_t){ big, MG_MSG_EVENT_ID_MAX + 1 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m = sample(MG_MSG_RESP_HEAD);
	m.head.version = (mg_msg_text_t){ big, MG_MSG_VERSION_MAX + 1 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m = sample(MG_MSG_RESP_HEAD);
	m.head.addr = (mg_msg_text_t){ big, MG_MSG_ADDR_MAX + 1 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m.head.addr.len = MG_MSG_ADDR_MAX;
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_OK);
	m = (mg_msg_t){ .type = 0x0999 };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
}
END_TEST

/* JWKS and KID_UNKNOWN: a block index, a set up to 1 MiB, a kid up to
 * 255 bytes; a negative block is refused both ways. */
START_TEST(keys_fields_and_limits)
{
	static char  big[MG_MSG_JWKS_MAX + 1];
	mg_msg_t     m = sample(MG_MSG_JWKS), back;
	mg_msg_out_t out;
	uint8_t     *p;
	size_t       len;
	uint8_t      neg[] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };

	p = flatten(&m, &len);
	ck_assert_int_eq(mg_msg_unpack(MG_MSG_JWKS, p, len, &back), MG_OK);
	ck_assert_int_eq(back.keys.block, 2);
	ck_assert(back.keys.text.len == 11 &&
	    memcmp(back.keys.text.p, "{\"keys\":[]}", 11) == 0);
	free(p);
	m.keys.text = (mg_msg_text_t){ NULL, 0 }; /* no set: expired */
	p = flatten(&m, &len);
	ck_assert_int_eq(mg_msg_unpack(MG_MSG_JWKS, p, len, &back), MG_OK);
	ck_assert_uint_eq(back.keys.text.len, 0);
	free(p);

	memset(big, 'x', sizeof(big));
	m.keys.text = (mg_msg_text_t){ big, MG_MSG_JWKS_MAX };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_OK);
	m.keys.text.len++;
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m = sample(MG_MSG_KID_UNKNOWN);
	m.keys.text = (mg_msg_text_t){ big, MG_MSG_KID_MAX };
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_OK);
	m.keys.text.len++;
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	m = sample(MG_MSG_KID_UNKNOWN);
	m.keys.block = -1;
	ck_assert_int_eq(mg_msg_pack(&m, &out), MG_ERROR);
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_KID_UNKNOWN, neg, sizeof(neg), &back),
	    MG_ERROR);
	ck_assert_int_eq(
	    mg_msg_unpack(MG_MSG_JWKS, neg, sizeof(neg), &back), MG_ERROR);
	/* a kid that claims more than KID_MAX is refused */
	{
		uint8_t  long_kid[8 + MG_MSG_KID_MAX + 1] = { 0 };
		uint32_t n = MG_MSG_KID_MAX + 1;

		memcpy(long_kid + 4, &n, 4);
		ck_assert_int_eq(mg_msg_unpack(MG_MSG_KID_UNKNOWN, long_kid,
				     sizeof(long_kid), &back),
		    MG_ERROR);
	}
}
END_TEST

START_TEST(cstr_cuts)
{
	char buf[4];

	ck_assert_str_eq(mg_msg_cstr(TEXT("ab"), buf, sizeof(buf)), "ab");
	ck_assert_str_eq(mg_msg_cstr(TEXT("abcdef"), buf, sizeof(buf)), "abc");
	ck_assert_str_eq(
	    mg_msg_cstr((mg_msg_text_t){ NULL, 0 }, buf, sizeof(buf)), "");
}
END_TEST

/* ---- a link closes on a malformed frame ------------------------------ */

typedef struct {
	int  frames;
	int  lost;
	char why[128];
} seen_t;

static void
on_frame(void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	seen_t *s = arg;

	ck_assert_uint_eq(m->type, hdr->type);
	s->frames++;
}

static void
on_lost(void *arg, mg_link_t *link, const char *why)
{
	seen_t *s = arg;

	s->lost++;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

START_TEST(link_closes_on_malformed_frame)
{
	struct event_base *base = event_base_new();
	seen_t             seen = { 0 };
	mg_link_ops_t      ops = { on_frame, on_lost, &seen };
	mg_msg_t           hello = sample(MG_MSG_HELLO);
	mg_channel_t      *peer;
	mg_link_t         *link;
	int                sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	link = mg_link_new(base, sv[0], 1, &ops);
	peer = mg_channel_new(sv[1], 0);
	ck_assert(link != NULL && peer != NULL);
	/* one good frame, a REQ of three bytes, then one more good frame */
	ck_assert_int_eq(mg_msg_send(peer, 0, &hello, -1), MG_OK);
	ck_assert_int_eq(
	    mg_channel_send(peer, MG_MSG_REQ, 9, "abc", 3, -1), MG_OK);
	ck_assert_int_eq(mg_msg_send(peer, 0, &hello, -1), MG_OK);
	ck_assert_int_eq(mg_channel_flush(peer), MG_OK);
	while (!seen.lost)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(seen.frames, 1); /* nothing after the bad one */
	ck_assert_int_eq(seen.lost, 1);
	ck_assert_str_eq(seen.why, "malformed REQ frame (3 bytes)");
	mg_channel_free(peer);
	event_base_free(base);
}
END_TEST

Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, every_type_round_trips);
	tcase_add_test(tc, round_trip_fields);
	tcase_add_test(tc, every_type_refuses_short_and_long);
	tcase_add_test(tc, refuses_bad_fields);
	tcase_add_test(tc, pack_refuses_over_limits);
	tcase_add_test(tc, keys_fields_and_limits);
	tcase_add_test(tc, cstr_cuts);
	suite_add_tcase(s, tc);
	tc = tcase_create("link");
	tcase_add_test(tc, link_closes_on_malformed_frame);
	suite_add_tcase(s, tc);
	return s;
}
