/* text.c - the one cleaner of text a process chose, for every human-readable output */
#include <stdbool.h>
#include <string.h>

#include "text.h"

size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t n;
	unsigned min;
	unsigned cp;

	if (*s < 0x80)
		return 1;
	if ((*s & 0xe0) == 0xc0) {
		n = 2, min = 0x80, cp = *s & 0x1f;
	} else if ((*s & 0xf0) == 0xe0) {
		n = 3, min = 0x800, cp = *s & 0x0f;
	} else if ((*s & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, cp = *s & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points past Unicode are not valid UTF-8 */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * The clean form of the character at p into piece (4 bytes at most); *used is how many bytes
 * of the input it stands for. A C1 control (U+0080..U+009F, "\xc2\x80".."\xc2\x9f") is valid
 * UTF-8 but a terminal may act on it as on ESC [: its lead byte is escaped here and its
 * second byte, alone, is no valid UTF-8 and is escaped next.
 */
static size_t clean_piece(const unsigned char *p, const unsigned char *end, char *piece,
			  size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = *p >= 0x20 && *p != 0x7f ? utf8_len(p, end) : 0;

	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		n = 0;
	if (n == 1 && *p == '\\') {
		memcpy(piece, "\\\\", 2);
		*used = 1;
		return 2;
	}
	if (n) {
		memcpy(piece, p, n);
		*used = n;
		return n;
	}
	piece[0] = '\\';
	piece[1] = 'x';
	piece[2] = hex[*p >> 4];
	piece[3] = hex[*p & 15];
	*used = 1;
	return 4;
}

size_t text_clean(const char *s, size_t len, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t need = 0, done = 0, used;
	char piece[4];

	while (p < end) {
		size_t n = clean_piece(p, end, piece, &used);

		/* once one piece does not fit, none after it is written: no holes */
		if (done == need && need + n < cap) {
			memcpy(out + need, piece, n);
			done += n;
		}
		need += n;
		p += used;
	}
	if (cap)
		out[done] = '\0';
	return need;
}

const char *text_cleaned(const char *s, char *out, size_t cap)
{
	text_clean(s, strlen(s), out, cap);
	return out;
}

size_t text_clean_tail(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t need = text_clean(s, len, NULL, 0), used;
	char piece[4];

	while (p < end && need > max) {
		need -= clean_piece(p, end, piece, &used);
		p += used;
	}
	return (size_t)(p - (const unsigned char *)s);
}
