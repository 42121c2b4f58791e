/* pattern.c - a subset of POSIX ERE as a position automaton: linear matching, no allocation */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pattern.h"

/*
 * Atoms parsed at most this many times: {n,m} writes its atom out again, so a repeat of an
 * empty group ("(){255}{255}") costs work that no position limit would catch
 */
#define PATTERN_MAX_WORK 20000
/* The largest count of {n,m}: POSIX's RE_DUP_MAX */
#define PATTERN_MAX_DUP 255

/* A piece of the pattern as Glushkov's construction sees it */
struct frag {
	struct pset first, last;
	bool nullable;
};

struct parser {
	struct pattern *p;
	const char *src, *s;
	int work;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ps->err, ps->errlen, "at byte %d: ", (int)(ps->s - ps->src) + 1);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < ps->errlen)
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void pset_or(struct pset *a, const struct pset *b)
{
	for (int w = 0; w < PATTERN_WORDS; w++)
		a->w[w] |= b->w[w];
}

static bool pset_meets(const struct pset *a, const struct pset *b)
{
	uint64_t any = 0;

	for (int w = 0; w < PATTERN_WORDS; w++)
		any |= a->w[w] & b->w[w];
	return any != 0;
}

/* follow(x) gains to, for every x in from: what may come after the end of a piece */
static void link_sets(struct pattern *p, const struct pset *from, const struct pset *to)
{
	for (int w = 0; w < PATTERN_WORDS; w++)
		for (uint64_t bits = from->w[w]; bits; bits &= bits - 1)
			pset_or(&p->follow[w * 64 + __builtin_ctzll(bits)], to);
}

/* a·b, into a */
static void concat(struct pattern *p, struct frag *a, const struct frag *b)
{
	link_sets(p, &a->last, &b->first);
	if (a->nullable)
		pset_or(&a->first, &b->first);
	if (b->nullable)
		pset_or(&a->last, &b->last);
	else
		a->last = b->last;
	a->nullable = a->nullable && b->nullable;
}

/* A new position standing for the bytes of set */
static int position(struct parser *ps, const bool set[256], struct frag *f)
{
	struct pattern *p = ps->p;
	int i = p->npos;

	if (i == PATTERN_MAX_POSITIONS)
		return fail(ps, "more than %d characters once {n,m} are written out",
			    PATTERN_MAX_POSITIONS);
	p->npos++;
	for (int c = 0; c < 256; c++)
		if (set[c])
			p->byte[c].w[i / 64] |= 1ull << (i % 64);
	memset(f, 0, sizeof(*f));
	f->first.w[i / 64] = f->last.w[i / 64] = 1ull << (i % 64);
	return 0;
}

/* [:name:] in the C locale: bytes above 127 belong to no class */
static int named_class(const char *name, size_t len, bool set[256])
{
	static const struct {
		const char *name;
		int (*is)(int);
	} classes[] = {
		{ "alpha", isalpha }, { "digit", isdigit }, { "alnum", isalnum },
		{ "upper", isupper }, { "lower", islower }, { "space", isspace },
		{ "blank", isblank }, { "punct", ispunct }, { "print", isprint },
		{ "graph", isgraph }, { "cntrl", iscntrl }, { "xdigit", isxdigit },
	};

	for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
		if (strlen(classes[k].name) != len || strncmp(classes[k].name, name, len))
			continue;
		for (int c = 0; c < 128; c++)
			if (classes[k].is(c))
				set[c] = true;
		return 0;
	}
	return -EINVAL;
}

/* [...], the '[' read: into set */
static int bracket(struct parser *ps, bool set[256])
{
	bool neg = false, any = false;

	memset(set, 0, 256);
	if (*ps->s == '^') {
		neg = true;
		ps->s++;
	}
	for (;;) {
		unsigned char c = (unsigned char)*ps->s, hi;

		if (!c)
			return fail(ps, "'[' without its ']'");
		if (c == ']' && any)
			break;
		any = true;
		if (c == '[' && (ps->s[1] == '=' || ps->s[1] == '.'))
			return fail(ps, "[%c...%c] is not supported", ps->s[1], ps->s[1]);
		if (c == '[' && ps->s[1] == ':') {
			const char *name = ps->s + 2, *close = strstr(name, ":]");

			if (!close || named_class(name, (size_t)(close - name), set))
				return fail(ps, "unknown character class");
			ps->s = close + 2;
			continue;
		}
		ps->s++;
		if (*ps->s != '-' || !ps->s[1] || ps->s[1] == ']') {
			set[c] = true;
			continue;
		}
		hi = (unsigned char)ps->s[1];
		if (hi == '[' && (ps->s[2] == '.' || ps->s[2] == '=' || ps->s[2] == ':'))
			return fail(ps, "a range may not end in a [.x.], [=x=] or [:class:]");
		if (hi < c)
			return fail(ps, "range %c-%c is backwards", c, hi);
		for (int k = c; k <= hi; k++)
			set[k] = true;
		ps->s += 2;
	}
	ps->s++;
	if (neg)
		for (int k = 0; k < 256; k++)
			set[k] = !set[k];
	return 0;
}

