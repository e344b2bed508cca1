/* cachedir.c: finding, trusting, creating, reading, writing and sweeping the
 * cache directory (invariants in cachedir.h). */
#include "cachedir.h"
#include "flaw.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void ep_cachedir_init(struct cachedir *cd)
{
	cd->fd = -1;
	cd->euid = (uid_t)-1; /* asked for when a directory is opened: one syscall less per query */
}

void ep_cachedir_release(struct cachedir *cd)
{
	if (cd->fd >= 0)
		close(cd->fd);
	cd->fd = -1;
}

static int fail(const char **why, const char *what, int err)
{
	if (why)
		*why = what;
	return err;
}

static int join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s%s", a, b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ep_cachedir_base(const char *override, char *out, size_t size)
{
	const char *x;

	if (override && override[0])
		return join(out, size, override, "");
	/* secure_getenv: a set-uid caller must not be steered by the environment. */
	x = secure_getenv("XDG_CACHE_HOME");
	if (x && x[0] == '/') /* empty or relative: ignored, as the XDG spec says */
		return join(out, size, x, "");
	x = secure_getenv("HOME");
	if (x && x[0] == '/')
		return join(out, size, x, "/.cache");
	return -ENOENT;
}

/* What this program makes: owned by us, writable by nobody else. A group- or
 * world-writable directory lets another user swap our files for theirs. */
static int trust_dir(struct cachedir *cd, int fd, const char **why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail(why, "cache directory unreadable", -errno);
	if (!S_ISDIR(st.st_mode))
		return fail(why, "cache directory not a directory", -EPERM);
	if (st.st_uid != cd->euid)
		return fail(why, "cache directory not owned by you", -EPERM);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(why, "cache directory group or world writable", -EPERM);
	cd->fd = fd;
	return 0;
}

