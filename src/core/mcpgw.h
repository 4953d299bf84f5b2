/*
 * mcpgw: definitions every layer shares.
 */
#ifndef MG_MCPGW_H
#define MG_MCPGW_H

#include <stddef.h>
#include <stdint.h>

/* Return codes, as nginx uses them: a small set, never a hidden exit. */
#define MG_OK 0
#define MG_ERROR -1
#define MG_AGAIN -2
#define MG_BUSY -3 /* a limit of the client's own was reached */
#define MG_DECLINED -5

/* A configuration field that the file did not set. */
#define MG_UNSET -1
#define MG_UNSET_SIZE ((int64_t)-1)

#define MG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The roles of the processes; index into the process table (proc.c). */
typedef enum {
	MG_ROLE_MASTER = 0,
	MG_ROLE_WORKER,
	MG_ROLE_CONNECTOR,
	MG_ROLE_MAX
} mg_role_t;

#endif
