/*
 * Socket options every process sets alike (sockopt.c).
 */
#ifndef MG_SOCKOPT_H
#define MG_SOCKOPT_H

/*
 * TCP_NODELAY on a TCP socket: an answer's head and its first bytes, or
 * an SSE event after another, go out at once instead of waiting for the
 * peer's ACK of the last write (Nagle with delayed ACKs: 40 ms).  Does
 * nothing on a Unix socket.
 */
void mg_tcp_nodelay(int fd);

#endif
