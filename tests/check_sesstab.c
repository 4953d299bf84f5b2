/*
 * The shared session table: life of a session, idle expiry, deletion
 * seen by another process, a full table, and adders racing in processes.
 * Then the per-client limits that count in it and beside it (limit.h,
 * selfconn.h): sessions per owner, client keys, a worker's connections
 * per client, and the connector's marks on its own sockets.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "limit.h"
#include "selfconn.h"
#include "sesstab.h"
#include "suites.h"

START_TEST(life)
{
	mg_sesstab_t *t = mg_sesstab_create(100);
	uint64_t      id = mg_sesstab_new_id();

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(mg_sesstab_touch(t, id, 1000, 500), MG_AGAIN);
	ck_assert_int_eq(mg_sesstab_add(t, id, 1000), MG_OK);
	ck_assert_int_eq(mg_sesstab_touch(t, id, 1400, 500), MG_OK);
	/* touching restarts the idle clock */
	ck_assert_int_eq(mg_sesstab_touch(t, id, 1800, 500), MG_OK);
	ck_assert_int_eq(mg_sesstab_delete(t, id, 1900), MG_OK);
	ck_assert_int_eq(mg_sesstab_touch(t, id, 1901, 500), MG_DECLINED);
	ck_assert_int_eq(mg_sesstab_delete(t, id, 1902), MG_DECLINED);
	mg_sesstab_destroy(t);
}
END_TEST

/* A new master (binary upgrade) maps the old one's table from its memory
 * file: each sees what the other does, owners' counts included; a file
 * that is not a table is refused. */
START_TEST(attach_memfd)
{
	int           fd = -1, junk;
	mg_sesstab_t *a = mg_sesstab_create_fd(100, &fd), *b;
	uint64_t      id = mg_sesstab_new_id(), id2 = mg_sesstab_new_id();
	uint32_t      owner;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_ge(fd, 0);
	owner = mg_sesstab_owner(a, 42);
	ck_assert_int_eq(mg_sesstab_add_for(a, id, 1000, owner, 0), MG_OK);
	b = mg_sesstab_attach(fd);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_uint_eq(mg_sesstab_capacity(b), 100);
	ck_assert_uint_eq(mg_sesstab_owner(b, 42), owner);
	ck_assert_uint_eq(mg_sesstab_owner_count(b, owner), 1);
	ck_assert_int_eq(mg_sesstab_touch(b, id, 1200, 500), MG_OK);
	ck_assert_int_eq(mg_sesstab_add(b, id2, 1300), MG_OK);
	ck_assert_int_eq(mg_sesstab_delete(b, id, 1300), MG_OK);
	ck_assert_int_eq(mg_sesstab_touch(a, id, 1301, 500), MG_DECLINED);
	ck_assert_int_eq(mg_sesstab_touch(a, id2, 1301, 500), MG_OK);
	ck_assert_uint_eq(mg_sesstab_owner_count(a, owner), 0);
	mg_sesstab_destroy(b);
	mg_sesstab_destroy(a);
	close(fd);
	/* a memory file of another shape */
	junk = memfd_create("junk", MFD_CLOEXEC);
	ck_assert_int_eq(ftruncate(junk, 65536), 0);
	ck_assert_ptr_null(mg_sesstab_attach(junk));
	close(junk);
}
END_TEST

static int ended_count;

static void
count_ended(void *arg, uint64_t id)
{
	ended_count++;
}

START_TEST(idle_expiry)
{
	mg_sesstab_t *t = mg_sesstab_create(100);
	uint64_t      a = mg_sesstab_new_id(), b = mg_sesstab_new_id();

	mg_sesstab_add(t, a, 0);
	mg_sesstab_add(t, b, 0);
	ck_assert_int_eq(mg_sesstab_touch(t, b, 400, 500), MG_OK);
	/* a is idle past the timeout: gone even before a sweep */
	ck_assert_int_eq(mg_sesstab_touch(t, a, 600, 500), MG_DECLINED);
	ended_count = 0;
	ck_assert_uint_eq(mg_sesstab_sweep(t, 600, 500, count_ended, NULL), 1);
	ck_assert_int_eq(ended_count, 1);
	ck_assert_int_eq(mg_sesstab_touch(t, a, 700, 500), MG_DECLINED);
	/* one more timeout later it is forgotten, and its slot reusable */
	mg_sesstab_sweep(t, 1200, 500, count_ended, NULL);
	ck_assert_int_eq(mg_sesstab_touch(t, a, 1200, 500), MG_AGAIN);
	ck_assert_int_eq(ended_count, 2); /* b went idle too */
	mg_sesstab_destroy(t);
}
END_TEST

