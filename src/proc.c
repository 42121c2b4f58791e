/* proc.c - the process table: storage only, no /proc access */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

int table_init(struct proc_table *t, int cap)
{
	t->n = 0;
	t->cap = cap > 0 ? cap : 64;
	t->procs = calloc((size_t)t->cap, sizeof(*t->procs));
	return t->procs ? 0 : -ENOMEM;
}

struct proc_info *table_add(struct proc_table *t)
{
	if (t->n == t->cap) {
		int cap = t->cap * 2;
		struct proc_info *p = realloc(t->procs, (size_t)cap * sizeof(*p));

		if (!p)
			return NULL;
		t->procs = p;
		t->cap = cap;
	}
	struct proc_info *p = &t->procs[t->n++];

	memset(p, 0, sizeof(*p));
	p->kernel_score = -1;
	p->group = t->n - 1;
	p->group_next = -1;
	p->group_size = 1;
	return p;
}

int table_find(const struct proc_table *t, pid_t pid)
{
	for (int i = 0; i < t->n; i++)
		if (t->procs[i].pid == pid)
			return i;
	return -1;
}

void table_free(struct proc_table *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->procs[i].cgroup);
	free(t->procs);
	t->procs = NULL;
	t->n = t->cap = 0;
}
