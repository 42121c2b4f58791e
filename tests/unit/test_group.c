/* test_group.c - the group kill: a process's cgroup from /proc/PID/cgroup (fixtures), the
 * scope's bound, the whole-cgroup kill on a fixture cgroup v2 directory (cgroup.kill written,
 * oomreaper's own children spared, a cgroup larger than a round's window), the freed figure */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgkill.h"
#include "group.h"
#include "readfile.h"
#include "sys.h"

/* The leaf path from the fixture file name, for kind, under mount; its return in *r */
static const char *leaf_of(const char *name, enum scope_kind kind, int *r)
{
	static char out[PATH_MAX];
	char path[PATH_MAX], buf[4096];

	snprintf(path, sizeof(path), FIXTURES "/group_cgroup/%s", name);
	ssize_t n = read_file_at(AT_FDCWD, path, buf, sizeof(buf));

	assert_true(n >= 0);
	out[0] = '\0';
	*r = cgroup_of_process(buf, (size_t)n, kind, kind == SCOPE_CGROUP_V1
				? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup/unified", out,
			       sizeof(out));
	return out;
}

static void cgroup_of_a_process(void **state)
{
	int r;

	(void)state;
	assert_string_equal(leaf_of("hybrid", SCOPE_CGROUP_V1, &r),
			    "/sys/fs/cgroup/memory/oomreaper-e2e-1/leaf");
	assert_int_equal(r, 0);
	assert_string_equal(leaf_of("hybrid", SCOPE_CGROUP_V2, &r),
			    "/sys/fs/cgroup/unified/user.slice/session-1.scope");
	assert_int_equal(r, 0);
	assert_string_equal(leaf_of("unified", SCOPE_CGROUP_V2, &r),
			    "/sys/fs/cgroup/unified/kubepods.slice/kubepods-besteffort.slice/"
			    "kubepods-besteffort-pod1234.slice/cri-containerd-abcd.scope");
	assert_int_equal(r, 0);
	/* "blkio,memory": memory among other controllers of one v1 hierarchy */
	assert_string_equal(leaf_of("joined_controllers", SCOPE_CGROUP_V1, &r),
			    "/sys/fs/cgroup/memory/kubepods/burstable/pod42/c0ffee");
	assert_int_equal(r, 0);
	/* mem_cgroup_get_oom_group() never takes the root: the whole machine */
	leaf_of("root", SCOPE_CGROUP_V1, &r);
	assert_int_equal(r, -EPERM);
	leaf_of("root", SCOPE_CGROUP_V2, &r);
	assert_int_equal(r, -EPERM);
	leaf_of("unified", SCOPE_CGROUP_V1, &r);
	assert_int_equal(r, -ENOENT);
	leaf_of("no_memory", SCOPE_CGROUP_V1, &r);
	assert_int_equal(r, -ENOENT);
	/* outside our cgroup namespace, or no absolute path: none of ours */
	leaf_of("namespace_escape", SCOPE_CGROUP_V1, &r);
	assert_int_equal(r, -EBADMSG);
	leaf_of("namespace_escape", SCOPE_CGROUP_V2, &r);
	assert_int_equal(r, -EBADMSG);
	leaf_of("malformed", SCOPE_CGROUP_V1, &r);
	assert_int_equal(r, -EBADMSG);
	leaf_of("malformed", SCOPE_CGROUP_V2, &r);
	assert_int_equal(r, -ENOENT);

	char small[16];

	assert_int_equal(cgroup_of_process("4:memory:/a/long/path\n", 22, SCOPE_CGROUP_V1,
					   "/sys/fs/cgroup/memory", small, sizeof(small)),
			 -ENAMETOOLONG);
	/* the last line without its newline */
	assert_int_equal(cgroup_of_process("4:memory:/a", 11, SCOPE_CGROUP_V1, "/m", small,
					   sizeof(small)), 0);
	assert_string_equal(small, "/m/a");
}

static void within_the_scope(void **state)
{
	(void)state;
	assert_true(cgroup_within("/sys/fs/cgroup/memory/a/b", "/sys/fs/cgroup/memory/a"));
	assert_true(cgroup_within("/sys/fs/cgroup/memory/a", "/sys/fs/cgroup/memory/a"));
	assert_true(cgroup_within("/sys/fs/cgroup/memory/a/b", "/sys/fs/cgroup/memory/a/"));
	assert_false(cgroup_within("/sys/fs/cgroup/memory/ab", "/sys/fs/cgroup/memory/a"));
	assert_false(cgroup_within("/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/a"));
	assert_false(cgroup_within("/a", ""));
}

