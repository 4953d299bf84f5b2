/*
 * The shared metrics region (metrics.h): a slot's single writer, the
 * cache, a full table, folding an exited child's slot into the retired
 * one (gauges dropped), a scrape that reads while the master folds, and
 * children that find no free slot.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"
#include "suites.h"

/* The value of METRIC{V0} in a scrape (-1: no such row). */
static int64_t
scraped(int metric, const char *v0)
{
	mg_metrics_sum_t sum;
	char             labels[MG_METRICS_LABEL_BYTES];
	const char      *v[1] = { v0 };
	int64_t          r = -1;

	mg_metrics_labels_pack(labels, mg_metric_defs[metric].nlabels, v);
	ck_assert_int_eq(mg_metrics_sum(&sum), MG_OK);
	for (size_t i = 0; i < sum.n; i++)
		if (sum.rows[i].metric == metric &&
		    memcmp(sum.rows[i].labels, labels, sizeof(labels)) == 0)
			r = (int64_t)sum.rows[i].v[0];
	mg_metrics_sum_free(&sum);
	return r;
}

START_TEST(single_writer)
{
	mg_metrics_series_t *s, *again;
	const char          *v[1] = { "connect" };

	ck_assert_int_eq(mg_metrics_init(4, 64), MG_OK);
	s = mg_metrics_series(7, 8, MG_M_REFUSALS, v);
	ck_assert_ptr_nonnull(s);
	/* the cache finds it by its words alone */
	ck_assert_ptr_eq(mg_metrics_find(7, 8), s);
	ck_assert_ptr_null(mg_metrics_find(7, 9));
	/* other words, same labels: the same series */
	again = mg_metrics_series(1, 2, MG_M_REFUSALS, v);
	ck_assert_ptr_eq(again, s);
	mg_metrics_add(s, 5);
	mg_metrics_add(again, 1);
	mg_metrics_count(MG_M_REFUSALS, "connect", NULL);
	ck_assert_int_eq(scraped(MG_M_REFUSALS, "connect"), 7);
	ck_assert_int_eq(scraped(MG_M_SERIES_DROPPED, NULL), 0);
	mg_metrics_reset_for_tests();
}
END_TEST

START_TEST(histogram)
{
	mg_metrics_series_t *s;
	mg_metrics_sum_t     sum;
	const char          *v[1] = { "up" };

	ck_assert_int_eq(mg_metrics_init(3, 64), MG_OK);
	s = mg_metrics_series(1, 1, MG_M_UP_DURATION, v);
	mg_metrics_observe(s, 4000);     /* <= 5 ms */
	mg_metrics_observe(s, 5000);     /* le is inclusive */
	mg_metrics_observe(s, 200000);   /* <= 250 ms */
	mg_metrics_observe(s, 99000000); /* +Inf */
	ck_assert_int_eq(mg_metrics_sum(&sum), MG_OK);
	for (size_t i = 0; i < sum.n; i++) {
		const mg_metrics_row_t *r = &sum.rows[i];

		if (r->metric != MG_M_UP_DURATION)
			continue;
		ck_assert_uint_eq(r->v[0], 2);
		ck_assert_uint_eq(r->v[5], 1);
		ck_assert_uint_eq(r->v[MG_METRICS_MAX_BUCKETS], 1);
		ck_assert_uint_eq(r->v[MG_METRICS_NVALUES - 1],
		    4000 + 5000 + 200000 + 99000000);
	}
	mg_metrics_sum_free(&sum);
	mg_metrics_reset_for_tests();
}
END_TEST

START_TEST(full_table)
{
	char name[16];

	ck_assert_int_eq(mg_metrics_init(3, 16), MG_OK);
	for (int i = 0; i < 20; i++) {
		const char *v[1] = { name };

		snprintf(name, sizeof(name), "r%d", i);
		mg_metrics_add(
		    mg_metrics_series(100 + (uint64_t)i, 0, MG_M_REFUSALS, v),
		    1);
	}
	/* 16 series: the first 16 names; 4 counts dropped, and said so */
	ck_assert_int_eq(scraped(MG_M_REFUSALS, "r15"), 1);
	ck_assert_int_eq(scraped(MG_M_REFUSALS, "r16"), -1);
	ck_assert_int_eq(scraped(MG_M_SERIES_DROPPED, NULL), 4);
	mg_metrics_reset_for_tests();
}
END_TEST

