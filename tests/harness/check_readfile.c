/* check_readfile.c: the capped reader on real files: by path and by dirfd,
 * reuse of one buffer, the cap at its edge (st_size, and bytes read from a
 * pipe that has no size), /proc files that claim size 0, every type refused
 * (a FIFO refused without being opened, seen by inotify), any_type,
 * O_NOFOLLOW, bad flags, open and read errors, EINTR retried, EAGAIN, a
 * realloc that really fails, and detach. */
#include "util/readfile.h"
#include "testutil.h"
#include "treeutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static const struct readfile_opts plain = {1 << 20, 0, false};

static void want_data(const struct readfile *rf, const char *data, size_t n)
{
	ck_assert_uint_eq(rf->len, n);
	ck_assert_ptr_nonnull(rf->data);
	ck_assert_mem_eq(rf->data, data, n);
	ck_assert_int_eq(rf->data[n], '\0');
}

static void want_nothing(const struct readfile *rf)
{
	ck_assert_uint_eq(rf->len, 0);
	if (rf->data)
		ck_assert_int_eq(rf->data[0], '\0');
}

START_TEST(test_read_and_reuse)
{
	struct readfile rf = READFILE_INIT;
	char dir[PATH_MAX], p[PATH_MAX], *big = malloc(300000);
	size_t alloc;
	int dfd;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < 300000; i++)
		big[i] = (char)(i * 7);
	test_dir(dir, "reuse");
	tree_put(dir, "small", "a\0b\n", 4);
	tree_put(dir, "big", big, 300000);
	tree_put(dir, "empty", "", 0);
	pathf(p, "%s/small", dir);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), 0);
	want_data(&rf, "a\0b\n", 4);
	/* Relative to a directory fd; the larger file grows the buffer... */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(readfile_at(&rf, dfd, "big", &plain), 0);
	want_data(&rf, big, 300000);
	alloc = rf.alloc;
	/* ...which the smaller ones then reuse. */
	ck_assert_int_eq(readfile_at(&rf, dfd, "small", &plain), 0);
	want_data(&rf, "a\0b\n", 4);
	ck_assert_int_eq(readfile_at(&rf, dfd, "empty", &plain), 0);
	want_data(&rf, "", 0);
	ck_assert_uint_eq(rf.alloc, alloc);
	/* An absolute path ignores the dirfd. */
	ck_assert_int_eq(readfile_at(&rf, dfd, p, &plain), 0);
	want_data(&rf, "a\0b\n", 4);
	close(dfd);
	readfile_release(&rf);
	ck_assert_ptr_null(rf.data);
	ck_assert_uint_eq(rf.alloc, 0);
	free(big);
}
END_TEST

START_TEST(test_cap_edge)
{
	struct readfile rf;
	struct readfile_opts o = {10, 0, false};
	char dir[PATH_MAX];
	int dfd;

	readfile_init(&rf);
	test_dir(dir, "cap");
	tree_put(dir, "ten", "0123456789", 10);
	tree_put(dir, "eleven", "0123456789A", 11);
	tree_put(dir, "empty", "", 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(readfile_at(&rf, dfd, "ten", &o), 0);
	want_data(&rf, "0123456789", 10);
	/* One byte past: refused whole, not cut. */
	ck_assert_int_eq(readfile_at(&rf, dfd, "eleven", &o), -EFBIG);
	want_nothing(&rf);
	/* any_type: a regular file is still judged by its size. */
	o.any_type = true;
	ck_assert_int_eq(readfile_at(&rf, dfd, "eleven", &o), -EFBIG);
	want_nothing(&rf);
	/* Cap 0: empty files only. */
	o.cap = 0;
	o.any_type = false;
	ck_assert_int_eq(readfile_at(&rf, dfd, "empty", &o), 0);
	want_data(&rf, "", 0);
	ck_assert_int_eq(readfile_at(&rf, dfd, "ten", &o), -EFBIG);
	close(dfd);
	readfile_release(&rf);
}
END_TEST

/* A pipe holding n bytes of 'p', its write end closed: a file with no size,
 * so only the bytes read can tell it passes the cap. */
static int filled_pipe(size_t n)
{
	char buf[4096];
	int fds[2];

	ck_assert(n <= 60000);
	ck_assert(pipe2(fds, O_CLOEXEC) == 0);
	memset(buf, 'p', sizeof(buf));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);

		ck_assert(write(fds[1], buf, k) == (ssize_t)k);
		done += k;
	}
	close(fds[1]);
	return fds[0];
}

