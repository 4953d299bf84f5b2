/*
 * One runner for every unit suite.  Exit status 0 only if all pass.
 */
#include "config.h"

#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	/* one suite a line, so that branches adding suites merge */
	Suite *(*suites[])(void) = {
		conf_suite,
		ipc_suite,
		msg_suite,
		session_suite,
		sesstab_suite,
		jsonrpc_suite,
		sse_suite,
		jsonseq_suite,
		replay_suite,
		bridge_suite,
		era_suite,
		mcpparam_suite,
		http_suite,
		crash_suite,
		transport_suite,
		phase_suite,
		exchange_suite,
		jwt_suite,
		oauth_suite,
		tokcache_suite,
		policy_suite,
		fedname_suite,
		stdiosup_suite,
		metrics_suite,
		promfmt_suite,
		trace_suite,
		board_suite,
		logfmt_suite,
		resolve_suite,
		pool_suite,
		limit_suite,
		health_suite,
	};
	SRunner *sr;
	int      failed;

	sr = srunner_create(NULL);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
