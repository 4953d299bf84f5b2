/*
 * What the "everything" server's files share (everything.c: the tables
 * and dispatch; evcontent.c: resources and prompts; evinput.c: its
 * input_required tools; evutil.c: helpers).
 * Private to servers/.
 */
#ifndef MG_EVSERVER_H
#define MG_EVSERVER_H

#include "mcp.h"

struct json_object;

/* A 1x1 PNG and a minimal WAV, Base64. */
#define EV_PNG                                                                 \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAF" \
	"BQIAX8jx0gAAAABJRU5ErkJggg=="
#define EV_WAV "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

/* SEP-2549: how long a client may keep a list or a read (2026-07-28) */
#define EV_TTL_MS 60000

/* A text content item, as JSON. */
#define TEXT(t) "{\"type\":\"text\",\"text\":\"" t "\"}"

typedef struct ev_tool ev_tool_t;
typedef void (*ev_handler_t)(
    mg_mcp_call_t *, const ev_tool_t *, struct json_object *args);

struct ev_tool {
	const char  *name;
	const char  *description;
	const char  *schema; /* inputSchema, JSON */
	const char  *result; /* a fixed CallToolResult, JSON; or: */
	ev_handler_t handler;
};

/* evutil.c */
struct json_object *mg_ev_cacheable(mg_mcp_call_t *call, struct json_object *r);
struct json_object *mg_ev_parse(const char *json);
int                 mg_ev_modern(mg_mcp_call_t *call);
void                mg_ev_add_string(
		   struct json_object *o, const char *key, const char *value);
struct json_object *mg_ev_text_content(const char *text);
struct json_object *mg_ev_text_result(const char *text);
struct json_object *mg_ev_message(
    const char *role, struct json_object *content);
const char *mg_ev_string_param(struct json_object *params, const char *key);

/* evinput.c: tools (ev_handler_t) and the prompt that ask first */
void mg_ev_mrtr(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args);
void mg_ev_multi_round(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args);
void mg_ev_needs_sampling(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args);
void mg_ev_prompt_input(mg_mcp_call_t *call);

/* evlists.c: the lists that change, and the tools that change them */
uint64_t mg_ev_list_version(mg_mcp_list_t kind);
void     mg_ev_trigger_change(
	mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args);
void mg_ev_dynamic_tools(struct json_object *list);
int  mg_ev_dynamic_tool_call(mg_mcp_call_t *call, const char *name);
void mg_ev_dynamic_prompts(struct json_object *list);
int  mg_ev_dynamic_prompt_get(mg_mcp_call_t *call, const char *name);

/* evcontent.c */
int  mg_ev_subscribable(const char *uri);
void mg_ev_resources_list(mg_mcp_call_t *call);
void mg_ev_templates_list(mg_mcp_call_t *call);
void mg_ev_resources_read(mg_mcp_call_t *call, struct json_object *params);
void mg_ev_prompts_list(mg_mcp_call_t *call);
void mg_ev_prompts_get(mg_mcp_call_t *call, struct json_object *params);

#endif
