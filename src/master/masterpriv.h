/*
 * What the master's files share (master.c: the loop and signals; kids.c:
 * the children; reload.c: configurations and keys).  Private to master/.
 */
#ifndef MG_MASTERPRIV_H
#define MG_MASTERPRIV_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "listen.h"
#include "msg.h"
#include "sesstab.h"
#include "tls.h"

/* A child had been serving once it said READY and lived this long after:
 * its death is replaced at once.  One that dies sooner failed to start;
 * the second such death in a row waits MG_RESPAWN_FIRST_MS, doubling up
 * to MG_RESPAWN_MAX_MS, so a start-up crash loop cannot spin. */
#define MG_RESPAWN_SERVED_MS 1000
#define MG_RESPAWN_FIRST_MS 500
#define MG_RESPAWN_MAX_MS 30000
#define MG_FAST_STOP_KILL_MS 2000 /* SIGKILL what a fast stop left */
#define MG_RELOAD_WAIT_MS 60000   /* "mcpgw -s reload" waits for a verdict */

typedef struct {
	pid_t         pid; /* 0: waiting to be respawned */
	mg_role_t     role;
	int           slot;
	int           generation;
	mg_channel_t *ch;
	int           ready;
	int           quitting;      /* told to QUIT or TERMINATE */
	int64_t       ready_at;      /* when it said READY */
	int64_t       quit_deadline; /* told to QUIT: killed then */
	int           failures;      /* deaths before serving, in a row */
	int           served_flag;   /* its flag in served.c, or -1 */
	int           served;        /* it had set that flag when it died */
	int64_t       respawn_at;
	int           metrics_slot; /* metrics.h, or -1 */
} mg_kid_t;

typedef struct {
	mg_conf_t     *conf;
	const char    *conf_path;
	int            foreground;
	int            generation;
	mg_kid_t      *kids;
	size_t         nkids;
	mg_listeners_t listeners;
	int            stopping; /* 0, 1 graceful, 2 fast */
	int64_t        stop_deadline;
	const char    *notify;   /* sent once the generation is ready */
	char          *pid_path; /* the pid file we wrote, or NULL */
	sigset_t       waitmask;
	mg_sesstab_t  *sessions; /* shared by every child, across reloads */
	uint8_t       *ikm;      /* session key material */
	size_t         ikm_len;
	mg_tls_set_t  *tls;      /* the running generation's contexts */
	uint8_t       *next_ikm; /* a reload's, until it is taken */
	unsigned       reloads;  /* SIGHUPs so far: verdict.h's SEQ */
	size_t         next_ikm_len;
} mg_master_state_t;

/* The master's state: one per process, and everywhere in master/. */
extern mg_master_state_t mg_master_state;
#define M mg_master_state

static inline int64_t
mg_master_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* kids.c */
void mg_kid_send(mg_kid_t *k, const mg_msg_t *m, int fd);
void mg_kid_remove(mg_kid_t *k);
void mg_kids_start_generation(void);
void mg_kids_tell_all(unsigned type, int gen_below);
void mg_kids_reap(void);
void mg_kids_respawn_due(void);
void mg_kids_check_ready(void);
void mg_kid_read(mg_kid_t *k);
void mg_kids_kill_stragglers(void);

/* mmetrics.c */
int  mg_master_metrics_init(const mg_conf_t *conf);
int  mg_master_metrics_claim(const mg_kid_t *k);
void mg_master_metrics_spawned(void);
void mg_master_metrics_exited(mg_kid_t *k, int respawn);
void mg_master_metrics_reaped(void);
void mg_master_metrics_reload(int ok);

/* reload.c */
int  mg_master_open_error_log(const mg_conf_t *conf, char **err);
void mg_master_forget_key(uint8_t **ikm, size_t *len);
int  mg_master_prepare(mg_conf_t *conf, char **err);
void mg_master_reload(void);
void mg_master_reopen(void);

#endif
