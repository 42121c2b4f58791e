/*
 * pattern.h - the rules' regular expressions: a subset of POSIX extended regular expressions,
 * compiled at load into a position automaton (Glushkov's construction) and matched in time
 * linear in the text, with no allocation and no backtracking.
 *
 * glibc's regexec backtracks on back-references (seconds on 160 bytes of text) and allocates
 * on every call; rules are matched while a victim is chosen, on the kill path, so neither is
 * acceptable there. What the subset holds: literals, '.', bracket expressions with ranges,
 * negation and [:classes:], \w \W \s \S, groups, '|', '*' '+' '?' and {n}, {n,}, {n,m};
 * '^' at the start and '$' at the end of the pattern or of a top-level alternative. What it
 * refuses, with a reason: back-references (\1 .. \9), word and buffer assertions (\b \< ...),
 * other escapes of letters, [=x=] and [.x.], and any pattern that needs more than
 * PATTERN_MAX_POSITIONS character positions once its counted repetitions are written out.
 * The text is bytes (the C locale), as /proc gives it; a match is anywhere in the text, as
 * regexec(3) finds it without REG_NEWLINE.
 */
#ifndef OOMREAPER_PATTERN_H
#define OOMREAPER_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Characters a pattern may hold, counted after {n,m} is written out: the cost of a match is
 * at most this many set operations per byte of text, and the tables take 6 kB */
#define PATTERN_MAX_POSITIONS 128
#define PATTERN_WORDS (PATTERN_MAX_POSITIONS / 64)
/* The longest pattern, in bytes */
#define PATTERN_MAX_LEN 255

struct pset {
	uint64_t w[PATTERN_WORDS];
};

struct pattern {
	int npos;
	bool always;			/* a branch matches the empty string anywhere */
	bool empty_only;		/* a ^...$ branch matches the empty text */
	struct pset first;		/* where a match may start, at any offset */
	struct pset first_at_start;	/* where a ^ branch starts: at offset 0 only */
	struct pset last;		/* where a match may end, anywhere */
	struct pset last_at_end;	/* where a $ branch ends: at the end of the text only */
	struct pset follow[PATTERN_MAX_POSITIONS];
	struct pset byte[256];		/* the positions each byte may stand at */
};

/*
 * Compiles src into p. Returns 0, or -EINVAL with why (and at which byte) in err. Its cost is
 * bounded by PATTERN_MAX_LEN and PATTERN_MAX_POSITIONS whatever the pattern.
 */
int pattern_compile(struct pattern *p, const char *src, char *err, size_t errlen);

/*
 * Whether p matches somewhere in s[0..n-1]. complete: s is the whole text; when false (a text
 * cut short) '$' never matches at its cut. Linear in n; allocates nothing.
 */
bool pattern_match(const struct pattern *p, const char *s, size_t n, bool complete);

#endif
