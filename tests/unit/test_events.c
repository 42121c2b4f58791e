/* test_events.c - the events socket (events.h): bounded subscribers, never waiting */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "events.h"

static char dir[48], path[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/oomreaper-test-events-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/run/events.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	char run[96];

	(void)state;
	unlink(path);
	snprintf(run, sizeof(run), "%s/run", dir);
	rmdir(run);
	rmdir(dir);
	return 0;
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void subscribers_bounded_and_never_waited_on(void **state)
{
	struct events e;
	char err[256], line[1024], buf[2048];
	int epfd = epoll_create1(EPOLL_CLOEXEC), fds[EVENTS_SUBSCRIBERS_MAX + 1];
	struct stat st;

	(void)state;
	assert_int_equal(events_open(&e, path, epfd, 5, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0666);
	for (int i = 0; i <= EVENTS_SUBSCRIBERS_MAX; i++)
		fds[i] = client();
	events_accept(&e);
	assert_int_equal(e.n, EVENTS_SUBSCRIBERS_MAX);
	assert_int_equal(e.refused, 1);
	/* the one refused is closed at once: it reads the end */
	assert_int_equal(read(fds[EVENTS_SUBSCRIBERS_MAX], buf, sizeof(buf)), 0);
	close(fds[EVENTS_SUBSCRIBERS_MAX]);
	/* one hangs up: a newcomer takes its place */
	close(fds[0]);
	fds[0] = client();
	events_accept(&e);
	assert_int_equal(e.n, EVENTS_SUBSCRIBERS_MAX);
	assert_int_equal(e.refused, 1);
	/* one line reaches everyone whole */
	events_send(&e, "{\"event\": \"kill\"}\n", 18);
	assert_int_equal(read(fds[3], buf, sizeof(buf)), 18);
	/* nobody reads from now on: sends never wait, and those that cannot take a line are
	 * let go (their buffers fill), until nobody is left */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	long long t0 = ms_now();

	for (int i = 0; i < 100000 && e.n; i++)
		events_send(&e, line, sizeof(line));
	assert_int_equal(e.n, 0);
	assert_int_equal(e.dropped, EVENTS_SUBSCRIBERS_MAX);
	assert_true(ms_now() - t0 < 5000);
	for (int i = 0; i < EVENTS_SUBSCRIBERS_MAX; i++)
		close(fds[i]);
	events_close(&e);
	assert_int_equal(access(path, F_OK), -1);
	close(epfd);
}

static void refuses_what_is_not_a_socket(void **state)
{
	struct events e;
	char err[256], run[96];
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	FILE *f;

	(void)state;
	snprintf(run, sizeof(run), "%s/run", dir);
	mkdir(run, 0755);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(events_open(&e, path, epfd, 5, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists and is not a socket"));
	unlink(path);
	/* an earlier run's socket is replaced */
	assert_int_equal(events_open(&e, path, epfd, 5, err, sizeof(err)), 0);
	close(e.listen_fd);
	e.listen_fd = -1;
	assert_int_equal(events_open(&e, path, epfd, 6, err, sizeof(err)), 0);
	events_close(&e);
	close(epfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(subscribers_bounded_and_never_waited_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(refuses_what_is_not_a_socket, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
