/*
 * The master's listening sockets, kept across reloads and handed to a new
 * master on a binary upgrade (listen.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"

#define MG_LISTEN_BACKLOG 511

static int
same_addr(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static mg_listener_t *
find(mg_listeners_t *t, const mg_listen_t *l)
{
	for (size_t i = 0; i < t->n; i++)
		if (same_addr(&t->items[i].addr, t->items[i].addrlen, &l->addr,
			l->addrlen))
			return &t->items[i];
	return NULL;
}

static int
open_socket(const mg_listen_t *l, char **err)
{
	int         fd, on = 1;
	const char *call = "socket()";

	fd = socket(
	    l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	call = "setsockopt(SO_REUSEADDR)";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0)
		goto fail;
	call = "setsockopt(IPV6_V6ONLY)";
	if (l->addr.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0)
		goto fail;
	call = "bind()";
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0)
		goto fail;
	call = "listen()";
	if (listen(fd, MG_LISTEN_BACKLOG) != 0)
		goto fail;
	return fd;
fail:
	if (asprintf(err, "%s to %s failed (%s) in %s:%d", call, l->text,
		strerror(errno), l->pos.file, l->pos.line) < 0)
		*err = NULL;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Close the sockets whose mark is WHICH. */
static void
drop(mg_listeners_t *t, int which)
{
	size_t j = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->items[i].used != which) {
			t->items[j++] = t->items[i];
			continue;
		}
		if (t->items[i].fd >= 0)
			close(t->items[i].fd);
		free(t->items[i].text);
	}
	t->n = j;
}

static int
add(mg_listeners_t *t, const mg_listen_t *l, char **err)
{
	mg_listener_t *items;
	int            fd;

	if ((fd = open_socket(l, err)) < 0)
		return MG_ERROR;
	items = realloc(t->items, (t->n + 1) * sizeof(*items));
	if (items == NULL) {
		close(fd);
		*err = strdup("out of memory opening listeners");
		return MG_ERROR;
	}
	t->items = items;
	items[t->n] =
	    (mg_listener_t){ fd, strdup(l->text), l->addr, l->addrlen, 2 };
	t->n++;
	return MG_OK;
}

int
mg_listeners_sync(mg_listeners_t *t, const mg_conf_t *conf, char **err)
{
	mg_listener_t *have;

	/* used: 0 = not named by CONF, 1 = kept, 2 = opened now */
	for (size_t i = 0; i < t->n; i++)
		t->items[i].used = 0;
	for (mg_server_t *s = conf->servers; s != NULL; s = s->next)
		for (mg_listen_t *l = s->listens; l != NULL; l = l->next) {
			if ((have = find(t, l)) != NULL) {
				if (have->used == 0)
					have->used = 1;
				continue;
			}
			if (add(t, l, err) != MG_OK) {
				drop(t, 2); /* undo: close what was opened */
				return MG_ERROR;
			}
		}
	drop(t, 0);
	for (size_t i = 0; i < t->n; i++)
		t->items[i].used = 1;
	return MG_OK;
}

/* "127.0.0.1:8080", "[::1]:8080" */
static char *
addr_text(const struct sockaddr_storage *ss)
{
	char        host[INET6_ADDRSTRLEN], *s = NULL;
	const void *a;
	int         port, v6 = ss->ss_family == AF_INET6;

	if (v6) {
		a = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		port = ntohs(
		    ((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	} else {
		a = &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		port = ntohs(
		    ((const struct sockaddr_in *)(const void *)ss)->sin_port);
	}
	if (inet_ntop(ss->ss_family, a, host, sizeof(host)) == NULL ||
	    asprintf(&s, v6 ? "[%s]:%d" : "%s:%d", host, port) < 0)
		return NULL;
	return s;
}

int
mg_listeners_adopt(mg_listeners_t *t, int fd)
{
	mg_listener_t *items, l = { .fd = fd };
	int            on = 0;
	socklen_t      len = sizeof(on);

	l.addrlen = sizeof(l.addr);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&l.addr, &l.addrlen) != 0)
		return MG_ERROR;
	if (!on ||
	    (l.addr.ss_family != AF_INET && l.addr.ss_family != AF_INET6)) {
		errno = EINVAL;
		return MG_ERROR;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    (l.text = addr_text(&l.addr)) == NULL)
		return MG_ERROR;
	if ((items = realloc(t->items, (t->n + 1) * sizeof(*items))) == NULL) {
		free(l.text);
		return MG_ERROR;
	}
	t->items = items;
	items[t->n++] = l;
	return MG_OK;
}

void
mg_listeners_close(mg_listeners_t *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->items[i].used = 0;
	drop(t, 0);
	free(t->items);
	t->items = NULL;
	t->n = 0;
}