START_TEST(test_cap_on_a_pipe)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts o = {50000, 0, true};
	int fd;

	fd = filled_pipe(50000);
	ck_assert_int_eq(readfile_fd(&rf, fd, &o), 0);
	ck_assert_uint_eq(rf.len, 50000);
	ck_assert_int_eq(rf.data[49999], 'p');
	ck_assert_int_eq(rf.data[50000], '\0');
	close(fd);
	fd = filled_pipe(50001);
	ck_assert_int_eq(readfile_fd(&rf, fd, &o), -EFBIG);
	want_nothing(&rf);
	close(fd);
	/* Without any_type a pipe is refused. */
	fd = filled_pipe(10);
	o.any_type = false;
	ck_assert_int_eq(readfile_fd(&rf, fd, &o), -EINVAL);
	want_nothing(&rf);
	close(fd);
	readfile_release(&rf);
}
END_TEST

START_TEST(test_proc_file)
{
	struct readfile rf = READFILE_INIT;
	struct stat st;

	/* A regular file whose st_size is 0 and whose content is not. */
	ck_assert(stat("/proc/self/status", &st) == 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, "/proc/self/status", &plain), 0);
	ck_assert_uint_gt(rf.len, 100);
	ck_assert(!strncmp(rf.data, "Name:", 5));
	ck_assert_uint_eq(strlen(rf.data), rf.len);
	readfile_release(&rf);
}
END_TEST

/* Whether an IN_OPEN came for the watched file since the last call. */
static bool opened_since(int ifd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(ifd, buf, sizeof(buf));

	return n > 0;
}

START_TEST(test_types_refused)
{
	struct readfile rf = READFILE_INIT;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[PATH_MAX], p[PATH_MAX];
	int ifd, sfd, fd;

	test_dir(dir, "types");
	pathf(p, "%s/fifo", dir);
	ck_assert(mkfifo(p, 0644) == 0);
	/* inotify sees every open of the FIFO: first show that it does. */
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert_int_ge(ifd, 0);
	ck_assert_int_ge(inotify_add_watch(ifd, p, IN_OPEN), 0);
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(opened_since(ifd));
	/* Refused from its stat: never opened (a blocking open would hang). */
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), -EINVAL);
	ck_assert(!opened_since(ifd));
	close(ifd);

	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, dir, &plain), -EINVAL);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, "/dev/null", &plain), -EINVAL);
	pathf(p, "%s/sock", dir);
	ck_assert_uint_lt(strlen(p), sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sfd, 0);
	ck_assert(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), -EINVAL);
	close(sfd);
	want_nothing(&rf);
	readfile_release(&rf);
}
END_TEST

START_TEST(test_any_type)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts o = {100, 0, true};
	char dir[PATH_MAX], p[PATH_MAX];
	pid_t pid;

	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, "/dev/null", &o), 0);
	want_data(&rf, "", 0);
	test_dir(dir, "any");
	/* A directory is let through, and its read says what it is. */
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, dir, &o), -EISDIR);
	want_nothing(&rf);
	/* A FIFO with a writer: read to its end. */
	pathf(p, "%s/fifo", dir);
	ck_assert(mkfifo(p, 0644) == 0);
	pid = fork();
	if (pid == 0) {
		int fd = open(p, O_WRONLY | O_CLOEXEC);

		_exit(fd >= 0 && write(fd, "via fifo", 8) == 8 ? 0 : 1);
	}
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &o), 0);
	want_data(&rf, "via fifo", 8);
	ck_assert_int_eq(ft_wait(pid), 0);
	readfile_release(&rf);
}
END_TEST

