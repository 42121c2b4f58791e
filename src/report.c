/* report.c - log lines without malloc or stdio */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "report.h"

void line_init(struct line *l)
{
	l->n = 0;
	l->buf[0] = '\0';
}

static void put(struct line *l, const char *s, size_t len)
{
	/* keep one byte for the newline line_write adds */
	size_t room = sizeof(l->buf) - 1 - l->n;

	if (len > room)
		len = room;
	memcpy(l->buf + l->n, s, len);
	l->n += len;
}

const char *line_text(struct line *l)
{
	/* put() keeps a byte free past the text */
	l->buf[l->n] = '\0';
	return l->buf;
}

void line_str(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

void line_comm(struct line *l, const char *comm)
{
	for (size_t i = 0; comm[i] && i < 16; i++) {
		char c = (unsigned char)comm[i] < 0x20 || comm[i] == 0x7f ? '?' : comm[i];

		put(l, &c, 1);
	}
}

void line_ulong(struct line *l, unsigned long long v)
{
	char d[24];
	int n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(l, d + sizeof(d) - n, (size_t)n);
}

void line_long(struct line *l, long long v)
{
	if (v < 0) {
		put(l, "-", 1);
		line_ulong(l, 0ULL - (unsigned long long)v);
	} else {
		line_ulong(l, (unsigned long long)v);
	}
}

void line_json_str(struct line *l, const char *s)
{
	char buf[256];
	size_t n = json_escape(s, strlen(s), buf, sizeof(buf));

	/* a cut escape could end inside a \u00XX or a UTF-8 sequence: cut back to whole ones */
	if (n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		for (size_t i = n > 6 ? n - 6 : 0; i < n; i++)
			if (buf[i] == '\\') {
				n = i;
				break;
			}
		while (n && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n && (unsigned char)buf[n - 1] >= 0xc0)
			n--;
	}
	put(l, buf, n);
}

void line_write(struct line *l, int fd)
{
	size_t off = 0;

	l->buf[l->n] = '\n';
	while (off < l->n + 1) {
		ssize_t w = write(fd, l->buf + off, l->n + 1 - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

void report_killed(struct line *l, const struct proc_info *p)
{
	line_str(l, "Killed process ");
	line_long(l, p->pid);
	line_str(l, " (");
	line_comm(l, p->comm);
	line_str(l, ") total-vm:");
	line_ulong(l, p->total_vm_kb);
	line_str(l, "kB, anon-rss:");
	line_ulong(l, p->rss_anon_kb);
	line_str(l, "kB, file-rss:");
	line_ulong(l, p->rss_file_kb);
	line_str(l, "kB, shmem-rss:");
	line_ulong(l, p->rss_shmem_kb);
	line_str(l, "kB, UID:");
	line_ulong(l, p->uid);
	line_str(l, " pgtables:");
	line_ulong(l, p->pgtables_kb);
	line_str(l, "kB oom_score_adj:");
	line_long(l, p->oom_score_adj);
}
