/* fuzz_parse_pressure.c - /proc/pressure/memory and memory.pressure: "some … total=N" */
#include <errno.h>

#include "fuzz.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	unsigned long long some = 1, full = 1;
	int r = parse_pressure(buf, size, &some, &full);

	FUZZ_CHECK(r == 0 || r == -EBADMSG, "returned %d", r);
	if (r == 0)
		FUZZ_CHECK(memmem(buf, size, "some ", 5), "some without its line");
	free(buf);
	return 0;
}
