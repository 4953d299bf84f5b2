/*
 * The process table (roles.c).
 */
#ifndef MG_ROLES_H
#define MG_ROLES_H

#include "proc.h"

extern const mg_proc_role_t mg_procs[MG_ROLE_MAX];

#endif
