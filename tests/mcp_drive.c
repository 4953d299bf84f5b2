/*
 * The in-process MCP endpoint of the worker/ suites (mcp_drive.h).
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "builtin.h"
#include "conf.h"
#include "http.h"
#include "mcp.h"
#include "mcp_drive.h"
#include "session.h"
#include "sesstab.h"

struct mg_drive {
	struct event_base *base;
	mg_conf_t         *conf;
	mg_sesstab_t      *sessions;
	mg_session_key_t  *key;
	mg_mcp_ctx_t      *mcp;
	mg_http_handler_t  handler;
	mg_http_limits_t   limits;
};

/* The location of the one server, as the worker routes: longest prefix. */
static const mg_location_t *
route(const mg_drive_t *d, mg_http_req_t *req)
{
	const mg_location_t *best = NULL;
	const char          *path = mg_http_req_path(req);

	for (const mg_location_t *l = d->conf->servers->locations; l != NULL;
	     l = l->next)
		if (strncmp(l->path, path, strlen(l->path)) == 0 &&
		    (best == NULL || strlen(l->path) > strlen(best->path)))
			best = l;
	return best;
}

static size_t
on_headers(void *arg, mg_http_req_t *req)
{
	mg_drive_t *d = arg;

	if (mg_mcp_headers(req, d->conf->servers, NULL) != MG_OK)
		return 0;
	if (route(d, req) == NULL) {
		mg_http_reply_error(req, 404, -32600, "Not Found");
		return 0;
	}
	return 1 << 20;
}

static void
on_request(void *arg, mg_http_req_t *req)
{
	mg_drive_t *d = arg;

	mg_mcp_handle(d->mcp, req, d->conf->servers, route(d, req), 1);
}

static void
on_aborted(void *arg, mg_http_req_t *req)
{
	mg_mcp_aborted(req);
}

static void
on_done(void *arg, mg_http_req_t *req)
{
	mg_drive_t *d = arg;

	mg_mcp_done(d->mcp, req);
}

mg_drive_t *
mg_drive_new(const char *text)
{
	static const uint8_t ikm[32] = { 1, 2, 3 };
	mg_drive_t          *d = calloc(1, sizeof(*d));
	char                *err = NULL;

	if (d == NULL)
		return NULL;
	d->base = event_base_new();
	d->conf = mg_conf_load_string(text, "drive.conf", &err);
	if (d->conf == NULL || mg_builtin_resolve(d->conf, &err) != MG_OK) {
		fprintf(stderr, "drive.conf: %s\n", err ? err : "?");
		free(err);
		mg_drive_free(d);
		return NULL;
	}
	d->sessions = mg_sesstab_create(64);
	d->key = mg_session_key_new(ikm, sizeof(ikm));
	d->mcp = mg_mcp_ctx_new(d->base, d->sessions, d->key, d->conf);
	d->handler = (mg_http_handler_t){ on_headers, on_request, on_aborted,
		on_done, d, NULL };
	d->limits =
	    (mg_http_limits_t){ 16384, 100, 5000, 5000, 5000, 1 << 20, 5000 };
	return d;
}

void
mg_drive_free(mg_drive_t *d)
{
	if (d == NULL)
		return;
	mg_http_conn_close_all();
	mg_mcp_ctx_free(d->mcp);
	mg_session_key_free(d->key);
	mg_sesstab_destroy(d->sessions);
	mg_conf_free(d->conf);
	event_base_free(d->base);
	free(d);
}

static int
parse(mg_drive_answer_t *a, const char *raw, size_t n)
{
	const char *end = strstr(raw, "\r\n\r\n");
	size_t      h;

	if (end == NULL || sscanf(raw, "HTTP/1.1 %d", &a->status) != 1)
		return MG_ERROR;
	h = (size_t)(end - raw) + 2;
	if (h >= sizeof(a->head) || n - h - 2 >= sizeof(a->body))
		return MG_ERROR;
	memcpy(a->head, raw, h);
	a->head[h] = '\0';
	memcpy(a->body, end + 4, n - h - 2);
	a->body[n - h - 2] = '\0';
	return MG_OK;
}

int
mg_drive(mg_drive_t *d, const char *method, const char *path,
    const char *headers, const char *body, mg_drive_answer_t *a)
{
	struct sockaddr_in peer = { .sin_family = AF_INET,
		.sin_port = htons(40000) };
	static char        raw[32768];
	size_t             n = 0;
	int                fd[2], rc = MG_ERROR;
	ssize_t            r;
	time_t             deadline = time(NULL) + 5;
	char               req[8192];
	int                len;

	memset(a, 0, sizeof(*a));
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nConnection: close\r\n%s"
	    "Content-Length: %zu\r\n\r\n%s",
	    method, path, headers, body ? strlen(body) : 0, body ? body : "");
	if (len < 0 || (size_t)len >= sizeof(req) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, fd) != 0)
		return MG_ERROR;
	if (mg_http_conn_new(d->base, fd[0], (struct sockaddr *)&peer,
		sizeof(peer), NULL, NULL, &d->limits, &d->handler) == NULL) {
		close(fd[0]);
		close(fd[1]);
		return MG_ERROR;
	}
	if (write(fd[1], req, (size_t)len) != len)
		goto out;
	while (time(NULL) < deadline && n < sizeof(raw) - 1) {
		event_base_loop(d->base, EVLOOP_NONBLOCK);
		r = recv(fd[1], raw + n, sizeof(raw) - 1 - n, MSG_DONTWAIT);
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
		else
			usleep(1000);
	}
	raw[n] = '\0';
	rc = n > 0 && time(NULL) < deadline ? parse(a, raw, n) : MG_ERROR;
out:
	close(fd[1]);
	event_base_loop(d->base, EVLOOP_NONBLOCK);
	return rc;
}

const char *
mg_drive_header(
    const mg_drive_answer_t *a, const char *name, char *out, size_t n)
{
	const char *p = a->head;
	size_t      len = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
			size_t v = strcspn(p + len + 2, "\r");

			snprintf(out, n, "%.*s", (int)v, p + len + 2);
			return out;
		}
	}
	return NULL;
}
