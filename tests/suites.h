/* The unit suites; tests/check_main.c runs them all. */
#ifndef MG_TEST_SUITES_H
#define MG_TEST_SUITES_H

#include <check.h>

Suite *conf_suite(void);
Suite *ipc_suite(void);
Suite *msg_suite(void);
Suite *session_suite(void);
Suite *sesstab_suite(void);
Suite *jsonrpc_suite(void);
Suite *sse_suite(void);
Suite *jsonseq_suite(void);
Suite *replay_suite(void);
Suite *era_suite(void);
Suite *bridge_suite(void);
Suite *mcpparam_suite(void);
Suite *http_suite(void);
Suite *crash_suite(void);
Suite *transport_suite(void);
Suite *phase_suite(void);
Suite *exchange_suite(void);
Suite *jwt_suite(void);
Suite *oauth_suite(void);
Suite *tokcache_suite(void);
Suite *policy_suite(void);
Suite *fedname_suite(void);
Suite *stdiosup_suite(void);
Suite *metrics_suite(void);
Suite *promfmt_suite(void);
Suite *trace_suite(void);
Suite *board_suite(void);
Suite *logfmt_suite(void);
Suite *resolve_suite(void);
Suite *pool_suite(void);
Suite *limit_suite(void);
Suite *health_suite(void);

#endif
