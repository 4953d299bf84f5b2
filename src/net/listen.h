/*
 * The master's table of listening sockets.  A reload keeps the sockets
 * whose address stays, opens the new ones and closes the rest, so no
 * connection is refused while generations change.
 */
#ifndef MG_LISTEN_H
#define MG_LISTEN_H

#include <sys/socket.h>

#include "conf.h"
#include "mcpgw.h"

/* A listening socket the master opened; workers inherit it. */
typedef struct {
	int                     fd;
	char                   *text; /* "127.0.0.1:8080" */
	struct sockaddr_storage addr;
	socklen_t               addrlen;
	int                     used; /* by the configuration being built */
} mg_listener_t;

typedef struct {
	mg_listener_t *items;
	size_t         n;
} mg_listeners_t;

/*
 * Make TABLE serve CONF: reuse sockets with the same address, open new
 * ones.  On failure nothing changes (new sockets are closed), *err says
 * what failed with the listen directive's file:line, and MG_ERROR.
 * On success the sockets CONF no longer names are closed.
 */
int mg_listeners_sync(mg_listeners_t *table, const mg_conf_t *conf, char **err);
void mg_listeners_close(mg_listeners_t *table);

/*
 * Binary upgrade: take FD, a listening socket inherited from the old
 * master, into TABLE under the address it is bound to (getsockname), so
 * that mg_listeners_sync keeps it when the configuration names that
 * address and closes it otherwise.  MG_ERROR (errno) if FD is not a
 * listening TCP socket.
 */
int mg_listeners_adopt(mg_listeners_t *table, int fd);

#endif
