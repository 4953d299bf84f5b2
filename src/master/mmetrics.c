/*
 * The master's part of the metrics (metrics.h): it maps the region before
 * the first fork, gives each child a slot and folds it when the child is
 * gone, and counts what only it knows: children running and respawned,
 * reloads, the generation, its start time.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "masterpriv.h"
#include "metrics.h"

static const char *const role_names[MG_ROLE_MAX] = { "master", "worker",
	"connector" };

/* Room for the running generation, three still draining, the retired
 * counts and the master's own. */
static int
nslots(const mg_conf_t *conf)
{
	return 2 + 4 * (conf->worker_processes + 1);
}

int
mg_master_metrics_init(const mg_conf_t *conf)
{
	if (mg_metrics_init(nslots(conf), conf->metrics_max_series) != MG_OK)
		return MG_ERROR;
	mg_metrics_set(mg_metrics_static(MG_M_START_TIME, NULL, NULL),
	    (int64_t)time(NULL));
	mg_metrics_gauge(MG_M_PROCESSES, role_names[MG_ROLE_WORKER], 0);
	mg_metrics_gauge(MG_M_PROCESSES, role_names[MG_ROLE_CONNECTOR], 0);
	mg_metrics_add(mg_metrics_static(MG_M_PROC_RESTARTS,
			   role_names[MG_ROLE_WORKER], NULL),
	    0);
	mg_metrics_add(mg_metrics_static(MG_M_PROC_RESTARTS,
			   role_names[MG_ROLE_CONNECTOR], NULL),
	    0);
	mg_metrics_add(mg_metrics_static(MG_M_RELOADS, "success", NULL), 0);
	mg_metrics_add(mg_metrics_static(MG_M_RELOADS, "failure", NULL), 0);
	mg_metrics_add(mg_metrics_static(MG_M_NOSLOT, NULL, NULL), 0);
	return MG_OK;
}

/* Children running now, and the generation. */
static void
processes(void)
{
	int64_t n[MG_ROLE_MAX] = { 0 };

	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].pid > 0)
			n[M.kids[i].role]++;
	for (int r = MG_ROLE_WORKER; r < MG_ROLE_MAX; r++)
		mg_metrics_set(
		    mg_metrics_static(MG_M_PROCESSES, role_names[r], NULL),
		    n[r]);
	mg_metrics_set(
	    mg_metrics_static(MG_M_GENERATION, NULL, NULL), M.generation);
}

int
mg_master_metrics_claim(const mg_kid_t *k)
{
	int first = 0, slot = mg_metrics_claim(&first);

	if (first)
		mg_warn("no metrics slot is free for a %s (every one of %d is "
			"taken): it counts nothing; this is said once",
		    role_names[k->role], mg_metrics_nslots());
	return slot;
}

void
mg_master_metrics_spawned(void)
{
	processes();
}

void
mg_master_metrics_exited(mg_kid_t *k, int respawn)
{
	mg_metrics_release(k->metrics_slot);
	k->metrics_slot = -1;
	if (respawn)
		mg_metrics_count(MG_M_PROC_RESTARTS, role_names[k->role], NULL);
}

void
mg_master_metrics_reaped(void)
{
	processes();
}

void
mg_master_metrics_reload(int ok)
{
	const char *result = ok ? "success" : "failure";

	mg_metrics_count(MG_M_RELOADS, result, NULL);
	mg_metrics_set(mg_metrics_static(MG_M_LAST_RELOAD, result, NULL),
	    (int64_t)time(NULL));
	processes();
}
