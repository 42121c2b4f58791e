/* fuzz_parse_key_value.c - a flat-keyed file (memory.stat): the keys the daemon asks for, and
 * the input's first line as a key of its own */
#include <errno.h>

#include "fuzz.h"
#include "parse.h"

static void one(const char *buf, size_t len, const char *key)
{
	unsigned long long v = 0;
	int r = parse_key_value(buf, len, key, &v);

	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EBADMSG, "returned %d", r);
	if (r == 0 && *key)
		FUZZ_CHECK(memmem(buf, len, key, strlen(key)), "found a key that is not there");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"total_inactive_file", "inactive_file", "hierarchical_memory_limit",
		"hierarchical_memsw_limit", "oom_kill", "",
	};
	const uint8_t *nl = memchr(data, '\n', size);
	size_t klen = nl ? (size_t)(nl - data) : 0;
	char *key = fuzz_cstr(data, klen);
	size_t off = nl ? klen + 1 : 0;
	char *buf = fuzz_exact(data + off, size - off);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		one(buf, size - off, keys[i]);
	one(buf, size - off, key);
	free(buf);
	free(key);
	return 0;
}