START_TEST(test_nofollow_and_flags)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts o = {100, O_NOFOLLOW, false};
	char dir[PATH_MAX];
	int dfd;

	test_dir(dir, "nofollow");
	tree_put(dir, "target", "t", 1);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	ck_assert(symlinkat("target", dfd, "link") == 0);
	/* Followed by default... */
	ck_assert_int_eq(readfile_at(&rf, dfd, "link", &plain), 0);
	want_data(&rf, "t", 1);
	/* ...refused with O_NOFOLLOW, from the stat and from the open. */
	ck_assert_int_eq(readfile_at(&rf, dfd, "link", &o), -ELOOP);
	want_nothing(&rf);
	o.any_type = true;
	ck_assert_int_eq(readfile_at(&rf, dfd, "link", &o), -ELOOP);
	/* The flags a caller may add work; others are a caller's bug. */
	o.oflags = O_NOFOLLOW | O_NONBLOCK | O_NOATIME | O_NOCTTY;
	ck_assert_int_eq(readfile_at(&rf, dfd, "target", &o), 0);
	want_data(&rf, "t", 1);
	o.oflags = O_WRONLY;
	ck_assert_int_eq(readfile_at(&rf, dfd, "target", &o), -EINVAL);
	o.oflags = O_CREAT;
	ck_assert_int_eq(readfile_at(&rf, dfd, "new", &o), -EINVAL);
	ck_assert(faccessat(dfd, "new", F_OK, 0) < 0);
	close(dfd);
	readfile_release(&rf);
}
END_TEST

START_TEST(test_open_errors)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts any = {100, 0, true};
	char dir[PATH_MAX], p[PATH_MAX];
	int fd;

	test_dir(dir, "errors");
	tree_put(dir, "file", "f", 1);
	pathf(p, "%s/absent", dir);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), -ENOENT);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &any), -ENOENT);
	pathf(p, "%s/file/x", dir);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), -ENOTDIR);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, "relative", &plain), -ENOENT);
	ck_assert_int_eq(readfile_at(&rf, 9999, "relative", &plain), -EBADF);
	/* By fd: a closed one, and a directory's read error. */
	ck_assert_int_eq(readfile_fd(&rf, 9999, &plain), -EBADF);
	want_nothing(&rf);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(readfile_fd(&rf, fd, &plain), -EINVAL);
	ck_assert_int_eq(readfile_fd(&rf, fd, &any), -EISDIR);
	want_nothing(&rf);
	close(fd);
	readfile_release(&rf);
}
END_TEST

/* As uid 65534, a file only root may read. */
static int denied(void *arg)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts any = {100, 0, true};
	int rc = readfile_at(&rf, AT_FDCWD, arg, &plain);

	if (rc != -EACCES || rf.len)
		return 1;
	if (readfile_at(&rf, AT_FDCWD, arg, &any) != -EACCES)
		return 2;
	readfile_release(&rf);
	return 0;
}

START_TEST(test_eacces)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	test_dir(dir, "eacces");
	tree_put(dir, "secret", "s", 1);
	pathf(p, "%s/secret", dir);
	ck_assert(chmod(p, 0600) == 0);
	rc = ft_as_nobody(denied, p);
	if (ft_skipped(rc, "check_readfile", "eacces"))
		return;
	ck_assert_msg(rc == 0, "as uid %d: case %d failed", FT_NOBODY, rc);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