/* \x outside brackets, the '\' read: into set */
static int escape(struct parser *ps, bool set[256])
{
	unsigned char c = (unsigned char)*ps->s;

	memset(set, 0, 256);
	if (!c)
		return fail(ps, "a '\\' at the end");
	if (c >= '1' && c <= '9')
		return fail(ps, "back-reference \\%c: it needs a backtracking matcher, whose time "
			    "can grow exponentially with the text", c);
	if (c == 'w' || c == 'W' || c == 's' || c == 'S') {
		if (c == 'w' || c == 'W') {
			named_class("alnum", 5, set);
			set['_'] = true;
		} else {
			named_class("space", 5, set);
		}
		if (isupper(c))
			for (int k = 0; k < 256; k++)
				set[k] = !set[k];
	} else if (isalnum(c)) {
		return fail(ps, "escape \\%c is not supported", c);
	} else {
		set[c] = true;
	}
	ps->s++;
	return 0;
}

static int alternation(struct parser *ps, struct frag *f);

static int atom(struct parser *ps, struct frag *f)
{
	bool set[256];
	char c = *ps->s;
	int r;

	if (++ps->work > PATTERN_MAX_WORK)
		return fail(ps, "too many repetitions to write out");
	switch (c) {
	case '(':
		ps->s++;
		r = alternation(ps, f);
		if (r)
			return r;
		if (*ps->s != ')')
			return fail(ps, "'(' without its ')'");
		ps->s++;
		return 0;
	case ')':
		return fail(ps, "')' without its '('");
	case '*':
	case '+':
	case '?':
	case '{':
		return fail(ps, "'%c' with nothing to repeat", c);
	case '^':
		return fail(ps, "'^' only at the start of the pattern or of a top-level "
			    "alternative");
	case '$':
		return fail(ps, "'$' only at the end of the pattern or of a top-level "
			    "alternative");
	case '.':
		ps->s++;
		memset(set, 1, sizeof(set));
		return position(ps, set, f);
	case '[':
		ps->s++;
		r = bracket(ps, set);
		return r ? r : position(ps, set, f);
	case '\\':
		ps->s++;
		r = escape(ps, set);
		return r ? r : position(ps, set, f);
	}
	memset(set, 0, sizeof(set));
	set[(unsigned char)c] = true;
	ps->s++;
	return position(ps, set, f);
}

