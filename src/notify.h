/* notify.h - systemd's readiness protocol (sd_notify), in the few lines it takes */
#ifndef OOMREAPER_NOTIFY_H
#define OOMREAPER_NOTIFY_H

#include <stdbool.h>

/* Reads $NOTIFY_SOCKET now (notify() reads it at its first call otherwise) */
void notify_init(void);

/* Sends "text" to $NOTIFY_SOCKET when it is set; nothing otherwise. Returns 0 or -errno. */
int notify(const char *text);

/* "RELOADING=1" with MONOTONIC_USEC= (the clock's now, in us), which systemd 253 and later
 * want with it (sd_notify(3)); then "READY=1" when the reload is done. Returns as notify(). */
int notify_reloading(void);

/*
 * Whether stderr is the journal's stream: $JOURNAL_STREAM ("DEVICE:INODE") names what systemd
 * connected fd 2 to, and fd 2 is still that (systemd.exec(5)). Then a line's syslog priority
 * goes first, as "<N>" (sd-daemon(3)).
 */
bool notify_stderr_is_journal(void);

/* $WATCHDOG_USEC in ms when systemd asks for pings (and WATCHDOG_PID is ours), else 0 */
long notify_watchdog_ms(void);

#endif
