/*
 * The bridge's era rules that its transports share (private to
 * connector/): a 2026-07-28 client's request rewritten for the one 2025
 * session the connector holds with an upstream for all such clients, the
 * upstream's requests to the client (elicitation, sampling, roots)
 * answered or held as the client's input, and subscriptions/listen.
 * Streamable HTTP (upbridge.c, uplisten.c) and stdio (stdiobridge.c)
 * each carry the messages their own way.
 */
#ifndef MG_UPASK_H
#define MG_UPASK_H

#include <stddef.h>

#include "upstream.h"

struct event;
struct event_base;
struct json_object;

/* The params of the bridge's initialize: every client capability the
 * bridge can carry to a 2026-07-28 client as input_required. */
#define MG_UPASK_INIT_PARAMS                                                   \
	"{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{"               \
	"\"elicitation\":{\"form\":{},\"url\":{}},\"sampling\":{},"            \
	"\"roots\":{}},\"clientInfo\":{\"name\":\"mcpgw-bridge\","             \
	"\"version\":\"" PACKAGE_VERSION "\"}}"

/* One bridged exchange's part in the upstream's requests to its client
 * (all zero: nothing yet; mg_upask_init before the first message). */
typedef struct {
	int                 caps;   /* what the client declared: MG_REQ_F_* */
	int                 parked; /* its client went: asks wait for a retry */
	struct json_object *answers; /* inputResponses not used yet, by key */
	struct json_object *asks;    /* by key: {"id": id, "msg": text} */
	/* its requests the client did not declare the capability for,
	 * refused once the others are asked: [{"id", "method", "need"}] */
	struct json_object *refusing;
	struct event       *refuse_timer;
	struct event_base  *base;
	const mg_up_ops_t  *ops; /* the exchange's own, as they change */
	/* post the response M (a JSON-RPC message) to the upstream, on the
	 * session the exchange's request lives on */
	void (*reply)(void *arg, struct json_object *m);
	void *arg;
} mg_upask_t;

/* A's exchange: its loop BASE, its OPS (a pointer to the exchange's own,
 * which park and resume change), how its responses go (REPLY(ARG, m)),
 * what its client declared (CAPS). */
void mg_upask_init(mg_upask_t *a, struct event_base *base,
    const mg_up_ops_t *ops, void (*reply)(void *arg, struct json_object *m),
    void *arg, int caps);

/* BODY (LEN bytes), a 2026-07-28 request, as the bridge's session carries
 * it: its id made ID, its inputResponses kept in A.  The new text,
 * malloc'd (*OUT_LEN bytes), or NULL when BODY is not a request. */
char *mg_upask_rewrite(mg_upask_t *a, const char *body, size_t len,
    const char *id, size_t *out_len);

/* One message of the upstream on a bridged exchange: on to the client
 * unless it is a request of the upstream, which is answered here (ping;
 * a method the bridge does not carry: an error), refused a little later
 * (a capability the client did not declare), answered with an answer on
 * hand, or sent to the client with its input key (held while parked). */
void mg_upask_message(mg_upask_t *a, const char *msg, size_t len);

/* The client's retry (its request BODY, CAPS) takes the parked exchange
 * over, its head sent already: its inputResponses answer the waiting
 * requests; the others go to the client again. */
void mg_upask_resume(mg_upask_t *a, const char *body, size_t len, int caps);

/* What A holds; its requests yet to refuse are refused (the client is
 * not told: it has gone). */
void mg_upask_free(mg_upask_t *a);

/*
 * subscriptions/listen over the bridge is served by the connector, from
 * the notifications the upstream sends its session (unasked, or on a
 * request's stream); the rules here, the stream each transport's own.
 */

/* BODY, if it is a subscriptions/listen: its id (the subscription's, a
 * new reference) and in *ASKED what it asks (a new object); else NULL. */
struct json_object *mg_upask_listen_of(
    const char *body, size_t len, struct json_object **asked);

/* What a listen asking ASKED gets of an upstream whose initialize
 * answered INIT (JSON text, or NULL): what its capabilities promise (a
 * new object). */
struct json_object *mg_upask_listen_agree(
    const char *init, struct json_object *asked);

/* The listen's acknowledgement of AGREED, tagged with its ID, to OPS. */
void mg_upask_listen_ack(
    const mg_up_ops_t *ops, struct json_object *id, struct json_object *agreed);

/* The filter key (toolsListChanged .. resourceSubscriptions) of the
 * notification M (*URI: the resource's, for resourceSubscriptions), or
 * NULL when no listen takes it (a request among them). */
const char *mg_upask_listen_kind(
    struct json_object *m, struct json_object **uri);

/* M (of KIND, for URI) to the listen ID that agreed to FILTER, to OPS,
 * tagged with ID, if FILTER wants it. */
void mg_upask_listen_send(const mg_up_ops_t *ops, struct json_object *id,
    struct json_object *filter, struct json_object *m, const char *kind,
    struct json_object *uri);

#endif
