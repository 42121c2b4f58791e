/* config.c - the configuration file, parsed line by line, checked to the letter */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
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
		/*
		 * A tenth of a second ahead at the fill going on now. In the band the samples
		 * come at most a quarter of the time to mem_min apart (10 ms at the closest), so
		 * one lands 75-100 ms before the crossing: time enough for a kill chosen ahead.
		 * Further ahead is guessing how far a fill will go, and a burst that stops short
		 * of mem_min would cost an innocent its life.
		 */
		.horizon_s = 0.1,
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
	c->hook_timeout_ms = 10000;
	c->nscopes = 1;
	c->scopes[0].th = thresholds_default();
	memset(c->scopes[0].line, 0, sizeof(c->scopes[0].line));
	c->scopes[0].group_kill = GROUP_KILL_NO;
	c->scopes[0].group_kill_line = 0;
	c->scopes[0].qos_order = false;
	c->scopes[0].warn_exec.argc = c->scopes[0].post_kill_exec.argc = 0;
}

struct level *level_of(struct thresholds *t, int k)
{
	return k == 0 ? &t->mem_min : k == 1 ? &t->mem_kill : &t->swap_min;
}

/*
 * A level is written in decimal only: digits, then an optional '.' and digits, then '%' or a
 * unit. strtod() would also take hex floats ("0x1p1000"), exponents, "inf" and "nan", and its
 * double, past 2^64 kB, turns into a wrapped unsigned level (level_kb()): protection off.
 */
int parse_level(const char *s, struct level *l)
{
	/* sizes: K, M, G, T (powers of 1024), or bytes with no suffix */
	static const char units[] = "KMGT";
	const char *p = s, *u;
	unsigned long long whole = 0;
	double frac = 0, scale = 1, kb;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > (LEVEL_MAX_KB * 1024 - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (unsigned)(*p - '0');
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			frac += (*p - '0') * (scale /= 10);
	if (!digits)
		return -EINVAL;
	double v = (double)whole + frac;

	if (!strcmp(p, "%")) {
		if (v > 100)
			return -ERANGE;
		*l = (struct level){ true, v };
		return 0;
	}
	u = *p ? strchr(units, toupper((unsigned char)*p)) : NULL;
	if (!*p)
		kb = v / 1024;
	else if (u && *u && (!p[1] || ((p[1] == 'B' || p[1] == 'b') && !p[2]) ||
			     (p[1] == 'i' && p[2] == 'B' && !p[3])))
		for (kb = v; u > units; u--)
			kb *= 1024;
	else
		return -EINVAL;
	if (kb > (double)LEVEL_MAX_KB)
		return -ERANGE;
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
	memset(s->line, 0, sizeof(s->line));
	s->group_kill = GROUP_KILL_NO;
	s->group_kill_line = 0;
	s->qos_order = false;
	s->warn_exec.argc = s->post_kill_exec.argc = 0;
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

static const char *const rule_fields[RULE_FIELDS] = { "comm", "cmdline", "cgroup", "user", "exe",
						     "uid", "qos", "unit" };

static int set_rule(struct rule *r, const char *key, const char *value, char *err, size_t len)
{
	if (!strcmp(key, "match")) {
		for (int i = 0; i < RULE_FIELDS; i++)
			if (!strcmp(value, rule_fields[i])) {
				r->field = (enum rule_field)i;
				return 0;
			}
		return fail(err, len, "match = '%s': want comm, cmdline, cgroup, user, exe, uid, qos "
				      "or unit", value);
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

static int set_scope(struct scope_conf *s, const char *key, const char *value, int line,
		     char *err, size_t len)
{
	int k = !strcmp(key, "mem_min") ? 0 : !strcmp(key, "mem_kill") ? 1
		: !strcmp(key, "swap_min") ? 2 : -1;
	struct level *l = k < 0 ? NULL : level_of(&s->th, k);
	double v;

	if (l) {
		int r = parse_level(value, l);

		if (r == -ERANGE)
			return fail(err, len, "%s = '%s': out of range: at most 100%% or %lluT", key,
				    value, LEVEL_MAX_KB >> 30);
		if (r)
			return fail(err, len, "%s = '%s': want a share like 10%% or a size like 512M "
					      "(decimal)", key, value);
		s->line[k] = line;
		/* a mem_kill not given follows mem_min at the defaults' ratio (10 %, 5 %): a
		 * mem_min of 256M with the default 5 % of a 24 GiB machine would SIGKILL long
		 * before mem_min, and be refused for it */
		if (k == 0 && !s->line[1])
			s->th.mem_kill = (struct level){ l->percent, l->value / 2 };
		return 0;
	}
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
	if (!strcmp(key, "group_kill")) {
		if (parse_group_kill(value, &s->group_kill))
			return fail(err, len, "group_kill = '%s': want no, leaf or scope", value);
		s->group_kill_line = line;
		return 0;
	}
	if (!strcmp(key, "qos_order"))
		return parse_bool(value, &s->qos_order)
			       ? fail(err, len, "qos_order = '%s': want yes or no", value) : 0;
	if (!strcmp(key, "warn_exec") || !strcmp(key, "post_kill_exec")) {
		char msg[128];

		/* empty: no hook (a reload can take one away) */
		if (!value[0]) {
			(key[0] == 'w' ? &s->warn_exec : &s->post_kill_exec)->argc = 0;
			return 0;
		}
		if (hook_cmd_parse(value, key[0] == 'w' ? &s->warn_exec : &s->post_kill_exec, msg,
				   sizeof(msg)))
			return fail(err, len, "%s = '%s': %s", key, value, msg);
		return 0;
	}
	return fail(err, len, "unknown key '%s' (= '%s') in a scope (mem_min, mem_kill, swap_min, "
			      "psi, horizon, group_kill, qos_order, warn_exec, post_kill_exec)", key,
		    value);
}

static const char *const group_kill_names[] = { "no", "leaf", "scope" };

int parse_group_kill(const char *s, enum group_kill_mode *g)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, group_kill_names[i])) {
			*g = (enum group_kill_mode)i;
			return 0;
		}
	return -EINVAL;
}

static const char *const policy_names[] = { "largest", "fastest-growing", "largest-cgroup" };

int parse_policy(const char *s, enum policy *p)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, policy_names[i])) {
			*p = (enum policy)i;
			return 0;
		}
	return -EINVAL;
}

