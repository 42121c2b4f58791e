/* test_identity.c - pod, container, QoS class and unit from cgroup paths: kubelet's, docker's
 * and podman's real layouts (tests/fixtures/identity/paths.tsv), and hostile ones */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "identity.h"

#define UID "0b8a5e1c-3f2d-4c4e-9b7a-1d2e3f4a5b6c"
#define UID_ "0b8a5e1c_3f2d_4c4e_9b7a_1d2e3f4a5b6c"
#define ID "4f1d2c3b5a6978e0d1c2b3a4958672e1f0d9c8b7a6958473e2d1c0b9a8f7e6d5"

static const char *dash(const char *s)
{
	return s[0] ? s : "-";
}

/* Every line of the fixture: path, pod_uid, container_id, qos_class, unit */
static void fixture_layouts(void **state)
{
	char line[2048];
	int n = 0;
	FILE *f = fopen(FIXTURES "/identity/paths.tsv", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *field[5], *save = NULL;
		struct identity id;
		int k = 0;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, "\t", &save); t && k < 5; t = strtok_r(NULL, "\t", &save))
			field[k++] = t;
		assert_int_equal(k, 5);
		if (identity_parse(field[0], &id))
			fail_msg("%s: %s", field[0], id.why);
		assert_null(id.why);
		assert_string_equal(dash(id.pod_uid), field[1]);
		assert_string_equal(dash(id.container_id), field[2]);
		assert_string_equal(qos_name(id.qos) ? qos_name(id.qos) : "-", field[3]);
		assert_string_equal(dash(id.unit), field[4]);
		n++;
	}
	fclose(f);
	assert_true(n >= 20);
}

/* What a malformed pod gives: an error with its reason, and nothing half-read */
static void refused(const char *path, bool pod_known)
{
	struct identity id;

	assert_int_equal(identity_parse(path, &id), -EINVAL);
	assert_non_null(id.why);
	assert_string_equal(id.container_id, "");
	if (!pod_known) {
		assert_string_equal(id.pod_uid, "");
		assert_int_equal(id.qos, QOS_NONE);
	}
}

static void pod_without_uid(void **state)
{
	(void)state;
	refused("/kubepods/burstable/pod/" ID, false);
	refused("/kubepods/pod", false);
	/* an inner pod without its UID leaves nothing of an outer one (found by fuzz_identity) */
	refused("/kubepods/pod" UID "/" ID "/x/kubepods-besteffort-pod.slice", false);
	refused("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod.slice/"
		"cri-containerd-" ID ".scope", false);
}

/* A path cut short (a full read buffer) must not give a UID or an ID that is a prefix */
static void truncated(void **state)
{
	const char *full = "/kubepods/besteffort/pod" UID "/" ID;
	struct identity id;

	(void)state;
	refused("/kubepods/besteffort/pod0b8a5e1c-3f2d", false);
	refused("/kubepods/besteffort/pod" UID "/4f1d2c3b5a69", true);
	for (size_t len = 0; len < strlen(full); len++) {
		identity_parse_n(full, len, &id);
		assert_true(!id.pod_uid[0] || strlen(id.pod_uid) == 36);
		assert_true(!id.container_id[0] || strlen(id.container_id) == 64);
	}
	/* no NUL needed at len: the byte after is not read */
	assert_int_equal(identity_parse_n("/docker/" ID "Z", 8 + 64, &id), 0);
	assert_string_equal(id.container_id, ID);
}

static void odd_characters(void **state)
{
	struct identity id;

	(void)state;
	/* a newline, a quote, a UID in the other driver's spelling */
	refused("/kubepods/burstable/pod0b8a5e1c-3f2d-4c4e-9b7a-1d2e3f4a5b6\n/" ID, false);
	refused("/kubepods/burstable/pod0b8a5e1c-3f2d-4c4e-9b7a-1d2e3f4a5b6\"/" ID, false);
	refused("/kubepods/burstable/pod" UID_ "/" ID, false);
	refused("/kubepods.slice/kubepods-pod" UID ".slice/crio-" ID ".scope", false);
	refused("/kubepods/pod" UID "/" ID "\x1b[2J", true);
	/* not systemd's characters: not a unit */
	assert_int_equal(identity_parse("/system.slice/evil\n.service", &id), 0);
	assert_string_equal(id.unit, "");
	assert_int_equal(identity_parse("/system.slice/a b.scope", &id), 0);
	assert_string_equal(id.unit, "");
	/* a runtime's scope whose ID is no ID: a unit, no container */
	assert_int_equal(identity_parse("/system.slice/docker-notanid.scope", &id), 0);
	assert_string_equal(id.container_id, "");
	assert_string_equal(id.unit, "docker-notanid.scope");
	assert_int_equal(identity_parse("/docker/" ID "g", &id), 0);
	assert_string_equal(id.container_id, "");
}

static void too_long(void **state)
{
	static char path[20000];
	struct identity id;
	size_t o = 0;

	(void)state;
	while (o < 16000)
		o += (size_t)snprintf(path + o, sizeof(path) - o, "/a");
	snprintf(path + o, sizeof(path) - o, "/kubepods/pod" UID "/" ID);
	assert_int_equal(identity_parse(path, &id), 0);
	assert_string_equal(id.pod_uid, UID);
	assert_int_equal(id.qos, QOS_GUARANTEED);
	/* a unit name past systemd's 255 bytes is none */
	memset(path, 'u', 300);
	strcpy(path + 300, ".service");
	assert_int_equal(identity_parse(path, &id), 0);
	assert_string_equal(id.unit, "");
	memset(path, 'u', 247);
	strcpy(path + 247, ".service");
	assert_int_equal(identity_parse(path, &id), 0);
	assert_int_equal(strlen(id.unit), 255);
}

static void nothing_known(void **state)
{
	static const char *const paths[] = { "", "/", "///", "/kubepods", "/kubepods/burstable",
					     "/kubepods.slice/kubepods-besteffort.slice",
					     "/user.slice", "/docker", "pod" UID, "/besteffort/pod" UID };
	struct identity id;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(identity_parse(paths[i], &id), 0);
		assert_string_equal(id.pod_uid, "");
		assert_string_equal(id.container_id, "");
		assert_string_equal(id.unit, "");
		assert_int_equal(id.qos, QOS_NONE);
	}
}

/* the known fields only, in their order, under the names every output gives them */
static void fields_named_once(void **state)
{
	const char *keys[IDENTITY_FIELDS], *vals[IDENTITY_FIELDS];
	struct identity id;

	(void)state;
	memset(&id, 0, sizeof(id));
	assert_int_equal(identity_fields(&id, keys, vals), 0);
	assert_int_equal(identity_parse("/kubepods/burstable/pod" UID "/" ID, &id), 0);
	assert_int_equal(identity_fields(&id, keys, vals), 3);
	assert_string_equal(keys[0], "pod_uid");
	assert_string_equal(vals[0], UID);
	assert_string_equal(keys[1], "container_id");
	assert_string_equal(vals[1], ID);
	assert_string_equal(keys[2], "qos_class");
	assert_string_equal(vals[2], "burstable");
	assert_int_equal(identity_parse("/system.slice/cron.service", &id), 0);
	assert_int_equal(identity_fields(&id, keys, vals), 1);
	assert_string_equal(keys[0], "unit");
	assert_string_equal(vals[0], "cron.service");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixture_layouts),
		cmocka_unit_test(pod_without_uid),
		cmocka_unit_test(truncated),
		cmocka_unit_test(odd_characters),
		cmocka_unit_test(too_long),
		cmocka_unit_test(nothing_known),
		cmocka_unit_test(fields_named_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