/* A child counts in its slot and exits; the master folds the slot. */
START_TEST(fold_exited_child)
{
	int   slot, status;
	pid_t pid;

	ck_assert_int_eq(mg_metrics_init(4, 64), MG_OK);
	slot = mg_metrics_claim(NULL);
	ck_assert_int_eq(slot, 2);
	if ((pid = fork()) == 0) {
		mg_metrics_use(slot);
		for (int i = 0; i < 1000; i++)
			mg_metrics_count(MG_M_PROC_RESTARTS, "worker", NULL);
		mg_metrics_gauge(MG_M_OPEN_STREAMS, "get", 3);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(scraped(MG_M_PROC_RESTARTS, "worker"), 1000);
	ck_assert_int_eq(scraped(MG_M_OPEN_STREAMS, "get"), 3);
	mg_metrics_release(slot);
	/* the counter is kept, the gauge went with its process */
	ck_assert_int_eq(scraped(MG_M_PROC_RESTARTS, "worker"), 1000);
	ck_assert_int_eq(scraped(MG_M_OPEN_STREAMS, "get"), -1);
	/* the slot is free and empty for the next child */
	ck_assert_int_eq(mg_metrics_claim(NULL), 2);
	ck_assert_int_eq(scraped(MG_M_PROC_RESTARTS, "worker"), 1000);
	mg_metrics_reset_for_tests();
}
END_TEST

/*
 * A scrape in another process while the master moves counts: children
 * count 100 each into a slot that the master then folds; the reader must
 * never see a total go down (a count lost for a moment, or counted twice
 * and then not) nor one that is not a multiple of 100.
 */
START_TEST(scrape_during_fold)
{
	int   status, slot;
	pid_t reader, pid;

	ck_assert_int_eq(mg_metrics_init(4, 64), MG_OK);
	mg_metrics_count(MG_M_PROC_RESTARTS, "worker", NULL); /* the row */
	if ((reader = fork()) == 0) {
		int64_t last = 0, v;

		for (int i = 0; i < 3000; i++) {
			v = scraped(MG_M_PROC_RESTARTS, "worker") - 1;
			if (v < last || v % 100 != 0)
				_exit(1);
			last = v;
		}
		_exit(0);
	}
	for (int round = 0; round < 300; round++) {
		slot = mg_metrics_claim(NULL);
		ck_assert_int_ge(slot, 2);
		if ((pid = fork()) == 0) {
			mg_metrics_use(slot);
			mg_metrics_add(mg_metrics_static(
					   MG_M_PROC_RESTARTS, "worker", NULL),
			    100);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		mg_metrics_release(slot);
	}
	ck_assert_int_eq(waitpid(reader, &status, 0), reader);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(scraped(MG_M_PROC_RESTARTS, "worker"), 30001);
	mg_metrics_reset_for_tests();
}
END_TEST

START_TEST(no_free_slot)
{
	int first = 0;

	ck_assert_int_eq(mg_metrics_init(3, 64), MG_OK);
	ck_assert_int_eq(mg_metrics_claim(&first), 2);
	ck_assert_int_eq(mg_metrics_claim(&first), -1);
	ck_assert_int_eq(first, 1);
	first = 0;
	ck_assert_int_eq(mg_metrics_claim(&first), -1);
	ck_assert_int_eq(first, 0); /* said once */
	ck_assert_int_eq(scraped(MG_M_NOSLOT, NULL), 2);
	/* a process without a slot counts nothing, and does not crash */
	mg_metrics_use(-1);
	ck_assert_ptr_null(mg_metrics_static(MG_M_REFUSALS, "x", NULL));
	mg_metrics_count(MG_M_REFUSALS, "x", NULL);
	mg_metrics_reset_for_tests();
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("slots");

	tcase_add_test(tc, single_writer);
	tcase_add_test(tc, histogram);
	tcase_add_test(tc, full_table);
	tcase_add_test(tc, fold_exited_child);
	tcase_add_test(tc, scrape_during_fold);
	tcase_add_test(tc, no_free_slot);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
