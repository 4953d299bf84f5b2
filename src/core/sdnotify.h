/*
 * The systemd notification protocol (sd_notify(3)), without libsystemd:
 * one datagram to $NOTIFY_SOCKET.  Does nothing outside systemd.
 */
#ifndef MG_SDNOTIFY_H
#define MG_SDNOTIFY_H

/* Send STATE ("READY=1", "STOPPING=1" ...); MG_OK, or MG_ERROR (logged). */
int mg_sd_notify(const char *state);

/* "RELOADING=1" with the MONOTONIC_USEC that systemd >= 253 wants. */
int mg_sd_notify_reloading(void);

#endif
