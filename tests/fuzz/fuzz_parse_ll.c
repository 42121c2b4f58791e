/* fuzz_parse_ll.c - a file of one decimal (oom_score_adj, a limit, memory.current), checked
 * against strtoll() of the same text */
#include <errno.h>

#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	char *str = fuzz_cstr(data, size);
	long long v = 0;
	int r = parse_ll(buf, size, &v);

	FUZZ_CHECK(r == 0 || r == -ERANGE || r == -EBADMSG, "returned %d", r);
	if (r == 0) {
		char *end;

		FUZZ_CHECK(strlen(str) == size, "a NUL byte accepted");
		errno = 0;
		long long want = strtoll(str, &end, 10);

		FUZZ_CHECK(!errno && want == v, "%lld, strtoll says %lld", v, want);
	}
	free(str);
	free(buf);
	return 0;
}
