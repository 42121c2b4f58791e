/* fuzz_parse_pressure.c - /proc/pressure/memory and memory.pressure: "some … total=N",
 * and their avg10= shares */
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
	/* the averages status shows (observe.c) */
	double some10 = -1, full10 = -1;

	r = parse_pressure_avg10(buf, size, &some10, &full10);
	FUZZ_CHECK(r == 0 || r == -EBADMSG, "avg10: returned %d", r);
	if (r == 0)
		FUZZ_CHECK(some10 >= 0 && some10 <= 100 && full10 >= 0 && full10 <= 100,
			   "avg10 out of range: %g %g", some10, full10);
	free(buf);
	return 0;
}
