/*
 * What a JSON-RPC message answering a tools/call says, without a tree
 * (pure: no I/O): for the metrics' outcome label, on every relayed answer
 * of a tools/call, so it reads as little of the text as it can.
 */
#ifndef MG_RPCOUTCOME_H
#define MG_RPCOUTCOME_H

#include <stddef.h>

typedef enum {
	MG_OUTCOME_NONE = 0,   /* not a response (a request, a notification,
				* or not JSON-RPC) */
	MG_OUTCOME_RESULT,     /* a result */
	MG_OUTCOME_TOOL_ERROR, /* a result with "isError": true */
	MG_OUTCOME_RPC_ERROR   /* an error */
} mg_rpc_outcome_t;

mg_rpc_outcome_t mg_rpc_outcome(const char *msg, size_t len);

#endif
