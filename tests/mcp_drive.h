/*
 * A worker's MCP endpoint driven in-process, for the unit suites of
 * worker/: a configuration from a string, the real HTTP code on one end of
 * a socketpair, the real phases and exchange behind it, and the raw
 * request written and the answer read on the other end.  No listener, no
 * connector, no other process.
 */
#ifndef MG_TEST_MCP_DRIVE_H
#define MG_TEST_MCP_DRIVE_H

typedef struct mg_drive mg_drive_t;

/* CONF: the text of a configuration with one server; NULL on failure. */
mg_drive_t *mg_drive_new(const char *conf);
void        mg_drive_free(mg_drive_t *d);

typedef struct {
	int  status;
	char head[2048];  /* status line and headers */
	char body[16384]; /* NUL-terminated; SSE as it came */
} mg_drive_answer_t;

/* Send METHOD on PATH with HEADERS (each "Name: value\r\n", may be "")
 * and BODY (may be NULL), on a loopback connection; wait for the whole
 * answer (Connection: close).  MG_OK, or MG_ERROR (no answer in 5 s). */
int mg_drive(mg_drive_t *d, const char *method, const char *path,
    const char *headers, const char *body, mg_drive_answer_t *a);
/* The value of header NAME in A (into OUT), or NULL. */
const char *mg_drive_header(
    const mg_drive_answer_t *a, const char *name, char *out, size_t n);

#endif
