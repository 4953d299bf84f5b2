/*
 * A location's policy rules (mcp_allow, mcp_deny; conf.h) judged for one
 * identity: which rule decides a method on a name (rules.c), and what a
 * list answer may show (listfilter.c).  Pure: no exchange and no I/O, so
 * that the unit tests drive them alone.  Private to worker/.
 */
#ifndef MG_RULES_H
#define MG_RULES_H

#include <stddef.h>

#include "conf.h"

struct json_object;

/* Who a request comes from, as the access phase found. */
typedef struct {
	const char         *kind;   /* "jwt", "key", "cert"; NULL: nobody */
	const char         *name;   /* the sub, key name or cert subject */
	struct json_object *claims; /* a verified JWT's payload, or NULL */
	const char         *cert;   /* a verified client certificate's
				     * subject, or NULL */
} mg_who_t;

/*
 * Whether RULES refuse METHOD on NAME (NULL: the request names none) to
 * WHO: 1 refused, 0 served.  *BY is the rule that decided, or, for a
 * request refused because no rule allows it, the allow list's first rule
 * for METHOD; NULL when no rule spoke.
 */
int mg_rules_refuse(const mg_mcp_rule_t *rules, const char *method,
    const char *name, const mg_who_t *who, const mg_mcp_rule_t **by);
/* Whether a rule of RULES speaks of METHOD, so it may refuse it to
 * someone. */
int mg_rules_cover(const mg_mcp_rule_t *rules, const char *method);
/* WHO for a log line: jwt "SUB", key "NAME", cert "SUBJECT" or nobody,
 * printable ASCII only. */
void mg_who_print(const mg_who_t *who, char *out, size_t len);

/* The lists whose items a caller may be refused. */
#define MG_LIST_TOOLS 0x01     /* tools/list: tools/call NAME */
#define MG_LIST_PROMPTS 0x02   /* prompts/list: prompts/get NAME */
#define MG_LIST_RESOURCES 0x04 /* resources/list: resources/read URI */
#define MG_LIST_TEMPLATES                                                      \
	0x08 /* resources/templates/list: the same,                            \
	      * on the template's text */

/* The MG_LIST_* bit of list METHOD (NULL: every list) when RULES could
 * hide some of its items; 0 when its answer goes as it is. */
unsigned mg_lists_of(const mg_mcp_rule_t *rules, const char *method);
/* Take out of RESULT (a list's result object) the items of the lists
 * WHICH that RULES refuse to WHO; the rest, nextCursor too, stays as it
 * is, but for a cacheScope, which becomes "private" (*RESCOPED 1 when it
 * was not).  The number of items taken out. */
size_t mg_lists_filter(const mg_mcp_rule_t *rules, const mg_who_t *who,
    unsigned which, struct json_object *result, int *rescoped);

#endif
