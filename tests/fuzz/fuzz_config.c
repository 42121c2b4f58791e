/*
 * fuzz_config.c - the configuration loader, rules included: the input is the file (a memfd,
 * opened by its /proc/self/fd path as config_load() opens any file). A file it accepts must
 * print, and its levels must check against a scope's memory without harm.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	static int fd = -1;
	static char path[64];
	static FILE *null;
	char err[512];

	if (fd < 0) {
		fd = memfd_create("fuzz_config", MFD_CLOEXEC);
		null = fopen("/dev/null", "we");
		if (fd < 0 || !null)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = '\0';
	int r = config_load(&c, path, err, sizeof(err));

	FUZZ_CHECK(r == 0 || r == -EINVAL, "returned %d (%s)", r, err);
	FUZZ_CHECK(r == 0 || (err[0] && strlen(err) < sizeof(err)), "refused without a reason");
	/* the reason is one line: it is said on stderr and in a JSON reload event */
	FUZZ_CHECK(!strchr(err, '\n'), "a reason of more than one line: %s", err);
	if (r == 0) {
		FUZZ_CHECK(c.nscopes >= 1 && c.nscopes <= CONFIG_MAX_SCOPES, "%d scopes",
			   c.nscopes);
		FUZZ_CHECK(c.nrules >= 0 && c.nrules <= CONFIG_MAX_RULES, "%d rules", c.nrules);
		config_print(&c, null);
		for (int i = 0; i < c.nscopes; i++) {
			thresholds_check(&c, &c.scopes[i], 16ULL << 20, err, sizeof(err));
			thresholds_check(&c, &c.scopes[i], 1, err, sizeof(err));
		}
	}
	/* a file refused half-way holds what its good lines compiled */
	config_free(&c);
	return 0;
}