START_TEST(full)
{
	mg_sesstab_t *t = mg_sesstab_create(16);
	size_t        cap = 64, added = 0;
	uint64_t      first = mg_sesstab_new_id();

	mg_sesstab_add(t, first, 0);
	added++;
	for (size_t i = 0; i < cap + 10; i++)
		if (mg_sesstab_add(t, mg_sesstab_new_id(), 0) == MG_OK)
			added++;
	/* max_sessions is exact */
	ck_assert_uint_eq(added, 16);
	ck_assert_uint_eq(mg_sesstab_capacity(t), 16);
	ck_assert_int_eq(
	    mg_sesstab_add(t, mg_sesstab_new_id(), 0), MG_DECLINED);
	/* an ended session makes room */
	ck_assert_int_eq(mg_sesstab_delete(t, first, 0), MG_OK);
	ck_assert_int_eq(mg_sesstab_add(t, mg_sesstab_new_id(), 0), MG_OK);
	mg_sesstab_destroy(t);
}
END_TEST

/* Another process (a worker) sees what this one did, and the reverse. */
START_TEST(shared_across_fork)
{
	mg_sesstab_t *t = mg_sesstab_create(100);
	uint64_t      id = mg_sesstab_new_id(), other = mg_sesstab_new_id();
	pid_t         pid;
	int           status;

	mg_sesstab_add(t, id, 0);
	if ((pid = fork()) == 0) {
		int ok = mg_sesstab_touch(t, id, 10, 500) == MG_OK &&
		    mg_sesstab_delete(t, id, 10) == MG_OK &&
		    mg_sesstab_add(t, other, 10) == MG_OK;
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(mg_sesstab_touch(t, id, 20, 500), MG_DECLINED);
	ck_assert_int_eq(mg_sesstab_touch(t, other, 20, 500), MG_OK);
	mg_sesstab_destroy(t);
}
END_TEST

/* Four processes add 2000 sessions each at once: all land, none lost. */
START_TEST(racing_adders)
{
	mg_sesstab_t *t = mg_sesstab_create(10000);
	uint64_t      ids[4][2000];
	pid_t         pids[4];
	int           status;

	for (int p = 0; p < 4; p++)
		for (int i = 0; i < 2000; i++)
			ids[p][i] = mg_sesstab_new_id();
	for (int p = 0; p < 4; p++)
		if ((pids[p] = fork()) == 0) {
			for (int i = 0; i < 2000; i++)
				if (mg_sesstab_add(t, ids[p][i], 0) != MG_OK)
					_exit(1);
			_exit(0);
		}
	for (int p = 0; p < 4; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	for (int p = 0; p < 4; p++)
		for (int i = 0; i < 2000; i++)
			ck_assert_int_eq(
			    mg_sesstab_touch(t, ids[p][i], 1, 500), MG_OK);
	ck_assert_uint_eq(mg_sesstab_sweep(t, 1, 500, NULL, NULL), 8000);
	mg_sesstab_destroy(t);
}
END_TEST

/* ---- sessions per owner ----------------------------------------------- */

/* LIMIT sessions of an owner, then MG_BUSY; others go on; an ended
 * session (deleted or swept idle) makes room for its own owner. */
START_TEST(owner_limit)
{
	mg_sesstab_t *t = mg_sesstab_create(1000);
	uint32_t      a = mg_sesstab_owner(t, 1), b = mg_sesstab_owner(t, 2);
	uint64_t      ids[3];

	ck_assert_uint_ne(a, 0);
	ck_assert_uint_ne(a, b);
	for (int i = 0; i < 3; i++) {
		ids[i] = mg_sesstab_new_id();
		ck_assert_int_eq(mg_sesstab_add_for(t, ids[i], 0, a, 3), MG_OK);
	}
	ck_assert_uint_eq(mg_sesstab_owner_count(t, a), 3);
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, a, 3), MG_BUSY);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, a), 3);
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, b, 3), MG_OK);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, b), 1);
	/* no limit: counted, never refused (a session taken in) */
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, a, 0), MG_OK);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, a), 4);
	ck_assert_int_eq(mg_sesstab_delete(t, ids[0], 10), MG_OK);
	ck_assert_int_eq(mg_sesstab_delete(t, ids[0], 11), MG_DECLINED);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, a), 3);
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, a, 4), MG_OK);
	/* the sweep ends all of them idle: every count goes back to 0 */
	mg_sesstab_sweep(t, 10000, 500, NULL, NULL);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, a), 0);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, b), 0);
	/* owner 0 is no one: never counted, never refused */
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, 0, 1), MG_OK);
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, 0, 1), MG_OK);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, 0), 0);
	mg_sesstab_destroy(t);
}
END_TEST

