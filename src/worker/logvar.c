/*
 * The access log's variables: one row each, its name and the function
 * that gives its value for the request being logged.
 *
 * To add a variable: write a function of type mg_logvar_fn_t below (it
 * returns the value and sets *LEN, or returns NULL when the request has
 * none: the line shows "-", or nothing in a json format; it may use BUF,
 * SIZE bytes, for a value it makes), and add its row to logvars[].  A row
 * with LOGVAR_PREFIX takes every name that starts with it, the rest of
 * the name coming as ARG ($http_NAME).  Then document it in
 * docs/observability.md, "Access logs" and the man page.  Nothing else knows
 * the list: log_format refuses a name no row has, with file and line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "exchange.h"
#include "logvar.h"

#define LOGVAR_PREFIX 0x01 /* a family: $http_NAME */
#define LOGVAR_RAW 0x02    /* its value needs no default escaping */
#define LOGVAR_SAFE                                                            \
	0x04 /* made by mcpgw of digits, hex, addresses and                    \
	      * names: nothing for any escape to change */

typedef struct {
	const char    *name;
	int            flags;
	mg_logvar_fn_t fn;
} logvar_t;

#define VAR(name)                                                              \
	static const char *name(mg_log_ctx_t *c, const char *arg, char *buf,   \
	    size_t size, size_t *len)

static const char *
str(const char *s, size_t *len)
{
	if (s == NULL || *s == '\0')
		return NULL;
	*len = strlen(s);
	return s;
}

#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x

/* 1: a byte that no escape changes (shared by logline.c and logfast.c):
 * (printable ASCII but " and \\) */
/* clang-format off */
const unsigned char mg_log_plain[256] = {
	R16(0), R16(0),                                 /* 0x00-0x1f */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20-0x2f: " */
	R16(1), R16(1),                                 /* 0x30-0x4f */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50-0x5f: \\ */
	R16(1),                                         /* 0x60-0x6f */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70-0x7f: DEL */
	R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
};
/* clang-format on */

/* "00" to "99": numbers are written two digits at a time */
const char mg_log_pairs[] = "00010203040506070809"
			    "10111213141516171819"
			    "20212223242526272829"
			    "30313233343536373839"
			    "40414243444546474849"
			    "50515253545556575859"
			    "60616263646566676869"
			    "70717273747576777879"
			    "80818283848586878889"
			    "90919293949596979899";

/* V in decimal (the numbers of every line: no snprintf on that path),
 * written from its last digits back */
static inline const char *
num(long long v, char *buf, size_t size, size_t *len)
{
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	unsigned long long t = u;
	size_t             n = v < 0;
	char              *p;

	for (; t >= 100; t /= 100)
		n += 2;
	n += t >= 10 ? 2 : 1;
	*len = n <= size ? n : 0;
	if (n > size)
		return buf;
	p = buf + n;
	for (; u >= 100; u /= 100) {
		p -= 2;
		memcpy(p, mg_log_pairs + u % 100 * 2, 2);
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, mg_log_pairs + u * 2, 2);
	} else
		*--p = (char)('0' + u);
	if (v < 0)
		*--p = '-';
	return buf;
}

/* The wall clock, read once a line; the formatted seconds of the times
 * below change once a second and are kept (as nginx caches its times). */
static const struct timeval *
now(mg_log_ctx_t *c)
{
	if (!c->have_tv) {
		gettimeofday(&c->tv, NULL);
		c->have_tv = 1;
	}
	return &c->tv;
}

typedef struct {
	time_t sec;
	size_t len;
	char   text[40];
} cached_t;

static const char *
cached(mg_log_ctx_t *c, cached_t *k, const char *fmt, int iso, size_t *len)
{
	const struct timeval *tv = now(c);
	struct tm             tm;
	long                  off;

	if (k->len == 0 || k->sec != tv->tv_sec) {
		localtime_r(&tv->tv_sec, &tm);
		k->len = strftime(k->text, sizeof(k->text), fmt, &tm);
		off = tm.tm_gmtoff / 60;
		if (iso && k->len + 7 < sizeof(k->text))
			k->len += (size_t)snprintf(k->text + k->len, 7,
			    "%c%02ld:%02ld", off < 0 ? '-' : '+',
			    labs(off) / 60, labs(off) % 60);
		k->sec = tv->tv_sec;
	}
	*len = k->len;
	return k->text;
}

