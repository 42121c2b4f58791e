/* fuzz_identity.c - pod, container, QoS class and unit from any cgroup path: nothing read past
 * it, and what it gives is whole (a UID of 32 or 36 characters, an ID of 64, a unit of
 * systemd's characters) or nothing */
#include <errno.h>

#include "fuzz.h"
#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_exact(data, size);
	struct identity id;
	int r = identity_parse_n(buf, size, &id);
	size_t u = strnlen(id.pod_uid, sizeof(id.pod_uid));
	size_t c = strnlen(id.container_id, sizeof(id.container_id));
	size_t n = strnlen(id.unit, sizeof(id.unit));

	FUZZ_CHECK(r == 0 || (r == -EINVAL && id.why), "returned %d, why %p", r, (void *)id.why);
	FUZZ_CHECK(u == 0 || u == 32 || u == 36, "a pod UID of %zu characters", u);
	FUZZ_CHECK(c == 0 || c == 64, "a container ID of %zu characters", c);
	FUZZ_CHECK(n < sizeof(id.unit), "a unit without its NUL");
	FUZZ_CHECK(id.qos == QOS_NONE || u, "a QoS class without a pod");
	FUZZ_CHECK(!n || memmem(buf, size, id.unit, n), "a unit that is not in the path");
	FUZZ_CHECK(!c || memmem(buf, size, id.container_id, c), "an ID that is not in the path");
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(id.unit[i] > ' ' && id.unit[i] < 0x7f && id.unit[i] != '/',
			   "unit byte 0x%02x", (unsigned char)id.unit[i]);
	free(buf);
	return 0;
}
