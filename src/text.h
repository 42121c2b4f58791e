/* text.h - bytes a process chose (its comm, a cgroup path), made safe to print: the one cleaner
 * every human-readable output goes through */
#ifndef OOMREAPER_TEXT_H
#define OOMREAPER_TEXT_H

#include <stddef.h>

/* Room for the clean form of a comm: TASK_COMM_LEN bytes, each escaped at most as \xHH */
#define COMM_CLEAN_LEN (4 * 16 + 1)

/* Length of the valid UTF-8 sequence at s (up to end), or 0 when it is not one. */
size_t utf8_len(const unsigned char *s, const unsigned char *end);

/*
 * The clean form of len bytes of s into out (cap bytes, NUL-terminated when cap > 0):
 * printable ASCII and valid UTF-8 as they are; a backslash as "\\"; a control byte (C0, DEL,
 * or a C1 code point such as the 8-bit CSI), and every byte that is not valid UTF-8, as
 * "\xHH". Nothing it writes can move a terminal's cursor, start an escape sequence or end
 * the line. Only whole characters and escapes are written: a cut never splits one. Returns
 * the length the whole clean form needs, which may exceed cap - 1.
 */
size_t text_clean(const char *s, size_t len, char *out, size_t cap);

/* The clean form of the C string s, cut to cap - 1 bytes as text_clean() cuts; returns out. */
const char *text_cleaned(const char *s, char *out, size_t cap);

/*
 * Where, in len bytes of s, the longest tail starts whose clean form takes at most max bytes
 * (always at a character's start): for cutting a long path at its beginning, where its
 * least telling part is.
 */
size_t text_clean_tail(const char *s, size_t len, size_t max);

#endif
