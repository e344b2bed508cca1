/* treeutil.h: building small real trees for the util suites: directories
 * with an exact mode, files, symlinks, chains of directories, and handing
 * a tree to uid 65534. Header-only; needs testutil.h (pathf) first. Every
 * helper fails the test when the filesystem says no. */
#ifndef CT_TREEUTIL_H
#define CT_TREEUTIL_H
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forktest.h"

/* dir/rel, a directory of exactly mode (mkdir's goes through the umask). */
static inline void tree_mkdir(const char *dir, const char *rel, mode_t mode)
{
	char p[PATH_MAX];

	pathf(p, "%s/%s", dir, rel);
	ck_assert_msg(mkdir(p, mode) == 0, "mkdir %s: %s", p, strerror(errno));
	ck_assert(chmod(p, mode) == 0);
}

/* dir/rel, a file of mode 0644 holding n bytes of data. */
static inline void tree_put(const char *dir, const char *rel, const void *data, size_t n)
{
	char p[PATH_MAX];
	int fd;

	pathf(p, "%s/%s", dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
	ck_assert(write(fd, data, n) == (ssize_t)n);
	ck_assert(close(fd) == 0);
}

static inline void tree_symlink(const char *dir, const char *rel, const char *target)
{
	char p[PATH_MAX];

	pathf(p, "%s/%s", dir, rel);
	ck_assert_msg(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

/* Whether dir/rel exists (not following a symlink). */
static inline bool tree_exists(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

/* A chain dir/d/d/... of n directories, a file f in each. */
static inline void tree_chain(const char *dir, int n)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < n; i++) {
		int f = openat(fd, "f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), nfd;

		ck_assert_int_ge(f, 0);
		close(f);
		ck_assert(mkdirat(fd, "d", 0755) == 0);
		nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_ge(nfd, 0);
		close(fd);
		fd = nfd;
	}
	close(fd);
}

/* Everything at and below path (symlinks themselves) to uid 65534. */
static inline void tree_give_to_nobody(const char *path)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "chown -hR %d:%d '%s'", FT_NOBODY, FT_NOBODY, path);
	ck_assert_int_eq(system(cmd), 0);
}

#endif