const char *policy_name(enum policy p)
{
	return (unsigned)p < 3 ? policy_names[p] : "?";
}

const char *group_kill_name(enum group_kill_mode g)
{
	return (unsigned)g < 3 ? group_kill_names[g] : "?";
}

int group_kill_check(const struct config *c, const struct scope_conf *s, char *err, size_t len)
{
	char at[PATH_MAX + 32];

	if (s->cgroup[0] || s->group_kill != GROUP_KILL_SCOPE)
		return 0;
	if (s->group_kill_line > 0)
		snprintf(at, sizeof(at), "%s:%d: ", c->path, s->group_kill_line);
	else
		snprintf(at, sizeof(at), "%s", s->group_kill_line < 0 ? "--group-kill: " : "");
	return fail(err, len, "%s[global]: group_kill = scope would kill every process of the "
			      "machine: refused (leaf kills the victim's own cgroup; scope is for a "
			      "[cgroup PATH] or --cgroup)", at);
}

/* What the daemon shows of itself (observe.h): 1 when key is none of these */
static int set_observe(struct config *c, const char *key, const char *value, char *err,
		       size_t len)
{
	if (!strcmp(key, "socket")) {
		if (strlen(value) >= sizeof(c->socket))
			return fail(err, len, "socket = '%s': too long for a unix socket (at most "
				    "107 bytes)", value);
		if (value[0] && value[0] != '/' && strcmp(value, "no"))
			return fail(err, len, "socket = '%s': want an absolute path, or no", value);
		snprintf(c->socket, sizeof(c->socket), "%s", value);
		return 0;
	}
	if (!strcmp(key, "metrics_file")) {
		size_t n = strlen(value);

		if (n + 4 >= sizeof(c->metrics_file))
			return fail(err, len, "metrics_file: path too long");
		/* node_exporter's textfile collector reads only *.prom files */
		if (n && (value[0] != '/' || n < 6 || strcmp(value + n - 5, ".prom")))
			return fail(err, len, "metrics_file = '%s': want an absolute path ending in "
				    ".prom (node_exporter's textfile collector reads only those)",
				    value);
		snprintf(c->metrics_file, sizeof(c->metrics_file), "%s", value);
		return 0;
	}
	return 1;
}

