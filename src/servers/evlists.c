/*
 * The lists of the "everything" server that change (evserver.h): the
 * runner's diagnostic tools test_trigger_tool_change and
 * test_trigger_prompt_change each change one list, which then has the
 * tool test_dynamic_tool (the prompt test_dynamic_prompt) after an odd
 * number of changes and not after an even one.  The counts live in memory
 * the master maps before it forks (mg_everything_lists_init), so every
 * worker lists the same and sees every change (the worker tells its
 * streams: worker/listwatch.c).  Every "location ... { mcp_builtin
 * everything; }" of the daemon shares them.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <json-c/json.h>

#include "everything.h"
#include "evserver.h"

typedef struct {
	_Atomic uint64_t version[MG_MCP_NLISTS];
} lists_shared_t;

/* In shared memory after mg_everything_lists_init; else this process's. */
static lists_shared_t  own;
static lists_shared_t *shared = &own;

#define DYNAMIC_TOOL "test_dynamic_tool"
#define DYNAMIC_PROMPT "test_dynamic_prompt"

int
mg_everything_lists_init(void)
{
	void *p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return MG_ERROR;
	shared = p;
	return MG_OK;
}

uint64_t
mg_ev_list_version(mg_mcp_list_t kind)
{
	return kind < MG_MCP_NLISTS ? atomic_load(&shared->version[kind]) : 0;
}

/* Does list KIND have its dynamic entry now? */
static int
has_dynamic(mg_mcp_list_t kind)
{
	return mg_ev_list_version(kind) % 2 == 1;
}

void
mg_ev_trigger_change(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	mg_mcp_list_t kind =
	    strcmp(tool->name, "test_trigger_prompt_change") == 0
	    ? MG_MCP_LIST_PROMPTS
	    : MG_MCP_LIST_TOOLS;
	uint64_t v = atomic_fetch_add(&shared->version[kind], 1) + 1;
	char     text[160];

	(void)args;
	snprintf(text, sizeof(text), "The %s list changed (%llu times): %s %s",
	    kind == MG_MCP_LIST_TOOLS ? "tool" : "prompt",
	    (unsigned long long)v,
	    kind == MG_MCP_LIST_TOOLS ? DYNAMIC_TOOL : DYNAMIC_PROMPT,
	    v % 2 == 1 ? "is in it now" : "left it");
	mg_mcp_call_result(call, mg_ev_text_result(text));
}

void
mg_ev_dynamic_tools(struct json_object *list)
{
	struct json_object *t;

	if (!has_dynamic(MG_MCP_LIST_TOOLS))
		return;
	t = json_object_new_object();
	mg_ev_add_string(t, "name", DYNAMIC_TOOL);
	mg_ev_add_string(t, "description",
	    "Listed after an odd number of test_trigger_tool_change calls");
	json_object_object_add(
	    t, "inputSchema", mg_ev_parse("{\"type\":\"object\"}"));
	json_object_array_add(list, t);
}

int
mg_ev_dynamic_tool_call(mg_mcp_call_t *call, const char *name)
{
	if (strcmp(name, DYNAMIC_TOOL) != 0 || !has_dynamic(MG_MCP_LIST_TOOLS))
		return 0;
	mg_mcp_call_result(call, mg_ev_text_result("test_dynamic_tool ran"));
	return 1;
}

void
mg_ev_dynamic_prompts(struct json_object *list)
{
	struct json_object *p;

	if (!has_dynamic(MG_MCP_LIST_PROMPTS))
		return;
	p = json_object_new_object();
	mg_ev_add_string(p, "name", DYNAMIC_PROMPT);
	mg_ev_add_string(p, "description",
	    "Listed after an odd number of test_trigger_prompt_change calls");
	json_object_array_add(list, p);
}

int
mg_ev_dynamic_prompt_get(mg_mcp_call_t *call, const char *name)
{
	struct json_object *r, *msgs;

	if (strcmp(name, DYNAMIC_PROMPT) != 0 ||
	    !has_dynamic(MG_MCP_LIST_PROMPTS))
		return 0;
	r = json_object_new_object();
	msgs = json_object_new_array();
	json_object_array_add(msgs,
	    mg_ev_message("user", mg_ev_text_content("test_dynamic_prompt")));
	json_object_object_add(r, "messages", msgs);
	mg_mcp_call_result(call, r);
	return 1;
}
