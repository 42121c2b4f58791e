/* rules.h - prefer / avoid / ignore: the user's word on top of the kernel's badness */
#ifndef OOMREAPER_RULES_H
#define OOMREAPER_RULES_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "proc.h"

struct rule_verdict {
	bool ignore;			/* never chosen, nor anything sharing its memory */
	long delta;			/* oom_score_adj units: + prefer, - avoid */
	const struct rule *by;		/* the last rule that matched, for the reason */
};

/* The most of a command line a cmdline rule sees: one page, one read */
#define RULES_CMDLINE_MAX 4096

/*
 * Applies the rules to p (comm and uid from p; cmdline, cgroup and exe read from proc_fd only
 * when a rule asks for them, into stack buffers). Allocates nothing; each rule costs at most
 * one pass over a bounded text (pattern.h). Returns 0, or -errno when a file a rule needs
 * cannot be read: then no rule is taken to match.
 */
int rules_apply(const struct rule *rules, int n, int proc_fd, const struct proc_info *p,
		struct rule_verdict *out);

/* The most the prefer rules can add together, in oom_score_adj units */
long rules_max_boost(const struct rule *rules, int n);

/*
 * Why an ignore or avoid rule can be steered by the processes it judges (it matches only on
 * what a process chooses for itself: comm, cmdline), or NULL.
 */
const char *rule_gameable(const struct rule *r);

/* Writes "FILE:LINE: warning: ..." for each such rule of c to f. */
void rules_warn(const struct config *c, FILE *f);

#endif
