/* readfile.h: the harness's one capped reader of whole files: scenario files,
 * entry_points.txt files the oracle parses, anything the filesystem under
 * test hands back. The filesystem is untrusted input, so every read has a
 * cap and fails cleanly past it.
 *
 * Invariants of struct readfile:
 *   - after a successful read, data holds len bytes and a NUL (the file may
 *     itself hold NUL bytes), data is never NULL, and len <= the cap;
 *   - after a failed read len is 0: nothing of the file is returned, not
 *     even a prefix. The allocation (alloc bytes) is kept either way, so one
 *     struct reused across many files allocates only when a file is larger
 *     than any before it;
 *   - the struct owns data until readfile_detach() hands it over or
 *     readfile_release() frees it.
 *
 * What is read:
 *   - only regular files unless opts.any_type: a FIFO, a socket, a device
 *     or a directory is refused with -EINVAL, and by path it is refused
 *     from an fstatat() before any open (opening a FIFO blocks, opening a
 *     device can have side effects); the open adds O_NONBLOCK so that a
 *     FIFO swapped in after that stat cannot block either, and the opened
 *     file is checked again. With any_type, a regular file past the cap is
 *     still refused from its st_size;
 *   - st_size is only a hint: /proc files say 0, and a file may grow while
 *     it is read; the cap is enforced on the bytes read (one byte past it
 *     is enough to know), and a regular file whose st_size is already past
 *     the cap is refused without reading it;
 *   - EINTR is retried; any other read error is returned. */
#ifndef CT_UTIL_READFILE_H
#define CT_UTIL_READFILE_H
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>

struct readfile {
	char *data;   /* owned; len bytes and a NUL after a successful read */
	size_t len;   /* 0 after a failed read */
	size_t alloc; /* bytes allocated, kept between reads */
};

#define READFILE_INIT                                                                              \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* The open(2) flags a caller may add: O_NOFOLLOW (a symlink is -ELOOP),
 * O_NONBLOCK (reading a FIFO or a terminal with no data is -EAGAIN),
 * O_NOATIME, O_NOCTTY. O_RDONLY | O_CLOEXEC | O_NOCTTY are always used. */
#define READFILE_OFLAGS (O_NOFOLLOW | O_NONBLOCK | O_NOATIME | O_NOCTTY)

struct readfile_opts {
	size_t cap;    /* most bytes accepted; more is -EFBIG. 0: only empty files */
	int oflags;    /* READFILE_OFLAGS bits; by path only */
	bool any_type; /* also FIFOs, sockets, devices: read until end of file */
};

void readfile_init(struct readfile *rf);

/* Reads path, relative to dirfd (AT_FDCWD, or a directory fd; an absolute
 * path ignores it), whole. Returns 0, or -EFBIG past the cap, -EINVAL for a
 * file that is not regular (without any_type) and for oflags outside
 * READFILE_OFLAGS, -ENOMEM, or the -errno of fstatat, open or read
 * (-ENOENT, -ELOOP with O_NOFOLLOW on a symlink, -EACCES, -EISDIR when
 * any_type lets a directory through, ...). */
int readfile_at(struct readfile *rf, int dirfd, const char *path, const struct readfile_opts *o);

/* Reads from fd (borrowed: left open, at its end of file) until end of
 * file. The same returns as readfile_at(); o->oflags is not used, and -EINVAL
 * for a non-regular fd comes from its fstat(). */
int readfile_fd(struct readfile *rf, int fd, const struct readfile_opts *o);

/* Hands data over (malloc'd, NUL-terminated, free() it) with its length in
 * *len when len is not NULL: the last successful read's bytes, "" after a
 * failed one, NULL when rf never allocated. rf is left empty, as after
 * init. */
char *readfile_detach(struct readfile *rf, size_t *len);

void readfile_release(struct readfile *rf);

#endif
