/* stats.c - pure: the daemon's counters, histograms and recent kills (stats.h) */
#include <string.h>

#include "reap.h"
#include "stats.h"

const long long stats_bounds_us[HIST_BUCKETS] = {
	50,	100,	 250,	  500,	   1000,    2500,    5000,
	10000,	25000,	 100000,  250000,  1000000, 2500000, 10000000,
};

void hist_add(struct hist *h, long long us)
{
	int i = 0;

	if (us < 0)
		return;
	while (i < HIST_BUCKETS && us > stats_bounds_us[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_us += (unsigned long long)us;
}

void stats_identity(struct identity *out, const struct identity *id)
{
	*out = *id;
	out->why = NULL;
}

void stats_kill(struct stats *st, struct scope_stats *ss, int idx, const struct victim *v,
		long long sample_to_kill_us, long long real_ms)
{
	int t = ss->pending_trigger >= 0 && ss->pending_trigger < STATS_TRIGGERS
			? ss->pending_trigger : TRIG_NONE;
	struct stats_kill *k;

	st->head = (st->head + STATS_RECENT - 1) % STATS_RECENT;
	if (st->nrecent < STATS_RECENT)
		st->nrecent++;
	k = &st->recent[st->head];
	k->pid = v->chosen.pid;
	memcpy(k->comm, v->chosen.comm, sizeof(k->comm));
	k->scope = idx;
	k->trigger = t;
	k->at_ms = real_ms;
	k->t_kill = v->t_kill ? v->t_kill : v->t_term;
	k->sample_to_kill_us = sample_to_kill_us;
	k->select_us = ss->pending_select_us;
	k->exited_ms = k->reaped_ms = -1;
	k->reap_outcome = 0;
	stats_identity(&k->id, &v->id);
	ss->last = *k;
	ss->has_last = true;
	ss->kills[t]++;
	st->kills++;
	st->events++;
	hist_add(&st->sample_to_kill, sample_to_kill_us);
	hist_add(&st->select, ss->pending_select_us);
}

/* The record of v's kill in st->recent, or NULL when it has gone out of it */
static struct stats_kill *find(struct stats *st, const struct victim *v)
{
	long long t = v->t_kill ? v->t_kill : v->t_term;

	for (int i = 0; i < st->nrecent; i++) {
		struct stats_kill *k = &st->recent[(st->head + i) % STATS_RECENT];

		if (k->pid == v->chosen.pid && k->t_kill && (k->t_kill == t ||
							      k->t_kill == v->t_term))
			return k;
	}
	return NULL;
}

static bool same_kill(const struct scope_stats *ss, const struct stats_kill *k)
{
	return ss->has_last && ss->last.pid == k->pid && ss->last.t_kill == k->t_kill;
}

void stats_exited(struct stats *st, struct scope_stats *ss, const struct victim *v)
{
	struct stats_kill *k = find(st, v);

	if (!k || k->exited_ms >= 0)
		return;
	k->exited_ms = v->t_exited > k->t_kill ? (v->t_exited - k->t_kill) / 1000000 : 0;
	if (same_kill(ss, k))
		ss->last.exited_ms = k->exited_ms;
	st->events++;
}

void stats_reaped(struct stats *st, struct scope_stats *ss, const struct victim *v)
{
	struct stats_kill *k = find(st, v);
	int o = v->reap_outcome;

	if (o >= REAP_UNABLE && o < STATS_OUTCOMES)
		st->reap_failures[o]++;
	if (o == REAP_REAPED && v->t_reaped && v->t_kill)
		hist_add(&st->reap, (v->t_reaped - v->t_kill) / 1000);
	st->events++;
	if (!k)
		return;
	k->reap_outcome = o;
	if (o == REAP_REAPED && v->t_reaped > k->t_kill)
		k->reaped_ms = (v->t_reaped - k->t_kill) / 1000000;
	if (same_kill(ss, k)) {
		ss->last.reap_outcome = k->reap_outcome;
		ss->last.reaped_ms = k->reaped_ms;
	}
}

void stats_stuck(struct stats *st, struct scope_stats *ss)
{
	ss->stuck++;
	st->stuck++;
	st->events++;
}

void stats_rescope(struct stats *st, const int *map, int n)
{
	for (int i = 0; i < STATS_RECENT; i++) {
		int *k = &st->recent[i].scope;

		*k = *k >= 0 && *k < n ? map[*k] : -1;
	}
}

const struct stats_kill *stats_recent(const struct stats *st, int i)
{
	if (i < 0 || i >= st->nrecent)
		return NULL;
	return &st->recent[(st->head + i) % STATS_RECENT];
}

void snap_name(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (!cap)
		return;
	if (n < cap) {
		memcpy(out, s, n + 1);
		return;
	}
	/* the end of a path tells more than its start: "..." and the rest */
	if (cap < 4) {
		out[0] = '\0';
		return;
	}
	memcpy(out, "...", 3);
	memcpy(out + 3, s + n - (cap - 4), cap - 4);
	out[cap - 1] = '\0';
}
