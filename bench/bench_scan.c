/*
 * bench_scan.c - what choosing a victim costs on the live /proc, against the floor.
 *
 *   bench_scan [-n ROUNDS] [-o ONLY] [-l LINEFILE] [-q]
 *
 * Each round times, in a rotating order so that none always runs on a warm or cold cache:
 *   floor     scan_pids, then open/read/close of /proc/PID/oom_score for every pid, one
 *             thread, one read() each: the least any scan that reads the kernel's score pays
 *   floor_eof the same, reading until read() returns 0 (what read_file_at() does): a
 *             diagnostic, to show what the second read() costs
 *   select1   select_victim() on the global scope, 1 thread, a fresh open of each oom_score
 *             (what a one-shot `oomreaper kill` does)
 *   selectN   the same on scan_default_threads() threads
 *   selectH1  select_victim() with a selector on which selector_hold_files() was called:
 *             each oom_score stays open from one selection to the next and is pread at 0
 *             (the daemon's steady state), 1 thread
 *   selectHN  the same selector (the same held files) on scan_default_threads() threads
 *   survey    survey_take() of the global scope, all threads (what `oomreaper list` reads)
 * and checks that every select chose the survey's first eligible process (when one of the
 * two picks came, went or became ineligible between the two scans, it is counted apart, as
 * a race). The held files are opened in round -1, which is not counted; the kernel memory
 * they take is measured then: the growth of this process's memory cgroup's
 * memory.kmem.usage_in_bytes (v1; run it in a cgroup of its own for a clean figure) and of
 * /proc/meminfo's Slab (the whole machine) across that first held selection, and their fall
 * when the files are closed at the end.
 * -q makes every selection qos_order's (each candidate's cgroup file read for its QoS class).
 * -o ONLY runs one of them alone (for perf). -l LINEFILE also times writing one
 * earlyoom-style debug line per process to LINEFILE, line-buffered, as `earlyoom -d` does
 * while it selects (to tell its selection apart from its debug output).
 *
 * Prints `key=value` lines (see the end of main); best and median over the rounds, in ms.
 * Exit status 0 when measured (a victim mismatch is printed on stderr and counted in
 * `mismatches=`), 1 when something could not be measured, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "readfile.h"
#include "scan.h"
#include "scope.h"
#include "select.h"
#include "survey.h"

#define MAX_ROUNDS 1000

enum contender { C_FLOOR, C_FLOOR_EOF, C_SELECT1, C_SELECTN, C_SELECTH1, C_SELECTHN,
		 C_SURVEY, C_LINES, C_COUNT };

static const char *const names[C_COUNT] = { "floor", "floor_eof", "select1", "selectN",
					    "selectH1", "selectHN", "survey", "lines" };

struct bench {
	int proc_fd;
	struct scope scope;
	struct selector sel1, seln;
	struct selector selh;	/* holds its files: run on 1 thread, then on N */
	int threads;		/* scan_default_threads() */
	pid_t *pids;
	int cap;
	int procs;		/* pids listed by the last floor */
	struct choice c1, cn, ch1, chn;
	struct survey sv;	/* the last survey, kept to judge a mismatch */
	bool have_sv;
	pid_t survey_victim;
	char survey_comm[COMM_LEN];
	long survey_badness;
	int survey_n;
	const char *line_path;
	FILE *lines;
	double ms[C_COUNT][MAX_ROUNDS];
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* scan_pids into b->pids, growing it until every pid fits. Returns the count or -errno. */
static int list_pids(struct bench *b)
{
	for (;;) {
		int n = scan_pids(b->proc_fd, b->pids, b->cap);

		if (n < 0 || n <= b->cap)
			return n;
		pid_t *p = realloc(b->pids, sizeof(pid_t) * (size_t)(n * 2));

		if (!p)
			return -ENOMEM;
		b->pids = p;
		b->cap = n * 2;
	}
}

/* The floor: one open, one read, one close of PID/oom_score per pid. Returns 0 or -errno. */
static int floor_scan(struct bench *b, bool until_eof)
{
	char path[48], buf[32];
	int n = list_pids(b);

	if (n < 0)
		return n;
	b->procs = n;
	for (int i = 0; i < n; i++) {
		int fd = openat(b->proc_fd, pid_path(path, b->pids[i], "oom_score"),
				O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf));

		while (until_eof && r > 0)
			r = read(fd, buf, sizeof(buf));
		close(fd);
	}
	return 0;
}

