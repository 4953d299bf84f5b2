/*
 * The master's configurations (masterpriv.h): loading one with every name
 * resolved, preparing it fully (auth_jwt keys, error log, session key, TLS
 * contexts, listeners) before anything changes, the reload that then starts a
 * new generation, and reopening the logs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "accesslog.h"
#include "logfast.h"
#include "logvar.h"
#include "builtin.h"
#include "limitzone.h"
#include "log.h"
#include "master.h"
#include "masterpriv.h"
#include "proc.h"
#include "sdnotify.h"
#include "session.h"
#include "verdict.h"

int
mg_master_open_error_log(const mg_conf_t *conf, char **err)
{
	int fd = mg_log_open(conf->error_log);

	if (fd < 0) {
		if (asprintf(err, "open() \"%s\" failed (%s) for the error log",
			conf->error_log, strerror(errno)) < 0)
			*err = NULL;
		return MG_ERROR;
	}
	mg_log_set_fd(fd);
	mg_log_set_level(conf->error_log_level);
	return MG_OK;
}

/*
 * The key material of session ids: from session_key_file, or made once
 * per master start (so a reload keeps every session).
 */
static int
load_session_key(const mg_conf_t *conf, char **err)
{
	uint8_t *ikm;
	size_t   len;

	if (conf->session_key_file != NULL) {
		if (mg_session_key_load_file(
			conf->session_key_file, &ikm, &len, err) != MG_OK)
			return MG_ERROR;
	} else if (M.ikm != NULL) {
		return MG_OK;
	} else {
		len = 32;
		if ((ikm = malloc(len)) == NULL ||
		    mg_session_ikm_generate(ikm) != MG_OK) {
			free(ikm);
			*err = strdup("cannot generate a session key");
			return MG_ERROR;
		}
	}
	/* used only once the configuration is (commit_session_key) */
	M.next_ikm = ikm;
	M.next_ikm_len = len;
	return MG_OK;
}

void
mg_master_forget_key(uint8_t **ikm, size_t *len)
{
	if (*ikm != NULL) {
		OPENSSL_cleanse(*ikm, *len);
		free(*ikm);
	}
	*ikm = NULL;
	*len = 0;
}

/* The configuration is taken: its key, if it brought one, too. */
static void
commit_session_key(void)
{
	if (M.next_ikm == NULL)
		return;
	mg_master_forget_key(&M.ikm, &M.ikm_len);
	M.ikm = M.next_ikm;
	M.ikm_len = M.next_ikm_len;
	M.next_ikm = NULL;
}

/* Everything a configuration needs that can fail, before it is used. */
int
mg_master_prepare(mg_conf_t *conf, char **err)
{
	mg_tls_set_t *tls;
	uid_t         uid;
	gid_t         gid;

	*err = NULL;
	if (geteuid() == 0 &&
	    mg_proc_resolve_user(conf, &uid, &gid, err) != MG_OK)
		return MG_ERROR;
	/* auth_jwt's keys: freed with CONF if what follows fails */
	if (mg_master_auth_load(conf, err) != MG_OK ||
	    mg_master_upcred_load(conf, err) != MG_OK)
		return MG_ERROR;
	/* certificates and keys are read here, as root, before any fork */
	if ((tls = mg_tls_set_new(conf, err)) == NULL)
		return MG_ERROR;
	if (load_session_key(conf, err) != MG_OK) {
		mg_tls_set_free(tls);
		return MG_ERROR;
	}
	if (mg_limitzones_map(conf, err) != MG_OK ||
	    mg_accesslog_open(conf, err) != MG_OK ||
	    mg_listeners_sync(&M.listeners, conf, err) != MG_OK) {
		mg_master_forget_key(&M.next_ikm, &M.next_ikm_len);
		mg_tls_set_free(tls);
		return MG_ERROR;
	}
	commit_session_key();
	/* children of older generations have their own copies */
	mg_tls_set_free(M.tls);
	M.tls = tls;
	return MG_OK;
}

/* For "mcpgw -s reload", which waits for it (verdict.h). */
static void
reload_verdict(int ok, const char *msg)
{
	if (M.pid_path != NULL)
		mg_verdict_write(M.pid_path, ++M.reloads, ok, msg);
}

void
mg_master_reload(void)
{
	mg_conf_t *conf;
	char      *err = NULL;

	mg_notice("reloading the configuration from \"%s\"", M.conf_path);
	mg_sd_notify_reloading();
	if ((conf = mg_master_load_conf(M.conf_path, &err)) == NULL ||
	    mg_master_prepare(conf, &err) != MG_OK) {
		mg_error("reload failed, keeping the running configuration: %s",
		    err ? err : "out of memory");
		reload_verdict(0, err ? err : "out of memory");
		free(err);
		mg_conf_free(conf);
		mg_sd_notify("READY=1");
		mg_master_metrics_reload(0);
		return;
	}
	if (mg_master_open_error_log(conf, &err) != MG_OK) {
		mg_error("%s; keeping the old error log", err ? err : "?");
		free(err);
	}
	if (conf->max_sessions != M.conf->max_sessions)
		mg_warn("max_sessions changed from %d to %d: the session table "
			"keeps its size until mcpgw restarts",
		    M.conf->max_sessions, conf->max_sessions);
	if (conf->metrics_max_series != M.conf->metrics_max_series)
		mg_warn("metrics_max_series changed from %d to %d: the metrics "
			"tables keep their size until mcpgw restarts",
		    M.conf->metrics_max_series, conf->metrics_max_series);
	mg_kids_tell_all(MG_MSG_QUIT, M.generation + 1);
	mg_conf_free(M.conf);
	M.conf = conf;
	mg_kids_start_generation();
	M.notify = "READY=1";
	reload_verdict(1, "");
	mg_master_metrics_reload(1);
}

static void
reopen_error_log(void)
{
	mg_msg_t msg = { .type = MG_MSG_REOPEN, .reopen = { -1 } };
	int      fd;

	if (strcmp(M.conf->error_log, "stderr") == 0)
		return;
	if ((fd = mg_log_open(M.conf->error_log)) < 0) {
		mg_log_errno(MG_LOG_ERROR, errno,
		    "open() \"%s\" failed while "
		    "reopening the error log",
		    M.conf->error_log);
		return;
	}
	mg_log_set_fd(fd);
	mg_notice("reopened the error log \"%s\"", M.conf->error_log);
	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].pid > 0)
			mg_kid_send(
			    &M.kids[i], &msg, fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

static void
reopen_access_log(void *arg, int index, int fd)
{
	mg_msg_t msg = { .type = MG_MSG_REOPEN, .reopen = { index } };

	for (size_t k = 0; k < M.nkids; k++)
		if (M.kids[k].pid > 0 && M.kids[k].role == MG_ROLE_WORKER)
			mg_kid_send(
			    &M.kids[k], &msg, fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

/* SIGUSR1: the error log, then the access logs, each opened anew. */
void
mg_master_reopen(void)
{
	reopen_error_log();
	mg_accesslog_reopen(reopen_access_log, NULL);
}

mg_conf_t *
mg_master_load_conf(const char *path, char **err)
{
	mg_conf_t *conf = mg_conf_load(path, err);

	if (conf != NULL &&
	    (mg_builtin_resolve(conf, err) != MG_OK ||
		mg_logvar_resolve(conf, err) != MG_OK ||
		mg_log_fast_resolve(conf, err) != MG_OK ||
		mg_master_auth_resolve(conf, err) != MG_OK)) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}
