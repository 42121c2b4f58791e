/* cmds.h - the subcommands main() dispatches to; each returns an exit status */
#ifndef OOMREAPER_CMDS_H
#define OOMREAPER_CMDS_H

int cmd_list(const char *prog, int argc, char **argv);
int cmd_explain(const char *prog, int argc, char **argv);
int cmd_kill(const char *prog, int argc, char **argv);
int cmd_run(const char *prog, int argc, char **argv);
int cmd_notify(const char *prog, int argc, char **argv);
int cmd_check_config(const char *prog, int argc, char **argv);

#endif
