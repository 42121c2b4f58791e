/*
 * fuzz_scope_limits.c - a cgroup's limits as a sample re-reads them (scope_read_limits(): v1
 * memory.stat's hierarchical limits, memory.limit_in_bytes, memsw, swappiness; v2 memory.max
 * and memory.swap.max of each level), each file a memfd holding a part of the input.
 * Input: one byte of flags (bit 0: v2, bits 1-2: v2 levels - 1, bit 3: the machine has swap),
 * then the files' texts cut at NUL bytes: memory.stat, then v1 limit, memsw, swappiness, or
 * v2 max and swap.max of each level. A file whose part is missing is absent (-1).
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "scope.h"

#define NFILES (3 + 2 * 4)

static int file_of(int i, const uint8_t *part, long len)
{
	static int fds[NFILES];

	if (len < 0)
		return -1;
	if (!fds[i]) {
		fds[i] = memfd_create("fuzz_limit", MFD_CLOEXEC);
		if (fds[i] < 0)
			abort();
	}
	if (ftruncate(fds[i], 0) || pwrite(fds[i], part, (size_t)len, 0) != len)
		abort();
	return fds[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scope s = { .page_kb = 4, .global_totalpages = 1UL << 22 };
	struct scope_limit_files f = { .limit = -1, .memsw = -1, .swappiness = -1 };
	const uint8_t *part = NULL;
	size_t pos = 1;
	char *stat = NULL;

	if (!size)
		return 0;
	unsigned flags = data[0];
	unsigned long swap_total = flags & 8 ? 1UL << 20 : 0;
	long len = fuzz_part(data, size, &pos, &part);

	size_t stat_len = len > 0 ? (size_t)len : 0;

	if (len >= 0)
		stat = fuzz_exact(part, stat_len);
	s.kind = flags & 1 ? SCOPE_CGROUP_V2 : SCOPE_CGROUP_V1;
	if (s.kind == SCOPE_CGROUP_V1) {
		int *v1[] = { &f.limit, &f.memsw, &f.swappiness };

		for (int i = 0; i < 3; i++) {
			len = fuzz_part(data, size, &pos, &part);
			*v1[i] = file_of(i, part, len);
		}
	} else {
		f.nlevels = 1 + (int)((flags >> 1) & 3);
		for (int i = 0; i < f.nlevels; i++) {
			len = fuzz_part(data, size, &pos, &part);
			f.max[i] = file_of(3 + 2 * i, part, len);
			len = fuzz_part(data, size, &pos, &part);
			f.swap_max[i] = file_of(4 + 2 * i, part, len);
		}
		/* memory.max exists at every level scope_limit_files_open() keeps */
		for (int i = 0; i < f.nlevels; i++)
			if (f.max[i] < 0)
				f.nlevels = i;
	}
	int r = scope_read_limits(&s, &f, stat, stat_len, swap_total);

	FUZZ_CHECK(r == 0 || r == 1 || r == -EBADMSG || r == -EBADF, "returned %d", r);
	if (r >= 0 && s.limit_pages) {
		FUZZ_CHECK(s.limit_pages < s.global_totalpages, "a limit past the machine");
		FUZZ_CHECK(s.totalpages >= s.limit_pages, "totalpages %lu below the limit %lu",
			   s.totalpages, s.limit_pages);
	}
	free(stat);
	return 0;
}
