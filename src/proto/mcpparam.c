/*
 * The x-mcp-header parameters of an upstream's tools, and the check of a
 * tools/call's Mcp-Param-* headers against them.  See mcpparam.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "jsonrpc.h"
#include "mcpgw.h"
#include "mcpparam.h"

struct mg_mcpparam {
	struct json_object *tools; /* name -> {"properties": {p: {x-mcp..}}} */
	size_t              max_tools, max_per_tool;
	size_t              dropped;
};

mg_mcpparam_t *
mg_mcpparam_new(size_t max_tools, size_t max_per_tool)
{
	mg_mcpparam_t *m = calloc(1, sizeof(*m));

	if (m == NULL || (m->tools = json_object_new_object()) == NULL) {
		free(m);
		return NULL;
	}
	m->max_tools = max_tools;
	m->max_per_tool = max_per_tool;
	return m;
}

void
mg_mcpparam_free(mg_mcpparam_t *m)
{
	if (m == NULL)
		return;
	json_object_put(m->tools);
	free(m);
}

size_t
mg_mcpparam_dropped(const mg_mcpparam_t *m)
{
	return m->dropped;
}

size_t
mg_mcpparam_count(const mg_mcpparam_t *m)
{
	return (size_t)json_object_object_length(m->tools);
}

int
mg_mcpparam_has(const mg_mcpparam_t *m, const char *tool)
{
	return tool != NULL && json_object_object_get_ex(m->tools, tool, NULL);
}

/* TOOL's inputSchema cut to its x-mcp-header properties (at most
 * max_per_tool), or NULL when it has none. */
static struct json_object *
tool_cut(mg_mcpparam_t *m, struct json_object *tool)
{
	struct json_object *schema, *props, *suffix, *kept = NULL, *cut;
	size_t              n = 0;

	if (!json_object_object_get_ex(tool, "inputSchema", &schema) ||
	    !json_object_object_get_ex(schema, "properties", &props) ||
	    !json_object_is_type(props, json_type_object))
		return NULL;
	json_object_object_foreach(props, prop, spec)
	{
		if (!json_object_object_get_ex(spec, "x-mcp-header", &suffix) ||
		    !json_object_is_type(suffix, json_type_string))
			continue;
		if (n++ >= m->max_per_tool) {
			m->dropped++;
			continue;
		}
		if (kept == NULL)
			kept = json_object_new_object();
		cut = json_object_new_object();
		json_object_object_add(cut, "x-mcp-header",
		    json_object_new_string(json_object_get_string(suffix)));
		json_object_object_add(kept, prop, cut);
	}
	if (kept == NULL)
		return NULL;
	cut = json_object_new_object();
	json_object_object_add(cut, "properties", kept);
	return cut;
}

const char *
mg_mcpparam_add_page(mg_mcpparam_t *m, struct json_object *result)
{
	struct json_object *tools, *name, *cut, *next;

	if (json_object_object_get_ex(result, "tools", &tools) &&
	    json_object_is_type(tools, json_type_array))
		for (size_t i = 0; i < json_object_array_length(tools); i++) {
			struct json_object *t =
			    json_object_array_get_idx(tools, i);
			const char *s;

			if (!json_object_object_get_ex(t, "name", &name) ||
			    !json_object_is_type(name, json_type_string))
				continue;
			s = json_object_get_string(name);
			cut = tool_cut(m, t);
			if (cut == NULL)
				json_object_object_del(m->tools, s);
			else if (!mg_mcpparam_has(m, s) &&
			    mg_mcpparam_count(m) >= m->max_tools) {
				m->dropped++;
				json_object_put(cut);
			} else
				json_object_object_add(m->tools, s, cut);
		}
	if (json_object_object_get_ex(result, "nextCursor", &next) &&
	    json_object_is_type(next, json_type_string))
		return json_object_get_string(next);
	return NULL;
}

const char *
mg_mcpparam_header(
    const char *lines, size_t len, const char *name, char *out, size_t n)
{
	const char *p = lines, *end = lines + len, *eol, *colon;
	size_t      nlen = strlen(name), vlen;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || (size_t)(colon - p) != nlen ||
		    strncasecmp(p, name, nlen) != 0)
			continue;
		vlen = (size_t)(eol - colon - 1);
		if (vlen > 0 && colon[vlen] == '\r')
			vlen--;
		if (vlen >= n)
			vlen = n - 1;
		memcpy(out, colon + 1, vlen);
		out[vlen] = '\0';
		return out;
	}
	return NULL;
}

typedef struct {
	const char *lines;
	size_t      len;
	char        value[MG_ERA_HEADER_MAX + 1];
} lines_t;

static const char *
lines_header(void *arg, const char *name)
{
	lines_t *l = arg;

	return mg_mcpparam_header(
	    l->lines, l->len, name, l->value, sizeof(l->value));
}

int
mg_mcpparam_check(const mg_mcpparam_t *m, const char *body, size_t len,
    const char *lines, size_t lines_len, mg_era_err_t *err,
    struct json_object **id)
{
	struct json_object *root, *v, *params, *args = NULL, *schema;
	lines_t             l = { lines, lines_len, "" };
	int                 rc = MG_OK;

	memset(err, 0, sizeof(*err));
	*id = NULL;
	if ((root = mg_json_parse(body, len)) == NULL)
		return MG_OK;
	if (json_object_object_get_ex(root, "method", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "tools/call") == 0 &&
	    json_object_object_get_ex(root, "params", &params) &&
	    json_object_object_get_ex(params, "name", &v) &&
	    json_object_is_type(v, json_type_string)) {
		if (!json_object_object_get_ex(
			m->tools, json_object_get_string(v), &schema))
			rc = MG_DECLINED;
		else {
			json_object_object_get_ex(params, "arguments", &args);
			rc = mg_era_check_params(
			    schema, args, lines_header, &l, err);
		}
	}
	if (rc == MG_ERROR && json_object_object_get_ex(root, "id", &v))
		*id = json_object_get(v);
	json_object_put(root);
	return rc;
}

char *
mg_mcpparam_refusal(struct json_object *id, mg_era_err_t *err, size_t *len)
{
	struct evbuffer *b = evbuffer_new();
	char            *text = NULL;

	if (b != NULL &&
	    mg_rpc_write_error(b, id, err->code, err->message, NULL) == 0 &&
	    (text = malloc(evbuffer_get_length(b) + 1)) != NULL) {
		*len = evbuffer_get_length(b);
		evbuffer_remove(b, text, *len);
		text[*len] = '\0';
	}
	if (b != NULL)
		evbuffer_free(b);
	mg_era_err_clear(err);
	json_object_put(id);
	return text;
}
