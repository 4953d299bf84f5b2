/*
 * A worker process: one libevent loop that accepts agents' connections
 * and serves the MCP endpoints.  It never opens a connection to an
 * upstream and never waits: upstream work goes to the connector.
 */
#ifndef MG_WORKER_H
#define MG_WORKER_H

#include "proc.h"

int mg_worker_main(mg_child_ctx_t *ctx);

#endif
