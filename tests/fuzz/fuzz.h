/* fuzz.h - what the libFuzzer targets share: a copy of the input at its exact size (a parser
 * that reads past len then trips ASan), the checks that abort, and the input cut in parts */
#ifndef OOMREAPER_FUZZ_H
#define OOMREAPER_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code promises, broken: libFuzzer keeps the input as a crash */
#define FUZZ_CHECK(cond, ...)                                                          \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__,  \
				__LINE__, #cond);                                      \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* The input in a heap block of exactly its size: no NUL after it, ASan's redzone instead */
static inline char *fuzz_exact(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	if (!p)
		abort();
	memcpy(p, data, size);
	return p;
}

/* The input as a C string: cut at its first NUL, malloc'd */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, data, n);
	p[n] = '\0';
	return p;
}

/*
 * The next part of an input cut at NUL bytes: *pos moves past it. Returns the part's length,
 * or -1 when the input is used up. The part is not NUL-terminated.
 */
static inline long fuzz_part(const uint8_t *data, size_t size, size_t *pos, const uint8_t **part)
{
	if (*pos > size || (*pos == size && *pos))
		return -1;
	const uint8_t *s = data + *pos, *nul = memchr(s, 0, size - *pos);
	size_t n = nul ? (size_t)(nul - s) : size - *pos;

	*part = s;
	*pos += n + 1;
	return (long)n;
}

#endif
