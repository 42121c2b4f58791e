/* fuzz_parse_stat.c - /proc/PID/stat: comm between the first '(' and the last ')' */
#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	if (parse_stat(buf, size, &p) == 0) {
		/* comm is raw bytes, but never more than TASK_COMM_LEN - 1 of them */
		FUZZ_CHECK(strnlen(p.comm, sizeof(p.comm)) < sizeof(p.comm), "comm unterminated");
		FUZZ_CHECK(p.pid >= 0, "pid %d", (int)p.pid);
	}
	free(buf);
	return 0;
}
