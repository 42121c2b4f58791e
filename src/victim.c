/* victim.c - a victim's record and the room for its members (victim.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "victim.h"

int victim_reserve(struct victim *v, int cap)
{
	struct member *m;

	if (cap <= v->cap)
		return 0;
	m = realloc(v->m, sizeof(*m) * (size_t)cap);
	if (!m)
		return -ENOMEM;
	v->m = m;
	v->cap = cap;
	return 0;
}

void victim_reset(struct victim *v, const struct proc_info *chosen)
{
	struct member *m = v->m;
	int cap = v->cap;

	memset(v, 0, sizeof(*v));
	v->m = m;
	v->cap = cap;
	if (chosen) {
		v->chosen = *chosen;
		v->chosen.cgroup = NULL;
	}
}

int victim_add(struct victim *v, const struct proc_info *p)
{
	/* doubling: a group of thousands costs a few reallocations, all before any signal */
	if (v->n == v->cap && victim_reserve(v, v->cap < VICTIM_MEMBERS_START
						? VICTIM_MEMBERS_START : 2 * v->cap))
		return -ENOMEM;
	struct member *m = &v->m[v->n++];

	memset(m, 0, sizeof(*m));
	m->pid = p->pid;
	m->pidfd = -1;
	m->start_time = p->start_time;
	memcpy(m->comm, p->comm, sizeof(m->comm));
	return 0;
}

void victim_free(struct victim *v)
{
	free(v->m);
	v->m = NULL;
	v->cap = v->n = 0;
}
