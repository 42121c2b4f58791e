/* identity.c - pod, container and unit from a cgroup path (identity.h) */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "identity.h"

/* One component of the path: s[0..n-1] */
struct part {
	const char *s;
	size_t n;
};

static bool is(struct part p, const char *word)
{
	return p.n == strlen(word) && !memcmp(p.s, word, p.n);
}

static bool starts(struct part p, const char *head)
{
	size_t k = strlen(head);

	return p.n >= k && !memcmp(p.s, head, k);
}

static bool ends(struct part p, const char *tail)
{
	size_t k = strlen(tail);

	return p.n >= k && !memcmp(p.s + p.n - k, tail, k);
}

static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A container ID as runtimes make them: 64 hex digits. A shorter one is a cut path. */
static bool container_id_ok(const char *s, size_t n)
{
	if (n != IDENTITY_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!hex(s[i]))
			return false;
	return true;
}

/*
 * A pod UID into out (36 + NUL): 8-4-4-4-12 hex with dashes, as the API server makes them,
 * or 32 hex digits, the hash kubelet gives a static pod (pkg/kubelet/config/common.go). The
 * systemd driver writes the dashes as underscores ("-" separates a slice's parents:
 * pkg/kubelet/cm/cgroup_manager_linux.go escapeSystemdCgroupName()); they are turned back.
 */
static bool pod_uid_ok(const char *s, size_t n, bool systemd, char *out)
{
	if (n != 36 && n != 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool dash_here = n == 36 && (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash_here) {
			if (c != (systemd ? '_' : '-'))
				return false;
			c = '-';
		} else if (!hex(c)) {
			return false;
		}
		out[i] = c;
	}
	out[n] = '\0';
	return true;
}

/* systemd's unit name characters (src/basic/unit-name.c VALID_CHARS, with '@' and '\\') */
static bool unit_ok(struct part p)
{
	if (p.n > IDENTITY_UNIT_LEN)
		return false;
	for (size_t i = 0; i < p.n; i++) {
		char c = p.s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == ':' || c == '_' || c == '.' || c == '-' || c == '\\' || c == '@'))
			return false;
	}
	return true;
}

/* kubelet's root of the pods: "kubepods" (cgroupfs), "kubepods.slice", or under a
 * --cgroup-root "kubelet-kubepods.slice" (systemd) */
static bool kube_root(struct part p)
{
	return is(p, "kubepods") || is(p, "kubepods.slice") || ends(p, "-kubepods.slice");
}

static enum qos_class qos_part(struct part p)
{
	if (is(p, "burstable") || ends(p, "kubepods-burstable.slice"))
		return QOS_BURSTABLE;
	if (is(p, "besteffort") || ends(p, "kubepods-besteffort.slice"))
		return QOS_BESTEFFORT;
	return QOS_NONE;
}

/*
 * A pod's slice of the systemd driver names its class itself ("kubepods-burstable-pod<UID_>
 * .slice", "kubepods-pod<UID_>.slice" for Guaranteed): it is recognised without the root
 * above it, which a reader in a cgroup namespace of its own (a pod's, on cgroup v2) does not
 * see: /proc/PID/cgroup shows it "/../../kubepods-besteffort-pod<UID_>.slice/..."
 */
static bool kube_pod_slice(struct part p, enum qos_class *q)
{
	if (!ends(p, ".slice"))
		return false;
	if (memmem(p.s, p.n, "kubepods-besteffort-pod", 23))
		*q = QOS_BESTEFFORT;
	else if (memmem(p.s, p.n, "kubepods-burstable-pod", 22))
		*q = QOS_BURSTABLE;
	else if (memmem(p.s, p.n, "kubepods-pod", 12))
		*q = QOS_GUARANTEED;
	else
		return false;
	return true;
}

/*
 * Whether p names a pod: "pod<UID>" (cgroupfs) or "...-pod<UID_>.slice" (systemd). *uid and
 * *n are where its UID is (possibly empty or malformed: pod_uid_ok() judges it).
 */
static bool pod_part(struct part p, const char **uid, size_t *n, bool *systemd)
{
	if (ends(p, ".slice")) {
		size_t end = p.n - 6;

		for (size_t i = end; i >= 4; i--)
			if (!memcmp(p.s + i - 4, "-pod", 4)) {
				*uid = p.s + i;
				*n = end - i;
				*systemd = true;
				return true;
			}
		return false;
	}
	if (!starts(p, "pod") || memchr(p.s, '.', p.n))
		return false;
	*uid = p.s + 3;
	*n = p.n - 3;
	*systemd = false;
	return true;
}

/*
 * The ID of a runtime's systemd scope: "docker-<ID>.scope", "cri-containerd-<ID>.scope",
 * "crio-<ID>.scope", "libpod-<ID>.scope"; false for anything else, and for the monitors
 * beside a container ("crio-conmon-<ID>.scope", "libpod-conmon-<ID>.scope"), not in it
 */