VAR(v_time_iso8601)
{
	static cached_t k;

	(void)arg, (void)buf, (void)size;
	return cached(c, &k, "%Y-%m-%dT%H:%M:%S", 1, len);
}

VAR(v_time_local)
{
	static cached_t k;

	(void)arg, (void)buf, (void)size;
	return cached(c, &k, "%d/%b/%Y:%H:%M:%S %z", 0, len);
}

/* "2026-12-07T18:46:46": the seconds of $time_local_ms, kept */
const char *
mg_logvar_local_seconds(mg_log_ctx_t *c, size_t *len)
{
	static cached_t k;

	return cached(c, &k, "%Y-%m-%dT%H:%M:%S", 0, len);
}

/* "2026-12-07T18:46:46.123": local, milliseconds, no offset (mcpgw's) */
VAR(v_time_local_ms)
{
	const char *s = mg_logvar_local_seconds(c, len);
	unsigned    ms = (unsigned)(c->tv.tv_usec / 1000);

	(void)arg;
	if (*len + 5 > size)
		return s;
	memcpy(buf, s, *len);
	buf[*len] = '.';
	buf[*len + 1] = (char)('0' + ms / 100);
	memcpy(buf + *len + 2, mg_log_pairs + ms % 100 * 2, 2);
	*len += 4;
	return buf;
}

VAR(v_msec)
{
	const struct timeval *tv = now(c);
	int n = snprintf(buf, size, "%lld.%03ld", (long long)tv->tv_sec,
	    (long)tv->tv_usec / 1000);

	(void)arg;
	*len = n > 0 ? (size_t)n : 0;
	return buf;
}

/* microseconds since the request's first byte (monotonic, read once for
 * the log phases: the metrics' duration is the same figure) */
static int64_t
elapsed_us(mg_log_ctx_t *c)
{
	return mg_http_req_elapsed_us(c->req);
}

static const char *
seconds(int64_t us, char *buf, size_t size, size_t *len)
{
	int n;

	if (us < 0)
		us = 0;
	n = snprintf(buf, size, "%lld.%03lld", (long long)(us / 1000000),
	    (long long)(us / 1000 % 1000));
	*len = n > 0 ? (size_t)n : 0;
	return buf;
}

VAR(v_request_time)
{
	(void)arg;
	return seconds(elapsed_us(c), buf, size, len);
}

VAR(v_request_time_us)
{
	(void)arg;
	return num(elapsed_us(c), buf, size, len);
}

VAR(v_remote_addr)
{
	(void)arg, (void)buf, (void)size;
	return str(mg_http_req_peer(c->req), len);
}

VAR(v_remote_port)
{
	(void)arg;
	return num(mg_http_req_peer_port(c->req), buf, size, len);
}

VAR(v_status)
{
	(void)arg;
	return num(mg_http_req_status(c->req), buf, size, len);
}

VAR(v_request_method)
{
	(void)arg, (void)buf, (void)size;
	return str(mg_http_req_method_name(c->req), len);
}

/* the path and, as nginx, "?" and the query when there is one */
VAR(v_request_uri)
{
	const char *path = mg_http_req_path(c->req);
	const char *query = mg_http_req_query(c->req);
	int         n;

	(void)arg;
	if (query[0] == '\0')
		return str(path, len);
	n = snprintf(buf, size, "%s?%s", path ? path : "", query);
	*len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
	return buf;
}

VAR(v_args)
{
	(void)arg, (void)buf, (void)size;
	return str(mg_http_req_query(c->req), len);
}

VAR(v_body_bytes_sent)
{
	(void)arg;
	return num((long long)mg_http_req_bytes_out(c->req), buf, size, len);
}

VAR(v_request_length)
{
	(void)arg;
	return num((long long)mg_http_req_bytes_in(c->req), buf, size, len);
}

VAR(v_server_name)
{
	(void)arg, (void)buf, (void)size;
	return c->ex && c->ex->srv->nnames ? str(c->ex->srv->names[0], len)
					   : NULL;
}