/* A full table is a full table, whoever asks: MG_DECLINED, not MG_BUSY,
 * and a refusal leaves no count behind. */
START_TEST(owner_full_table)
{
	mg_sesstab_t *t = mg_sesstab_create(16);
	uint32_t      a = mg_sesstab_owner(t, 7);

	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(
		    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, a, 0), MG_OK);
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, a, 16), MG_DECLINED);
	ck_assert_int_eq(
	    mg_sesstab_add_for(t, mg_sesstab_new_id(), 0, a, 3), MG_DECLINED);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, a), 16);
	mg_sesstab_destroy(t);
}
END_TEST

/* Four processes add for one owner at once, limit 50: 50 land, or 51
 * when two adds race at the limit (sesstab.h); never more. */
START_TEST(owner_racing)
{
	mg_sesstab_t *t = mg_sesstab_create(10000);
	uint32_t      a = mg_sesstab_owner(t, 42);
	pid_t         pids[4];
	int           status, added = 0;

	for (int p = 0; p < 4; p++)
		if ((pids[p] = fork()) == 0) {
			int n = 0;

			for (int i = 0; i < 100; i++)
				n += mg_sesstab_add_for(t, mg_sesstab_new_id(),
					 0, a, 50) == MG_OK;
			_exit(n);
		}
	for (int p = 0; p < 4; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		added += WEXITSTATUS(status);
	}
	ck_assert_int_ge(added, 50);
	ck_assert_int_le(added, 51);
	ck_assert_uint_eq(mg_sesstab_owner_count(t, a), (uint32_t)added);
	ck_assert_uint_eq(mg_sesstab_sweep(t, 1, 500, NULL, NULL), added);
	mg_sesstab_destroy(t);
}
END_TEST

/* ---- client keys ------------------------------------------------------ */

