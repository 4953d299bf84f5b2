/*
 * Telling the eras apart, and the 2026-07-28 revision's request checks
 * (SEP-2575 _meta, SEP-2243 headers).  See era.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "era.h"
#include "mcpgw.h"

static struct json_object *
meta_of(struct json_object *params)
{
	struct json_object *meta;

	if (params == NULL || !json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "_meta", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return NULL;
	return meta;
}

const char *
mg_era_meta_version(const mg_rpc_msg_t *m)
{
	struct json_object *meta = meta_of(m->params), *v;

	if (meta == NULL ||
	    !json_object_object_get_ex(meta, MG_META_VERSION, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
mg_era_is_2026(const mg_era_headers_t *h, const mg_rpc_msg_t *m,
    int (*known_old)(const char *v))
{
	if (h->version != NULL && strcmp(h->version, MG_ERA_2026) == 0)
		return 1;
	if (h->version != NULL && known_old(h->version))
		return 0;
	return m->kind != MG_RPC_BATCH && mg_era_meta_version(m) != NULL;
}

struct json_object *
mg_era_client_capability(struct json_object *params, const char *name)
{
	struct json_object *meta = meta_of(params), *caps, *c;

	if (meta == NULL ||
	    !json_object_object_get_ex(meta, MG_META_CAPABILITIES, &caps) ||
	    !json_object_is_type(caps, json_type_object) ||
	    !json_object_object_get_ex(caps, name, &c) || c == NULL)
		return NULL;
	return c;
}

const char *
mg_era_name_key(const char *method)
{
	if (strcmp(method, "tools/call") == 0 ||
	    strcmp(method, "prompts/get") == 0)
		return "name";
	if (strcmp(method, "resources/read") == 0)
		return "uri";
	return NULL;
}

const char *
mg_era_name_of(const char *method, struct json_object *params)
{
	const char         *key;
	struct json_object *v;

	if (method == NULL || params == NULL ||
	    !json_object_is_type(params, json_type_object))
		return NULL;
	key = mg_era_name_key(method);
	if (key == NULL || !json_object_object_get_ex(params, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict standard Base64 of LEN characters into OUT (N bytes, NUL
 * added): whole quanta, '=' only as padding, no NUL in the result. */
static int
b64_decode(const char *in, size_t len, char *out, size_t n)
{
	size_t o = 0, pad = 0;

	if (len == 0 || len % 4 != 0)
		return MG_ERROR;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	if (len / 4 * 3 - pad + 1 > n)
		return MG_ERROR;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			v[k] = b64_value((unsigned char)in[i + k]);
			if (v[k] < 0 &&
			    !(in[i + k] == '=' && i + k >= len - pad))
				return MG_ERROR;
			if (v[k] < 0)
				v[k] = 0;
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (i + 2 < len - pad)
			out[o++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (i + 3 < len - pad)
			out[o++] = (char)((v[2] & 0x3) << 6 | v[3]);
	}
	out[o] = '\0';
	return strlen(out) == o ? MG_OK : MG_ERROR;
}

void
mg_era_header_add(struct evbuffer *out, const char *name, const char *value)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(value),
	       plain = n > 0 && value[0] != ' ' && value[n - 1] != ' ' &&
	    strncmp(value, "=?base64?", 9) != 0;

	for (size_t i = 0; i < n && plain; i++)
		plain = value[i] >= 0x20 && value[i] < 0x7f;
	if (plain) {
		evbuffer_add_printf(out, "%s: %s\r\n", name, value);
		return;
	}
	evbuffer_add_printf(out, "%s: =?base64?", name);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)value[i] << 16;
		char     q[4];

		v |= i + 1 < n ? (unsigned char)value[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned char)value[i + 2] : 0;
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		evbuffer_add(out, q, 4);
	}
	evbuffer_add(out, "?=\r\n", 4);
}

int
mg_era_header_value(const char *raw, char *out, size_t n)
{
	static const char pre[] = "=?base64?", suf[] = "?=";
	size_t            len;

	while (*raw == ' ' || *raw == '\t')
		raw++;
	len = strlen(raw);
	while (len > 0 && (raw[len - 1] == ' ' || raw[len - 1] == '\t'))
		len--;
	if (len >= sizeof(pre) - 1 + sizeof(suf) - 1 &&
	    strncmp(raw, pre, sizeof(pre) - 1) == 0 &&
	    strncmp(raw + len - 2, suf, 2) == 0)
		return b64_decode(raw + sizeof(pre) - 1,
		    len - (sizeof(pre) - 1) - (sizeof(suf) - 1), out, n);
	if (len + 1 > n)
		return MG_ERROR;
	memcpy(out, raw, len);
	out[len] = '\0';
	return MG_OK;
}

void
mg_era_err_clear(mg_era_err_t *err)
{
	json_object_put(err->data);
	err->data = NULL;
}

static int
refuse(mg_era_err_t *err, int status, int code, const char *fmt, const char *a,
    const char *b)
{
	err->status = status;
	err->code = code;
	snprintf(err->message, sizeof(err->message), fmt, a, b);
	return MG_ERROR;
}

static int
check_meta(const mg_rpc_msg_t *m, mg_era_err_t *err)
{
	struct json_object *meta = meta_of(m->params), *caps;

	if (meta == NULL)
		return refuse(err, 400, MG_RPC_INVALID_PARAMS,
		    "Invalid params: a %s request needs params._meta%s",
		    MG_ERA_2026, "");
	if (mg_era_meta_version(m) == NULL)
		return refuse(err, 400, MG_RPC_INVALID_PARAMS,
		    "Invalid params: params._meta needs \"%s\"%s",
		    MG_META_VERSION, " (a string)");
	if (!json_object_object_get_ex(meta, MG_META_CAPABILITIES, &caps) ||
	    !json_object_is_type(caps, json_type_object))
		return refuse(err, 400, MG_RPC_INVALID_PARAMS,
		    "Invalid params: params._meta needs \"%s\"%s",
		    MG_META_CAPABILITIES, " (an object)");
	return MG_OK;
}

