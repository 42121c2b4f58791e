/* fuzz_snapshot.c - what `oomreaper status` and `top` receive over the socket: any bytes are
 * refused by snapshot_check() or rendered as text, JSON and metrics within their buffers */
#include "fuzz.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snapshot s;
	static char buf[4096];
	struct snap_self me = { -1, -1 };
	struct out o;

	/* the fuzzer's bytes laid over a valid header, so that the renderers are reached */
	memset(&s, 0, sizeof(s));
	memcpy(s.magic, SNAPSHOT_MAGIC, sizeof(s.magic));
	s.size = sizeof(s);
	memcpy((char *)&s + 12, data, size < sizeof(s) - 12 ? size : sizeof(s) - 12);
	if (snapshot_check(&s, sizeof(s)))
		return 0;
	out_init(&o, buf, sizeof(buf), -1);
	render_text(&o, &s, &me);
	FUZZ_CHECK(o.n < sizeof(buf), "text past its buffer");
	out_init(&o, buf, sizeof(buf), -1);
	render_json(&o, &s, &me);
	out_init(&o, buf, sizeof(buf), -1);
	render_metrics(&o, &s);
	FUZZ_CHECK(o.n < sizeof(buf), "metrics past their buffer");
	return 0;
}
