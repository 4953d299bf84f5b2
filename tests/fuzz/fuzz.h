/*
 * What the libFuzzer targets of tests/fuzz share: libFuzzer's entry
 * points, a quiet error log, and the one way a target reports a broken
 * property: a line saying which, then abort(), which libFuzzer records as
 * a crash with the input that caused it (docs/fuzzing.md).
 */
#ifndef MG_FUZZ_H
#define MG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
			    "%s:%d: property failed: %s: ", __FILE__,          \
			    __LINE__, #cond);                                  \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* The daemon logs every refused input; a fuzzer makes millions.  Only
 * mg_fatal's last words (level emerg) still show. */
static inline void
fuzz_quiet(void)
{
	mg_log_set_level(MG_LOG_EMERG);
}

#endif
