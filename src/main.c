/*
 * mcpgw: the command line.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json_c_version.h>
#include <openssl/crypto.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "proc.h"
#include "session.h"
#include "tls.h"

#ifndef MG_CONF_PATH
#define MG_CONF_PATH "/etc/mcpgw/mcpgw.conf"
#endif

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: mcpgw [-hVtqF] [-c file] [-s signal]\n"
	    "\n"
	    "  -c file    configuration file (default: %s)\n"
	    "  -t         check the configuration and exit\n"
	    "  -q         with -t: print only errors\n"
	    "  -F         stay in the foreground (systemd, containers)\n"
	    "  -s signal  send a signal to the master: reload, stop, quit, "
	    "reopen\n"
	    "  -V         print the version and build options\n"
	    "  -h         print this help\n",
	    MG_CONF_PATH);
}

static void
version(void)
{
	printf("mcpgw version %s\n", PACKAGE_VERSION);
	printf("built with libevent %s, %s, json-c %s\n", event_get_version(),
	    OpenSSL_version(OPENSSL_VERSION), json_c_version());
	printf("configure options: %s\n", MG_BUILD_OPTIONS);
	printf("default configuration file: %s\n", MG_CONF_PATH);
}

/* The master's title: how it was started, as nginx shows it. */
static char *
join_args(int argc, char **argv)
{
	size_t len = 1;
	char  *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* What a start would read besides the file: the user and group (when
 * written, or when the master would switch to them as root),
 * certificates, keys, the session key file, auth_jwt's key files.  NULL
 * if all load, else why (malloc'd). */
static char *
test_files(mg_conf_t *conf)
{
	mg_tls_set_t *tls;
	uint8_t      *ikm;
	size_t        len;
	char         *err = NULL;
	uid_t         uid;
	gid_t         gid;

	if ((conf->user != NULL || conf->group != NULL || geteuid() == 0) &&
	    mg_proc_resolve_user(conf, &uid, &gid, &err) != MG_OK)
		return err ? err : strdup("out of memory");

	if (mg_master_auth_load(conf, &err) != MG_OK)
		return err ? err
			   : strdup("out of memory loading auth_jwt keys");
	if (mg_master_upcred_load(conf, &err) != MG_OK)
		return err ? err
			   : strdup("out of memory loading upstream secrets");
	if ((tls = mg_tls_set_new(conf, &err)) == NULL)
		return err ? err : strdup("out of memory loading TLS files");
	mg_tls_set_free(tls);
	if (conf->session_key_file != NULL) {
		if (mg_session_key_load_file(
			conf->session_key_file, &ikm, &len, &err) != MG_OK)
			return err ? err
				   : strdup("cannot read the session key");
		free(ikm);
	}
	return NULL;
}

static int
test_conf(mg_conf_t *conf, const char *path, const char *err, int quiet)
{
	char *files_err;

	if (conf != NULL && (files_err = test_files(conf)) != NULL) {
		mg_conf_free(conf);
		conf = NULL;
		fprintf(stderr, "mcpgw: [emerg] %s\n", files_err);
		free(files_err);
		err = NULL;
		fprintf(
		    stderr, "mcpgw: configuration file %s test failed\n", path);
		return 1;
	}
	if (conf == NULL) {
		fprintf(
		    stderr, "mcpgw: [emerg] %s\n", err ? err : "out of memory");
		fprintf(
		    stderr, "mcpgw: configuration file %s test failed\n", path);
		return 1;
	}
	if (!quiet) {
		fprintf(stderr,
		    "mcpgw: the configuration file %s syntax is ok\n", path);
		fprintf(stderr,
		    "mcpgw: configuration file %s test is "
		    "successful\n",
		    path);
	}
	mg_conf_free(conf);
	return 0;
}

int
main(int argc, char **argv)
{
	mg_master_opts_t opts = { MG_CONF_PATH, 0, NULL };
	const char      *sig = NULL;
	int              test = 0, quiet = 0, c, rc;
	mg_conf_t       *conf;
	char            *err = NULL, *cmdline, *path;

	while ((c = getopt(argc, argv, "hVtqFc:s:")) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'V': version(); return 0;
		case 't': test = 1; break;
		case 'q': quiet = 1; break;
		case 'F': opts.foreground = 1; break;
		case 'c': opts.conf_path = optarg; break;
		case 's': sig = optarg; break;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mcpgw: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 1;
	}
	conf = mg_master_load_conf(opts.conf_path, &err);
	if (test) {
		rc = test_conf(conf, opts.conf_path, err, quiet);
		free(err);
		return rc;
	}
	if (conf == NULL) {
		fprintf(
		    stderr, "mcpgw: [emerg] %s\n", err ? err : "out of memory");
		free(err);
		return 1;
	}
	if (sig != NULL) {
		rc = mg_master_signal(conf, sig);
		mg_conf_free(conf);
		return rc;
	}
	/* The title overwrites argv: keep copies of what points into it. */
	cmdline = join_args(argc, argv);
	opts.cmdline = cmdline ? cmdline : "mcpgw";
	if ((path = strdup(opts.conf_path)) == NULL)
		return 1;
	opts.conf_path = path;
	mg_proctitle_init(argc, argv);
	rc = mg_master_run(conf, &opts);
	free(cmdline);
	free(path);
	return rc;
}