static bool runtime_scope(struct part p, const char **id, size_t *n)
{
	static const char *const heads[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };

	if (!ends(p, ".scope") || starts(p, "crio-conmon-") || starts(p, "libpod-conmon-"))
		return false;
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (starts(p, heads[i])) {
			*id = p.s + strlen(heads[i]);
			*n = p.n - strlen(heads[i]) - 6;
			return true;
		}
	return false;
}

static void set_id(struct identity *out, const char *id, size_t n)
{
	memcpy(out->container_id, id, n);
	out->container_id[n] = '\0';
}

/* Where the walk is in kubelet's layout */
enum kube_at { KUBE_OUT, KUBE_ROOT, KUBE_QOS, KUBE_POD };

int identity_parse_n(const char *path, size_t len, struct identity *out)
{
	const char *end = path + len, *s = path;
	enum kube_at at = KUBE_OUT;
	enum qos_class pending = QOS_NONE;
	struct part prev = { "", 0 };
	const char *id;
	size_t n;
	bool systemd;

	memset(out, 0, sizeof(*out));
	while (s < end) {
		const char *slash = memchr(s, '/', (size_t)(end - s));
		struct part p = { s, (size_t)((slash ? slash : end) - s) };

		s = slash ? slash + 1 : end;
		if (!p.n)
			continue;
		/* the innermost unit: a process lives in a service or a scope, never a slice */
		if ((ends(p, ".service") || ends(p, ".scope")) && unit_ok(p)) {
			memcpy(out->unit, p.s, p.n);
			out->unit[p.n] = '\0';
		}
		if (kube_root(p)) {
			/* a kubelet in a container: the pod, not the container around kubelet */
			out->pod_uid[0] = out->container_id[0] = '\0';
			out->qos = QOS_NONE;
			at = KUBE_ROOT;
			prev = p;
			continue;
		}
		/* pkg/kubelet/cm/pod_container_manager_linux.go GetPodContainerName(): Guaranteed
		 * pods have no class cgroup of their own */
		enum qos_class cls = at == KUBE_ROOT ? QOS_GUARANTEED : pending;
		bool pod = (at == KUBE_ROOT || at == KUBE_QOS ||
			    (at == KUBE_OUT && kube_pod_slice(p, &cls))) &&
			   pod_part(p, &id, &n, &systemd);

		if (at == KUBE_ROOT && qos_part(p) != QOS_NONE) {
			pending = qos_part(p);
			at = KUBE_QOS;
		} else if (pod) {
			if (!pod_uid_ok(id, n, systemd, out->pod_uid)) {
				/* nothing of an outer pod either: this one is the innermost */
				out->pod_uid[0] = out->container_id[0] = '\0';
				out->qos = QOS_NONE;
				out->why = n ? "a pod cgroup whose UID is not 36 or 32 characters "
					       "of a UID" : "a pod cgroup without its UID";
				return -EINVAL;
			}
			out->qos = cls;
			out->container_id[0] = '\0';
			at = KUBE_POD;
		} else if (at == KUBE_POD) {
			/* the container's own cgroup: its ID (cgroupfs), or the runtime's scope */
			bool scope = ends(p, ".scope");

			if (!scope) {
				id = p.s;
				n = p.n;
			} else if (!runtime_scope(p, &id, &n)) {
				n = 0;
			}
			if (n && !container_id_ok(id, n)) {
				out->why = "a container cgroup of a pod whose ID is not 64 hex digits";
				return -EINVAL;
			}
			if (n)
				set_id(out, id, n);
			at = KUBE_OUT;
		} else {
			at = KUBE_OUT;
			/* docker's and podman's own layouts, cgroupfs and systemd */
			if (runtime_scope(p, &id, &n) && container_id_ok(id, n))
				set_id(out, id, n);
			else if (is(prev, "docker") && container_id_ok(p.s, p.n))
				set_id(out, p.s, p.n);
			else if (is(prev, "libpod_parent") && starts(p, "libpod-") &&
				 container_id_ok(p.s + 7, p.n - 7))
				set_id(out, p.s + 7, p.n - 7);
		}
		prev = p;
	}
	return 0;
}

int identity_parse(const char *path, struct identity *out)
{
	return identity_parse_n(path, strlen(path), out);
}

const char *qos_name(enum qos_class q)
{
	switch (q) {
	case QOS_GUARANTEED: return "guaranteed";
	case QOS_BURSTABLE: return "burstable";
	case QOS_BESTEFFORT: return "besteffort";
	case QOS_NONE: break;
	}
	return NULL;
}

int identity_fields(const struct identity *id, const char *keys[IDENTITY_FIELDS],
		    const char *vals[IDENTITY_FIELDS])
{
	static const char *const names[IDENTITY_FIELDS] = { "pod_uid", "container_id",
							    "qos_class", "unit" };
	const char *q = qos_name(id->qos);
	const char *const all[IDENTITY_FIELDS] = { id->pod_uid, id->container_id, q ? q : "",
						   id->unit };
	int n = 0;

	for (int i = 0; i < IDENTITY_FIELDS; i++)
		if (all[i][0]) {
			keys[n] = names[i];
			vals[n++] = all[i];
		}
	return n;
}
