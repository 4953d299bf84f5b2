/*
 * The configuration's memory: everything a loaded mg_conf_t points to is
 * a chunk on one list, so freeing it is one walk and a failed load leaks
 * nothing however far it got.  What the pool cannot own (keys the master
 * loads) is freed by a cleanup registered on it, as nginx's pools do.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

/* The pool: every allocation is a chunk on one list. */
struct conf_chunk {
	struct conf_chunk *next;
	max_align_t        data[];
};

struct conf_cleanup {
	struct conf_cleanup *next;
	void (*fn)(void *);
	void *data;
};

struct mg_conf_mem {
	struct conf_chunk   *chunks;
	struct conf_cleanup *cleanups; /* the last registered first */
};

void *
mg_conf_alloc(mg_conf_t *conf, size_t size)
{
	struct conf_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	if ((c = calloc(1, sizeof(*c) + size)) == NULL)
		return NULL;
	c->next = conf->mem->chunks;
	conf->mem->chunks = c;
	return c->data;
}

char *
mg_conf_strdup(mg_conf_t *conf, const char *s)
{
	size_t len = strlen(s) + 1;
	char  *d;

	if ((d = mg_conf_alloc(conf, len)) != NULL)
		memcpy(d, s, len);
	return d;
}

/* The first N bytes of S, NUL-ended. */
char *
mg_conf_strndup(mg_conf_t *conf, const char *s, size_t n)
{
	char *d;

	if ((d = mg_conf_alloc(conf, n + 1)) != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

int
mg_conf_cleanup_add(mg_conf_t *conf, void (*fn)(void *), void *data)
{
	struct conf_cleanup *cl;

	if ((cl = mg_conf_alloc(conf, sizeof(*cl))) == NULL)
		return MG_ERROR;
	cl->fn = fn;
	cl->data = data;
	cl->next = conf->mem->cleanups;
	conf->mem->cleanups = cl;
	return MG_OK;
}

void
mg_conf_free(mg_conf_t *conf)
{
	struct conf_chunk   *c, *next;
	struct conf_cleanup *cl;

	if (conf == NULL)
		return;
	if (conf->mem != NULL) {
		/* the records are chunks too: run them all before any goes */
		for (cl = conf->mem->cleanups; cl != NULL; cl = cl->next)
			cl->fn(cl->data);
		for (c = conf->mem->chunks; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
		free(conf->mem);
	}
	free(conf);
}

mg_conf_t *
mg_conf_new(void)
{
	mg_conf_t *conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	if ((conf->mem = calloc(1, sizeof(*conf->mem))) == NULL) {
		free(conf);
		return NULL;
	}
	mg_conf_unset(MG_CTX_MAIN, conf);
	mg_conf_unset(MG_CTX_CONNECTOR, &conf->connector);
	conf->error_log_level = MG_UNSET;
	return conf;
}
