/*
 * The worker <-> connector framing: headers, short reads, limits, unknown
 * types, version mismatch, descriptor passing.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "suites.h"

static void
raw_frame(
    uint8_t *out, uint8_t version, uint16_t type, uint32_t len, uint64_t id)
{
	mg_ipc_hdr_t h = { version, 0, type, len, id };

	mg_ipc_hdr_encode(&h, out);
}

START_TEST(hdr_roundtrip)
{
	uint8_t      buf[MG_IPC_HDR_SIZE + 3];
	mg_ipc_hdr_t h;
	const char  *why = NULL;

	raw_frame(buf, MG_IPC_VERSION, MG_MSG_HELLO, 3, 0x1122334455667788ULL);
	memcpy(buf + MG_IPC_HDR_SIZE, "abc", 3);
	ck_assert_int_eq(
	    mg_ipc_hdr_decode(buf, sizeof(buf), 1024, &h, &why), MG_OK);
	ck_assert_uint_eq(h.type, MG_MSG_HELLO);
	ck_assert_uint_eq(h.len, 3);
	ck_assert(h.id == 0x1122334455667788ULL);
}
END_TEST

START_TEST(hdr_short)
{
	uint8_t      buf[MG_IPC_HDR_SIZE + 8];
	mg_ipc_hdr_t h;
	const char  *why = NULL;

	raw_frame(buf, MG_IPC_VERSION, MG_MSG_HELLO, 8, 1);
	for (size_t n = 0; n < sizeof(buf); n++)
		ck_assert_int_eq(
		    mg_ipc_hdr_decode(buf, n, 1024, &h, &why), MG_AGAIN);
	ck_assert_int_eq(
	    mg_ipc_hdr_decode(buf, sizeof(buf), 1024, &h, &why), MG_OK);
}
END_TEST

START_TEST(hdr_bad)
{
	uint8_t      buf[MG_IPC_HDR_SIZE];
	mg_ipc_hdr_t h;
	const char  *why = NULL;

	raw_frame(buf, MG_IPC_VERSION + 1, MG_MSG_HELLO, 0, 1);
	ck_assert_int_eq(
	    mg_ipc_hdr_decode(buf, sizeof(buf), 1024, &h, &why), MG_ERROR);
	ck_assert_str_eq(why, "protocol version mismatch");

	raw_frame(buf, MG_IPC_VERSION, 0x7777, 0, 1);
	ck_assert_int_eq(
	    mg_ipc_hdr_decode(buf, sizeof(buf), 1024, &h, &why), MG_ERROR);
	ck_assert_str_eq(why, "unknown message type");

	/* an oversize frame is refused from its header alone */
	raw_frame(buf, MG_IPC_VERSION, MG_MSG_HELLO, 1025, 1);
	ck_assert_int_eq(
	    mg_ipc_hdr_decode(buf, sizeof(buf), 1024, &h, &why), MG_ERROR);
	ck_assert_str_eq(why, "frame over the size limit");

	raw_frame(buf, MG_IPC_VERSION, MG_MSG_HELLO, 0, 1);
	buf[1] = 0x80;
	ck_assert_int_eq(
	    mg_ipc_hdr_decode(buf, sizeof(buf), 1024, &h, &why), MG_ERROR);
	ck_assert_str_eq(why, "unknown frame flags");
}
END_TEST

static int sv[2];

static void
pair_setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	mg_log_set_level(MG_LOG_EMERG); /* bad frames are logged; keep quiet */
}

static void
pair_teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

START_TEST(channel_frames_in_order)
{
	mg_channel_t  *a = mg_channel_new(dup(sv[0]), 0);
	mg_channel_t  *b = mg_channel_new(dup(sv[1]), 0);
	mg_ipc_hdr_t   h;
	const uint8_t *p;
	int            fd;
	char           msg[32];

	for (int i = 0; i < 100; i++) {
		snprintf(msg, sizeof(msg), "frame %d", i);
		ck_assert_int_eq(mg_channel_send(a, MG_MSG_HELLO, (uint64_t)i,
				     msg, strlen(msg), -1),
		    MG_OK);
	}
	ck_assert_int_eq(mg_channel_flush(a), MG_OK);
	ck_assert_int_eq(mg_channel_read(b), MG_OK);
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_OK);
		snprintf(msg, sizeof(msg), "frame %d", i);
		ck_assert(h.id == (uint64_t)i);
		ck_assert_uint_eq(h.len, strlen(msg));
		ck_assert(memcmp(p, msg, h.len) == 0);
		ck_assert_int_eq(fd, -1);
	}
	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_AGAIN);
	mg_channel_free(a);
	mg_channel_free(b);
}
END_TEST

/* A frame that arrives a byte at a time is taken only when whole. */
START_TEST(channel_short_reads)
{
	mg_channel_t  *b = mg_channel_new(dup(sv[1]), 0);
	uint8_t        buf[MG_IPC_HDR_SIZE + 5];
	mg_ipc_hdr_t   h;
	const uint8_t *p;
	int            fd;

	raw_frame(buf, MG_IPC_VERSION, MG_MSG_HELLO, 5, 42);
	memcpy(buf + MG_IPC_HDR_SIZE, "hello", 5);
	for (size_t i = 0; i < sizeof(buf); i++) {
		ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_AGAIN);
		ck_assert_int_eq(write(sv[0], buf + i, 1), 1);
		ck_assert_int_eq(mg_channel_read(b), MG_OK);
	}
	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_OK);
	ck_assert(h.id == 42);
	ck_assert(memcmp(p, "hello", 5) == 0);
	mg_channel_free(b);
}
END_TEST

