/* notify.h - systemd's readiness protocol (sd_notify), in the few lines it takes */
#ifndef OOMREAPER_NOTIFY_H
#define OOMREAPER_NOTIFY_H

/* Reads $NOTIFY_SOCKET now (notify() reads it at its first call otherwise) */
void notify_init(void);

/* Sends "text" to $NOTIFY_SOCKET when it is set; nothing otherwise. Returns 0 or -errno. */
int notify(const char *text);

/* $WATCHDOG_USEC in ms when systemd asks for pings (and WATCHDOG_PID is ours), else 0 */
long notify_watchdog_ms(void);

#endif