int ep_cachedir_open(struct cachedir *cd, const char *base, const char **why)
{
	char path[PATH_MAX];
	int fd, rc;

	ep_cachedir_release(cd);
	cd->euid = geteuid();
	if (join(path, sizeof(path), base, "/" CACHEDIR_NAME))
		return fail(why, "cache directory path too long", -ENAMETOOLONG);
	/* O_NOFOLLOW: a symbolic link planted as "epcache" is never followed. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return fail(why, "no cache directory yet", -ENOENT);
		if (errno == ELOOP || errno == ENOTDIR)
			return fail(why, "cache directory not trusted", -EPERM);
		return fail(why, "cache directory unreadable", -errno);
	}
	rc = trust_dir(cd, fd, why);
	if (rc)
		close(fd);
	return rc;
}

/* The privilege rule lives here: the owner of the base (or, while it does
 * not exist, of its parent) must be us before anything is created or
 * written, so that sudo leaves no root-owned file in a user's tree. Links
 * are followed: ~/.cache may well be one, and its target is what we check. */
static int open_owned(const struct cachedir *cd, const char *path, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return fail(why, "cannot create cache directory", -errno);
	if (fd < 0)
		return fail(why, "cannot open cache base directory", -errno);
	if (fstat(fd, &st) < 0 || st.st_uid != cd->euid) {
		close(fd);
		return fail(why, "cache directory not owned by you", -EPERM);
	}
	return fd;
}

/* mkdir then open one component below fd, which it replaces. Our own new
 * directory is 0700; one that appeared meanwhile must still be ours. */
static int descend(const struct cachedir *cd, int *fd, const char *name, const char **why)
{
	struct stat st;
	int nfd;

	if (mkdirat(*fd, name, 0700) < 0 && errno != EEXIST)
		return fail(why, "cannot create cache directory", -errno);
	nfd = openat(*fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		return fail(why, "cannot create cache directory", -errno);
	if (fstat(nfd, &st) < 0 || st.st_uid != cd->euid) {
		close(nfd);
		return fail(why, "cache directory not owned by you", -EPERM);
	}
	close(*fd);
	*fd = nfd;
	return 0;
}

/* Splits base into its parent directory and last component: the only
 * directory this program may create outside its own "epcache" is the base
 * itself. Its missing parents would lie outside the cache tree (I8 of
 * PROTOCOL.md), so a base whose parent is missing gets no cache. */
static int split_base(const char *base, char *parent, size_t size, const char **last)
{
	char *slash;
	size_t n;

	if (join(parent, size, base, ""))
		return -ENAMETOOLONG;
	n = strlen(parent);
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = '\0';
	slash = strrchr(parent, '/');
	if (!slash || !slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
		return -EINVAL;
	*last = base + (slash + 1 - parent);
	if (slash == parent)
		slash[1] = '\0'; /* the root */
	else
		*slash = '\0';
	return 0;
}

/* The base directory, opened and owned by us; created (mode 0700) when it is
 * missing and its parent is ours. */
static int open_base(const struct cachedir *cd, const char *base, const char **why)
{
	char parent[PATH_MAX], last[NAME_MAX + 1];
	const char *name;
	size_t n;
	int fd, rc;

	fd = open_owned(cd, base, why);
	if (fd >= 0 || fd != -ENOENT)
		return fd;
	rc = split_base(base, parent, sizeof(parent), &name);
	n = rc ? 0 : strcspn(name, "/");
	if (rc || n > NAME_MAX)
		return fail(why, "cannot create cache directory", rc ? rc : -ENAMETOOLONG);
	memcpy(last, name, n);
	last[n] = '\0';
	fd = open_owned(cd, parent, why);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return fail(why, "cannot create cache directory", fd);
	if (fd < 0)
		return fd;
	rc = descend(cd, &fd, last, why);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int ep_cachedir_create(struct cachedir *cd, const char *base, const char **why)
{
	int fd, rc;

	ep_cachedir_release(cd);
	cd->euid = geteuid();
	fd = open_base(cd, base, why);
	if (fd < 0)
		return fd;
	rc = descend(cd, &fd, CACHEDIR_NAME, why);
	if (!rc) {
		/* descend() checked the owner; the mode is checked like a reader would. */
		rc = trust_dir(cd, fd, why);
		if (!rc)
			return 0;
	}
	close(fd);
	return rc;
}

/* A cache file is used only when it is what we made. Anything else was put
 * there by someone else, or by accident, and is left alone. */
static int trust_file(uid_t euid, const struct stat *st, const char **why)
{
	if (!S_ISREG(st->st_mode))
		return fail(why, "cache file not a regular file", -EPERM);
	if (st->st_uid != euid)
		return fail(why, "cache file not owned by you", -EPERM);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return fail(why, "cache file group or world writable", -EPERM);
	/* We only ever rename a new file into place: a second link means the
	 * name is shared with a file we did not make ours. */
	if (st->st_nlink != 1)
		return fail(why, "cache file hard-linked", -EPERM);
	return 0;
}

/* The owner a cache file must have to be read: the effective uid this
 * process started with (the auxiliary vector: no system call). Together
 * with a successful O_NOATIME open it proves what st_uid == geteuid()
 * proves: without CAP_FOWNER the kernel opened it only for its owner, our
 * fsuid, so the file is ours; with CAP_FOWNER (root) the owner must still be
 * the uid we started as, root's own file. A process that changed its euid
 * since it started finds its files refused: it scans and answers right,
 * only uncached. */
static uid_t start_euid(void)
{
	return (uid_t)getauxval(AT_EUID);
}

static int read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = read(fd, buf + n, len - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EBADMSG; /* shorter than fstat said: cut while we read */
		n += (size_t)r;
	}
	return 0;
}

static int open_cache_file(const char *base, const char *name, const char **why)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/" CACHEDIR_NAME "/%s", base, name) >=
	    (int)sizeof(path))
		return fail(why, "cache directory path too long", -ENAMETOOLONG);
	/* O_NOFOLLOW: a planted link is not followed. O_NONBLOCK: a planted FIFO
	 * does not block the open (and fails the regular-file check). O_NOATIME:
	 * the kernel grants it only to the file's owner or to a process with
	 * CAP_FOWNER, which lets trust_file() check the owner without a
	 * geteuid() call on every hit (see start_euid()). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOATIME);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return fail(why, "no cache file", -ENOENT);
	if (errno == EPERM) /* O_NOATIME refused: someone else's file */
		return fail(why, "cache file not owned by you", -EPERM);
	if (errno == ELOOP)
		return fail(why, "cache file is a symbolic link", -EPERM);
	if (errno == ENXIO)
		return fail(why, "cache file not a regular file", -EPERM);
	return fail(why, "cache file unreadable", -errno);
}

int ep_cachedir_read(const char *base, const char *name, char **buf, size_t *len, struct stat *st,
		     const char **why)
{
	char *b = NULL;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	fd = open_cache_file(base, name, why);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		rc = fail(why, "cache file unreadable", -errno);
		goto out;
	}
	rc = trust_file(start_euid(), st, why);
	if (rc)
		goto out;
	if (st->st_size > (off_t)CACHEDIR_READ_MAX) {
		rc = fail(why, "damaged cache file", -EBADMSG);
		goto out;
	}
	b = malloc(st->st_size ? (size_t)st->st_size : 1);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	/* Exactly st_size bytes: files are never changed once renamed into
	 * place, so the size fstat saw is the file's. */
	rc = read_all(fd, b, (size_t)st->st_size);
	if (rc) {
		fail(why, rc == -EBADMSG ? "damaged cache file" : "cache file unreadable", rc);
		goto out;
	}
	*buf = b;
	*len = (size_t)st->st_size;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}

