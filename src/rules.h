/* rules.h - prefer / avoid / ignore: the user's word on top of the kernel's badness */
#ifndef OOMREAPER_RULES_H
#define OOMREAPER_RULES_H

#include <regex.h>
#include <stdbool.h>
#include <sys/types.h>

#include "proc.h"

#define CONFIG_MAX_UIDS 64

enum rule_field { RULE_COMM, RULE_CMDLINE, RULE_CGROUP, RULE_USER };
enum rule_action { RULE_PREFER, RULE_AVOID, RULE_IGNORE };

/* prefer / avoid / ignore processes whose comm, cmdline, cgroup or user matches a regex; the
 * configuration's [rule] sections (config.h) */
struct rule {
	char name[64];
	enum rule_field field;
	char pattern[256];
	regex_t re;
	bool compiled;
	enum rule_action action;
	int weight;			/* oom_score_adj units added (prefer) or taken (avoid) */
	uid_t uids[CONFIG_MAX_UIDS];	/* RULE_USER: the users matched, resolved at load */
	int nuids;
};

/* Who is chosen: the kernel's largest badness, or the fastest growth since the last look */
enum policy { POLICY_LARGEST, POLICY_FASTEST_GROWING };

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
