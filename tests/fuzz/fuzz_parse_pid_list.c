/* fuzz_parse_pid_list.c - cgroup.procs: one pid a line */
#include <errno.h>

#include "fuzz.h"
#include "parse.h"

static int seen(pid_t pid, void *ctx)
{
	size_t *n = ctx;

	FUZZ_CHECK(pid > 0, "pid %d", (int)pid);
	/* stop the walk now and then: its value must come back */
	return ++*n == 1000 ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	size_t n = 0;
	int r = parse_pid_list(buf, size, seen, &n);

	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == 7, "returned %d", r);
	FUZZ_CHECK(n <= size / 2 + 1, "%zu pids in %zu bytes", n, size);
	free(buf);
	return 0;
}
