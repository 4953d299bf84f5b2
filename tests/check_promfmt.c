/*
 * The exposition formats (promfmt.h): label and HELP escaping, counters
 * in the text format and in OpenMetrics, histograms, the Accept header
 * that asks for OpenMetrics; and the outcome of a tools/call answer read
 * without a tree (rpcoutcome.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "promfmt.h"
#include "rpcoutcome.h"
#include "suites.h"

/* OUT's text, NUL-ended (malloc'd); OUT is emptied. */
static char *
text_of(struct evbuffer *out)
{
	size_t n = evbuffer_get_length(out);
	char  *s = malloc(n + 1);

	evbuffer_remove(out, s, n);
	s[n] = '\0';
	return s;
}

START_TEST(label_escaping)
{
	struct evbuffer *out = evbuffer_new();
	const char       v[] = "a\\b\"c\nd";
	char            *s;

	ck_assert_int_eq(mg_prom_label_value(out, v, strlen(v)), MG_OK);
	s = text_of(out);
	ck_assert_str_eq(s, "a\\\\b\\\"c\\nd");
	free(s);
	ck_assert_int_eq(mg_prom_help(out, "x\\y\n\"z\"", 0), MG_OK);
	s = text_of(out);
	ck_assert_str_eq(s, "x\\\\y\\n\"z\"");
	free(s);
	ck_assert_int_eq(mg_prom_help(out, "\"z\"", 1), MG_OK);
	s = text_of(out);
	ck_assert_str_eq(s, "\\\"z\\\"");
	free(s);
	evbuffer_free(out);
}
END_TEST

/* A scrape table with a counter row and a histogram row. */
static void
fill(mg_metrics_sum_t *sum)
{
	const char *tool[4] = { "/mcp", "up", "say \"hi\"", "result" };
	const char *hist[1] = { "up" };

	memset(sum, 0, sizeof(*sum));
	ck_assert_int_eq(
	    mg_metrics_sum_add(sum, MG_M_TOOL_CALLS, tool, 3), MG_OK);
	ck_assert_int_eq(
	    mg_metrics_sum_add(sum, MG_M_UP_DURATION, hist, 0), MG_OK);
	/* what observing 4 ms, 300 ms and 40 s leaves */
	for (size_t i = 0; i < sum->n; i++)
		if (sum->rows[i].metric == MG_M_UP_DURATION) {
			sum->rows[i].v[0] = 1;
			sum->rows[i].v[6] = 1;
			sum->rows[i].v[MG_METRICS_MAX_BUCKETS] = 1;
			sum->rows[i].v[MG_METRICS_NVALUES - 1] = 40304000;
		}
	mg_metrics_sum_sort(sum);
}

