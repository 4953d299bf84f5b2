/*
 * The shared session table: life of a session, idle expiry, deletion
 * seen by another process, a full table, and adders racing in processes.
 */
#include "config.h"

#include <sys/wait.h>
#include <unistd.h>

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

Suite *
sesstab_suite(void)
{
	Suite *s = suite_create("sesstab");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, life);
	tcase_add_test(tc, idle_expiry);
	tcase_add_test(tc, full);
	tcase_add_test(tc, shared_across_fork);
	tcase_add_test(tc, racing_adders);
	suite_add_tcase(s, tc);
	return s;
}