/* A process that sleeps until killed */
static pid_t sleeper(void)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0)
		for (;;)
			pause();
	return p;
}

/* A child that forks a sleeping grandchild and sleeps; *grandchild is its pid */
static pid_t with_grandchild(pid_t *grandchild)
{
	int fds[2];
	pid_t p;

	assert_int_equal(pipe(fds), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		pid_t g = fork();

		if (g == 0)
			for (;;)
				pause();
		if (write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(read(fds[0], grandchild, sizeof(*grandchild)), sizeof(*grandchild));
	close(fds[0]);
	close(fds[1]);
	return p;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool exited(pid_t pid)
{
	int fd = sys_pidfd_open(pid);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	bool gone = fd < 0 || poll(&p, 1, 2000) == 1;

	if (fd >= 0)
		close(fd);
	return gone;
}

/* A fixture cgroup v2 directory: cgroup.procs and cgroup.kill files, a child cgroup "sub" */
struct fixture_cg {
	char dir[64];
	struct scope s;
	struct victim v;
	struct spared spared[4];
	pid_t pids[8];
	struct group_kill g;
	int proc_fd;
};

static void fixture_open(struct fixture_cg *f, const char *procs, const char *sub_procs,
			 pid_t self, int pids_cap)
{
	char sub[128];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/oomreaper-cg-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	put(f->dir, "cgroup.procs", procs);
	put(f->dir, "cgroup.kill", "");
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	put(sub, "cgroup.procs", sub_procs);
	f->s.kind = SCOPE_CGROUP_V2;
	snprintf(f->s.path, sizeof(f->s.path), "%s", f->dir);
	f->s.dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->s.dir_fd >= 0);
	assert_int_equal(victim_reserve(&f->v, 8), 0);
	f->proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->proc_fd >= 0);
	f->g = (struct group_kill){ .self = self, .deadline_ms = 2000, .victims = &f->v, .nv = 1,
				    .pids = f->pids, .pids_cap = pids_cap, .spared = f->spared,
				    .spared_cap = 4 };
}

/* Removes the fixture, and ends the test's children a and b (killed already or not) */
static void fixture_close(struct fixture_cg *f, pid_t a, pid_t b)
{
	char cmd[128];

	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	close(f->proc_fd);
	victim_close(&f->v);
	victim_free(&f->v);
	scope_close(&f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

static void cgroup_kill_v2_writes_cgroup_kill(void **state)
{
	struct fixture_cg f;
	char procs[64], sub[32], buf[8];
	pid_t a = sleeper(), b = sleeper(), c = sleeper();

	(void)state;
	snprintf(procs, sizeof(procs), "%d\n%d\n", (int)a, (int)b);
	snprintf(sub, sizeof(sub), "%d\n", (int)c);
	/* not our children for the kill: it runs as another process would (self 0) */
	fixture_open(&f, procs, sub, 0, 8);
	int used = cgroup_kill(&f.s, f.proc_fd, &f.g);

	assert_int_equal(used, 1);
	assert_int_equal(f.g.killed, 3);
	assert_int_equal(f.g.nspared, 0);
	/* those that exited before the last pass gave their places up, all but the first */
	assert_true(f.v.n >= 1 && f.v.n <= 3);
	assert_int_equal(f.v.m[0].pid, a);
	assert_true(f.v.independent);
	/* nobody to spare: the kernel's one write for the subtree, and a pidfd each too */
	ssize_t n = read_file_at(f.s.dir_fd, "cgroup.kill", buf, sizeof(buf));

	assert_true(n == 1 && buf[0] == '1');
	assert_true(exited(a) && exited(b) && exited(c));
	waitpid(c, NULL, 0);
	fixture_close(&f, a, b);
}

static void cgroup_kill_spares_own_children(void **state)
{
	struct fixture_cg f;
	char procs[64], sub[32], buf[8];
	pid_t g1, g2;
	pid_t a = with_grandchild(&g1), b = with_grandchild(&g2);

	(void)state;
	snprintf(procs, sizeof(procs), "%d\n%d\n", (int)a, (int)g1);
	snprintf(sub, sizeof(sub), "%d\n%d\n", (int)b, (int)g2);
	/* oomreaper is this test: a and b are its children, spared; their children are not.
	 * A window of one pid a round: four rounds to a pass */
	fixture_open(&f, procs, sub, getpid(), 1);
	int used = cgroup_kill(&f.s, f.proc_fd, &f.g);

	assert_int_equal(used, 1);
	assert_int_equal(f.g.killed, 2);
	assert_int_equal(f.g.nspared, 2);
	assert_int_equal(f.g.left, 0);
	assert_int_equal(f.spared[0].pid, a);
	assert_int_equal(f.spared[0].why, EXCL_OWN_CHILD);
	assert_int_equal(f.spared[1].pid, b);
	assert_string_equal(exclusion_reason(EXCL_OWN_CHILD), "a child of oomreaper");
	/* someone to spare: no cgroup.kill, which would kill them too */
	assert_int_equal(read_file_at(f.s.dir_fd, "cgroup.kill", buf, sizeof(buf)), 0);
	assert_true(exited(g1) && exited(g2));
	assert_false(exited(a));
	fixture_close(&f, a, b);
}

/* More spared than named: each counted once, however many passes see them */
static void cgroup_kill_counts_spared_once(void **state)
{
	struct fixture_cg f;
	char procs[64];
	pid_t g1, g2;
	pid_t a = with_grandchild(&g1), b = with_grandchild(&g2);

	(void)state;
	snprintf(procs, sizeof(procs), "%d\n%d\n%d\n%d\n", (int)a, (int)b, (int)g1, (int)g2);
	fixture_open(&f, procs, "", getpid(), 8);
	f.g.spared_cap = 1;
	assert_int_equal(cgroup_kill(&f.s, f.proc_fd, &f.g), 1);
	assert_int_equal(f.g.killed, 2);
	assert_int_equal(f.g.nspared, 2);
	assert_int_equal(f.spared[0].pid, a);
	fixture_close(&f, a, b);
}

/* Room for one member: the one held first stays; the next is killed without being held */
static void cgroup_kill_without_room(void **state)
{
	struct fixture_cg f;
	char procs[64];
	pid_t a = sleeper(), b = sleeper();

	(void)state;
	snprintf(procs, sizeof(procs), "%d\n%d\n", (int)a, (int)b);
	fixture_open(&f, procs, "", 0, 8);
	victim_free(&f.v);
	assert_int_equal(victim_reserve(&f.v, 1), 0);
	int used = cgroup_kill(&f.s, f.proc_fd, &f.g);

	assert_int_equal(used, 1);
	assert_int_equal(f.v.n, 1);
	assert_int_equal(f.g.killed, 2);
	assert_int_equal(f.g.unheld, 1);
	assert_true(exited(a) && exited(b));
	fixture_close(&f, a, b);
}

/* The freed figure: the victim at its chosen figures, the others at theirs when held; only
 * those whose memory is back */
static void freed_memory(void **state)
{
	struct group_state gs = { .how = GROUP_KILL_LEAF, .freed_early_kb = 100 };
	struct member m[3] = { { .pid = 1 }, { .pid = 2, .rss_kb = 20 }, { .pid = 3, .rss_kb = 30 } };
	struct victim v = { .m = m, .n = 3, .cap = 3 };

	(void)state;
	v.chosen.rss_anon_kb = 1000;
	v.chosen.rss_file_kb = 7;
	assert_int_equal(group_freed_kb(&gs, &v), 100);
	m[0].gone = true;
	assert_int_equal(group_freed_kb(&gs, &v), 1107);
	/* the reaper's word counts once it is given */
	m[2].freed = true;
	assert_int_equal(group_freed_kb(&gs, &v), 1107);
	atomic_store(&v.reap_done, true);
	assert_int_equal(group_freed_kb(&gs, &v), 1137);
	m[1].gone = true;
	assert_int_equal(group_freed_kb(&gs, &v), 1157);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cgroup_of_a_process),
		cmocka_unit_test(within_the_scope),
		cmocka_unit_test(cgroup_kill_v2_writes_cgroup_kill),
		cmocka_unit_test(cgroup_kill_spares_own_children),
		cmocka_unit_test(cgroup_kill_counts_spared_once),
		cmocka_unit_test(cgroup_kill_without_room),
		cmocka_unit_test(freed_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
