/* The unit suites; tests/check_main.c runs them all. */
#ifndef MG_TEST_SUITES_H
#define MG_TEST_SUITES_H

#include <check.h>

Suite *conf_suite(void);
Suite *ipc_suite(void);

#endif
