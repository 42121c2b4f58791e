/* report.c - log lines without malloc or stdio */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "json.h"
#include "report.h"
#include "text.h"

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

size_t line_room(const struct line *l, size_t keep)
{
	/* put() keeps one byte for the newline line_write adds */
	size_t room = sizeof(l->buf) - 1 - l->n;

	return room > keep ? room - keep : 0;
}

/* The clean form of len bytes of s, cut (at a character) to leave keep bytes free */
static void line_clean(struct line *l, const char *s, size_t len, size_t keep)
{
	/* room + 1: the terminating NUL may take the newline's byte, which is free */
	text_clean(s, len, l->buf + l->n, line_room(l, keep) + 1);
	l->n += strlen(l->buf + l->n);
}

void line_comm(struct line *l, const char *comm)
{
	/* a comm is at most TASK_COMM_LEN - 1 bytes; a copy may lack its NUL */
	line_clean(l, comm, strnlen(comm, 16), 0);
}

void line_path(struct line *l, const char *path, size_t keep)
{
	size_t len = strlen(path), room = line_room(l, keep);

	if (text_clean(path, len, NULL, 0) <= room) {
		line_clean(l, path, len, keep);
		return;
	}
	/* the end of a path tells which cgroup it is; its beginning, only where it hangs */
	if (room < 4)
		return;
	size_t from = text_clean_tail(path, len, room - 3);

	line_str(l, "...");
	line_clean(l, path + from, len - from, keep);
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

void line_json_str(struct line *l, const char *s, size_t keep)
{
	size_t room = line_room(l, keep);

	/* json_escape() writes whole escapes only: cut short, the string is still valid */
	json_escape(s, strlen(s), l->buf + l->n, room + 1);
	l->n += strlen(l->buf + l->n);
}

/* The n iovecs whole, short writes and EINTR retried (the iovecs are consumed), as
 * every line is written. Returns 0, or -errno of the write that failed (-EIO when it
 * wrote nothing) */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		size_t done = (size_t)w;

		for (; n > 0 && done >= iov->iov_len; iov++, n--)
			done -= iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

int line_write(struct line *l, int fd)
{
	struct iovec iov = { l->buf, l->n + 1 };

	l->buf[l->n] = '\n';
	return writev_all(fd, &iov, 1);
}

static bool prio_prefix;

void line_prio_prefix(bool on)
{
	prio_prefix = on;
}

int line_say(struct line *l, int fd, enum line_prio prio)
{
	char pre[3] = { '<', (char)('0' + prio), '>' };
	struct iovec iov[2] = { { pre, sizeof(pre) }, { l->buf, l->n + 1 } };

	if (!prio_prefix)
		return line_write(l, fd);
	l->buf[l->n] = '\n';
	return writev_all(fd, iov, 2);
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