static struct sockaddr_storage
addr_of(const char *text, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in     *sin = (void *)&ss;
	struct sockaddr_in6    *sin6 = (void *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else {
		ck_assert_int_eq(
		    inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	}
	return ss;
}

static uint64_t
key_of(const char *text)
{
	struct sockaddr_storage ss = addr_of(text, 1);
	uint64_t                key = 0;

	ck_assert_int_eq(mg_limit_client((struct sockaddr *)&ss, &key), MG_OK);
	return key;
}

static void
text_is(const char *addr, const char *want)
{
	struct sockaddr_storage ss = addr_of(addr, 1);
	char                    buf[64];

	mg_limit_client_text((struct sockaddr *)&ss, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

/* An IPv4 address is a client; an IPv6 one by its /64; a mapped IPv4
 * address is the IPv4 client; the two families never meet. */
START_TEST(client_keys)
{
	struct sockaddr_storage un = { .ss_family = AF_UNIX };
	uint64_t                key;

	ck_assert_uint_eq(key_of("192.0.2.7"), 0x1c0000207ULL);
	ck_assert_uint_ne(key_of("192.0.2.7"), key_of("192.0.2.8"));
	ck_assert_uint_eq(key_of("::ffff:192.0.2.7"), key_of("192.0.2.7"));
	ck_assert_uint_eq(
	    key_of("2001:db8:1:2::1"), key_of("2001:db8:1:2:aa:bb:cc:dd"));
	ck_assert_uint_ne(key_of("2001:db8:1:2::1"), key_of("2001:db8:1:3::1"));
	ck_assert_uint_eq(key_of("2001:db8:1:2::1"), 0x20010db800010002ULL);
	ck_assert_uint_ne(key_of("::1"), key_of("127.0.0.1"));
	ck_assert_uint_ne(key_of("0.0.0.0"), key_of("::"));
	ck_assert_int_eq(
	    mg_limit_client((struct sockaddr *)&un, &key), MG_DECLINED);
	text_is("192.0.2.7", "192.0.2.7");
	text_is("::ffff:192.0.2.7", "192.0.2.7");
	text_is("2001:db8:1:2:aa:bb:cc:dd", "2001:db8:1:2::/64");
	text_is("::1", "::/64");
}
END_TEST

/* ---- connections per client, in one worker ----------------------------- */

static int
conn_open(mg_limit_conns_t *lc, const char *addr, int port)
{
	struct sockaddr_storage ss = addr_of(addr, port);

	return mg_limit_conn_open(lc, (struct sockaddr *)&ss);
}

static void
conn_close(mg_limit_conns_t *lc, const char *addr)
{
	struct sockaddr_storage ss = addr_of(addr, 1);

	mg_limit_conn_close(lc, (struct sockaddr *)&ss);
}

static int
conn_count(mg_limit_conns_t *lc, const char *addr)
{
	struct sockaddr_storage ss = addr_of(addr, 1);

	return mg_limit_conn_count(lc, (struct sockaddr *)&ss);
}

START_TEST(conns_per_client)
{
	mg_limit_conns_t *lc = mg_limit_conns_new(64, 2), *off;
	char              a[32];

	ck_assert_ptr_nonnull(lc);
	ck_assert_int_eq(conn_open(lc, "10.0.0.1", 1000), MG_OK);
	ck_assert_int_eq(conn_open(lc, "10.0.0.1", 1001), MG_OK);
	ck_assert_int_eq(conn_open(lc, "10.0.0.1", 1002), MG_BUSY);
	ck_assert_int_eq(conn_open(lc, "10.0.0.2", 1000), MG_OK);
	/* one /64 is one client */
	ck_assert_int_eq(conn_open(lc, "2001:db8::1", 1000), MG_OK);
	ck_assert_int_eq(conn_open(lc, "2001:db8::2", 1000), MG_OK);
	ck_assert_int_eq(conn_open(lc, "2001:db8::3", 1000), MG_BUSY);
	conn_close(lc, "10.0.0.1");
	ck_assert_int_eq(conn_count(lc, "10.0.0.1"), 1);
	ck_assert_int_eq(conn_open(lc, "10.0.0.1", 1003), MG_OK);
	/* many clients come and go: the table neither fills nor loses one */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 60; i++) {
			snprintf(a, sizeof(a), "10.1.%d.%d", round, i);
			ck_assert_int_eq(conn_open(lc, a, 1), MG_OK);
		}
		for (int i = 0; i < 60; i += 2) {
			snprintf(a, sizeof(a), "10.1.%d.%d", round, i);
			conn_close(lc, a);
		}
		for (int i = 1; i < 60; i += 2) {
			snprintf(a, sizeof(a), "10.1.%d.%d", round, i);
			ck_assert_int_eq(conn_count(lc, a), 1);
			conn_close(lc, a);
			ck_assert_int_eq(conn_count(lc, a), 0);
		}
	}
	ck_assert_int_eq(conn_count(lc, "10.0.0.1"), 2);
	ck_assert_int_eq(conn_count(lc, "10.0.0.2"), 1);
	ck_assert_int_eq(conn_count(lc, "2001:db8::9"), 2);
	mg_limit_conns_free(lc);
	/* off: nothing counted, nothing refused */
	off = mg_limit_conns_new(64, 0);
	ck_assert_int_eq(conn_open(off, "10.0.0.1", 1), MG_DECLINED);
	ck_assert_int_eq(conn_count(off, "10.0.0.1"), 0);
	mg_limit_conns_free(off);
}
END_TEST

/* A refusal is counted in memory every process shares, whoever logs. */
START_TEST(refusals_shared)
{
	uint64_t before;
	pid_t    pid;
	int      status;

	ck_assert_int_eq(mg_limit_init(), MG_OK);
	before = mg_limit_refusals(MG_LIMIT_SESSIONS_ADDR);
	if ((pid = fork()) == 0) {
		for (int i = 0; i < 5; i++)
			mg_limit_refused(MG_LIMIT_SESSIONS_ADDR, "test %d", i);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	mg_limit_refused(MG_LIMIT_SESSIONS_ADDR, "test");
	ck_assert_uint_eq(
	    mg_limit_refusals(MG_LIMIT_SESSIONS_ADDR), before + 6);
}
END_TEST

/* ---- the connector's own sockets --------------------------------------- */

/* A socket to a loopback address is bound and marked until released; a
 * peer is the connector only from loopback with a marked port. */
START_TEST(selfconn_marks)
{
	struct sockaddr_storage to = addr_of("127.0.0.1", 9), mine, other;
	socklen_t               len = sizeof(mine);
	int                     fd, fd2;

	ck_assert_int_eq(mg_selfconn_init(), MG_OK);
	fd = mg_selfconn_socket((struct sockaddr *)&to);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&mine, &len), 0);
	ck_assert_int_ne(ntohs(((struct sockaddr_in *)&mine)->sin_port), 0);
	/* the port, seen from any loopback address, is the connector's */
	to = addr_of(
	    "127.0.0.1", ntohs(((struct sockaddr_in *)&mine)->sin_port));
	ck_assert(mg_selfconn_is((struct sockaddr *)&to));
	other = addr_of(
	    "127.0.0.2", ntohs(((struct sockaddr_in *)&mine)->sin_port));
	ck_assert(mg_selfconn_is((struct sockaddr *)&other));
	/* not from elsewhere: a remote host picks its port freely */
	other = addr_of(
	    "192.0.2.1", ntohs(((struct sockaddr_in *)&mine)->sin_port));
	ck_assert(!mg_selfconn_is((struct sockaddr *)&other));
	/* nobody else may bind the port meanwhile */
	fd2 = socket(AF_INET, SOCK_STREAM, 0);
	other = addr_of(
	    "127.0.0.2", ntohs(((struct sockaddr_in *)&mine)->sin_port));
	ck_assert_int_ne(
	    bind(fd2, (struct sockaddr *)&other, sizeof(struct sockaddr_in)),
	    0);
	close(fd2);
	mg_selfconn_release(fd);
	close(fd);
	ck_assert(!mg_selfconn_is((struct sockaddr *)&to));
	/* to anywhere else: an ordinary socket, nothing marked */
	other = addr_of("192.0.2.1", 9);
	fd = mg_selfconn_socket((struct sockaddr *)&other);
	ck_assert_int_ge(fd, 0);
	len = sizeof(mine);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&mine, &len), 0);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)&mine)->sin_port), 0);
	close(fd);
}
END_TEST

