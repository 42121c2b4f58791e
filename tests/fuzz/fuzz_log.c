/*
 * fuzz_log.c - the daemon's lines, human and JSON, made of what a process or a file chose: a
 * scope's path, a comm, a reason, and any figures. Every human line must be one line of clean
 * text (no control byte, no invalid UTF-8, no C1 code point) and a kill line must end with
 * the kernel's last field; every JSON line must be one valid JSON object.
 * Input: 64 bytes of figures, then the scope's path, the comm, a reason, the sharers' comms,
 * cut at NUL bytes. stderr goes to a memfd while the lines are said, the JSON log to another.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "text.h"
#include "daemon_log.h"
#include "watch.h"

/* the daemon whose lines are said: only its JSON log and failure count are used */
static struct daemon dmn;

#define FIGURES 64

/* --- a strict JSON checker (RFC 8259), on bytes; strings must be valid UTF-8 ------------ */

struct json_in {
	const unsigned char *s, *end;
	int depth;
};

static bool jvalue(struct json_in *in);

static void jspace(struct json_in *in)
{
	while (in->s < in->end && (*in->s == ' ' || *in->s == '\t' || *in->s == '\n' ||
				   *in->s == '\r'))
		in->s++;
}

static bool jlit(struct json_in *in, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(in->end - in->s) < n || memcmp(in->s, lit, n))
		return false;
	in->s += n;
	return true;
}

static bool jhex4(struct json_in *in)
{
	for (int i = 0; i < 4; i++, in->s++)
		if (in->s >= in->end || !strchr("0123456789abcdefABCDEF", *in->s) || !*in->s)
			return false;
	return true;
}

static bool jstring(struct json_in *in)
{
	if (in->s >= in->end || *in->s != '"')
		return false;
	in->s++;
	while (in->s < in->end) {
		unsigned char c = *in->s;

		if (c == '"') {
			in->s++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			in->s++;
			if (in->s >= in->end)
				return false;
			c = *in->s++;
			if (c == 'u') {
				if (!jhex4(in))
					return false;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return false;
			}
			continue;
		}
		size_t n = utf8_len(in->s, in->end);

		if (!n)
			return false;
		in->s += n;
	}
	return false;
}

static bool jnumber(struct json_in *in)
{
	const unsigned char *s = in->s;

	if (s < in->end && *s == '-')
		s++;
	if (s >= in->end || *s < '0' || *s > '9')
		return false;
	if (*s == '0')
		s++;
	else
		while (s < in->end && *s >= '0' && *s <= '9')
			s++;
	if (s < in->end && *s == '.') {
		if (++s >= in->end || *s < '0' || *s > '9')
			return false;
		while (s < in->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < in->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < in->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= in->end || *s < '0' || *s > '9')
			return false;
		while (s < in->end && *s >= '0' && *s <= '9')
			s++;
	}
	in->s = s;
	return true;
}

static bool jcontainer(struct json_in *in, char close)
{
	bool object = close == '}';

	if (++in->depth > 64)
		return false;
	in->s++;
	jspace(in);
	if (in->s < in->end && *in->s == close) {
		in->s++;
		in->depth--;
		return true;
	}
	for (;;) {
		jspace(in);
		if (object) {
			if (!jstring(in))
				return false;
			jspace(in);
			if (in->s >= in->end || *in->s++ != ':')
				return false;
			jspace(in);
		}
		if (!jvalue(in))
			return false;
		jspace(in);
		if (in->s >= in->end)
			return false;
		if (*in->s == close) {
			in->s++;
			in->depth--;
			return true;
		}
		if (*in->s++ != ',')
			return false;
	}
}

static bool jvalue(struct json_in *in)
{
	if (in->s >= in->end)
		return false;
	switch (*in->s) {
	case '{': return jcontainer(in, '}');
	case '[': return jcontainer(in, ']');
	case '"': return jstring(in);
	case 't': return jlit(in, "true");
	case 'f': return jlit(in, "false");
	case 'n': return jlit(in, "null");
	default: return jnumber(in);
	}
}

