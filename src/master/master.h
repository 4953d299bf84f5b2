/*
 * The master process: reads the configuration, opens the listening
 * sockets, starts and supervises the workers and the connector, and acts
 * on signals.  It never touches client traffic.
 */
#ifndef MG_MASTER_H
#define MG_MASTER_H

#include "conf.h"

typedef struct {
	const char *conf_path;
	int         foreground; /* -F: no fork to the background */
	const char *cmdline;    /* for the title in ps */
	char      **argv;       /* a copy, for a binary upgrade (upgrade.c) */
} mg_master_opts_t;

/* Run until stopped; takes ownership of CONF.  Returns the exit status. */
/* The configuration at PATH, parsed and with every name the parser
 * cannot know (the built-in servers) resolved: for start, -t, -s and
 * reload alike. */
mg_conf_t *mg_master_load_conf(const char *path, char **err);

/* auth.c: auth_jwt's algorithm names to bits (with the load above), and
 * its key files read and parsed onto each block (when a configuration is
 * prepared or tested).  MG_OK, or MG_ERROR and *err, malloc'd, naming the
 * directive's file and line (NULL: out of memory). */
int mg_master_auth_resolve(mg_conf_t *conf, char **err);
int mg_master_auth_load(mg_conf_t *conf, char **err);
/* auth_keys.c: the keys files of auth_keys (called by the above). */
int mg_master_auth_keys_load(mg_conf_t *conf, char **err);

/* upcred.c: the upstreams' secret files (header_secret_file,
 * env_secret_file, client_secret_file) read onto CONF when it is
 * prepared or tested.  MG_OK, or MG_ERROR and *err as above. */
int mg_master_upcred_load(mg_conf_t *conf, char **err);

int mg_master_run(mg_conf_t *conf, const mg_master_opts_t *opts);

/* -s SIGNAL: "reload", "stop", "quit", "reopen", "upgrade" to the master named
 * by CONF's pid file.  Returns the exit status; messages go to stderr. */
int mg_master_signal(const mg_conf_t *conf, const char *name);

#endif