/* Bytes of kernel memory charged to this process's v1 memory cgroup, or -1 */
static long long kmem_bytes(void)
{
	char buf[4096], path[4200];
	const char *cg = NULL;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		char *ctrl = strchr(buf, ':'), *p = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (!p)
			continue;
		*p = '\0';
		/* the controller list, comma-separated: is memory in it? */
		for (char *t = strtok(ctrl + 1, ","); t; t = strtok(NULL, ","))
			if (!strcmp(t, "memory"))
				cg = p + 1;
		if (cg)
			break;
	}
	fclose(f);
	if (!cg)
		return -1;
	cg += strspn(cg, "/");
	snprintf(path, sizeof(path), "/sys/fs/cgroup/memory/%.*s/memory.kmem.usage_in_bytes",
		 (int)strcspn(cg, "\n"), cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	long long v = -1;

	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* /proc/meminfo's Slab in kB (the whole machine's), or -1 */
static long long slab_kb(void)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %lld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* What `earlyoom -d` prints for each process while it selects, to a line-buffered file */
static int write_lines(struct bench *b)
{
	if (fseek(b->lines, 0, SEEK_SET) || ftruncate(fileno(b->lines), 0))
		return -errno;
	for (int i = 0; i < b->procs; i++)
		fprintf(b->lines, "pid %5d: badness %3d vm_rss %7lu uid %4d oom_score_adj %4d \"%s\"\n",
			(int)b->pids[i], 666, 1024UL, 0, 0, "sleeper");
	return ferror(b->lines) ? -EIO : 0;
}