VAR(v_location)
{
	(void)arg, (void)buf, (void)size;
	return c->ex ? str(c->ex->loc->path, len) : NULL;
}

VAR(v_mcp_method)
{
	(void)arg, (void)buf, (void)size;
	return c->ex ? str(c->ex->rpc_method, len) : NULL;
}

VAR(v_mcp_tool)
{
	(void)arg, (void)buf, (void)size;
	return c->ex ? str(c->ex->tool, len) : NULL;
}

/* the session number's high 32 bits, as 8 hex digits */
VAR(v_mcp_session)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t          v;

	(void)arg;
	if (c->ex == NULL || c->ex->session == 0 || size < 8)
		return NULL;
	v = (uint32_t)(c->ex->session >> 32);
	for (int i = 6; i >= 0; i -= 2, v >>= 8) {
		buf[i] = hex[v >> 4 & 15];
		buf[i + 1] = hex[v & 15];
	}
	*len = 8;
	return buf;
}

VAR(v_mcp_error)
{
	(void)arg;
	return c->ex && c->ex->rpc_error ? num(c->ex->rpc_error, buf, size, len)
					 : NULL;
}

VAR(v_mcp_protocol_version)
{
	(void)arg, (void)buf, (void)size;
	if (c->ex == NULL)
		return NULL;
	return str(
	    c->ex->modern ? MG_ERA_2026 : mg_ex_versions[c->ex->version], len);
}

VAR(v_upstream_name)
{
	(void)arg, (void)buf, (void)size;
	return c->ex && c->ex->upstream ? str(c->ex->upstream->name, len)
					: NULL;
}

VAR(v_upstream_addr)
{
	(void)arg, (void)buf, (void)size;
	return c->ex ? str(c->ex->up_addr, len) : NULL;
}

VAR(v_upstream_status)
{
	(void)arg;
	return c->ex && c->ex->up_status ? num(c->ex->up_status, buf, size, len)
					 : NULL;
}

VAR(v_upstream_response_time)
{
	(void)arg;
	return c->ex && c->ex->up_us >= 0 && c->ex->up_status
	    ? seconds(c->ex->up_us, buf, size, len)
	    : NULL;
}

VAR(v_client_identity)
{
	int n;

	(void)arg;
	if (c->ex == NULL || c->ex->who_kind == NULL)
		return NULL;
	n = snprintf(buf, size, "%s:%s", c->ex->who_kind, c->ex->who);
	*len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
	return buf;
}

VAR(v_auth_kind)
{
	(void)arg, (void)buf, (void)size;
	return c->ex ? str(c->ex->who_kind, len) : NULL;
}

VAR(v_ssl_client_subject)
{
	(void)arg, (void)buf, (void)size;
	return str(mg_http_req_client_subject(c->req), len);
}

VAR(v_ssl_protocol)
{
	(void)arg, (void)buf, (void)size;
	return str(mg_http_req_tls_protocol(c->req), len);
}

/* mcpgw's own line quotes these and turns unsafe bytes into '?' (and
 * leaves them unquoted "-" when missing): as it always did */
const char *
mg_logvar_quoted(
    const char *kind, const char *s, char *buf, size_t size, size_t *len)
{
	size_t n = 0;

	if (s == NULL || size < 4)
		return NULL;
	buf[n++] = '"';
	if (kind != NULL) {
		size_t k = strlen(kind);

		if (k + 3 < size) {
			memcpy(buf + n, kind, k);
			n += k;
			buf[n++] = ':';
		}
	}
	for (; *s != '\0' && n + 2 < size; s++)
		buf[n++] = *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\'
		    ? *s
		    : '?';
	buf[n++] = '"';
	*len = n;
	return buf;
}

VAR(v_ssl_client_subject_quoted)
{
	(void)arg;
	return mg_logvar_quoted(
	    NULL, mg_http_req_client_subject(c->req), buf, size, len);
}

VAR(v_client_identity_quoted)
{
	(void)arg;
	if (c->ex == NULL || c->ex->who_kind == NULL)
		return NULL;
	return mg_logvar_quoted(c->ex->who_kind, c->ex->who, buf, size, len);
}