/* Whether s[0..len) is exactly one JSON object */
static bool json_object_valid(const char *s, size_t len)
{
	struct json_in in = { (const unsigned char *)s, (const unsigned char *)s + len, 0 };

	jspace(&in);
	if (in.s >= in.end || *in.s != '{' || !jvalue(&in))
		return false;
	jspace(&in);
	return in.s == in.end;
}

/* --- the lines ------------------------------------------------------------------------ */

/* Whether a human line is clean text: valid UTF-8 without C0, DEL or C1 code points */
static bool human_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		size_t n = utf8_len(p, end);

		if (!n)
			return false;
		/* U+0080..U+009F, the C1 controls: 0xc2 0x80..0x9f */
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			return false;
		p += n;
	}
	return true;
}

static int out_fd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		abort();
	return fd;
}

/* What fd holds, then emptied; malloc'd, *len set */
static char *take(int fd, size_t *len)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)n + 1);

	if (n < 0 || !buf || pread(fd, buf, (size_t)n, 0) != n || ftruncate(fd, 0) ||
	    lseek(fd, 0, SEEK_SET))
		abort();
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void copy_part(char *dst, size_t cap, const uint8_t *part, long len)
{
	size_t n = len > 0 ? (size_t)len : 0;

	if (n > cap - 1)
		n = cap - 1;
	if (n)
		memcpy(dst, part, n);
	dst[n] = '\0';
}

/* The human lines said: count of them, each clean; the kill line's figures last */
static void check_human(const char *out, size_t len, int want, const struct proc_info *p)
{
	char tail[64];
	int lines = 0;

	snprintf(tail, sizeof(tail), "oom_score_adj:%d", p->oom_score_adj);
	for (const char *s = out, *end = out + len; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		FUZZ_CHECK(nl, "a human line without its newline: %.*s", (int)(end - s), s);
		FUZZ_CHECK(human_clean(s, (size_t)(nl - s)), "not clean text: %.*s",
			   (int)(nl - s), s);
		FUZZ_CHECK(!strncmp(s, "oomreaper: ", 11), "a line of its own: %.*s",
			   (int)(nl - s), s);
		/* the kill line, said first: the kernel's format whole, its last field last */
		if (!lines) {
			size_t tl = strlen(tail);

			FUZZ_CHECK((size_t)(nl - s) >= tl && !memcmp(nl - tl, tail, tl),
				   "the kill line lost its last field: %.*s", (int)(nl - s), s);
		}
		lines++;
		s = nl + 1;
	}
	FUZZ_CHECK(lines == want, "%d human lines, %d said", lines, want);
}

static void check_json(const char *out, size_t len, int want)
{
	int lines = 0;

	for (const char *s = out, *end = out + len; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		FUZZ_CHECK(nl, "a JSON line without its newline");
		FUZZ_CHECK(json_object_valid(s, (size_t)(nl - s)), "invalid JSON: %.*s",
			   (int)(nl - s), s);
		lines++;
		s = nl + 1;
	}
	FUZZ_CHECK(lines == want, "%d JSON lines, %d events", lines, want);
}

