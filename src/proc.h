/* proc.h - one process as the OOM killer sees it, and a table of them */
#ifndef OOMREAPER_PROC_H
#define OOMREAPER_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* TASK_COMM_LEN in the kernel: comm is at most 15 bytes and a NUL */
#define COMM_LEN 16

/* include/linux/sched.h: the task flag /proc/PID/stat shows for kernel threads */
#define PF_KTHREAD 0x00200000u
/* and for a task in do_exit(): past its last signal, on its way out */
#define PF_EXITING 0x00000004u

/* Which file of /proc/PID an error came from, so a skipped entry can say why */
enum proc_file { PF_NONE, PF_STAT, PF_STATUS, PF_ADJ, PF_SCORE, PF_CGROUP };

/* Why a process cannot be chosen. Each mirrors a rule of mm/oom_kill.c or of docs/design.md
 */
enum exclusion {
	EXCL_NONE = 0,
	EXCL_INIT,		/* global init: oom_unkillable_task() */
	EXCL_KTHREAD,		/* kernel thread: oom_unkillable_task() */
	EXCL_SELF,		/* the killer itself */
	EXCL_ADJ_MIN,		/* oom_score_adj -1000: oom_badness() */
	EXCL_NO_MM,		/* zombie or exiting, no memory left: find_lock_task_mm() */
	EXCL_VFORK,		/* in vfork, its mm is the parent's: in_vfork() */
	EXCL_SHARES_PROTECTED,	/* its mm is pinned by a protected process */
	EXCL_DYING,		/* SIGKILL pending or exiting: tsk_is_oom_victim() */
	EXCL_IGNORED,		/* an ignore rule of the configuration */
	EXCL_VANISHED,		/* exited while it was being read */
	EXCL_UNREADABLE,	/* a /proc file could not be read or parsed */
	EXCL_OUT_OF_SCOPE,	/* not a process of the scope (kill --pid in --cgroup) */
	EXCL_OWN_CHILD,		/* a child of the killer: spared by a group kill (cgkill.c) */
};

/*
 * The fields oom_badness() and the exclusion rules read, from /proc/PID/stat, status,
 * oom_score_adj (and cgroup for display); then what rank.c makes of them.
 */
struct proc_info {
	pid_t pid;
	pid_t ppid;
	char comm[COMM_LEN];		/* raw bytes from stat, may hold any byte but NUL */
	char state;
	unsigned int flags;		/* PF_* */
	unsigned long long start_time;	/* clock ticks since boot: with pid, the identity */
	uid_t uid;
	int oom_score_adj;
	long kernel_score;		/* /proc/PID/oom_score, -1 when not read */
	bool has_mm;			/* status has Vm* lines: not a kthread, not a zombie */
	bool kill_pending;		/* SIGKILL in SigPnd or ShdPnd */
	unsigned long total_vm_kb;
	unsigned long rss_anon_kb, rss_file_kb, rss_shmem_kb;
	unsigned long swap_kb, pgtables_kb;
	char *cgroup;			/* malloc'd, owned by the table; NULL when not read */
	int err;			/* 0, or -errno of the read that failed */
	enum proc_file err_file;

	/* address-space group (share.c): members are linked, group is the first's index */
	int group;
	int group_next;
	int group_size;

	/* rank.c */
	bool vfork_child;
	enum exclusion excl;
	pid_t excl_pid;			/* the protected process for EXCL_SHARES_PROTECTED */
	long points;			/* rss + swap + page tables, in pages */
	long badness;			/* with the scope's totalpages; LONG_MIN when excluded */
	long score;			/* as /proc/PID/oom_score: global totalpages, 0..2000 */
	long rule_delta;		/* oom_score_adj units the rules added (select.c) */
	signed char qos_rank;		/* qos_order: its QoS class's rank, higher chosen first
					 * (select.c qos_rank_of); 0 for all without it */
	const char *rule;		/* the rule that ignored it, or last matched */
};

struct proc_table {
	struct proc_info *procs;
	int n;
	int cap;
};

/* Returns 0, or -ENOMEM. */
int table_init(struct proc_table *t, int cap);
/* A zeroed entry at the end of the table; NULL when it cannot grow. */
struct proc_info *table_add(struct proc_table *t);
/* Index of pid in the table, or -1. Linear: for tests and small tables. */
int table_find(const struct proc_table *t, pid_t pid);
void table_free(struct proc_table *t);

#endif