/* The marks of a connector that died (killed before it released them)
 * are cleared by the next one's sweep. */
START_TEST(selfconn_sweep)
{
	struct sockaddr_storage to = addr_of("127.0.0.1", 9), mine;
	socklen_t               len = sizeof(mine);
	int                     p[2], status, port;
	pid_t                   pid;

	ck_assert_int_eq(mg_selfconn_init(), MG_OK);
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		int fd = mg_selfconn_socket((struct sockaddr *)&to);

		getsockname(fd, (struct sockaddr *)&mine, &len);
		port = ntohs(((struct sockaddr_in *)&mine)->sin_port);
		(void)!write(p[1], &port, sizeof(port));
		_exit(0); /* no release */
	}
	ck_assert_int_eq(read(p[0], &port, sizeof(port)), sizeof(port));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	to = addr_of("127.0.0.1", port);
	ck_assert(mg_selfconn_is((struct sockaddr *)&to));
	mg_selfconn_sweep();
	ck_assert(!mg_selfconn_is((struct sockaddr *)&to));
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *
sesstab_suite(void)
{
	Suite *s = suite_create("sesstab");
	TCase *tc = tcase_create("table"), *per = tcase_create("per client");

	tcase_add_test(tc, life);
	tcase_add_test(tc, attach_memfd);
	tcase_add_test(tc, idle_expiry);
	tcase_add_test(tc, full);
	tcase_add_test(tc, shared_across_fork);
	tcase_add_test(tc, racing_adders);
	suite_add_tcase(s, tc);
	tcase_add_test(per, owner_limit);
	tcase_add_test(per, owner_full_table);
	tcase_add_test(per, owner_racing);
	tcase_add_test(per, client_keys);
	tcase_add_test(per, conns_per_client);
	tcase_add_test(per, refusals_shared);
	tcase_add_test(per, selfconn_marks);
	tcase_add_test(per, selfconn_sweep);
	suite_add_tcase(s, per);
	return s;
}