static int set_main(struct config *c, const char *key, const char *value, char *err, size_t len)
{
	double v;
	int r = set_observe(c, key, value, err, len);

	if (r != 1)
		return r;

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
	if (!strcmp(key, "policy"))
		return parse_policy(value, &c->policy)
			       ? fail(err, len, "policy = '%s': want largest, fastest-growing or "
					  "largest-cgroup", value)
			       : 0;
	if (!strcmp(key, "log_json")) {
		if (strlen(value) >= sizeof(c->log_json))
			return fail(err, len, "log_json: path too long");
		snprintf(c->log_json, sizeof(c->log_json), "%s", value);
		return 0;
	}
	if (!strcmp(key, "events_socket")) {
		if (value[0] && (value[0] != '/' || strlen(value) >= 108))
			return fail(err, len, "events_socket = '%s': want an absolute path of at "
					      "most 107 bytes", value);
		snprintf(c->events_socket, sizeof(c->events_socket), "%s", value);
		return 0;
	}
	if (!strcmp(key, "hook_timeout")) {
		if (parse_secs(value, 0.001, 3600, &v))
			return fail(err, len, "hook_timeout = '%s': want seconds, above 0, at most "
					      "3600", value);
		c->hook_timeout_ms = (int)(v * 1000);
		return 0;
	}
	return fail(err, len, "unknown key '%s' (= '%s') in [oomreaper] (dry_run, grace, "
			      "deadline, reap_delay, policy, log_json, socket, metrics_file, "
			      "hook_timeout, events_socket)", key, value);
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
		return set_scope(s, key, value, c->setting_line, err, errlen);
	}
	case 3: {
		struct rule *r = rule_of(c, section + 5);

		if (!r)
			return fail(err, errlen, "more than %d rules", CONFIG_MAX_RULES);
		return set_rule(r, key, value, err, errlen);
	}
	}
	if (!strcmp(section, "scope"))	/* the command line's: the first scope */
		return set_scope(&c->scopes[0], key, value, -1, err, errlen);
	return fail(err, errlen, "unknown section [%s] (oomreaper, global, cgroup /PATH, rule NAME)",
		    section);
}

/*
 * The INI file, read line by line into a buffer of CONFIG_MAX_LINE bytes. libinih (Debian's
 * build: INI_MAX_LINE 200, on the stack) splits a longer line in two, so a long regex or a
 * kubelet cgroup path (~250 bytes) came back as a wrong error on a line that drifted; a
 * reader of our own cannot hand it more than 200 bytes either. What it took from inih is
 * kept: ';' and '#' comment lines, an inline comment after whitespace and ';', a UTF-8 BOM,
 * "key = value" with both sides trimmed; not its continuation lines.
 */
struct load {
	struct config *c;
	FILE *f;
	int line;
	char buf[CONFIG_MAX_LINE + 2];
	char section[CONFIG_MAX_LINE + 1];
	char *err;
	size_t errlen;
};

/* The next line into l->buf without its newline: 1, 0 at the end, or -errno; a line too
 * long or holding a NUL byte is -EINVAL with the reason, the rest of it read past */
