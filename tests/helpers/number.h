/* number.h - the helpers' one argument parser */
#ifndef HELPERS_NUMBER_H
#define HELPERS_NUMBER_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Parses a decimal that must fit in [lo, hi]; exits 2 with a message naming prog when not. */
static inline long number(const char *prog, const char *what, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: %s wants a number in %ld..%ld, not '%s'\n", prog, what, lo, hi,
			s);
		exit(2);
	}
	return v;
}

#endif
