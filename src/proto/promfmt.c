/*
 * The Prometheus text format 0.0.4 and OpenMetrics 1.0.0 (promfmt.h):
 * families in the order of mg_metric_defs, counters named without _total
 * in OpenMetrics' metadata, histograms as cumulative _bucket samples with
 * +Inf, then _sum (seconds) and _count.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "promfmt.h"

static int
media_is(const char *s, size_t n, const char *type)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == strlen(type) && strncasecmp(s, type, n) == 0;
}

/* Whether the parameters of a media range (after its ';') say q=0. */
static int
q_zero(const char *p, const char *end)
{
	while (p != NULL && p < end) {
		while (p < end && (*p == ' ' || *p == ';'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
		    p[1] == '=') {
			p += 2;
			while (p < end && (*p == '0' || *p == '.'))
				p++;
			return p == end || *p == ';' || *p == ' ';
		}
		p = memchr(p, ';', (size_t)(end - p));
	}
	return 0;
}

int
mg_prom_wants_openmetrics(const char *accept)
{
	const char *p = accept;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		const char *semi;

		if (end == NULL)
			end = p + strlen(p);
		semi = memchr(p, ';', (size_t)(end - p));
		if (media_is(p, (size_t)((semi ? semi : end) - p),
			"application/openmetrics-text") &&
		    !q_zero(semi, end))
			return 1;
		p = *end ? end + 1 : NULL;
	}
	return 0;
}

int
mg_prom_label_value(struct evbuffer *out, const char *v, size_t len)
{
	size_t from = 0;

	for (size_t i = 0; i < len; i++) {
		const char *esc = v[i] == '\\' ? "\\\\"
		    : v[i] == '"'              ? "\\\""
		    : v[i] == '\n'             ? "\\n"
					       : NULL;

		if (esc == NULL)
			continue;
		if (evbuffer_add(out, v + from, i - from) != 0 ||
		    evbuffer_add(out, esc, 2) != 0)
			return MG_ERROR;
		from = i + 1;
	}
	return evbuffer_add(out, v + from, len - from) == 0 ? MG_OK : MG_ERROR;
}

int
mg_prom_help(struct evbuffer *out, const char *v, int openmetrics)
{
	for (; *v != '\0'; v++) {
		const char *esc = *v == '\\'   ? "\\\\"
		    : *v == '\n'               ? "\\n"
		    : *v == '"' && openmetrics ? "\\\""
					       : NULL;

		if (esc ? evbuffer_add(out, esc, 2) : evbuffer_add(out, v, 1))
			return MG_ERROR;
	}
	return MG_OK;
}

/* The family name: OpenMetrics names a counter without its _total. */
static size_t
family_len(const mg_metric_def_t *d, int openmetrics)
{
	size_t n = strlen(d->name);

	if (openmetrics && d->type == MG_MT_COUNTER && n > 6 &&
	    strcmp(d->name + n - 6, "_total") == 0)
		n -= 6;
	return n;
}

static int
family_head(struct evbuffer *out, const mg_metric_def_t *d, int om)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	int                      n = (int)family_len(d, om);

	evbuffer_add_printf(out, "# HELP %.*s ", n, d->name);
	if (mg_prom_help(out, d->help, om) != MG_OK)
		return MG_ERROR;
	return evbuffer_add_printf(
		   out, "\n# TYPE %.*s %s\n", n, d->name, types[d->type]) < 0
	    ? MG_ERROR
	    : MG_OK;
}

/* {a="x",b="y"} with LE as one more label ("" when none at all). */
static int
labels(struct evbuffer *out, const mg_metric_def_t *d, const char *packed,
    const char *le)
{
	const char *v = packed;
	int         n = 0;

	if (d->nlabels == 0 && le == NULL)
		return MG_OK;
	evbuffer_add(out, "{", 1);
	for (int i = 0; i < d->nlabels; i++) {
		size_t len = strlen(v);

		evbuffer_add_printf(
		    out, "%s%s=\"", n++ ? "," : "", d->labels[i]);
		if (mg_prom_label_value(out, v, len) != MG_OK)
			return MG_ERROR;
		evbuffer_add(out, "\"", 1);
		v += len + 1;
	}
	if (le != NULL)
		evbuffer_add_printf(out, "%sle=\"%s\"", n ? "," : "", le);
	return evbuffer_add(out, "}", 1) == 0 ? MG_OK : MG_ERROR;
}

static int
sample(struct evbuffer *out, const mg_metric_def_t *d, const char *suffix,
    const char *packed, const char *le, const char *value)
{
	evbuffer_add_printf(out, "%s%s", d->name, suffix);
	if (labels(out, d, packed, le) != MG_OK)
		return MG_ERROR;
	return evbuffer_add_printf(out, " %s\n", value) < 0 ? MG_ERROR : MG_OK;
}

static int
histogram(
    struct evbuffer *out, const mg_metric_def_t *d, const mg_metrics_row_t *r)
{
	uint64_t cum = 0, us = r->v[MG_METRICS_NVALUES - 1];
	char     v[32];
	int      rc = MG_OK;

	for (int b = 0; b <= d->nbuckets && rc == MG_OK; b++) {
		cum += r->v[b];
		snprintf(v, sizeof(v), "%" PRIu64, cum);
		rc = sample(out, d, "_bucket", r->labels,
		    b < d->nbuckets ? d->bucket_le[b] : "+Inf", v);
	}
	snprintf(v, sizeof(v), "%" PRIu64 ".%06u", us / 1000000,
	    (unsigned)(us % 1000000));
	if (rc == MG_OK)
		rc = sample(out, d, "_sum", r->labels, NULL, v);
	snprintf(v, sizeof(v), "%" PRIu64, cum);
	return rc == MG_OK ? sample(out, d, "_count", r->labels, NULL, v) : rc;
}

static int
row(struct evbuffer *out, const mg_metric_def_t *d, const mg_metrics_row_t *r)
{
	char v[32];

	if (d->type == MG_MT_HISTOGRAM)
		return histogram(out, d, r);
	if (d->type == MG_MT_GAUGE)
		snprintf(v, sizeof(v), "%" PRId64, (int64_t)r->v[0]);
	else
		snprintf(v, sizeof(v), "%" PRIu64, r->v[0]);
	return sample(out, d, "", r->labels, NULL, v);
}

int
mg_prom_render(
    struct evbuffer *out, const mg_metrics_sum_t *sum, int openmetrics)
{
	int last = -1;

	for (size_t i = 0; i < sum->n; i++) {
		const mg_metrics_row_t *r = &sum->rows[i];
		const mg_metric_def_t  *d = &mg_metric_defs[r->metric];

		if (r->metric != last &&
		    family_head(out, d, openmetrics) != MG_OK)
			return MG_ERROR;
		last = r->metric;
		if (row(out, d, r) != MG_OK)
			return MG_ERROR;
	}
	if (openmetrics && evbuffer_add(out, "# EOF\n", 6) != 0)
		return MG_ERROR;
	return MG_OK;
}