static int next_line(struct load *l)
{
	size_t n = 0;
	bool nul = false;
	int ch;

	while ((ch = getc(l->f)) != EOF && ch != '\n') {
		if (n < CONFIG_MAX_LINE)
			l->buf[n] = (char)ch;
		n++;
		nul |= ch == 0;
	}
	if (ch == EOF && ferror(l->f))
		return errno ? -errno : -EIO;
	if (ch == EOF && n == 0)
		return 0;
	l->line++;
	if (n > CONFIG_MAX_LINE)
		return fail(l->err, l->errlen, "a line of %zu bytes: at most %d", n,
			    CONFIG_MAX_LINE);
	/* "10\0%" would be read as "10": 10 bytes, where 10 % was meant */
	if (nul)
		return fail(l->err, l->errlen, "a NUL byte in the line");
	l->buf[n] = '\0';
	if (n && l->buf[n - 1] == '\r')
		l->buf[n - 1] = '\0';
	return 1;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Cuts s at an inline comment: ';' at its start or after whitespace */
static void cut_comment(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == ';' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
}

/* One line: a section header, or a key = value given to config_set(). 0 or -EINVAL */
static int parse_line(struct load *l, char *s)
{
	if (l->line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	s = trim(s);
	if (!*s || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		char *e = strchr(s, ']');

		if (!e)
			return fail(l->err, l->errlen, "a section header without its ']'");
		*e = '\0';
		cut_comment(e + 1);
		if (*trim(e + 1))
			return fail(l->err, l->errlen, "text after the section header's ']'");
		if (section_kind(s + 1) < 0)
			return fail(l->err, l->errlen, "unknown section [%s] (oomreaper, global, "
				    "cgroup /PATH, rule NAME)", s + 1);
		/* s + 1 is shorter than the line, and so than section */
		strcpy(l->section, s + 1);
		return 0;
	}
	char *eq = strchr(s, '=');

	if (!eq)
		return fail(l->err, l->errlen, "not a 'key = value' line or a [section]");
	*eq = '\0';
	cut_comment(eq + 1);
	char *key = trim(s), *value = trim(eq + 1);

	if (!*key)
		return fail(l->err, l->errlen, "'= %s' has no key", value);
	if (!l->section[0])
		return fail(l->err, l->errlen, "'%s' outside any section", key);
	l->c->setting_line = l->line;
	if (config_set(l->c, l->section, key, value, l->err, l->errlen))
		return -EINVAL;
	/* a rule's first key: the line its warnings name */
	if (section_kind(l->section) == 3) {
		struct rule *r = rule_of(l->c, l->section + 5);

		if (r && !r->line)
			r->line = l->line;
	}
	return 0;
}
/* What only the whole file can tell: a rule without its regex, thresholds out of order */
static int check_whole(struct config *c, char *err, size_t len)
{
	for (int i = 0; i < c->nrules; i++) {
		struct rule *r = &c->rules[i];

		char msg[256];

		if (!r->compiled)
			return fail(err, len, "%s: [rule %s] has no regex", c->path, r->name);
		if (r->field == RULE_USER && resolve_users(r, msg, sizeof(msg)))
			return fail(err, len, "%s: %s", c->path, msg);
	}
	for (int i = 0; i < c->nscopes; i++)
		if (thresholds_check(c, &c->scopes[i], 0, err, len) ||
		    group_kill_check(c, &c->scopes[i], err, len))
			return -EINVAL;
	return 0;
}

/* "10%", or a size in the largest unit that writes it whole: "20G", "1536K", "0.488K" */
static const char *format_level(const struct level *l, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	unsigned long long n = (unsigned long long)l->value;
	int u = 0;

	if (l->percent) {
		snprintf(buf, len, "%g%%", l->value);
		return buf;
	}
	/* not fmod(): no libm in the daemon, whose pages it would keep */
	if ((double)n != l->value) {
		snprintf(buf, len, "%.3fK", l->value);
		return buf;
	}
	while (u < 3 && n >= 1024 && n % 1024 == 0)
		n /= 1024, u++;
	snprintf(buf, len, "%llu%c", n, units[u]);
	return buf;
}

/* Where a scope's level k was set, as a message's start: "FILE:LINE: ", "--mem-kill: " */
static const char *level_origin(const struct config *c, const struct scope_conf *s, int k,
				char *buf, size_t len)
{
	static const char *const flags[] = { "--mem-min", "--mem-kill", "--swap-min" };

	if (s->line[k] > 0)
		snprintf(buf, len, "%s:%d: ", c->path, s->line[k]);
	else if (s->line[k] < 0)
		snprintf(buf, len, "%s: ", flags[k]);
	else
		snprintf(buf, len, "%s%s", c->path, c->path[0] ? ": " : "");
	return buf;
}

int thresholds_check(const struct config *c, const struct scope_conf *s,
		     unsigned long long total_kb, char *err, size_t len)
{
	static const char *const keys[] = { "mem_min", "mem_kill" };
	struct thresholds t = s->th;
	char at[PATH_MAX + 32], a[32], b[32], tot[32];
	const char *sec = s->cgroup[0] ? "cgroup " : "global";
	struct level whole = { false, (double)total_kb };

	format_level(&whole, tot, sizeof(tot));
	for (int k = 0; k < 2 && total_kb; k++) {
		const struct level *l = level_of(&t, k);

		if (!l->percent && l->value > (double)total_kb)
			return fail(err, len, "%s[%s%s]: %s = %s is above the scope's memory, %s",
				    level_origin(c, s, k, at, sizeof(at)), sec, s->cgroup, keys[k],
				    format_level(l, a, sizeof(a)), tot);
	}
	/* SIGKILL at once must not fire before the kill it hardens: mem_kill <= mem_min, in
	 * one unit, or in kB at this scope's total when the units differ */
	bool same = t.mem_kill.percent == t.mem_min.percent;

	if ((same && t.mem_kill.value > t.mem_min.value) ||
	    (!same && total_kb && level_kb(&t.mem_kill, total_kb) > level_kb(&t.mem_min, total_kb)))
		return fail(err, len, "%s[%s%s]: mem_kill = %s is above mem_min = %s%s%s",
			    level_origin(c, s, s->line[1] ? 1 : 0, at, sizeof(at)), sec, s->cgroup,
			    format_level(&t.mem_kill, a, sizeof(a)),
			    format_level(&t.mem_min, b, sizeof(b)), same ? "" : " of the scope's ",
			    same ? "" : tot);
	return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	/* static: two lines' buffers are too big for the stack of a daemon that locks it */
	static struct load l;
	char msg[384] = "";
	int r;

	config_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	l = (struct load){ .c = c, .err = msg, .errlen = sizeof(msg) };
	l.f = fopen(path, "re");
	if (!l.f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	while ((r = next_line(&l)) > 0 && !(r = parse_line(&l, l.buf)))
		;
	fclose(l.f);
	c->setting_line = -1;
	/* a directory opens, then fails to read: that is no empty configuration */
	if (r < 0 && r != -EINVAL) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s:%d: %s", path, l.line, msg);
		return -EINVAL;
	}
	if (check_whole(c, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s", msg);
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
	char buf[32];

	fprintf(f, "%s = %s\n", key, format_level(l, buf, sizeof(buf)));
}

void config_print(const struct config *c, FILE *f)
{
	static const char *const actions[] = { "prefer", "avoid", "ignore" };

	fprintf(f, "[oomreaper]\ndry_run = %s\ngrace = %d\ndeadline = %g\nreap_delay = %d\n"
		   "policy = %s\nlog_json = %s\nsocket = %s\nmetrics_file = %s\n"
		   "hook_timeout = %g\nevents_socket = %s\n",
		c->dry_run ? "yes" : "no", c->grace_ms, c->deadline_ms / 1000.0, c->reap_delay_ms,
		policy_name(c->policy), c->log_json,
		c->socket, c->metrics_file, c->hook_timeout_ms / 1000.0, c->events_socket);
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
		fprintf(f, "group_kill = %s\n", group_kill_name(s->group_kill));
		fprintf(f, "qos_order = %s\n", s->qos_order ? "yes" : "no");
		for (int k = 0; k < 2; k++) {
			const struct hook_cmd *h = k ? &s->post_kill_exec : &s->warn_exec;
			char cmd[2 * HOOK_CMD_MAX];

			if (!h->argc)
				continue;
			hook_cmd_format(h, cmd, sizeof(cmd));
			fprintf(f, "%s = %s\n", k ? "post_kill_exec" : "warn_exec", cmd);
		}
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

void rules_warn(const struct config *c, FILE *f)
{
	for (int i = 0; i < c->nrules; i++) {
		const struct rule *r = &c->rules[i];
		const char *why = rule_gameable(r);

		if (why)
			fprintf(f, "%s:%d: warning: [rule %s] %s, but %s\n", c->path, r->line,
				r->name, r->action == RULE_IGNORE ? "ignores" : "avoids", why);
	}
}