static int
check_version(const mg_era_headers_t *h, const char *v,
    const char *const *supported, size_t n, mg_era_err_t *err)
{
	struct json_object *list;

	if (h->version == NULL)
		return refuse(err, 400, MG_MCP_ERR_HEADER_MISMATCH,
		    "Header mismatch: MCP-Protocol-Version header is missing "
		    "(params._meta says %s)%s",
		    v, "");
	if (strcmp(h->version, v) != 0)
		return refuse(err, 400, MG_MCP_ERR_HEADER_MISMATCH,
		    "Header mismatch: MCP-Protocol-Version is %s but "
		    "params._meta says %s",
		    h->version, v);
	if (supported == NULL)
		return MG_OK; /* whoever answers decides */
	for (size_t i = 0; i < n; i++)
		if (strcmp(supported[i], v) == 0)
			return MG_OK;
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(
		    list, json_object_new_string(supported[i]));
	err->data = json_object_new_object();
	json_object_object_add(err->data, "supported", list);
	json_object_object_add(
	    err->data, "requested", json_object_new_string(v));
	return refuse(err, 400, MG_MCP_ERR_UNSUPPORTED_VERSION,
	    "Unsupported protocol version %s%s", v, "");
}

/* A header that must repeat WANT (NULL: the body names nothing). */
static int
check_header(
    const char *header, const char *raw, const char *want, mg_era_err_t *err)
{
	char value[MG_ERA_HEADER_MAX];

	/* a name the method does not have is not checked (tasks/get's
	 * taskId, say, which this gateway does not route on) */
	if (want == NULL)
		return MG_OK;
	if (raw == NULL)
		return refuse(err, 400, MG_MCP_ERR_HEADER_MISMATCH,
		    "Header mismatch: the %s header is missing (the body "
		    "says \"%s\")",
		    header, want);
	if (mg_era_header_value(raw, value, sizeof(value)) != MG_OK)
		return refuse(err, 400, MG_MCP_ERR_HEADER_MISMATCH,
		    "Header mismatch: the %s header is not a valid value%s",
		    header, "");
	if (strcmp(value, want) != 0)
		return refuse(err, 400, MG_MCP_ERR_HEADER_MISMATCH,
		    "Header mismatch: the %s header does not match the "
		    "body (\"%s\")",
		    header, want);
	return MG_OK;
}

/* Does header text V say what the argument value A says? */
static int
param_equal(const char *v, struct json_object *a)
{
	char *end;

	switch (json_object_get_type(a)) {
	case json_type_string: return strcmp(v, json_object_get_string(a)) == 0;
	case json_type_boolean:
		return strcmp(v,
			   json_object_get_boolean(a) ? "true" : "false") == 0;
	case json_type_int:
	case json_type_double:
		return *v != '\0' &&
		    strtod(v, &end) == json_object_get_double(a) &&
		    *end == '\0';
	default: return 0;
	}
}

int
mg_era_check_params(struct json_object *schema, struct json_object *args,
    const char *(*header)(void *arg, const char *name), void       *arg,
    mg_era_err_t *err)
{
	struct json_object *props, *suffix, *a;
	char                name[128], value[MG_ERA_HEADER_MAX];
	const char         *raw;

	memset(err, 0, sizeof(*err));
	if (!json_object_object_get_ex(schema, "properties", &props) ||
	    !json_object_is_type(props, json_type_object))
		return MG_OK;
	json_object_object_foreach(props, prop, spec)
	{
		if (!json_object_object_get_ex(spec, "x-mcp-header", &suffix) ||
		    !json_object_is_type(suffix, json_type_string) ||
		    !json_object_object_get_ex(args, prop, &a) || a == NULL)
			continue;
		snprintf(name, sizeof(name), "Mcp-Param-%s",
		    json_object_get_string(suffix));
		if ((raw = header(arg, name)) == NULL)
			return refuse(err, 400, MG_MCP_ERR_HEADER_MISMATCH,
			    "Header mismatch: the %s header is missing "
			    "(argument \"%s\" is set)",
			    name, prop);
		if (mg_era_header_value(raw, value, sizeof(value)) != MG_OK ||
		    !param_equal(value, a))
			return refuse(err, 400, MG_MCP_ERR_HEADER_MISMATCH,
			    "Header mismatch: the %s header does not match "
			    "argument \"%s\"",
			    name, prop);
	}
	return MG_OK;
}

int
mg_era_check(const mg_era_headers_t *h, const mg_rpc_msg_t *m,
    const char *const *supported, size_t n, mg_era_err_t *err)
{
	const char *v;

	memset(err, 0, sizeof(*err));
	if (m->kind == MG_RPC_REQUEST) {
		if (check_meta(m, err) != MG_OK)
			return MG_ERROR;
		v = mg_era_meta_version(m);
	} else
		v = mg_era_meta_version(m) ? mg_era_meta_version(m)
					   : h->version;
	if (v != NULL && check_version(h, v, supported, n, err) != MG_OK)
		return MG_ERROR;
	if (m->method == NULL)
		return MG_OK; /* a response carries no Mcp-Method */
	if (check_header("Mcp-Method", h->method, m->method, err) != MG_OK)
		return MG_ERROR;
	return check_header(
	    "Mcp-Name", h->name, mg_era_name_of(m->method, m->params), err);
}