START_TEST(channel_bad_streams)
{
	mg_channel_t  *b = mg_channel_new(dup(sv[1]), 64);
	uint8_t        buf[MG_IPC_HDR_SIZE];
	mg_ipc_hdr_t   h;
	const uint8_t *p;
	int            fd;

	raw_frame(buf, MG_IPC_VERSION, MG_MSG_HELLO, 65, 1);
	ck_assert_int_eq(write(sv[0], buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(mg_channel_read(b), MG_OK);
	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_ERROR);
	mg_channel_free(b);

	b = mg_channel_new(dup(sv[1]), 0);
	close(sv[0]);
	sv[0] = -1;
	ck_assert_int_eq(mg_channel_read(b), MG_DECLINED);
	mg_channel_free(b);
}
END_TEST

/* A frame sent in parts arrives as one payload; the limit counts all. */
START_TEST(channel_sendv_parts)
{
	mg_channel_t  *a = mg_channel_new(dup(sv[0]), 16);
	mg_channel_t  *b = mg_channel_new(dup(sv[1]), 0);
	mg_ipc_part_t  parts[] = { { (const uint8_t *)"ab", 2 },
		 { (const uint8_t *)"", 0 }, { (const uint8_t *)"cde", 3 } };
	mg_ipc_part_t  big[] = { { (const uint8_t *)"0123456789", 10 },
		 { (const uint8_t *)"0123456", 7 } };
	mg_ipc_hdr_t   h;
	const uint8_t *p;
	int            fd;

	ck_assert_int_eq(
	    mg_channel_sendv(a, MG_MSG_HELLO, 7, big, 2, -1), MG_ERROR);
	ck_assert_int_eq(
	    mg_channel_sendv(a, MG_MSG_HELLO, 7, parts, 3, -1), MG_OK);
	ck_assert_int_eq(mg_channel_flush(a), MG_OK);
	ck_assert_int_eq(mg_channel_read(b), MG_OK);
	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_OK);
	ck_assert(h.id == 7);
	ck_assert_uint_eq(h.len, 5);
	ck_assert(memcmp(p, "abcde", 5) == 0);
	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_AGAIN);
	mg_channel_free(a);
	mg_channel_free(b);
}
END_TEST

START_TEST(channel_send_limit)
{
	mg_channel_t *a = mg_channel_new(dup(sv[0]), 16);
	char          big[17] = { 0 };

	ck_assert_int_eq(
	    mg_channel_send(a, MG_MSG_HELLO, 1, big, 17, -1), MG_ERROR);
	ck_assert_int_eq(
	    mg_channel_send(a, MG_MSG_HELLO, 1, big, 16, -1), MG_OK);
	mg_channel_free(a);
}
END_TEST

/* Descriptors travel with their own frame, even among plain frames. */
START_TEST(channel_fd_passing)
{
	mg_channel_t  *a = mg_channel_new(dup(sv[0]), 0);
	mg_channel_t  *b = mg_channel_new(dup(sv[1]), 0);
	mg_ipc_hdr_t   h;
	const uint8_t *p;
	int            fd, pipefd[2];
	char           c = 0;

	ck_assert_int_eq(pipe(pipefd), 0);
	mg_channel_send(a, MG_MSG_HELLO, 1, "x", 1, -1);
	mg_channel_send(a, MG_MSG_LINK, 2, "y", 1, pipefd[1]);
	mg_channel_send(a, MG_MSG_HELLO, 3, "z", 1, -1);
	ck_assert_int_eq(mg_channel_flush(a), MG_OK);
	ck_assert_int_eq(mg_channel_read(b), MG_OK);
	ck_assert_int_eq(mg_channel_read(b), MG_OK);

	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_OK);
	ck_assert(h.id == 1 && fd == -1);
	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_OK);
	ck_assert(h.id == 2 && fd >= 0);
	ck_assert_int_eq(write(fd, "!", 1), 1);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, '!');
	close(fd);
	ck_assert_int_eq(mg_channel_next(b, &h, &p, &fd), MG_OK);
	ck_assert(h.id == 3 && fd == -1);
	close(pipefd[0]);
	mg_channel_free(a);
	mg_channel_free(b);
}
END_TEST

Suite *
ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("frames");

	tcase_add_test(tc, hdr_roundtrip);
	tcase_add_test(tc, hdr_short);
	tcase_add_test(tc, hdr_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("channel");
	tcase_add_checked_fixture(tc, pair_setup, pair_teardown);
	tcase_add_test(tc, channel_frames_in_order);
	tcase_add_test(tc, channel_short_reads);
	tcase_add_test(tc, channel_bad_streams);
	tcase_add_test(tc, channel_send_limit);
	tcase_add_test(tc, channel_sendv_parts);
	tcase_add_test(tc, channel_fd_passing);
	suite_add_tcase(s, tc);
	return s;
}
