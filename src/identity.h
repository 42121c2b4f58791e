/* identity.h - which pod, container and systemd unit a process belongs to, read from its cgroup
 * path: pure, no I/O, no allocation */
#ifndef OOMREAPER_IDENTITY_H
#define OOMREAPER_IDENTITY_H

#include <stddef.h>

/* A pod UID: 36 characters 8-4-4-4-12, or 32 hex digits for a static pod (kubelet's hash) */
#define IDENTITY_UID_LEN 36
/* A container ID as docker, containerd, CRI-O and podman make them: 64 hex digits */
#define IDENTITY_ID_LEN 64
/* systemd's UNIT_NAME_MAX (256) with its NUL */
#define IDENTITY_UNIT_LEN 255

/*
 * A pod's QoS class, as kubelet places it (pkg/kubelet/cm/qos_container_manager_linux.go):
 * Guaranteed pods right under kubepods, Burstable and BestEffort under a cgroup of their class
 */
enum qos_class { QOS_NONE = 0, QOS_GUARANTEED, QOS_BURSTABLE, QOS_BESTEFFORT };

struct identity {
	char pod_uid[IDENTITY_UID_LEN + 1];		/* "" when not in a pod */
	char container_id[IDENTITY_ID_LEN + 1];		/* "" when not in a container */
	char unit[IDENTITY_UNIT_LEN + 1];		/* the innermost .service or .scope, or "" */
	enum qos_class qos;				/* QOS_NONE when not in a pod */
	const char *why;	/* a part of the path that looked like a layout but was malformed */
};

/*
 * Reads the cgroup path of a process (the path of the v1 memory line or the v2 "0::" line of
 * /proc/PID/cgroup, len bytes, no NUL needed) into out, recognising kubelet's cgroupfs and
 * systemd layouts (kubepods/burstable/pod<UID>/<ID>, kubepods.slice/kubepods-besteffort.slice/
 * kubepods-besteffort-pod<UID_>.slice/cri-containerd-<ID>.scope, Guaranteed pods right under
 * kubepods), docker (docker/<ID>, docker-<ID>.scope), containerd
 * (cri-containerd-<ID>.scope), CRI-O (crio-<ID>.scope) and podman (libpod-<ID>.scope,
 * libpod_parent/libpod-<ID>), and the innermost systemd unit. The innermost layout wins: a pod
 * of a kubelet that runs in a docker container is the pod. What is not known stays empty.
 * Returns 0; or -EINVAL when a part that looked like one of these layouts was malformed (a pod
 * without its UID, a UID or ID of the wrong length or characters): out->why says which, and
 * the fields it would have given stay empty, never half-read.
 */
int identity_parse_n(const char *path, size_t len, struct identity *out);

/* identity_parse_n() of a NUL-terminated path */
int identity_parse(const char *path, struct identity *out);

/* "guaranteed", "burstable", "besteffort", or NULL for QOS_NONE */
const char *qos_name(enum qos_class q);

/* The fields an identity can give: pod_uid, container_id, qos_class, unit */
#define IDENTITY_FIELDS 4
/*
 * The known fields of id, in that order, under the names every output gives them (list
 * --json, explain --json, the events, status, the metrics' labels): keys[i] and vals[i] for
 * i below the count returned, vals[i] never empty. The names live here only.
 */
int identity_fields(const struct identity *id, const char *keys[IDENTITY_FIELDS],
		    const char *vals[IDENTITY_FIELDS]);

#endif