VAR(v_http)
{
	(void)buf, (void)size;
	return str(mg_http_req_header(c->req, arg), len);
}

VAR(v_pid)
{
	static pid_t pid; /* a worker's, once: getpid(2) is a system call */

	(void)arg, (void)c;
	if (pid == 0)
		pid = getpid();
	return num((long long)pid, buf, size, len);
}

VAR(v_hostname)
{
	static char host[256];

	(void)arg, (void)c, (void)buf, (void)size;
	if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) != 0)
		return NULL;
	return str(host, len);
}

/* The trace context (extrace.c, docs/observability.md, "Trace context"). */
VAR(v_request_id)
{
	(void)arg;
	if (size < MG_EX_ID_SIZE || mg_ex_request_id(c->ex, buf) == NULL)
		return NULL;
	*len = MG_EX_ID_SIZE - 1;
	return buf;
}

VAR(v_trace_id)
{
	(void)arg;
	if (size < MG_EX_ID_SIZE || mg_ex_trace_id(c->ex, buf) == NULL)
		return NULL;
	*len = MG_EX_ID_SIZE - 1;
	return buf;
}

VAR(v_traceparent)
{
	(void)arg;
	if (size < MG_TRACEPARENT_LEN + 1 ||
	    mg_ex_traceparent(c->ex, buf) == NULL)
		return NULL;
	*len = MG_TRACEPARENT_LEN;
	return buf;
}

VAR(v_trace_parent_id)
{
	(void)arg;
	if (size < 17 || mg_ex_trace_parent_id(c->ex, buf) == NULL)
		return NULL;
	*len = 16;
	return buf;
}

VAR(v_tracestate)
{
	(void)arg;
	(void)buf;
	(void)size;
	return c->ex != NULL ? str(mg_ex_tracestate(c->ex), len) : NULL;
}

/* PASSED, DELAYED, REJECTED, ... (limitphase.c), as nginx's */
VAR(v_limit_req_status)
{
	(void)arg, (void)buf, (void)size;
	return str(mg_limit_status_of(c->ex), len);
}

static const logvar_t logvars[] = {
	{ "remote_addr", LOGVAR_SAFE, v_remote_addr },
	{ "remote_port", LOGVAR_SAFE, v_remote_port },
	{ "time_iso8601", LOGVAR_SAFE, v_time_iso8601 },
	{ "time_local", LOGVAR_SAFE, v_time_local },
	{ "time_local_ms", LOGVAR_SAFE, v_time_local_ms },
	{ "msec", LOGVAR_SAFE, v_msec },
	{ "request_time", LOGVAR_SAFE, v_request_time },
	{ "request_time_us", LOGVAR_SAFE, v_request_time_us },
	{ "status", LOGVAR_SAFE, v_status },
	{ "request_method", LOGVAR_SAFE, v_request_method },
	{ "request_uri", 0, v_request_uri },
	{ "args", 0, v_args },
	{ "server_name", 0, v_server_name },
	{ "location", 0, v_location },
	{ "body_bytes_sent", LOGVAR_SAFE, v_body_bytes_sent },
	{ "request_length", LOGVAR_SAFE, v_request_length },
	{ "mcp_method", 0, v_mcp_method },
	{ "mcp_tool", 0, v_mcp_tool },
	{ "mcp_session", LOGVAR_SAFE, v_mcp_session },
	{ "mcp_error", LOGVAR_SAFE, v_mcp_error },
	{ "mcp_protocol_version", LOGVAR_SAFE, v_mcp_protocol_version },
	{ "upstream_name", 0, v_upstream_name },
	{ "upstream_addr", LOGVAR_SAFE, v_upstream_addr },
	{ "upstream_status", LOGVAR_SAFE, v_upstream_status },
	{ "upstream_response_time", LOGVAR_SAFE, v_upstream_response_time },
	{ "client_identity", 0, v_client_identity },
	{ "client_identity_quoted", LOGVAR_RAW, v_client_identity_quoted },
	{ "auth_kind", 0, v_auth_kind },
	{ "ssl_client_subject", 0, v_ssl_client_subject },
	{ "ssl_client_subject_quoted", LOGVAR_RAW,
	    v_ssl_client_subject_quoted },
	{ "ssl_protocol", 0, v_ssl_protocol },
	{ "http_", LOGVAR_PREFIX, v_http },
	{ "request_id", LOGVAR_SAFE, v_request_id },
	{ "trace_id", LOGVAR_SAFE, v_trace_id },
	{ "traceparent", LOGVAR_SAFE, v_traceparent },
	{ "trace_parent_id", LOGVAR_SAFE, v_trace_parent_id },
	{ "tracestate", 0, v_tracestate },
	{ "pid", LOGVAR_SAFE, v_pid },
	{ "hostname", 0, v_hostname },
	{ "limit_req_status", LOGVAR_SAFE, v_limit_req_status },
};

