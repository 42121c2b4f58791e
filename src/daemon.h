/* daemon.h - `oomreaper run`: watch scopes, decide, kill, follow the reaps */
#ifndef OOMREAPER_DAEMON_H
#define OOMREAPER_DAEMON_H

#include "cli.h"
#include "config.h"

/* A setting given on the command line: applied over the file, and again at each reload */
struct override {
	const char *flag;		/* as given, for messages */
	const char *section;
	const char *key;
	const char *value;
};

#define DAEMON_MAX_OVERRIDES 32

struct daemon_args {
	const char *config_path;	/* the file, or NULL for the default */
	bool config_given;		/* --config: it must exist */
	const char *cgroup;		/* --cgroup: watch only this, with the first scope's limits */
	struct override ov[DAEMON_MAX_OVERRIDES];
	int nov;
};

/*
 * Loads the configuration (file, then overrides, then --cgroup). Returns 0, or an exit
 * status with the reason written to err.
 */
int daemon_config(const struct daemon_args *a, struct config *conf, char *err, size_t len);

/* Runs until SIGTERM or SIGINT. Returns the exit status. */
/* check-config's: each scope of conf that can be opened here, its levels against its memory
 * now. 0, or -EINVAL with the reason in err. */
int daemon_check_levels(struct cli *c, const struct config *conf, char *err, size_t len);

int daemon_run(struct cli *c, const struct daemon_args *a, struct config *conf);

#endif
