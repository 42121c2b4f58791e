/* json.c - JSON string escaping */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Length of the valid UTF-8 sequence at s (up to end), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
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

size_t json_escape(const char *s, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t o = 0;
	char tmp[8];

	while (p < end) {
		const char *piece = tmp;
		size_t n;

		switch (*p) {
		case '"': piece = "\\\""; n = 2; p++; break;
		case '\\': piece = "\\\\"; n = 2; p++; break;
		case '\n': piece = "\\n"; n = 2; p++; break;
		case '\t': piece = "\\t"; n = 2; p++; break;
		case '\r': piece = "\\r"; n = 2; p++; break;
		default:
			n = *p >= 0x20 && *p != 0x7f ? utf8_len(p, end) : 0;
			if (n) {
				piece = (const char *)p;
				p += n;
				break;
			}
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[*p >> 4];
			tmp[5] = hex[*p & 15];
			n = 6;
			p++;
		}
		for (size_t i = 0; i < n; i++, o++)
			if (o + 1 < cap)
				out[o] = piece[i];
	}
	if (cap)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}

void json_string(FILE *f, const char *s, size_t len)
{
	char buf[256];
	size_t need = json_escape(s, len, buf, sizeof(buf));

	fputc('"', f);
	if (need < sizeof(buf)) {
		fputs(buf, f);
	} else {
		char *big = malloc(need + 1);

		if (big) {
			json_escape(s, len, big, need + 1);
			fputs(big, f);
			free(big);
		}
	}
	fputc('"', f);
}
