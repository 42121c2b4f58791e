/* config.c - the configuration file, parsed by libinih, checked to the letter */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "config.h"

struct thresholds thresholds_default(void)
{
	struct thresholds t = {
		/* earlyoom's defaults, which its users know: act at 10 %, SIGKILL at 5 % */
		.mem_min = { true, 10 },
		.mem_kill = { true, 5 },
		.swap_min = { true, 10 },
		/* one second ahead at the measured fill rate: the overshoot a 1 s poll allows */
		.horizon_s = 1,
	};
	return t;
}

void config_defaults(struct config *c)
{
	/* not the scope and rule tables: every entry is made whole when it is added, and
	 * zeroing them (a path per scope) would keep 90 kB of the daemon's memory resident */
	memset(c, 0, offsetof(struct config, scopes));
	c->nrules = 0;
	c->scopes[0].cgroup[0] = '\0';
	c->deadline_ms = 5000;
	c->reap_delay_ms = 2000;
	c->policy = POLICY_LARGEST;
	c->nscopes = 1;
	c->scopes[0].th = thresholds_default();
}

int parse_level(const char *s, struct level *l)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0 || isspace((unsigned char)*s))
		return -EINVAL;
	if (!strcmp(end, "%")) {
		if (v > 100)
			return -EINVAL;
		*l = (struct level){ true, v };
		return 0;
	}
	/* sizes: K, M, G, T (powers of 1024), or bytes with no suffix */
	static const char units[] = "KMGT";
	const char *u = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
	double kb;

	if (!*end)
		kb = v / 1024;
	else if (u && (!end[1] || ((end[1] == 'B' || end[1] == 'b') && !end[2]) ||
		       (end[1] == 'i' && end[2] == 'B' && !end[3])))
		for (kb = v; u > units; u--)
			kb *= 1024;
	else
		return -EINVAL;
	*l = (struct level){ false, kb };
	return 0;
}

int parse_psi(const char *s, struct thresholds *t)
{
	char kind[8];
	double pct, secs;
	int n = 0;

	if (!strcmp(s, "off")) {
		t->psi = false;
		return 0;
	}
	if (sscanf(s, "%7[a-z]:%lf:%lf%n", kind, &pct, &secs, &n) != 3 || s[n] ||
	    (strcmp(kind, "some") && strcmp(kind, "full")) || !(pct > 0 && pct <= 100) ||
	    !(secs >= 0 && secs <= 3600))
		return -EINVAL;
	t->psi = true;
	t->psi_full = !strcmp(kind, "full");
	t->psi_pct = pct;
	t->psi_secs = secs;
	return 0;
}

static int parse_bool(const char *s, bool *b)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "1"))
		*b = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "0"))
		*b = false;
	else
		return -EINVAL;
	return 0;
}

/* A whole number in [lo, hi]; 0 or -EINVAL */
static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi || isspace((unsigned char)*s))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* Seconds, a decimal in [lo, hi], into ms or s */
static int parse_secs(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi ||
	    isspace((unsigned char)*s))
		return -EINVAL;
	*out = v;
	return 0;
}

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static struct scope_conf *scope_of(struct config *c, const char *section)
{
	const char *path = !strcmp(section, "global") ? "" : section + strlen("cgroup ");

	for (int i = 0; i < c->nscopes; i++)
		if (!strcmp(c->scopes[i].cgroup, path))
			return &c->scopes[i];
	if (c->nscopes == CONFIG_MAX_SCOPES)
		return NULL;
	struct scope_conf *s = &c->scopes[c->nscopes++];

	snprintf(s->cgroup, sizeof(s->cgroup), "%s", path);
	s->th = thresholds_default();
	return s;
}

static struct rule *rule_of(struct config *c, const char *name)
{
	for (int i = 0; i < c->nrules; i++)
		if (!strcmp(c->rules[i].name, name))
			return &c->rules[i];
	if (c->nrules == CONFIG_MAX_RULES)
		return NULL;
	struct rule *r = &c->rules[c->nrules++];

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->field = RULE_COMM;
	r->action = RULE_PREFER;
	r->weight = 100;
	return r;
}

