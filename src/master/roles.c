/*
 * The process table: every role the master forks, with its entry point
 * (OpenBSD httpd's procs[]).  Only the master knows every role.
 */
#include "config.h"

#include "connector.h"
#include "roles.h"
#include "worker.h"

const mg_proc_role_t mg_procs[MG_ROLE_MAX] = {
	[MG_ROLE_MASTER] = { MG_ROLE_MASTER, "master", "master process", NULL },
	[MG_ROLE_WORKER] = { MG_ROLE_WORKER, "worker", "worker process",
	    mg_worker_main },
	[MG_ROLE_CONNECTOR] = { MG_ROLE_CONNECTOR, "connector",
	    "connector process", mg_connector_main },
};
