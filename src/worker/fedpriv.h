/*
 * What the worker's files of a federated route (fed*.c) share: the
 * fan-out of one request to several members and the members' sessions
 * in the client's token.
 */
#ifndef MG_FEDPRIV_H
#define MG_FEDPRIV_H

#include "exchange.h"
#include "fedname.h"

#define MG_FED_INIT 0x01        /* an initialize: no member session yet */
#define MG_FED_DISCOVER 0x02    /* a server/discover */
#define MG_FED_NOT_REVERSE 0x04 /* not to a member over the reverse bridge */

typedef struct mg_fed_leg {
	struct mg_fed      *fed;
	const mg_member_t  *member;
	mg_relay_t         *relay; /* NULL once it ended */
	int                 done;
	int                 status;      /* the member's HTTP status */
	char               *sid;         /* its session, for an initialize */
	char                version[32]; /* its era's, over the bridge */
	struct json_object *answer;      /* its response, the whole message */
	int                 code;        /* 0, or why it failed: */
	char               *why;
} mg_fed_leg_t;

struct mg_fed {
	mg_mcp_ex_t *ex;
	const char  *what; /* "to tools/list", for the log */
	void (*done)(struct mg_fed *f);
	int                 nlegs, pending, started, finished;
	int                 no_answer; /* a notification: none expected */
	struct event       *timer;
	struct json_object *data;       /* the caller's */
	int64_t             changed[3]; /* ms: the last list change passed
					 * on, tools, prompts, resources */
	mg_fed_leg_t leg[MG_FED_MAX_MEMBERS];
};

/* fedfan.c */
mg_fed_t *mg_fed_new(
    mg_mcp_ex_t *ex, const char *what, void (*done)(mg_fed_t *f));
void mg_fed_leg(mg_fed_t *f, const mg_member_t *m, const char *method,
    const char *body, size_t len, unsigned flags);
void mg_fed_start(mg_fed_t *f);
/* BODY (METHOD, FLAGS as mg_fed_leg's) to every member at once, DONE
 * called once all answered or the time is up (WHAT names it in the log);
 * out of memory: refused under ID. */
void mg_fed_to_all(mg_mcp_ex_t *ex, struct json_object *id, const char *what,
    void (*done)(mg_fed_t *f), const char *method, const char *body, size_t len,
    unsigned flags);
void mg_fed_free(mg_fed_t *f);
/* L's result (the member's answer was one), else NULL (L failed, or
 * answered with an error, which is noted in L) */
struct json_object *mg_fed_result(mg_fed_leg_t *l);
/* No member answered: an error naming each and why. */
void mg_fed_refuse(mg_fed_t *f);
void mg_fed_tell_all(mg_mcp_ex_t *ex, const char *method, const char *body,
    size_t len, int method_http);

/* Does member M speak only 2026-07-28 while EX's client speaks 2025?
 * (Then its legs go over the reverse bridge.) */
int mg_fed_reverse(const mg_mcp_ex_t *ex, const mg_member_t *m);
/* The client's bearer token on Q, for a member that takes it only. */
void mg_fed_token(
    const mg_mcp_ex_t *ex, const mg_member_t *m, mg_relay_req_t *q);

/* fedsess.c: the members' sessions in the token */
void mg_ex_fed_sid(
    const mg_mcp_ex_t *ex, const mg_member_t *m, char *out, size_t outlen);
void mg_ex_fed_init(const mg_mcp_ex_t *ex, const char **init, size_t *len);
const char *mg_ex_fed_version(const mg_mcp_ex_t *ex);
int mg_ex_fed_session(mg_mcp_ex_t *ex, mg_fed_t *f, const char *version);
int mg_ex_fed_member_blob(mg_mcp_ex_t *ex, const mg_member_t *m);

/* fedinit.c */
void mg_ex_fed_initialize(
    mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len);
void mg_ex_fed_discover(
    mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len);

/* fedlist.c */
void mg_ex_fed_list(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);
void mg_ex_fed_all(
    mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len);

/* fedlisten.c */
void mg_ex_fed_listen(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);

#endif
