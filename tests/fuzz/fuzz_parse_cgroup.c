/* fuzz_parse_cgroup.c - /proc/PID/cgroup: the memory controller's path, or the unified one */
#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	const char *path = NULL;
	size_t len = 0;

	if (parse_cgroup(buf, size, &path, &len) == 0) {
		FUZZ_CHECK(path >= buf && path + len <= buf + size, "path outside the text");
		FUZZ_CHECK(!memchr(path, '\n', len), "path spans lines");
	}
	free(buf);
	return 0;
}