/* NAME's row, and for a family what follows its prefix; -1: none. */
static int
logvar_find(const char *name, const char **rest)
{
	size_t n;

	for (size_t i = 0; i < MG_NELEM(logvars); i++) {
		n = strlen(logvars[i].name);
		if (logvars[i].flags & LOGVAR_PREFIX
			? strncmp(name, logvars[i].name, n) == 0 &&
			    name[n] != '\0'
			: strcmp(name, logvars[i].name) == 0) {
			*rest = name + n;
			return (int)i;
		}
	}
	return -1;
}

/* $http_x_api_key: the header X-Api-Key (any case), as nginx names it */
static char *
header_name(const char *rest)
{
	char *h = strdup(rest);

	for (char *p = h; p != NULL && *p != '\0'; p++)
		if (*p == '_')
			*p = '-';
	return h;
}

static int
resolve_format(mg_conf_t *conf, mg_log_format_t *f, char **err)
{
	const char *rest;
	char       *h;

	for (size_t i = 0; i < f->nparts; i++) {
		mg_log_part_t *p = &f->parts[i];

		if (p->name == NULL)
			continue;
		if ((p->var = logvar_find(p->name, &rest)) < 0) {
			if (asprintf(err,
				"unknown variable \"$%s\" in log_format \"%s\" "
				"in %s:%d",
				p->name, f->name, f->pos.file, f->pos.line) < 0)
				*err = NULL;
			return MG_ERROR;
		}
		p->fn = (void (*)(void))logvars[p->var].fn;
		p->raw = logvars[p->var].flags & LOGVAR_SAFE ? MG_LOG_RAW_SAFE
		    : logvars[p->var].flags & LOGVAR_RAW     ? MG_LOG_RAW_QUOTED
							     : 0;
		p->copy = p->raw == MG_LOG_RAW_SAFE ||
		    (p->raw && f->escape != MG_LOG_ESC_JSON);
		if (*rest == '\0')
			continue;
		if ((h = header_name(rest)) == NULL ||
		    mg_conf_cleanup_add(conf, free, h) != MG_OK) {
			free(h);
			*err = NULL;
			return MG_ERROR;
		}
		p->arg = h;
	}
	return MG_OK;
}

/* A limit zone's key: its own message for a name no row has. */
static int
resolve_key(mg_conf_t *conf, mg_limit_zone_t *z, char **err)
{
	const char *rest;

	for (size_t i = 0; i < z->key.nparts; i++)
		if (z->key.parts[i].name != NULL &&
		    logvar_find(z->key.parts[i].name, &rest) < 0) {
			if (asprintf(err,
				"unknown variable \"$%s\" in the key of zone "
				"\"%s\" in %s:%d",
				z->key.parts[i].name, z->name, z->pos.file,
				z->pos.line) < 0)
				*err = NULL;
			return MG_ERROR;
		}
	return resolve_format(conf, &z->key, err);
}

int
mg_logvar_resolve(mg_conf_t *conf, char **err)
{
	for (mg_log_format_t *f = conf->log_formats; f != NULL; f = f->next)
		if (resolve_format(conf, f, err) != MG_OK)
			return MG_ERROR;
	/* the limit zones' keys are made of the same variables */
	for (mg_limit_zone_t *z = conf->limit_zones; z != NULL; z = z->next)
		if (resolve_key(conf, z, err) != MG_OK)
			return MG_ERROR;
	return MG_OK;
}
