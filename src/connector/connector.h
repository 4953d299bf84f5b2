/*
 * The connector process: one libevent loop that owns every outbound MCP
 * session.  Workers reach it over Unix stream sockets that the master
 * creates (MG_MSG_LINK), so no worker ever waits on an upstream, itself
 * included.
 */
#ifndef MG_CONNECTOR_H
#define MG_CONNECTOR_H

#include "proc.h"

int mg_connector_main(mg_child_ctx_t *ctx);

#endif