START_TEST(text_format)
{
	struct evbuffer *out = evbuffer_new();
	mg_metrics_sum_t sum;
	char            *s;

	fill(&sum);
	ck_assert_int_eq(mg_prom_render(out, &sum, 0), MG_OK);
	s = text_of(out);
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE mcpgw_tool_calls_total counter\n"
	    "mcpgw_tool_calls_total{route=\"/mcp\",upstream=\"up\","
	    "tool=\"say \\\"hi\\\"\",outcome=\"result\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(
	    s, "# TYPE mcpgw_upstream_exchange_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "mcpgw_upstream_exchange_duration_seconds_bucket{upstream=\"up\","
	    "le=\"0.005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "mcpgw_upstream_exchange_duration_seconds_bucket{upstream=\"up\","
	    "le=\"0.25\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "mcpgw_upstream_exchange_duration_seconds_bucket{upstream=\"up\","
	    "le=\"0.5\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "mcpgw_upstream_exchange_duration_seconds_bucket{upstream=\"up\","
	    "le=\"+Inf\"} 3\n"
	    "mcpgw_upstream_exchange_duration_seconds_sum{upstream=\"up\"} "
	    "40.304000\n"
	    "mcpgw_upstream_exchange_duration_seconds_count{upstream=\"up\"} "
	    "3\n"));
	ck_assert_ptr_null(strstr(s, "# EOF"));
	free(s);
	mg_metrics_sum_free(&sum);
	evbuffer_free(out);
}
END_TEST

START_TEST(openmetrics)
{
	struct evbuffer *out = evbuffer_new();
	mg_metrics_sum_t sum;
	char            *s;
	size_t           n;

	fill(&sum);
	ck_assert_int_eq(mg_prom_render(out, &sum, 1), MG_OK);
	s = text_of(out);
	/* the family without _total, its samples with it */
	ck_assert_ptr_nonnull(strstr(s, "# TYPE mcpgw_tool_calls counter\n"));
	ck_assert_ptr_nonnull(strstr(s, "# HELP mcpgw_tool_calls "));
	ck_assert_ptr_nonnull(strstr(s, "\nmcpgw_tool_calls_total{"));
	n = strlen(s);
	ck_assert_uint_ge(n, 6);
	ck_assert_str_eq(s + n - 6, "# EOF\n");
	free(s);
	mg_metrics_sum_free(&sum);
	evbuffer_free(out);
}
END_TEST

START_TEST(accept_header)
{
	ck_assert(!mg_prom_wants_openmetrics(NULL));
	ck_assert(!mg_prom_wants_openmetrics("text/plain"));
	ck_assert(!mg_prom_wants_openmetrics("*/*"));
	ck_assert(mg_prom_wants_openmetrics("application/openmetrics-text"));
	/* what Prometheus sends */
	ck_assert(mg_prom_wants_openmetrics(
	    "application/openmetrics-text;version=1.0.0,application/"
	    "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
	    "q=0.5,*/*;q=0.1"));
	ck_assert(mg_prom_wants_openmetrics(
	    "text/plain;q=0.5, Application/OpenMetrics-Text; version=1.0.0"));
	ck_assert(!mg_prom_wants_openmetrics(
	    "application/openmetrics-text;q=0, text/plain"));
	ck_assert(!mg_prom_wants_openmetrics("application/openmetrics-textx"));
}
END_TEST

START_TEST(outcome)
{
	static const struct {
		const char      *msg;
		mg_rpc_outcome_t want;
	} cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[]}}",
		    MG_OUTCOME_RESULT },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{"
		  "\"type\":\"text\",\"text\":\"isError\"}],"
		  "\"isError\":true}}",
		    MG_OUTCOME_TOOL_ERROR },
		{ "{\"result\":{\"isError\":false},\"id\":\"a\",\"jsonrpc\":"
		  "\"2.0\"}",
		    MG_OUTCOME_RESULT },
		/* isError deeper than the result's own members: not its */
		{ "{\"id\":1,\"result\":{\"structuredContent\":{\"isError\":"
		  "true}},\"jsonrpc\":\"2.0\"}",
		    MG_OUTCOME_RESULT },
		{ " { \"id\" : [1, {\"x\":\"}\"}], \"error\" : "
		  "{\"code\":-32602}"
		  "}",
		    MG_OUTCOME_RPC_ERROR },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
		  "\"params\":{\"result\":1}}",
		    MG_OUTCOME_NONE },
		/* a string ending in an escaped backslash; an escaped quote */
		{ "{\"id\":\"a\\\\\",\"result\":{}}", MG_OUTCOME_RESULT },
		{ "{\"id\":\"a\\\"b\\\\\\\"\",\"error\":{}}",
		    MG_OUTCOME_RPC_ERROR },
		{ "{\"result\":{\"content\":[{\"text\":\"Error: isError\"}],"
		  "\"isError\" : true}}",
		    MG_OUTCOME_TOOL_ERROR },
		/* the compact shape, read by compares */
		{ "{\"jsonrpc\":\"2.0\",\"id\":-12,\"result\":{\"isError\":"
		  "true}}",
		    MG_OUTCOME_TOOL_ERROR },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"x,\\\"result\\\":\",\"error\":"
		  "{"
		  "\"code\":1}}",
		    MG_OUTCOME_RPC_ERROR },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":{\"content\":"
		  "[]}}",
		    MG_OUTCOME_RESULT },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":{"
		  "\"result\":1}}",
		    MG_OUTCOME_NONE },
		/* the compact shape with a string id: escaped (the walk
		 * reads it), unterminated, empty */
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"t\\\"1\",\"result\":{"
		  "\"isError\":true}}",
		    MG_OUTCOME_TOOL_ERROR },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"t1-1,\\\"result\\\":{}}",
		    MG_OUTCOME_NONE },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"\",\"result\":{\"content\":"
		  "[{\"type\":\"text\",\"text\":\"Echo: isError\"}]}}",
		    MG_OUTCOME_RESULT },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"t1-2\",\"error\":{\"code\":1}"
		  "}",
		    MG_OUTCOME_RPC_ERROR },
		/* a space after the compact shape's "result": (read as the
		 * walk reads it); an escape in the id before its end quote */
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\": {\"isError\":"
		  "true}}",
		    MG_OUTCOME_TOOL_ERROR },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"a\\nb\",\"result\":\n{"
		  "\"isError\":true}}",
		    MG_OUTCOME_TOOL_ERROR },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\\\",\"result\":{"
		  "\"isError\":true}}",
		    MG_OUTCOME_TOOL_ERROR },
		{ "[1,2]", MG_OUTCOME_NONE },
		{ "{\"id\":\"\\\"result\\\"\"", MG_OUTCOME_NONE },
		{ "", MG_OUTCOME_NONE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(mg_rpc_outcome(cases[i].msg,
				  strlen(cases[i].msg)) == cases[i].want,
		    "case %zu: %s", i, cases[i].msg);
}
END_TEST

Suite *
promfmt_suite(void)
{
	Suite *s = suite_create("promfmt");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, label_escaping);
	tcase_add_test(tc, text_format);
	tcase_add_test(tc, openmetrics);
	tcase_add_test(tc, accept_header);
	tcase_add_test(tc, outcome);
	suite_add_tcase(s, tc);
	return s;
}
