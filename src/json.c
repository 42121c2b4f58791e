/* json.c - JSON string escaping */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"

size_t json_escape(const char *s, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t o = 0, done = 0;
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
		/* whole escapes only, and none after the first that does not fit: a cut string
		 * never ends in half an escape (a lone backslash would escape the closing quote) */
		if (done == o && o + n < cap) {
			memcpy(out + o, piece, n);
			done += n;
		}
		o += n;
	}
	if (cap)
		out[done] = '\0';
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

void json_identity(FILE *f, const struct identity *id)
{
	const char *keys[IDENTITY_FIELDS], *vals[IDENTITY_FIELDS];
	int n = identity_fields(id, keys, vals);

	for (int i = 0; i < n; i++) {
		fprintf(f, ", \"%s\": ", keys[i]);
		json_string(f, vals[i], strlen(vals[i]));
	}
}
