/*
 * The systemd notification protocol (sd_notify(3)), without libsystemd:
 * one datagram to $NOTIFY_SOCKET.  Does nothing outside systemd.
 */
#ifndef MG_SDNOTIFY_H
#define MG_SDNOTIFY_H

/* Send STATE ("READY=1", "STOPPING=1" ...); MG_OK, or MG_ERROR (logged). */
int mg_sd_notify(const char *state);

/* While ON, send nothing but "MAINPID=": this process is not, or no
 * longer, the service's main process, whose messages alone systemd takes
 * (NotifyAccess=main); a binary upgrade hands that role over. */
void mg_sd_notify_mute(int on);

/* "RELOADING=1" with the MONOTONIC_USEC that systemd >= 253 wants. */
int mg_sd_notify_reloading(void);

#endif
