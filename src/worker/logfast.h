/*
 * Writers made for one format each (logfast.c): a predefined format's
 * line written field by field, without the generic loop over its parts
 * (logline.c).  Chosen at load, by mg_log_fast_resolve.
 */
#ifndef MG_LOGFAST_H
#define MG_LOGFAST_H

#include <stddef.h>

#include "conf.h"
#include "logvar.h"

/* F's line for C without its newline, into OUT (MAX bytes at most),
 * byte for byte what the generic loop writes; 0 when a value would not
 * fit whole (the generic loop then cuts it as it does). */
typedef size_t (*mg_log_fast_fn_t)(
    const mg_log_format_t *f, mg_log_ctx_t *c, char *out, size_t max);

/* S as the default escape writes it ("-" for NULL or ""), in a block
 * 16 bytes longer than *LEN (the writer copies 16 bytes at once); NULL:
 * out of memory.  The caller frees it. */
char *mg_log_fast_escape(const char *s, size_t *len);

/* Master, after mg_logvar_resolve: each format of CONF given the writer
 * made for it (f->fast) if there is one, and the server names and
 * location paths escaped once for the writers (log_name, log_path);
 * MG_ERROR: out of memory (*ERR NULL). */
int mg_log_fast_resolve(mg_conf_t *conf, char **err);

#endif