/* 64 random bits for a temporary's name. getrandom() is thread-safe and
 * needs no state; O_EXCL keeps a collision harmless if it ever falls back. */
static uint64_t random64(void)
{
	uint64_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)&ts;
	return ep_hash_xxh64(&r, sizeof(r), (uint64_t)getpid());
}

/* The directory of the temporary: the cache directory itself, so that the
 * rename stays on one filesystem and is atomic. */
static int tmp_dir(const struct cachedir *cd, struct cachedir_tmp *t)
{
	const char *tmp;

	t->dirfd = cd->fd;
	if (!FLAWED(FLAW_TMPDIR_COPY))
		return 0;
	/* flaw: the temporary goes to $TMPDIR, outside the cache tree, on what
	 * may be another filesystem. */
	tmp = secure_getenv("TMPDIR");
	t->dirfd = open(tmp && tmp[0] ? tmp : "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0)
		return -errno;
	t->own_dirfd = 1;
	return 0;
}

int ep_cachedir_tmp_open(const struct cachedir *cd, const char *final, struct cachedir_tmp *t)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->dirfd = -1;
	/* flaw (in-place-write): no temporary, the final file truncated in place */
	if (FLAWED(FLAW_IN_PLACE_WRITE)) {
		t->dirfd = cd->fd;
		t->fd = openat(cd->fd, final, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			       0600);
		return t->fd < 0 ? -errno : 0;
	}
	rc = tmp_dir(cd, t);
	if (rc)
		return rc;
	for (int tries = 0; tries < 4; tries++) {
		snprintf(t->name, sizeof(t->name), CACHEDIR_TMP_PREFIX "%s-%ld-%016llx", final,
			 (long)getpid(), (unsigned long long)random64());
		t->fd = openat(t->dirfd, t->name,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (t->fd >= 0) {
			t->made = 1;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	rc = -errno;
	ep_cachedir_tmp_abort(t);
	return rc;
}

void ep_cachedir_tmp_abort(struct cachedir_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->made)
		unlinkat(t->dirfd, t->name, 0);
	t->made = 0;
	if (t->own_dirfd)
		close(t->dirfd);
	t->own_dirfd = 0;
	t->dirfd = -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Renaming over `final` replaces the name, never what it named: a file
 * planted by another uid, a hard link to someone's file or a symbolic link
 * stays intact wherever else it lives, and our own (trusted) directory gets
 * a cache file it can trust again. Refusing would leave the cache broken
 * for good by whoever planted the thing. Only a directory at the name
 * cannot be replaced. */
static int final_replaceable(const struct cachedir *cd, const char *final, const char **why)
{
	struct stat st;

	if (fstatat(cd->fd, final, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(why, "cache file not ours", -errno);
	return S_ISDIR(st.st_mode) ? fail(why, "cache file not ours", -EISDIR) : 0;
}

static const char *write_reason(int err)
{
	switch (-err) {
	case ENOSPC:
	case EDQUOT:
		return "cache directory full";
	case EROFS:
		return "cache directory read-only";
	case EACCES:
	case EPERM:
		return "cache directory not writable";
	default:
		return "cache write failed";
	}
}

/* The tmpdir-copy flaw's fallback: the bytes copied over the final file in
 * place, torn for any reader in the meantime. */
static int copy_in_place(const struct cachedir *cd, const char *final, const void *buf, size_t len)
{
	int fd = openat(cd->fd, final, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -errno;
	rc = write_all(fd, buf, len);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

static int tmp_rename(const struct cachedir *cd, struct cachedir_tmp *t, const char *final,
		      const void *buf, size_t len)
{
	if (renameat(t->dirfd, t->name, cd->fd, final) == 0) {
		t->made = 0;
		return 0;
	}
	if (FLAWED(FLAW_TMPDIR_COPY) && errno == EXDEV) /* flaw: copied in place */
		return copy_in_place(cd, final, buf, len);
	return -errno;
}

int ep_cachedir_tmp_commit(const struct cachedir *cd, struct cachedir_tmp *t, const char *final,
			   const void *buf, size_t len, const char **why)
{
	int rc;

	/* No fsync: after a crash the checksum rejects a torn file, and a miss
	 * costs one scan; an fsync would cost every writer a disk flush. */
	rc = write_all(t->fd, buf, len);
	/* close() is where some filesystems (NFS) report a failed write. */
	if (close(t->fd) < 0 && !rc)
		rc = -errno;
	t->fd = -1;
	if (rc) {
		fail(why, write_reason(rc), rc);
		goto out;
	}
	if (FLAWED(FLAW_IN_PLACE_WRITE)) /* flaw: written in place; nothing to rename */
		goto out;
	rc = final_replaceable(cd, final, why);
	if (rc)
		goto out;
	rc = tmp_rename(cd, t, final, buf, len);
	if (rc)
		fail(why, write_reason(rc), rc);
out:
	if (FLAWED(FLAW_LEAK_TMP)) /* flaw: a failed write leaves its temporary behind */
		t->made = 0;
	ep_cachedir_tmp_abort(t);
	return rc;
}

static bool is_stale_tmp(const struct cachedir *cd, const char *name, int64_t now_ns)
{
	struct stat st;
	int64_t mtime;

	if (strncmp(name, CACHEDIR_TMP_PREFIX, strlen(CACHEDIR_TMP_PREFIX)))
		return false;
	if (fstatat(cd->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (!S_ISREG(st.st_mode) || st.st_uid != cd->euid)
		return false;
	mtime = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	/* A writer's temporary lives for milliseconds; one a minute old belongs to
	 * a process that crashed or was killed between create and rename. */
	return now_ns - mtime > CACHEDIR_TMP_STALE;
}

size_t ep_cachedir_sweep(const struct cachedir *cd, int64_t now_ns)
{
	size_t seen = 0, removed = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(cd->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	/* Bounded both ways, so a directory full of junk costs a writer little. */
	while (seen++ < CACHEDIR_SWEEP_SCAN && removed < CACHEDIR_SWEEP_LIMIT && (de = readdir(d)))
		if (is_stale_tmp(cd, de->d_name, now_ns) && unlinkat(cd->fd, de->d_name, 0) == 0)
			removed++;
	closedir(d);
	return removed;
}

int ep_cachedir_is_cache_name(const char *name)
{
	if (strncmp(name, "ep-", 3))
		return 0;
	for (int i = 3; i < 19; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return name[19] == '\0';
}

static bool ours_to_clear(const struct cachedir *cd, const char *name)
{
	struct stat st;

	if (!ep_cachedir_is_cache_name(name) && strcmp(name, CACHEDIR_LOCK_NAME) &&
	    strncmp(name, CACHEDIR_TMP_PREFIX, strlen(CACHEDIR_TMP_PREFIX)))
		return false;
	if (fstatat(cd->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return !S_ISDIR(st.st_mode) && st.st_uid == cd->euid;
}

int ep_cachedir_clear(const struct cachedir *cd, size_t *removed)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd, rc = 0;

	fd = openat(cd->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			rc = errno ? -errno : 0;
			break;
		}
		if (!ours_to_clear(cd, de->d_name))
			continue;
		if (unlinkat(cd->fd, de->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT && !rc)
			rc = -errno;
	}
	closedir(d);
	if (removed)
		*removed = n;
	return rc;
}