START_TEST(test_eintr_retried)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts any = {100, 0, true};
	struct sigaction sa;
	struct itimerval it = {{0, 20000}, {0, 20000}};
	int fds[2];
	pid_t pid;

	/* No SA_RESTART: the blocked read really returns EINTR, every 20 ms,
	 * until the writer speaks after 300 ms. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert(sigaction(SIGALRM, &sa, NULL) == 0);
	ck_assert(pipe2(fds, O_CLOEXEC) == 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		usleep(300000);
		_exit(write(fds[1], "late", 4) == 4 ? 0 : 1);
	}
	close(fds[1]);
	ck_assert(setitimer(ITIMER_REAL, &it, NULL) == 0);
	ck_assert_int_eq(readfile_fd(&rf, fds[0], &any), 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	want_data(&rf, "late", 4);
	ck_assert_int_gt(alarms, 0);
	ck_assert_int_eq(ft_wait(pid), 0);
	close(fds[0]);
	readfile_release(&rf);
}
END_TEST

START_TEST(test_eagain)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts o = {100, O_NONBLOCK, true};
	char dir[PATH_MAX], p[PATH_MAX];
	int keep;

	/* A FIFO with a writer (ours) and nothing written: with O_NONBLOCK
	 * the read cannot wait, and says so. */
	test_dir(dir, "eagain");
	pathf(p, "%s/fifo", dir);
	ck_assert(mkfifo(p, 0644) == 0);
	keep = open(p, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(keep, 0);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &o), -EAGAIN);
	want_nothing(&rf);
	close(keep);
	readfile_release(&rf);
}
END_TEST

/* A sparse 300 MiB file read in 100 MiB of headroom: the buffer for its
 * size cannot be had, and the read says so rather than returning part. */
static int enomem_read(void *arg)
{
	struct readfile rf = READFILE_INIT;
	struct readfile_opts o = {(size_t)1 << 30, 0, false};

	if (readfile_at(&rf, AT_FDCWD, arg, &o) != -ENOMEM || rf.len)
		return 1;
	readfile_release(&rf);
	return 0;
}

START_TEST(test_real_enomem)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int fd, rc;

	test_dir(dir, "enomem");
	pathf(p, "%s/sparse", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert(ftruncate(fd, (off_t)300 << 20) == 0);
	close(fd);
	rc = ft_with_memory(enomem_read, p, (size_t)100 << 20);
	if (ft_skipped(rc, "check_readfile", "real_enomem"))
		return;
	ck_assert_msg(rc == 0, "enomem_read: child status %d", rc);
}
END_TEST

START_TEST(test_detach)
{
	struct readfile rf = READFILE_INIT;
	char dir[PATH_MAX], p[PATH_MAX], *s;
	size_t len = 99;

	/* Never read: NULL. */
	ck_assert_ptr_null(readfile_detach(&rf, &len));
	ck_assert_uint_eq(len, 0);
	test_dir(dir, "detach");
	tree_put(dir, "f", "content", 7);
	pathf(p, "%s/f", dir);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), 0);
	s = readfile_detach(&rf, &len);
	ck_assert_str_eq(s, "content");
	ck_assert_uint_eq(len, 7);
	ck_assert_ptr_null(rf.data);
	ck_assert_uint_eq(rf.alloc, 0);
	free(s);
	/* After a failed read: "", nothing of the file. */
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), 0);
	pathf(p, "%s/absent", dir);
	ck_assert_int_eq(readfile_at(&rf, AT_FDCWD, p, &plain), -ENOENT);
	s = readfile_detach(&rf, NULL);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

static Suite *readfile_suite(void)
{
	Suite *s = suite_create("readfile");
	TCase *tc = tcase_create("readfile");

	/* A FIFO opened by mistake would hang: show it as a timeout. */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_read_and_reuse);
	tcase_add_test(tc, test_cap_edge);
	tcase_add_test(tc, test_cap_on_a_pipe);
	tcase_add_test(tc, test_proc_file);
	tcase_add_test(tc, test_types_refused);
	tcase_add_test(tc, test_any_type);
	tcase_add_test(tc, test_nofollow_and_flags);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_eacces);
	tcase_add_test(tc, test_eintr_retried);
	tcase_add_test(tc, test_eagain);
	tcase_add_test(tc, test_real_enomem);
	tcase_add_test(tc, test_detach);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_readfile", 1) < 0)
		return 2;
	return tu_run(readfile_suite(), "check_readfile");
}
