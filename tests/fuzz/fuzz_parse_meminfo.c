/* fuzz_parse_meminfo.c - /proc/meminfo */
#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	struct meminfo m;

	memset(&m, 0, sizeof(m));
	if (parse_meminfo(buf, size, &m) == 0)
		FUZZ_CHECK(memmem(buf, size, "MemTotal:", 9), "MemTotal without its line");
	free(buf);
	return 0;
}
