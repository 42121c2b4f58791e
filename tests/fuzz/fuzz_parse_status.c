/* fuzz_parse_status.c - /proc/PID/status: Uid, the Vm* and Rss* lines, SigPnd/ShdPnd */
#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	if (parse_status(buf, size, &p) == 0 && !p.has_mm)
		FUZZ_CHECK(!p.rss_anon_kb && !p.rss_file_kb && !p.rss_shmem_kb && !p.swap_kb,
			   "memory figures without the Vm lines");
	free(buf);
	return 0;
}
