/* readfile.c: whole-file reads with a cap, a type check that never opens
 * what it refuses, and no partial result on failure. */
#include "util/readfile.h"
#include "util/grow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first allocation when the size is unknown (a pipe, a /proc file). */
#define READFILE_START 4096
/* Most bytes asked of one read(2): a count past SSIZE_MAX is undefined. */
#define READFILE_CHUNK ((size_t)1 << 30)

void readfile_init(struct readfile *rf)
{
	rf->data = NULL;
	rf->len = rf->alloc = 0;
}

/* Refusals that need no read: a type that was not asked for, a regular
 * file already longer than the cap. */
static int check_stat(const struct stat *st, const struct readfile_opts *o)
{
	if (!S_ISREG(st->st_mode))
		return o->any_type ? 0 : -EINVAL;
	if ((uintmax_t)st->st_size > o->cap)
		return -EFBIG;
	return 0;
}

/* Room for at least one more byte and the NUL. The first allocation is
 * the expected size plus the byte that tells a full file from a longer
 * one plus the NUL, so a file of known size is read in one call. */
static int make_room(struct readfile *rf, size_t hint)
{
	void *p = rf->data;
	size_t need = rf->len + 2;
	int rc;

	if (rf->alloc >= need)
		return 0;
	if (rf->alloc == 0)
		need = grow_need(hint ? hint : READFILE_START, 2);
	rc = grow_array(&p, &rf->alloc, need, 1);
	rf->data = p;
	return rc;
}

/* Reads fd to its end into rf, failing past cap. hint is the size the
 * file claims, already known to be within the cap. */
static int read_all(struct readfile *rf, int fd, size_t hint, size_t cap)
{
	for (;;) {
		size_t room, left = grow_need(cap, 1) - rf->len;
		ssize_t r;
		int rc = make_room(rf, hint);

		if (rc)
			return rc;
		room = rf->alloc - rf->len - 1;
		/* Never more than one byte past the cap: that byte decides. */
		if (room > left)
			room = left;
		r = read(fd, rf->data + rf->len, room < READFILE_CHUNK ? room : READFILE_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		rf->len += (size_t)r;
		if (rf->len > cap)
			return -EFBIG;
	}
	rf->data[rf->len] = '\0';
	return 0;
}

/* A failed read returns nothing, not even a prefix of the file. */
static int failed(struct readfile *rf, int rc)
{
	rf->len = 0;
	if (rf->data)
		rf->data[0] = '\0';
	return rc;
}

int readfile_fd(struct readfile *rf, int fd, const struct readfile_opts *o)
{
	struct stat st;
	int rc;

	rf->len = 0;
	if (fstat(fd, &st) < 0)
		return failed(rf, -errno);
	rc = check_stat(&st, o);
	if (rc == 0)
		rc = read_all(rf, fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, o->cap);
	return rc ? failed(rf, rc) : 0;
}

int readfile_at(struct readfile *rf, int dirfd, const char *path, const struct readfile_opts *o)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | o->oflags, fd, rc;
	struct stat st;

	if (o->oflags & ~READFILE_OFLAGS)
		return failed(rf, -EINVAL);
	if (!o->any_type) {
		/* stat before open: what is refused is never opened. */
		if (fstatat(dirfd, path, &st, o->oflags & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0) < 0)
			return failed(rf, -errno);
		if (S_ISLNK(st.st_mode))
			return failed(rf, -ELOOP); /* what the open with O_NOFOLLOW would say */
		rc = check_stat(&st, o);
		if (rc)
			return failed(rf, rc);
		flags |= O_NONBLOCK; /* a FIFO swapped in since then */
	}
	fd = openat(dirfd, path, flags);
	if (fd < 0)
		return failed(rf, -errno);
	/* readfile_fd's fstat checks again what was opened. */
	rc = readfile_fd(rf, fd, o);
	close(fd);
	return rc;
}

char *readfile_detach(struct readfile *rf, size_t *len)
{
	char *s = rf->data;

	if (len)
		*len = rf->len;
	readfile_init(rf);
	return s;
}

void readfile_release(struct readfile *rf)
{
	free(rf->data);
	readfile_init(rf);
}
