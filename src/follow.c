/* follow.c - a watched scope as it changes under the daemon: its cgroup's limits raised or
 * lowered */
#include <stdint.h>

#include "watch.h"

static void line_mib(struct line *l, const struct scope *s, unsigned long pages)
{
	if (!pages) {
		line_str(l, "none (the machine's memory)");
		return;
	}
	line_ulong(l, (unsigned long long)pages * s->page_kb / 1024);
	line_str(l, " MiB");
}

/*
 * The cgroup's limit changed since the last sample: say so, and bring what was measured
 * against the old one to the new. The fill history's "available" was limit - used, so it
 * moves with the limit; a choice made ahead weighed oom_score_adj in thousandths of the old
 * totalpages (oom_badness()), so it is made again.
 */
static void limits_changed(struct watch *w, unsigned long was_limit, const struct sample *smp)
{
	struct line l;

	decider_new_limit(&w->dec, smp->total_kb, (was_limit != 0) == (w->scope.limit_pages != 0));
	watch_drop_ready(w);
	line_init(&l);
	line_str(&l, "oomreaper: ");
	line_str(&l, w->name);
	line_str(&l, ": limit ");
	line_mib(&l, &w->scope, was_limit);
	line_str(&l, " -> ");
	line_mib(&l, &w->scope, w->scope.limit_pages);
	line_str(&l, ", totalpages ");
	line_ulong(&l, w->scope.totalpages);
	line_write(&l, 2);
	if (dmn.log_fd < 0)
		return;
	jbegin(&l, "scope_limit");
	jstr(&l, "scope", w->name);
	jnum(&l, "limit_kb", (long long)(w->scope.limit_pages * w->scope.page_kb));
	jnum(&l, "was_kb", (long long)(was_limit * w->scope.page_kb));
	jnum(&l, "totalpages", (long long)w->scope.totalpages);
	jend(&l);
}

int watch_sample(struct watch *w, struct sample *smp)
{
	unsigned long was_limit = w->scope.limit_pages;
	int r = sample_scope(&w->scope, dmn.cli->proc_fd, &w->files, smp);

	if (r > 0)
		limits_changed(w, was_limit, smp);
	return r < 0 ? r : 0;
}