/* The users whose names match r's regex, resolved once: the kill path cannot ask NSS */
static int resolve_users(struct rule *r, char *err, size_t len)
{
	struct passwd *pw;

	r->nuids = 0;
	setpwent();
	while ((pw = getpwent())) {
		if (!pattern_match(&r->re, pw->pw_name, strlen(pw->pw_name), true))
			continue;
		if (r->nuids == CONFIG_MAX_UIDS) {
			endpwent();
			return fail(err, len, "regex '%s' matches more than %d users", r->pattern,
				    CONFIG_MAX_UIDS);
		}
		r->uids[r->nuids++] = pw->pw_uid;
	}
	endpwent();
	return 0;
}

/* One user, by name or number, into *uid. 0 or -EINVAL. */
static int user_id(const char *s, size_t len, uid_t *uid)
{
	char name[256];
	struct passwd *pw;
	int n;

	if (!len || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, len);
	name[len] = '\0';
	if (!parse_int(name, 0, INT_MAX - 1, &n)) {
		*uid = (uid_t)n;
		return 0;
	}
	pw = getpwnam(name);
	if (!pw)
		return -EINVAL;
	*uid = pw->pw_uid;
	return 0;
}

/* users = root, postgres, 1000: resolved now, since the kill path cannot ask NSS */
static int set_users(struct rule *r, const char *value, char *err, size_t len)
{
	const char *s = value;

	r->nonly = 0;
	while (*s) {
		size_t n = strcspn(s, ", \t");

		if (n) {
			if (r->nonly == CONFIG_MAX_UIDS)
				return fail(err, len, "users: more than %d", CONFIG_MAX_UIDS);
			if (user_id(s, n, &r->only[r->nonly]))
				return fail(err, len, "users = '%s': no user '%.*s'", value, (int)n, s);
			r->nonly++;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	if (!r->nonly)
		return fail(err, len, "users = '%s': want user names or uids", value);
	return 0;
}

static const char *const rule_fields[] = { "comm", "cmdline", "cgroup", "user", "exe", "uid" };

static int set_rule(struct rule *r, const char *key, const char *value, char *err, size_t len)
{
	if (!strcmp(key, "match")) {
		for (int i = 0; i < 6; i++)
			if (!strcmp(value, rule_fields[i])) {
				r->field = (enum rule_field)i;
				return 0;
			}
		return fail(err, len, "match = '%s': want comm, cmdline, cgroup, user, exe or uid",
			    value);
	}
	if (!strcmp(key, "action")) {
		static const char *const a[] = { "prefer", "avoid", "ignore" };

		for (int i = 0; i < 3; i++)
			if (!strcmp(value, a[i])) {
				r->action = (enum rule_action)i;
				return 0;
			}
		return fail(err, len, "action = '%s': want prefer, avoid or ignore", value);
	}
	if (!strcmp(key, "weight"))
		return parse_int(value, 1, 1000, &r->weight)
			       ? fail(err, len, "weight = '%s': want 1 to 1000 (oom_score_adj units)",
				      value)
			       : 0;
	if (!strcmp(key, "users"))
		return set_users(r, value, err, len);
	if (!strcmp(key, "regex")) {
		char msg[192];

		r->compiled = false;
		if (pattern_compile(&r->re, value, msg, sizeof(msg)))
			return fail(err, len, "regex = '%s': %s", value, msg);
		snprintf(r->pattern, sizeof(r->pattern), "%s", value);
		r->compiled = true;
		return 0;
	}
	return fail(err, len, "unknown key '%s' (= '%s') in a rule (match, regex, action, weight, "
			      "users)", key, value);
}

static int set_scope(struct scope_conf *s, const char *key, const char *value, char *err,
		     size_t len)
{
	struct level *l = !strcmp(key, "mem_min")    ? &s->th.mem_min
			  : !strcmp(key, "mem_kill") ? &s->th.mem_kill
			  : !strcmp(key, "swap_min") ? &s->th.swap_min : NULL;
	double v;

	if (l)
		return parse_level(value, l) ? fail(err, len, "%s = '%s': want a share like 10%% or "
						       "a size like 512M", key, value)
					     : 0;
	if (!strcmp(key, "psi"))
		return parse_psi(value, &s->th) ? fail(err, len, "psi = '%s': want off, or some or "
							  "full:PERCENT:SECONDS like full:60:30",
						       value)
						: 0;
	if (!strcmp(key, "horizon")) {
		if (parse_secs(value, 0, 60, &v))
			return fail(err, len, "horizon = '%s': want seconds, 0 to 60", value);
		s->th.horizon_s = v;
		return 0;
	}
	return fail(err, len, "unknown key '%s' (= '%s') in a scope (mem_min, mem_kill, swap_min, "
			      "psi, horizon)", key, value);
}

static int set_main(struct config *c, const char *key, const char *value, char *err, size_t len)
{
	double v;

	if (!strcmp(key, "dry_run"))
		return parse_bool(value, &c->dry_run)
			       ? fail(err, len, "dry_run = '%s': want yes or no", value) : 0;
	if (!strcmp(key, "grace") || !strcmp(key, "reap_delay"))
		return parse_int(value, 0, 600000, key[0] == 'g' ? &c->grace_ms : &c->reap_delay_ms)
			       ? fail(err, len, "%s = '%s': want milliseconds, 0 to 600000", key,
				      value)
			       : 0;
	if (!strcmp(key, "deadline")) {
		if (parse_secs(value, 0.001, 86400, &v))
			return fail(err, len, "deadline = '%s': want seconds, above 0", value);
		c->deadline_ms = (int)(v * 1000);
		return 0;
	}
	if (!strcmp(key, "policy")) {
		if (!strcmp(value, "largest"))
			c->policy = POLICY_LARGEST;
		else if (!strcmp(value, "fastest-growing"))
			c->policy = POLICY_FASTEST_GROWING;
		else
			return fail(err, len, "policy = '%s': want largest or fastest-growing", value);
		return 0;
	}
	if (!strcmp(key, "log_json")) {
		if (strlen(value) >= sizeof(c->log_json))
			return fail(err, len, "log_json: path too long");
		snprintf(c->log_json, sizeof(c->log_json), "%s", value);
		return 0;
	}
	return fail(err, len, "unknown key '%s' (= '%s') in [oomreaper] (dry_run, grace, "
			      "deadline, reap_delay, policy, log_json)", key, value);
}

/* Which kind of section a name is; -1 for none */
static int section_kind(const char *s)
{
	if (!strcmp(s, "oomreaper"))
		return 0;
	if (!strcmp(s, "global"))
		return 1;
	if (!strncmp(s, "cgroup ", 7) && s[7] == '/')
		return 2;
	if (!strncmp(s, "rule ", 5) && s[5] && strlen(s + 5) < 64)
		return 3;
	return -1;
}

int config_set(struct config *c, const char *section, const char *key, const char *value,
	       char *err, size_t errlen)
{
	switch (section_kind(section)) {
	case 0:
		return set_main(c, key, value, err, errlen);
	case 1:
	case 2: {
		struct scope_conf *s = scope_of(c, section);

		if (!s)
			return fail(err, errlen, "more than %d scopes", CONFIG_MAX_SCOPES);
		return set_scope(s, key, value, err, errlen);
	}
	case 3: {
		struct rule *r = rule_of(c, section + 5);

		if (!r)
			return fail(err, errlen, "more than %d rules", CONFIG_MAX_RULES);
		return set_rule(r, key, value, err, errlen);
	}
	}
	if (!strcmp(section, "scope"))	/* the command line's: the first scope */
		return set_scope(&c->scopes[0], key, value, err, errlen);
	return fail(err, errlen, "unknown section [%s] (oomreaper, global, cgroup /PATH, rule NAME)",
		    section);
}

/* The parse: inih calls back per key; the reader counts lines and checks section headers,
 * which inih would pass over when they hold no key */
struct load {
	struct config *c;
	FILE *f;
	int line;
	int err_line;
	char *err;
	size_t errlen;
};

static char *reader(char *buf, int size, void *stream)
{
	struct load *l = stream;
	char *s = fgets(buf, size, l->f);

	if (!s)
		return NULL;
	l->line++;
	const char *p = s;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[' && !l->err_line) {
		char name[PATH_MAX + 16];
		const char *e = strchr(p, ']');
		size_t n = e ? (size_t)(e - p - 1) : 0;

		if (!e || n >= sizeof(name)) {
			l->err_line = l->line;
			fail(l->err, l->errlen, "a section header without its ']'");
		} else {
			memcpy(name, p + 1, n);
			name[n] = '\0';
			if (section_kind(name) < 0) {
				l->err_line = l->line;
				fail(l->err, l->errlen, "unknown section [%s] (oomreaper, global, "
							"cgroup /PATH, rule NAME)", name);
			}
		}
	}
	return s;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load *l = user;

	if (l->err_line)
		return 1;
	if (!*section) {
		l->err_line = l->line;
		fail(l->err, l->errlen, "'%s' outside any section", name);
		return 1;
	}
	if (config_set(l->c, section, name, value, l->err, l->errlen)) {
		l->err_line = l->line;
		return 1;
	}
	/* a rule's first key: the line its warnings name */
	if (section_kind(section) == 3) {
		struct rule *r = rule_of(l->c, section + 5);

		if (r && !r->line)
			r->line = l->line;
	}
	return 1;
}

/* What only the whole file can tell: a rule without its regex, thresholds out of order */
static int check_whole(struct config *c, char *err, size_t len)
{
	for (int i = 0; i < c->nrules; i++) {
		struct rule *r = &c->rules[i];

		if (!r->compiled)
			return fail(err, len, "[rule %s] has no regex", r->name);
		if (r->field == RULE_USER && resolve_users(r, err, len))
			return -EINVAL;
	}
	for (int i = 0; i < c->nscopes; i++) {
		const struct thresholds *t = &c->scopes[i].th;

		if (t->mem_kill.percent == t->mem_min.percent && t->mem_kill.value > t->mem_min.value)
			return fail(err, len, "[%s%s]: mem_kill is above mem_min",
				    c->scopes[i].cgroup[0] ? "cgroup " : "global",
				    c->scopes[i].cgroup);
	}
	return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	char msg[384] = "";
	struct load l = { .c = c, .err = msg, .errlen = sizeof(msg) };
	int r;

	config_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	l.f = fopen(path, "re");
	if (!l.f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = ini_parse_stream(reader, &l, handler, &l);
	/* a directory opens, then fails to read: that is no empty configuration */
	if (ferror(l.f)) {
		int e = errno ? errno : EIO;

		fclose(l.f);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	fclose(l.f);
	/* inih's own errors (a line that is no key = value, no section) come back as its line */
	if (r > 0 && (!l.err_line || r < l.err_line)) {
		l.err_line = r;
		snprintf(msg, sizeof(msg), "not a 'key = value' line or a [section]");
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot parse (%d)", path, r);
		return -EINVAL;
	}
	if (l.err_line) {
		snprintf(err, errlen, "%s:%d: %s", path, l.err_line, msg);
		return -EINVAL;
	}
	if (check_whole(c, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", path, msg);
		return -EINVAL;
	}
	return 0;
}

void config_free(struct config *c)
{
	c->nrules = 0;
}

static void print_level(FILE *f, const char *key, const struct level *l)
{
	if (l->percent)
		fprintf(f, "%s = %g%%\n", key, l->value);
	else
		fprintf(f, "%s = %.0fK\n", key, l->value);
}

void config_print(const struct config *c, FILE *f)
{
	static const char *const actions[] = { "prefer", "avoid", "ignore" };

	fprintf(f, "[oomreaper]\ndry_run = %s\ngrace = %d\ndeadline = %g\nreap_delay = %d\n"
		   "policy = %s\nlog_json = %s\n",
		c->dry_run ? "yes" : "no", c->grace_ms, c->deadline_ms / 1000.0, c->reap_delay_ms,
		c->policy == POLICY_LARGEST ? "largest" : "fastest-growing", c->log_json);
	for (int i = 0; i < c->nscopes; i++) {
		const struct scope_conf *s = &c->scopes[i];

		if (s->cgroup[0])
			fprintf(f, "\n[cgroup %s]\n", s->cgroup);
		else
			fprintf(f, "\n[global]\n");
		print_level(f, "mem_min", &s->th.mem_min);
		print_level(f, "mem_kill", &s->th.mem_kill);
		print_level(f, "swap_min", &s->th.swap_min);
		if (s->th.psi)
			fprintf(f, "psi = %s:%g:%g\n", s->th.psi_full ? "full" : "some", s->th.psi_pct,
				s->th.psi_secs);
		else
			fprintf(f, "psi = off\n");
		fprintf(f, "horizon = %g\n", s->th.horizon_s);
	}
	for (int i = 0; i < c->nrules; i++) {
		const struct rule *r = &c->rules[i];

		fprintf(f, "\n[rule %s]\nmatch = %s\nregex = %s\naction = %s\nweight = %d\n", r->name,
			rule_fields[r->field], r->pattern, actions[r->action], r->weight);
		for (int u = 0; u < r->nonly; u++)
			fprintf(f, "%s%u", u ? ", " : "users = ", (unsigned)r->only[u]);
		if (r->nonly)
			fprintf(f, "\n");
	}
}
