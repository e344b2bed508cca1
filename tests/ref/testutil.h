/* testutil.h: scratch directories, files, processes and a fake clock for the
 * reference's Check suites. Header-only (the Makefile builds one .c per
 * suite); every helper is static inline so a suite pays for what it uses.
 *
 * Every suite works in its own mkdtemp() directory under scratch_base(),
 * points HOME and XDG_CACHE_HOME into it, and removes it afterwards; nothing
 * touches the real user's home or caches. */
#ifndef EPCACHE_TESTUTIL_H
#define EPCACHE_TESTUTIL_H
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../scratchdir.h"

/* A skipped test passes (Check has no skip) and says why on stderr. */
#define TU_SKIP(...)                                                                               \
	do {                                                                                       \
		fprintf(stderr, "SKIP: %s: ", __func__);                                           \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		return;                                                                            \
	} while (0)

/* Every tu_fmt() string stays referenced from here, so a test may pass one
 * straight to a call without a variable to free: the leak checker sees it
 * as reachable. A test may still free() what it named. */
static char **tu_strings;
static size_t tu_nstrings;

static inline char *tu_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A new string (the test owns it); aborts the test on ENOMEM. */
static inline char *tu_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	if (!(tu_nstrings & (tu_nstrings + 1))) { /* grow at 0, 1, 3, 7, ... */
		tu_strings = realloc(tu_strings, (tu_nstrings * 2 + 2) * sizeof(*tu_strings));
		ck_assert_ptr_nonnull(tu_strings);
	}
	tu_strings[tu_nstrings++] = s;
	return s;
}

/* A fresh scratch directory; HOME and XDG_CACHE_HOME point into it. */
static inline char *tu_scratch(void)
{
	char *d = tu_fmt("%s/epcache-test-XXXXXX", scratch_base());

	ck_assert_ptr_nonnull(mkdtemp(d));
	setenv("HOME", tu_fmt("%s/home", d), 1);
	setenv("XDG_CACHE_HOME", tu_fmt("%s/home/.cache", d), 1);
	ck_assert_int_eq(mkdir(getenv("HOME"), 0700), 0);
	return d;
}

static inline int tu_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0; /* best effort: go on with the rest */
}

static inline int tu_chmod_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(p, (st->st_mode & 07777) | 0700);
	return 0;
}

/* rm -rf, also through directories made unreadable by a test. */
static inline void tu_rmrf(const char *d)
{
	if (!d)
		return;
	chmod(d, 0700);
	nftw(d, tu_chmod_one, 16, FTW_PHYS);
	nftw(d, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void tu_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static inline void tu_writes(const char *path, const char *s)
{
	tu_write(path, s, strlen(s));
}

static inline void tu_mkdir(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path,
		      strerror(errno));
}

/* root/dist/ with an entry_points.txt of content (NULL: none). */
static inline void tu_dist(const char *root, const char *dist, const char *content)
{
	char *d = tu_fmt("%s/%s", root, dist);

	tu_mkdir(d);
	if (content) {
		char *f = tu_fmt("%s/entry_points.txt", d);

		tu_writes(f, content);
		free(f);
	}
	free(d);
}

/* The whole file, NUL-terminated (*len without it); NULL when unreadable. */
static inline char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			b = realloc(b, cap);
			ck_assert_ptr_nonnull(b);
		}
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (!r)
			break;
	}
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

/* Entries of dir whose name starts with prefix ("" counts all but . and ..). */
static inline int tu_count(const char *dir, const char *prefix)
{
	char *cmd = tu_fmt("ls -A '%s' 2>/dev/null | grep -c '^%s'", dir, prefix);
	FILE *p = popen(cmd, "r");
	int n = 0;

	ck_assert_ptr_nonnull(p);
	if (fscanf(p, "%d", &n) != 1)
		n = 0;
	pclose(p);
	free(cmd);
	return n;
}

/* Runs a shell command line, returns its exit status (or -1). */
static inline int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int tu_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL;
	int st;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&cmd, fmt, ap), 0);
	va_end(ap);
	st = system(cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A clock the test moves by hand; thread-safe to read (set before threads). */
struct tu_clock {
	int64_t now_ns;
};

static inline int64_t tu_clock_read(void *ctx)
{
	return ((const struct tu_clock *)ctx)->now_ns;
}

static inline int64_t tu_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The path of the binary under test: $EPCACHE_BIN, else build/epcache. */
static inline const char *tu_bin(void)
{
	const char *b = getenv("EPCACHE_BIN");

	return b && *b ? b : "build/epcache";
}

/* A directory holding the fixtures: $EPCACHE_FIXTURES, else fixtures. */
static inline const char *tu_fixtures(void)
{
	const char *f = getenv("EPCACHE_FIXTURES");

	return f && *f ? f : "fixtures";
}

/* The whole content of fd (read from its start), NUL-terminated. */
static inline char *tu_slurp(int fd)
{
	size_t n = 0, cap = 4096;
	char *b = malloc(cap);
	ssize_t r;

	ck_assert_ptr_nonnull(b);
	while ((r = pread(fd, b + n, cap - n - 1, (off_t)n)) > 0) {
		n += (size_t)r;
		if (n + 1 == cap) {
			cap *= 2;
			b = realloc(b, cap);
			ck_assert_ptr_nonnull(b);
		}
	}
	b[n] = '\0';
	return b;
}

/* An anonymous scratch file: unlinked at once, so that nothing is left
 * behind even when the test is killed. */
static inline int tu_anon_file(void)
{
	const char *t = getenv("TMPDIR");
	int fd = open(t && t[0] == '/' ? t : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	ck_assert_msg(fd >= 0, "O_TMPFILE: %s", strerror(errno));
	return fd;
}

/* Output of a process: stdout into *out (NUL-terminated, owned by the test),
 * stderr into *err when err is not NULL. Returns the exit status, or 128+sig. */
static inline int tu_run(char *const argv[], char **out, char **err)
{
	int ofd = tu_anon_file(), efd = tu_anon_file();
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int n = open("/dev/null", O_RDONLY);

		dup2(n, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	*out = tu_slurp(ofd);
	if (err)
		*err = tu_slurp(efd);
	close(ofd);
	close(efd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline bool tu_is_root(void)
{
	return geteuid() == 0;
}

/* Mounts a tmpfs at dir with options; false (and a reason) when impossible. */
static inline bool tu_mount_tmpfs(const char *dir, const char *opts)
{
	return mount("tmpfs", dir, "tmpfs", 0, opts) == 0;
}

/* Unmounts, lazily if busy; safe to call when nothing is mounted. */
static inline void tu_umount(const char *dir)
{
	if (umount2(dir, 0) < 0 && errno == EBUSY)
		umount2(dir, MNT_DETACH);
}

/* Unmounts everything mounted at or below prefix (innermost first); for
 * teardowns that run in the parent, where nothing may fail. */
static inline void tu_umount_below(const char *prefix)
{
	size_t n = strlen(prefix);

	for (int round = 0; round < 8; round++) {
		char line[4096], dev[1024], mnt[2048], last[2048] = "";
		FILE *f = fopen("/proc/self/mounts", "r");

		if (!f)
			return;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%1023s %2047s", dev, mnt) == 2 &&
			    !strncmp(mnt, prefix, n))
				snprintf(last, sizeof(last), "%s", mnt);
		fclose(f);
		if (!last[0])
			return;
		umount2(last, MNT_DETACH);
	}
}

#endif
