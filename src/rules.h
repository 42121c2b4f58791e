/* rules.h - prefer / avoid / ignore: the user's word on top of the kernel's badness */
#ifndef OOMREAPER_RULES_H
#define OOMREAPER_RULES_H

#include <stdbool.h>

#include "config.h"
#include "proc.h"

struct rule_verdict {
	bool ignore;			/* never chosen, nor anything sharing its memory */
	long delta;			/* oom_score_adj units: + prefer, - avoid */
	const struct rule *by;		/* the last rule that matched, for the reason */
};

/*
 * Applies the rules to p (comm and uid from p; cmdline and cgroup read from proc_fd only when
 * a rule asks for them, into stack buffers). Returns 0, or -errno when a file a rule needs
 * cannot be read: then no rule is taken to match.
 */
int rules_apply(const struct rule *rules, int n, int proc_fd, const struct proc_info *p,
		struct rule_verdict *out);

/* The most the prefer rules can add together, in oom_score_adj units */
long rules_max_boost(const struct rule *rules, int n);

#endif
