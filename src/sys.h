/* sys.h - a leaf: the clock and the system calls glibc 2.36 has no wrapper for. Any stage may
 * include it; it includes no stage. */
#ifndef OOMREAPER_SYS_H
#define OOMREAPER_SYS_H

#include <sys/types.h>

/* CLOCK_MONOTONIC in ns */
long long now_ns(void);
/* CLOCK_REALTIME in ms: when, for people */
long long real_ms(void);

/* pidfd_open(2) (Linux 5.3), flags 0: a pidfd, or -1 with errno set */
int sys_pidfd_open(pid_t pid);
/* pidfd_send_signal(2) (Linux 5.1), no siginfo: 0, or -1 with errno set */
int sys_pidfd_send_signal(int pidfd, int sig);
/* process_mrelease(2) (Linux 5.15), flags 0: 0, or -1 with errno set */
int sys_process_mrelease(int pidfd);
/* kcmp(2) KCMP_VM: 0 when a and b share an address space, 1 or 2 an order on the mm
 * pointers, -1 with errno set when it cannot tell */
long sys_kcmp_vm(pid_t a, pid_t b);

#endif
