/* parse.c - pure parsers of /proc and cgroup file contents */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "parse.h"

/* Reads an unsigned decimal at *s (below end); advances *s. Returns false when there is none. */
static bool take_ull(const char **s, const char *end, unsigned long long *out)
{
	const char *p = *s;
	unsigned long long v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return true;
}

static bool take_ll(const char **s, const char *end, long long *out)
{
	bool neg = *s < end && **s == '-';
	const char *p = *s + (neg || (*s < end && **s == '+'));
	unsigned long long v;

	if (!take_ull(&p, end, &v))
		return false;
	if (v > (unsigned long long)LLONG_MAX + neg)
		return false;
	*out = neg ? (long long)(0 - v) : (long long)v;
	*s = p;
	return true;
}

static void skip_spaces(const char **s, const char *end)
{
	while (*s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
}

/* Skips one space-separated field; false at the end of the text. */
static bool skip_field(const char **s, const char *end)
{
	skip_spaces(s, end);
	if (*s >= end || **s == '\n')
		return false;
	while (*s < end && **s != ' ' && **s != '\n')
		(*s)++;
	return true;
}

int parse_ll(const char *buf, size_t len, long long *out)
{
	const char *s = buf, *end = buf + len;

	skip_spaces(&s, end);
	if (end - s >= 3 && memcmp(s, "max", 3) == 0)
		return -ERANGE;
	if (!take_ll(&s, end, out)) {
		/* distinguish overflow from garbage: digits that did not fit are a range error */
		const char *d = s + (s < end && (*s == '-' || *s == '+'));

		return d < end && *d >= '0' && *d <= '9' ? -ERANGE : -EBADMSG;
	}
	while (s < end && (*s == '\n' || *s == ' '))
		s++;
	return s == end ? 0 : -EBADMSG;
}

int parse_stat(const char *buf, size_t len, struct proc_info *p)
{
	const char *end = buf + len, *s = buf, *open, *close = NULL;
	unsigned long long v;
	long long ppid;

	if (!take_ull(&s, end, &v) || v == 0 || v > INT_MAX)
		return -EBADMSG;
	p->pid = (pid_t)v;
	open = memchr(buf, '(', len);
	if (!open)
		return -EBADMSG;
	/* comm may itself hold ')': the real end is the last one */
	for (const char *c = end - 1; c > open; c--)
		if (*c == ')') {
			close = c;
			break;
		}
	if (!close)
		return -EBADMSG;
	size_t n = (size_t)(close - open - 1);

	if (n >= COMM_LEN)
		n = COMM_LEN - 1;
	memcpy(p->comm, open + 1, n);
	p->comm[n] = '\0';

	s = close + 1;
	skip_spaces(&s, end);
	if (s >= end || *s == '\n')
		return -EBADMSG;
	p->state = *s++;				/* field 3 */
	skip_spaces(&s, end);
	if (!take_ll(&s, end, &ppid) || ppid < 0 || ppid > INT_MAX)	/* field 4 */
		return -EBADMSG;
	p->ppid = (pid_t)ppid;
	for (int f = 5; f < 9; f++)			/* pgrp session tty_nr tpgid */
		if (!skip_field(&s, end))
			return -EBADMSG;
	skip_spaces(&s, end);
	if (!take_ull(&s, end, &v))			/* field 9: flags */
		return -EBADMSG;
	p->flags = (unsigned int)v;
	for (int f = 10; f < 22; f++)			/* faults, times, priority, threads... */
		if (!skip_field(&s, end))
			return -EBADMSG;
	skip_spaces(&s, end);
	if (!take_ull(&s, end, &p->start_time))	/* field 22: starttime */
		return -EBADMSG;
	return 0;
}

/* The status keys we read, with where each goes. */
enum status_key {
	K_UID, K_VMSIZE, K_ANON, K_FILE, K_SHMEM, K_SWAP, K_PTE, K_KTHREAD, K_SIGPND, K_SHDPND,
	K_COUNT
};

static const struct {
	const char *name;
	size_t len;
} status_keys[K_COUNT] = {
	[K_UID] = { "Uid:", 4 },	   [K_VMSIZE] = { "VmSize:", 7 },
	[K_ANON] = { "RssAnon:", 8 },	   [K_FILE] = { "RssFile:", 8 },
	[K_SHMEM] = { "RssShmem:", 9 },	   [K_SWAP] = { "VmSwap:", 7 },
	[K_PTE] = { "VmPTE:", 6 },	   [K_KTHREAD] = { "Kthread:", 8 },
	[K_SIGPND] = { "SigPnd:", 7 },	   [K_SHDPND] = { "ShdPnd:", 7 },
};

/* Reads a hexadecimal mask (the Sig* lines of status); false when there is none. */
static bool take_hex(const char **s, const char *end, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = *s;

	for (; p < end && p - *s < 16; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0'
		      : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (d < 0)
			break;
		v = v << 4 | (unsigned)d;
	}
	if (p == *s)
		return false;
	*s = p;
	*out = v;
	return true;
}

int parse_status(const char *buf, size_t len, struct proc_info *p)
{
	const char *end = buf + len, *line = buf;
	unsigned long long val[K_COUNT] = { 0 };
	bool seen[K_COUNT] = { false };

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		for (int k = 0; k < K_COUNT; k++) {
			if ((size_t)(eol - line) < status_keys[k].len ||
			    memcmp(line, status_keys[k].name, status_keys[k].len) != 0)
				continue;
			const char *s = line + status_keys[k].len;

			skip_spaces(&s, eol);
			/* a truncated line is as bad as a missing one */
			if (!(k == K_SIGPND || k == K_SHDPND ? take_hex(&s, eol, &val[k])
							     : take_ull(&s, eol, &val[k])))
				return -EBADMSG;
			seen[k] = true;
			break;
		}
		line = eol + 1;
	}
	if (!seen[K_UID] || val[K_UID] > UINT_MAX)
		return -EBADMSG;
	p->uid = (uid_t)val[K_UID];
	if (seen[K_KTHREAD] && val[K_KTHREAD])
		p->flags |= PF_KTHREAD;
	/* SIGKILL (9) is bit 8 of the masks: the process is already dying */
	p->kill_pending = ((val[K_SIGPND] | val[K_SHDPND]) >> 8) & 1;
	p->has_mm = seen[K_VMSIZE];
	if (!p->has_mm)
		return 0;
	/* an mm without its counters is a file cut short: do not guess them as zero */
	for (int k = K_ANON; k <= K_PTE; k++)
		if (!seen[k])
			return -EBADMSG;
	p->total_vm_kb = val[K_VMSIZE];
	p->rss_anon_kb = val[K_ANON];
	p->rss_file_kb = val[K_FILE];
	p->rss_shmem_kb = val[K_SHMEM];
	p->swap_kb = val[K_SWAP];
	p->pgtables_kb = val[K_PTE];
	return 0;
}

