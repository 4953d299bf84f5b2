/*
 * The table of every metric mcpgw exports (metrics.h): name, help, type,
 * label names and, for histograms, bucket bounds.  A new metric is one
 * row here and one enum value in metrics.h.
 */
#include "config.h"

#include "metrics.h"

/* Durations, in seconds as Prometheus client libraries default them. */
static const int64_t     dur_us[] = { 5000, 10000, 25000, 50000, 100000, 250000,
	    500000, 1000000, 2500000, 5000000, 10000000, 30000000 };
static const char *const dur_le[] = { "0.005", "0.01", "0.025", "0.05", "0.1",
	"0.25", "0.5", "1", "2.5", "5", "10", "30" };

#define DUR MG_METRICS_MAX_BUCKETS, dur_us, dur_le

const mg_metric_def_t mg_metric_defs[MG_M_COUNT] = {
	[MG_M_BUILD_INFO] = { "mcpgw_build_info",
	    "mcpgw's version and the libraries it runs with", MG_MT_GAUGE, 4,
	    { "version", "openssl", "libevent", "jsonc" }, 0, 0, 0 },
	[MG_M_START_TIME] = { "mcpgw_start_time_seconds",
	    "When the master started, in seconds since the epoch", MG_MT_GAUGE,
	    0, { 0 }, 0, 0, 0 },
	[MG_M_GENERATION] = { "mcpgw_generation",
	    "The running generation: 1 at start, one more for each reload "
	    "that took effect",
	    MG_MT_GAUGE, 0, { 0 }, 0, 0, 0 },
	[MG_M_PROCESSES] = { "mcpgw_processes",
	    "Children running now, every generation", MG_MT_GAUGE, 1,
	    { "role" }, 0, 0, 0 },
	[MG_M_PROC_RESTARTS] = { "mcpgw_process_restarts_total",
	    "Children that exited unasked and were respawned by the master",
	    MG_MT_COUNTER, 1, { "role" }, 0, 0, 0 },
	[MG_M_RELOADS] = { "mcpgw_reloads_total",
	    "Configuration reloads (SIGHUP) by result", MG_MT_COUNTER, 1,
	    { "result" }, 0, 0, 0 },
	[MG_M_LAST_RELOAD] = { "mcpgw_last_reload_timestamp_seconds",
	    "When the last reload of each result happened, in seconds since "
	    "the epoch",
	    MG_MT_GAUGE, 1, { "result" }, 0, 0, 0 },
	[MG_M_HTTP_REQUESTS] = { "mcpgw_http_requests_total",
	    "HTTP requests the workers answered, by server, route, MCP method "
	    "(or HTTP method) and status",
	    MG_MT_COUNTER, 4, { "server", "route", "method", "status" }, 0, 0,
	    0 },
	[MG_M_HTTP_DURATION] = { "mcpgw_http_request_duration_seconds",
	    "From the first byte of a request to the end of its answer",
	    MG_MT_HISTOGRAM, 2, { "server", "route" }, DUR },
	[MG_M_HTTP_RECEIVED] = { "mcpgw_http_received_bytes_total",
	    "Bytes of requests received: request line, headers and body",
	    MG_MT_COUNTER, 1, { "server" }, 0, 0, 0 },
	[MG_M_HTTP_SENT] = { "mcpgw_http_sent_bytes_total",
	    "Bytes of answer bodies sent (headers not counted)", MG_MT_COUNTER,
	    1, { "server" }, 0, 0, 0 },
	[MG_M_REFUSALS] = { "mcpgw_refusals_total",
	    "Requests and connections refused before their content, by reason",
	    MG_MT_COUNTER, 1, { "reason" }, 0, 0, 0 },
	[MG_M_TOOL_CALLS] = { "mcpgw_tool_calls_total",
	    "tools/call requests by route, upstream, tool and outcome",
	    MG_MT_COUNTER, 4, { "route", "upstream", "tool", "outcome" }, 0, 0,
	    0 },
	[MG_M_TOOL_DURATION] = { "mcpgw_tool_call_duration_seconds",
	    "tools/call from the request to its answer", MG_MT_HISTOGRAM, 2,
	    { "route", "tool" }, DUR },
	[MG_M_SESSIONS] = { "mcpgw_sessions",
	    "Sessions in the shared session table now", MG_MT_GAUGE, 0, { 0 },
	    0, 0, 0 },
	[MG_M_OPEN_STREAMS] = { "mcpgw_open_streams",
	    "SSE streams open now, all workers", MG_MT_GAUGE, 1, { "kind" }, 0,
	    0, 0 },
	[MG_M_CONN_INFLIGHT] = { "mcpgw_connector_exchanges_in_flight",
	    "Exchanges the connector carries now", MG_MT_GAUGE, 0, { 0 }, 0, 0,
	    0 },
	[MG_M_CONN_QUEUED] = { "mcpgw_connector_exchanges_queued",
	    "Exchanges waiting in the connector for a stdio process",
	    MG_MT_GAUGE, 0, { 0 }, 0, 0, 0 },
	[MG_M_UP_DURATION] = { "mcpgw_upstream_exchange_duration_seconds",
	    "From sending a request upstream to the end of its answer",
	    MG_MT_HISTOGRAM, 1, { "upstream" }, DUR },
	[MG_M_UP_ERRORS] = { "mcpgw_upstream_errors_total",
	    "Upstream exchanges that failed, by upstream and reason",
	    MG_MT_COUNTER, 2, { "upstream", "reason" }, 0, 0, 0 },
	[MG_M_STDIO_PROCS] = { "mcpgw_stdio_processes",
	    "stdio servers running now", MG_MT_GAUGE, 1, { "upstream" }, 0, 0,
	    0 },
	[MG_M_STDIO_RESTARTS] = { "mcpgw_stdio_restarts_total",
	    "stdio servers started again after they died", MG_MT_COUNTER, 1,
	    { "upstream" }, 0, 0, 0 },
	[MG_M_SERIES_DROPPED] = { "mcpgw_metrics_series_dropped_total",
	    "Counts dropped because a process's series table was full "
	    "(metrics_max_series)",
	    MG_MT_COUNTER, 0, { 0 }, 0, 0, 0 },
	[MG_M_NOSLOT] = { "mcpgw_metrics_uncounted_processes_total",
	    "Children that counted nothing: every metrics slot was taken",
	    MG_MT_COUNTER, 0, { 0 }, 0, 0, 0 },
	[MG_M_POOL_EXCHANGES] = { "mcpgw_upstream_server_exchanges_total",
	    "Exchanges tried on each member of a pool", MG_MT_COUNTER, 2,
	    { "upstream", "server" }, 0, 0, 0 },
	[MG_M_POOL_FAILURES] = { "mcpgw_upstream_server_failures_total",
	    "Connection failures of each member of a pool (max_fails counts "
	    "them)",
	    MG_MT_COUNTER, 2, { "upstream", "server" }, 0, 0, 0 },
	[MG_M_POOL_OUT] = { "mcpgw_upstream_server_out",
	    "1 while a member of a pool is taken out (failures or a health "
	    "check), until it answers again",
	    MG_MT_GAUGE, 2, { "upstream", "server" }, 0, 0, 0 },
	[MG_M_LSTORE] = { "mcpgw_limit_store_events_total",
	    "The limit store (Redis) by event: down, up, timeout, error, "
	    "queue_full, and decisions taken without it: fail_open, "
	    "fail_closed",
	    MG_MT_COUNTER, 1, { "event" }, 0, 0, 0 },
};