static long long figure(const uint8_t *f, int i)
{
	long long v;

	memcpy(&v, f + 8 * i, sizeof(v));
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int human = -1, json = -1;
	static struct watch w;
	static struct member m[3];
	/* a slot of the pool, as the daemon's: its note is beside it (slot_note()) */
	struct slot *sl = &dmn.pool[0];
	struct decision d = { 0 };
	char was[64], comm[COMM_LEN];
	const uint8_t *part = NULL;
	size_t pos = FIGURES;
	long len;

	if (size < FIGURES)
		return 0;
	if (human < 0) {
		human = out_fd("fuzz_log_human");
		json = out_fd("fuzz_log_json");
	}
	const uint8_t *f = data;
	struct proc_info *p = &sl->v.chosen;

	memset(&w, 0, sizeof(w));
	memset(sl, 0, sizeof(*sl));
	memset(&m, 0, sizeof(m));
	len = fuzz_part(data, size, &pos, &part);
	copy_part(w.name, sizeof(w.name), part, len);
	len = fuzz_part(data, size, &pos, &part);
	/* a comm as /proc gives it: up to 15 bytes, any but NUL */
	copy_part(comm, sizeof(comm), part, len);
	memcpy(p->comm, comm, sizeof(comm));
	/* a decision's reason is the daemon's own text (decide.c), made of figures: printable */
	len = fuzz_part(data, size, &pos, &part);
	copy_part(d.reason, sizeof(d.reason), part, len);
	for (char *c = d.reason; *c; c++)
		*c = (char)(' ' + (unsigned char)*c % 95);
	copy_part(was, sizeof(was), (const uint8_t *)d.reason, (long)strlen(d.reason));
	p->pid = (pid_t)figure(f, 0);
	p->oom_score_adj = (int)(figure(f, 1) % 2001);
	p->uid = (uid_t)figure(f, 1);
	p->total_vm_kb = (unsigned long)figure(f, 2);
	p->rss_anon_kb = (unsigned long)figure(f, 3);
	p->rss_file_kb = (unsigned long)figure(f, 4) >> 2;
	p->rss_shmem_kb = (unsigned long)figure(f, 5) >> 2;
	p->pgtables_kb = (unsigned long)figure(f, 6);
	p->badness = (long)figure(f, 7);
	sl->v.m = m;
	sl->v.n = 1 + (int)((unsigned)data[0] % 3);
	sl->v.cap = 3;
	for (int i = 1; i < sl->v.n; i++) {
		len = fuzz_part(data, size, &pos, &part);
		copy_part(m[i].comm, sizeof(m[i].comm), part, len);
		m[i].pid = (pid_t)figure(f, i);
	}
	sl->v.unsignalled = (int)figure(f, 2);
	sl->v.t_kill = figure(f, 3) & 0x3fffffffffffLL;
	sl->v.t_exited = figure(f, 4) & 0x3fffffffffffLL;
	sl->v.t_reaped = figure(f, 5) & 0x3fffffffffffLL;
	sl->v.reap_outcome = data[1] % 8;
	sl->v.reap_attempts = (int)figure(f, 6);
	sl->v.now_anon_kb = (unsigned long)figure(f, 7);
	w.fired_at = figure(f, 0) & 0x3fffffffffffLL;
	d.trigger = (enum trigger)(data[2] % 6);
	d.fill_kb_s = (double)figure(f, 4) / 7;
	/* what the kill event adds: the runner-up (a comm), the victim's cgroup (a path) */
	struct slot_note *note = slot_note(&dmn, sl);

	memset(note, 0, sizeof(*note));
	note->has_runner_up = data[3] & 1;
	memcpy(note->runner_up_comm, comm, sizeof(comm));
	note->runner_up_badness = (long)figure(f, 6);
	note->select_us = figure(f, 5);
	note->candidates = (int)figure(f, 1);
	note->fired = d;
	snprintf(note->cgroup, sizeof(note->cgroup), "%s", w.name);

	/* stderr into a memfd while the lines are said */
	fflush(stderr);
	int saved = dup(2);

	if (saved < 0 || dup2(human, 2) < 0)
		abort();
	dmn.log_fd = json;
	say_killed(&dmn, &w, sl);
	say_process(&w, sl, PRIO_INFO, "exited before the kill");
	say_reaping_dying(&dmn, &w, sl);
	say_abort(&dmn, &w, sl, was, figure(f, 6), &d);
	say_trigger(&dmn, &w, &d);
	say_would_kill(&dmn, &w, sl);
	say_exited(&dmn, &w, sl);
	say_reaped(&dmn, &w, sl);
	jevent(&dmn, "reload", w.name, d.reason);
	log_line(PRIO_INFO, w.name, ": ", d.reason);
	dmn.log_fd = -1;
	if (dup2(saved, 2) < 0)
		abort();
	close(saved);

	size_t hl, jl;
	char *h = take(human, &hl), *j = take(json, &jl);

	/* say_killed: one line a member; the others one each */
	check_human(h, hl, sl->v.n + 7, p);
	/* kill, reap_dying, abort, trigger, would_kill, exit, reap, reload */
	check_json(j, jl, 8);
	free(h);
	free(j);
	return 0;
}