static bool is_quantifier(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* Reads one quantifier into [min, max] (max -1: no bound) */
static int quantifier(struct parser *ps, int *min, int *max)
{
	char c = *ps->s++;
	long n[2] = { 0, -1 };
	int k = 0;

	*min = c == '+';
	*max = c == '?' ? 1 : -1;
	if (c != '{')
		return 0;
	for (;;) {
		if (isdigit((unsigned char)*ps->s)) {
			n[k] = 0;
			while (isdigit((unsigned char)*ps->s) && n[k] <= PATTERN_MAX_DUP)
				n[k] = n[k] * 10 + (*ps->s++ - '0');
			if (n[k] > PATTERN_MAX_DUP)
				return fail(ps, "a count above %d", PATTERN_MAX_DUP);
		} else if (k == 0 && *ps->s != ',') {
			return fail(ps, "'{' without a count: want {n}, {n,} or {n,m}");
		}
		if (*ps->s == ',' && k == 0) {
			ps->s++;
			k = 1;
			continue;
		}
		break;
	}
	if (*ps->s != '}')
		return fail(ps, "'{' without its '}'");
	ps->s++;
	*min = (int)n[0];
	*max = k == 0 ? (int)n[0] : (int)n[1];
	if (*max >= 0 && *max < *min)
		return fail(ps, "{%d,%d}: the most is below the least", *min, *max);
	return 0;
}

static int piece(struct parser *ps, struct frag *f, const char *limit);

/*
 * f, the atom at atom_start and the quantifiers up to qstart, repeated min to max times (-1:
 * no bound): written out as copies, each parsed again for positions of its own
 */
static int repeat(struct parser *ps, struct frag *f, const char *atom_start, const char *qstart,
		  int min, int max)
{
	struct frag res = { .nullable = true };
	int copies = max < 0 ? min : max;

	if (max < 0 && min <= 1) {
		link_sets(ps->p, &f->last, &f->first);		/* a* and a+ */
		f->nullable = f->nullable || min == 0;
		return 0;
	}
	for (int k = 0; k < copies; k++) {
		struct frag c = *f;

		if (k > 0) {
			int r;

			ps->s = atom_start;
			r = piece(ps, &c, qstart);
			if (r)
				return r;
		}
		if (max < 0 && k == copies - 1)
			link_sets(ps->p, &c.last, &c.first);
		if (max >= 0 && k >= min)
			c.nullable = true;
		concat(ps->p, &res, &c);
	}
	*f = res;
	return 0;
}

/* An atom and its quantifiers (those before limit) */
static int piece(struct parser *ps, struct frag *f, const char *limit)
{
	const char *atom_start = ps->s;
	int r = atom(ps, f);

	while (!r && ps->s < limit && is_quantifier(*ps->s)) {
		const char *qstart = ps->s, *qend;
		int min, max;

		r = quantifier(ps, &min, &max);
		if (r)
			break;
		qend = ps->s;
		r = repeat(ps, f, atom_start, qstart, min, max);
		ps->s = qend;
	}
	return r;
}

/* Pieces up to '|', ')' or the end. top: a '$' may end it (*dollar set) */
static int branch(struct parser *ps, struct frag *f, bool top, bool *dollar)
{
	memset(f, 0, sizeof(*f));
	f->nullable = true;
	while (*ps->s && *ps->s != '|' && *ps->s != ')') {
		struct frag g;
		int r;

		if (top && *ps->s == '$' && (!ps->s[1] || ps->s[1] == '|')) {
			ps->s++;
			*dollar = true;
			return 0;
		}
		r = piece(ps, &g, ps->src + strlen(ps->src));
		if (r)
			return r;
		concat(ps->p, f, &g);
	}
	return 0;
}

static int alternation(struct parser *ps, struct frag *f)
{
	bool dollar = false;
	int r = branch(ps, f, false, &dollar);

	while (!r && *ps->s == '|') {
		struct frag g;

		ps->s++;
		r = branch(ps, &g, false, &dollar);
		pset_or(&f->first, &g.first);
		pset_or(&f->last, &g.last);
		f->nullable = f->nullable || g.nullable;
	}
	return r;
}

int pattern_compile(struct pattern *p, const char *src, char *err, size_t errlen)
{
	struct parser ps = { .p = p, .src = src, .s = src, .err = err, .errlen = errlen };

	memset(p, 0, sizeof(*p));
	if (strlen(src) > PATTERN_MAX_LEN)
		return fail(&ps, "longer than %d bytes", PATTERN_MAX_LEN);
	for (;;) {
		bool caret = *ps.s == '^', dollar = false;
		struct frag f;
		int r;

		ps.s += caret;
		r = branch(&ps, &f, true, &dollar);
		if (r)
			return r;
		if (*ps.s == ')')
			return fail(&ps, "')' without its '('");
		pset_or(caret ? &p->first_at_start : &p->first, &f.first);
		pset_or(dollar ? &p->last_at_end : &p->last, &f.last);
		if (f.nullable && (!caret || !dollar))
			p->always = true;
		if (f.nullable && caret && dollar)
			p->empty_only = true;
		if (!*ps.s)
			return 0;
		ps.s++;		/* '|' */
	}
}

bool pattern_match(const struct pattern *p, const char *s, size_t n, bool complete)
{
	struct pset cur = { { 0 } };
	bool any_start = false;

	if (p->always || (p->empty_only && n == 0 && complete))
		return true;
	for (int w = 0; w < PATTERN_WORDS; w++)
		any_start |= p->first.w[w] != 0;
	for (size_t i = 0; i < n; i++) {
		const struct pset *b = &p->byte[(unsigned char)s[i]];
		struct pset next = i ? p->first : p->first_at_start;
		uint64_t live = 0;

		if (!i)
			pset_or(&next, &p->first);
		for (int w = 0; w < PATTERN_WORDS; w++)
			for (uint64_t bits = cur.w[w]; bits; bits &= bits - 1)
				pset_or(&next, &p->follow[w * 64 + __builtin_ctzll(bits)]);
		for (int w = 0; w < PATTERN_WORDS; w++) {
			cur.w[w] = next.w[w] & b->w[w];
			live |= cur.w[w];
		}
		if (pset_meets(&cur, &p->last))
			return true;
		/* only ^ branches, all of them dead: nothing can start later */
		if (!live && !any_start)
			return false;
	}
	return complete && pset_meets(&cur, &p->last_at_end);
}
