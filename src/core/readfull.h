/*
 * Reading a descriptor to its end or to a bound (readfull.c), for the
 * files the master reads at start: key files, JWK Sets.
 */
#ifndef MG_READFULL_H
#define MG_READFULL_H

#include <stddef.h>
#include <sys/types.h>

/* Up to SIZE bytes of FD into BUF, retried on EINTR and on short reads:
 * fewer only at the end of the file.  -1 and errno on a read error. */
ssize_t mg_read_full(int fd, void *buf, size_t size);

#endif
