/* cmds.h - the subcommands main() dispatches to; each returns an exit status */
#ifndef OOMREAPER_CMDS_H
#define OOMREAPER_CMDS_H

#include <stddef.h>
#include <sys/types.h>

int cmd_list(const char *prog, int argc, char **argv);
int cmd_explain(const char *prog, int argc, char **argv);
int cmd_kill(const char *prog, int argc, char **argv);
int cmd_run(const char *prog, int argc, char **argv);
int cmd_notify(const char *prog, int argc, char **argv);
int cmd_check_config(const char *prog, int argc, char **argv);
int cmd_status(const char *prog, int argc, char **argv);
int cmd_top(const char *prog, int argc, char **argv);

struct cli;
struct snapshot;
struct snap_self;
/* Asks the daemon at path for its snapshot (cmd_status.c). 0, or -errno with why in err */
int status_fetch(const char *path, struct snapshot *snap, char *err, size_t len);
/* The socket (--socket SOCK, else the default) into path, and the daemon's first answer into
 * *snap (malloc'ed), for `cmd`. 0, or the exit status with the reason said */
int status_first(const struct cli *c, const char *cmd, const char *sock, char *path, size_t len,
		 struct snapshot **snap);
/* The daemon's own resident and locked memory, read from /proc/PID/status; -1 unknown */
void status_self(pid_t pid, struct snap_self *me);

#endif
