/*
 * The conf suite's parts in their own files: check_conf.c builds the
 * suite and adds these test cases to it.
 */
#ifndef MG_CHECK_CONF_H
#define MG_CHECK_CONF_H

#include <check.h>

/* Stands in for the file name; only include tests touch the disk. */
#define NAME "/tmp/mcpgw-check/test.conf"

/* A configuration that must not load, and what loading it says. */
typedef struct {
	const char *text;
	const char *error;
} refusal_t;

TCase *conf_lexer_tcase(void);       /* check_conf_lexer.c */
TCase *conf_units_tcase(void);       /* check_conf_units.c */
TCase *conf_include_tcase(void);     /* check_conf_include.c */
TCase *conf_auth_tcase(void);        /* check_auth_conf.c */
TCase *conf_auth_load_tcase(void);   /* check_auth_conf.c */
TCase *conf_upcred_tcase(void);      /* check_upcred_conf.c */
TCase *conf_upcred_load_tcase(void); /* check_upcred_conf.c */
TCase *conf_upfwd_tcase(void);       /* check_upfwd_conf.c */
TCase *conf_keys_tcase(void);        /* check_access_conf.c */
TCase *conf_keys_load_tcase(void);   /* check_access_conf.c */
TCase *conf_fed_tcase(void);         /* check_fed_conf.c */
TCase *conf_timeouts_tcase(void);    /* check_timeouts_conf.c */
TCase *conf_lstore_tcase(void);      /* check_lstore_conf.c */

#endif