static int run_one(struct bench *b, enum contender c)
{
	int r;

	switch (c) {
	case C_FLOOR:
		return floor_scan(b, false);
	case C_FLOOR_EOF:
		return floor_scan(b, true);
	case C_SELECT1:
		return select_victim(&b->sel1, &b->scope, &b->c1);
	case C_SELECTN:
		return select_victim(&b->seln, &b->scope, &b->cn);
	case C_SELECTH1:
		b->selh.threads = 1;
		return select_victim(&b->selh, &b->scope, &b->ch1);
	case C_SELECTHN:
		b->selh.threads = b->threads;
		return select_victim(&b->selh, &b->scope, &b->chn);
	case C_SURVEY:
		if (b->have_sv)
			survey_free(&b->sv);
		b->have_sv = false;
		r = survey_take(&b->sv, &b->scope, b->proc_fd, getpid(), scan_default_threads(),
				kcmp_vm, NULL);
		if (r)
			return r;
		b->have_sv = true;
		b->survey_n = b->sv.table.n;
		b->survey_victim = 0;
		if (b->sv.eligible > 0) {
			const struct proc_info *p = &b->sv.table.procs[b->sv.order[0]];

			b->survey_victim = p->pid;
			b->survey_badness = p->badness;
			memcpy(b->survey_comm, p->comm, COMM_LEN);
		}
		return 0;
	case C_LINES:
		return write_lines(b);
	default:
		return -EINVAL;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v in place; sets best and median. */
static void stats(double *v, int n, double *best, double *median)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*best = v[0];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum verdict { SAME, RACE, MISMATCH };

/*
 * Whether the selection chose what the full survey ranks first; loud when not. The two
 * read /proc at different moments: when the survey's pick is not among the pids the
 * selection listed, it came or went in between; when the oom_score the selection read for
 * it is lower than its pick's, or not the one the survey read, it grew (or shrank) in
 * between (both a RACE, still printed); else a MISMATCH.
 */
static enum verdict same_victim(const struct bench *b, const char *who,
				const struct selector *sel, const struct choice *c, int round)
{
	pid_t v = c->found ? c->victim.pid : 0;
	bool listed = false;

	if (v == b->survey_victim)
		return SAME;
	bool changed = false;

	for (int i = 0; i < c->scanned && i < selector_room(sel) && !listed; i++) {
		listed = selector_pids(sel)[i] == b->survey_victim;
		if (listed) {
			int j = table_find(&b->sv.table, b->survey_victim);
			long then = selector_scores(sel)[i];
			long later = j >= 0 ? b->sv.table.procs[j].kernel_score : -1;

			changed = (c->found && then < c->victim.kernel_score) ||
				  (then >= 0 && later >= 0 && then != later);
		}
	}
	/* and the selection's pick must be in the survey, eligible, for a true mismatch */
	int k = v ? table_find(&b->sv.table, v) : -1;

	if (v && (k < 0 || b->sv.table.procs[k].excl != EXCL_NONE))
		listed = false;
	if (changed)
		listed = false;
	fprintf(stderr, "bench_scan: %s in round %d: %s chose %d (%s, badness %ld), the survey "
			"ranks %d (%s, badness %ld) first%s\n",
		listed ? "MISMATCH" : "race", round, who, (int)v, c->found ? c->victim.comm : "-",
		c->found ? c->victim.badness : 0, (int)b->survey_victim, b->survey_comm,
		b->survey_badness,
		listed ? "" : changed ? ": its oom_score changed between the two scans"
			 : ": one of the two came, went or became ineligible in between");
	return listed ? MISMATCH : RACE;
}

int main(int argc, char **argv)
{
	static struct bench b;
	int rounds = 15, o;
	const char *only = NULL;
	bool qos_order = false;
	bool run[C_COUNT] = { true, true, true, true, true, true, true, false };

	while ((o = getopt(argc, argv, "n:o:l:q")) != -1) {
		switch (o) {
		/* what qos_order costs: each candidate's cgroup file read too */
		case 'q': qos_order = true; break;
		case 'n': rounds = atoi(optarg); break;
		case 'o': only = optarg; break;
		case 'l': b.line_path = optarg; break;
		default:
			fputs("usage: bench_scan [-n ROUNDS] [-o ONLY] [-l LINEFILE] [-q]\n", stderr);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_scan: -n wants 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	if (only) {
		int k = 0;

		while (k < C_COUNT && strcmp(names[k], only))
			k++;
		if (k == C_COUNT || k == C_LINES) {
			fprintf(stderr, "bench_scan: -o wants floor, floor_eof, select1, selectN, "
					"selectH1, selectHN or survey\n");
			return 2;
		}
		memset(run, 0, sizeof(run));
		run[k] = true;
		run[C_FLOOR] = true;	/* lists the pids that the others are counted against */
	}
	if (b.line_path) {
		b.lines = fopen(b.line_path, "w");
		if (!b.lines) {
			perror(b.line_path);
			return 1;
		}
		setvbuf(b.lines, NULL, _IOLBF, 0);
		run[C_LINES] = true;
	}
	b.proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b.proc_fd < 0 || scope_open(&b.scope, b.proc_fd, NULL)) {
		fputs("bench_scan: cannot open /proc or the global scope\n", stderr);
		return 1;
	}
	b.sel1 = (struct selector){ .proc_fd = b.proc_fd, .self = getpid(), .threads = 1,
				    .same_mm = kcmp_vm, .qos_order = qos_order };
	b.threads = scan_default_threads();
	b.seln = b.sel1;
	b.seln.threads = b.threads;
	b.selh = b.sel1;
	/* as many as the fd limit allows: every process, on any machine this runs on */
	int hold_max = selector_hold_files(&b.selh, 1 << 22);
	/* kernel memory around the first held selection (it opens the files), and at close */
	long long kmem0 = -1, kmem1 = -1, slab0 = -1, slab1 = -1;

	int mismatches = 0, races = 0, failures = 0;

	/* round -1 warms the caches and grows the buffers; it is not counted */
	for (int r = -1; r < rounds; r++) {
		for (int k = 0; k < C_COUNT; k++) {
			/* the floor first, for the pid count; the rest in a rotating order */
			enum contender c = k == 0 ? C_FLOOR
					   : (enum contender)(1 + (k - 1 + (r + 1)) % (C_COUNT - 1));

			if (!run[c])
				continue;
			bool opens = (c == C_SELECTH1 || c == C_SELECTHN) &&
				     selector_held(&b.selh, NULL, NULL) == 0;

			if (opens) {
				kmem0 = kmem_bytes();
				slab0 = slab_kb();
			}
			double t0 = now_ms();
			int e = run_one(&b, c);
			double t1 = now_ms();

			if (opens) {
				kmem1 = kmem_bytes();
				slab1 = slab_kb();
			}

			if (e) {
				fprintf(stderr, "bench_scan: %s failed: %s\n", names[c], strerror(-e));
				failures++;
			}
			if (r >= 0)
				b.ms[c][r] = t1 - t0;
		}
		if (r >= 0 && run[C_SURVEY]) {
			const struct selector *sels[] = { &b.sel1, &b.seln, &b.selh, &b.selh };
			const struct choice *chs[] = { &b.c1, &b.cn, &b.ch1, &b.chn };

			for (int k = 0; k < 4; k++) {
				if (!run[C_SELECT1 + k])
					continue;
				enum verdict v = same_victim(&b, names[C_SELECT1 + k], sels[k],
							     chs[k], r);

				mismatches += v == MISMATCH;
				races += v == RACE;
			}
		}
	}
	if (failures)
		return 1;

	printf("rounds=%d\nthreads=%d\nprocs=%d\n", rounds, b.threads, b.procs);
	/* each round's floor and selection ran back to back: their ratio, round by round,
	 * is less moved by other work on the machine than a ratio of medians */
	if (run[C_SELECT1]) {
		static double ratio[MAX_ROUNDS];
		double best, median;

		for (int r = 0; r < rounds; r++)
			ratio[r] = b.ms[C_SELECT1][r] / b.ms[C_FLOOR][r];
		stats(ratio, rounds, &best, &median);
		printf("select1_floor_paired_median=%.3f\n", median);
	}
	for (int c = 0; c < C_COUNT; c++) {
		double best, median;

		if (!run[c])
			continue;
		stats(b.ms[c], rounds, &best, &median);
		printf("%s_best_ms=%.3f\n%s_median_ms=%.3f\n", names[c], best, names[c], median);
	}
	const struct choice *c = run[C_SELECT1] ? &b.c1 : run[C_SELECTN] ? &b.cn
			       : run[C_SELECTH1] ? &b.ch1 : &b.chn;

	if (run[C_SELECT1] || run[C_SELECTN] || run[C_SELECTH1] || run[C_SELECTHN]) {
		printf("scanned=%d\ndetailed=%d\nvictim=%d\n", c->scanned, c->detailed,
		       c->found ? (int)c->victim.pid : 0);
		if (c->found)
			printf("victim_comm=%s\nvictim_badness=%ld\nvictim_score=%ld\n",
			       c->victim.comm, c->victim.badness, c->victim.kernel_score);
	}
	if (run[C_SURVEY])
		printf("survey_procs=%d\nsurvey_victim=%d\n", b.survey_n, (int)b.survey_victim);
	if (run[C_SURVEY]) {
		int sels = run[C_SELECT1] + run[C_SELECTN] + run[C_SELECTH1] + run[C_SELECTHN];

		printf("selections_checked=%d\nmismatches=%d\nraces=%d\n", sels * rounds,
		       mismatches, races);
		if (mismatches)
			fprintf(stderr, "bench_scan: MISMATCH: %d selections of %d chose another "
					"victim than the survey\n", mismatches, sels * rounds);
	}
	if (run[C_SELECTH1] || run[C_SELECTHN]) {
		int held = selector_held(&b.selh, NULL, NULL);
		long long kmem2 = kmem_bytes(), slab2 = slab_kb();

		selector_free(&b.selh);
		usleep(200000);		/* files are freed after the close returns (task work) */
		long long kmem3 = kmem_bytes(), slab3 = slab_kb();

		printf("hold_max=%d\nheld_fds=%d\n", hold_max, held);
		if (kmem0 >= 0 && kmem1 >= 0 && kmem2 >= 0 && kmem3 >= 0)
			printf("held_kmem_open_kb=%lld\nheld_kmem_close_kb=%lld\n",
			       (kmem1 - kmem0) / 1024, (kmem2 - kmem3) / 1024);
		if (slab0 >= 0 && slab1 >= 0 && slab2 >= 0 && slab3 >= 0)
			printf("held_slab_open_kb=%lld\nheld_slab_close_kb=%lld\n", slab1 - slab0,
			       slab2 - slab3);
	}
	if (b.have_sv)
		survey_free(&b.sv);
	selector_free(&b.sel1);
	selector_free(&b.seln);
	scope_close(&b.scope);
	if (b.lines)
		fclose(b.lines);
	free(b.pids);
	return 0;
}