int parse_statm(const char *buf, size_t len, unsigned long *size, unsigned long *resident)
{
	const char *s = buf, *end = buf + len;
	unsigned long long a, b;

	skip_spaces(&s, end);
	if (!take_ull(&s, end, &a) || s == end || *s != ' ')
		return -EBADMSG;
	skip_spaces(&s, end);
	if (!take_ull(&s, end, &b) || a > ULONG_MAX || b > ULONG_MAX)
		return -EBADMSG;
	*size = (unsigned long)a;
	*resident = (unsigned long)b;
	return 0;
}

int parse_meminfo(const char *buf, size_t len, struct meminfo *m)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
		{ "MemTotal:", offsetof(struct meminfo, mem_total_kb) },
		{ "MemAvailable:", offsetof(struct meminfo, mem_available_kb) },
		{ "SwapTotal:", offsetof(struct meminfo, swap_total_kb) },
		{ "SwapFree:", offsetof(struct meminfo, swap_free_kb) },
		{ "AnonPages:", offsetof(struct meminfo, anon_kb) },
		{ "Mapped:", offsetof(struct meminfo, mapped_kb) },
	};
	const char *end = buf + len, *line = buf;
	bool total = false;
	unsigned found = 0;

	memset(m, 0, sizeof(*m));
	/* the six lines are among the first twenty-five: the daemon reads this every sample */
	while (line < end && found != (1u << 6) - 1) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k].name);
			unsigned long long v;
			const char *s = line + kl;

			if ((size_t)(eol - line) < kl || memcmp(line, keys[k].name, kl) != 0)
				continue;
			skip_spaces(&s, eol);
			if (!take_ull(&s, eol, &v))
				return -EBADMSG;
			*(unsigned long *)((char *)m + keys[k].off) = (unsigned long)v;
			total |= k == 0;
			found |= 1u << k;
		}
		line = eol + 1;
	}
	return total ? 0 : -EBADMSG;
}

int parse_cgroup(const char *buf, size_t len, const char **path, size_t *path_len)
{
	const char *end = buf + len, *line = buf;
	const char *unified = NULL, *unified_end = NULL;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		/* hierarchy-ID:controller-list:path */
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;

		if (c2) {
			const char *ctl = c1 + 1;

			if (c2 == ctl && c1 - line == 1 && line[0] == '0') {
				unified = c2 + 1;
				unified_end = eol;
			}
			/* the controller list is comma separated: look for "memory" as a word */
			for (const char *w = ctl; w < c2;) {
				const char *comma = memchr(w, ',', (size_t)(c2 - w));
				const char *we = comma ? comma : c2;

				if (we - w == 6 && memcmp(w, "memory", 6) == 0) {
					*path = c2 + 1;
					*path_len = (size_t)(eol - c2 - 1);
					return 0;
				}
				w = we + 1;
			}
		}
		line = eol + 1;
	}
	if (!unified)
		return -ENOENT;
	*path = unified;
	*path_len = (size_t)(unified_end - unified);
	return 0;
}

int parse_pid_list(const char *buf, size_t len, int (*fn)(pid_t pid, void *ctx), void *ctx)
{
	const char *s = buf, *end = buf + len;

	while (s < end) {
		unsigned long long v;

		if (*s == '\n') {
			s++;
			continue;
		}
		if (!take_ull(&s, end, &v) || v == 0 || v > INT_MAX || (s < end && *s != '\n'))
			return -EBADMSG;
		int r = fn((pid_t)v, ctx);

		if (r)
			return r;
	}
	return 0;
}

int parse_key_value(const char *buf, size_t len, const char *key, unsigned long long *out)
{
	const char *end = buf + len, *line = buf;
	size_t kl = strlen(key);

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - line) > kl && memcmp(line, key, kl) == 0 && line[kl] == ' ') {
			const char *s = line + kl;

			skip_spaces(&s, eol);
			if (!take_ull(&s, eol, out) || s != eol)
				return -EBADMSG;
			return 0;
		}
		line = eol + 1;
	}
	return -ENOENT;
}
