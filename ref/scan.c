/* scan.c: listing a path entry and parsing its distributions' entry points. */
#include "scan.h"
#include "linebuf.h"
#include "parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define EP_FILE "entry_points.txt"

void ep_scan_result_init(struct scan_result *r)
{
	r->text = NULL;
	r->len = 0;
	r->count = 0;
	ep_deep_list_init(&r->deep);
	r->raced = false;
}

void ep_scan_result_release(struct scan_result *r)
{
	free(r->text);
	ep_deep_list_release(&r->deep);
	ep_scan_result_init(r);
}

static bool has_suffix(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !strncasecmp(name + len - n, suffix, n);
}

bool ep_scan_is_candidate(const char *name, size_t len)
{
	/* TAB, LF and CR would break the answer's line format (D is a field). */
	if (memchr(name, '\t', len) || memchr(name, '\n', len) || memchr(name, '\r', len))
		return false;
	return has_suffix(name, len, ".dist-info") || has_suffix(name, len, ".egg-info");
}

/* What one scan carries from file to file. */
struct scan_state {
	int dirfd;
	unsigned flags;
	struct linebuf lines;
	char *buf; /* file contents, reused */
	size_t cap;
	const char *dist; /* the candidate being read */
	size_t dist_len;
	struct deep_list seen; /* per candidate: entry_points.txt as read (ep fields) */
	bool raced;
};

static bool is_real_error(int err)
{
	return err == ENOMEM || err == EMFILE || err == ENFILE;
}

/* The second look and what it needs: when the caller asks for it, and
 * always at the strict level, whose deep records are its stats. */
static bool rechecks(const struct scan_state *s)
{
	return s->flags & (SCAN_RECHECK | SCAN_DEEP);
}

/* Reads the whole regular file at fd, at most SCAN_FILE_MAX bytes, after
 * taking its stamp. 0 with the bytes in s->buf, 1 when the file does not
 * count (not regular, too big, unreadable), or -ENOMEM. */
static int read_file(struct scan_state *s, int fd, size_t *len, struct stamp *stamp)
{
	struct stat st;
	size_t n = 0;

	if (fstat(fd, &st) < 0)
		return 1;
	ep_stamp_from_stat(stamp, &st);
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SCAN_FILE_MAX)
		return 1;
	for (;;) {
		size_t asked;
		ssize_t r;

		/* Room for more than the size fstat gave, so that the first read
		 * can come back short (below). */
		if (n == s->cap || s->cap <= (size_t)st.st_size) {
			size_t ncap =
			    s->cap > (size_t)st.st_size ? s->cap * 2 : (size_t)st.st_size + 4096;
			char *nb;

			if (s->cap >= SCAN_FILE_MAX + 1)
				return 1; /* grew past the cap while we read */
			if (ncap > SCAN_FILE_MAX + 1)
				ncap = SCAN_FILE_MAX + 1;
			nb = realloc(s->buf, ncap);
			if (!nb)
				return -ENOMEM;
			s->buf = nb;
			s->cap = ncap;
		}
		asked = s->cap - n;
		r = read(fd, s->buf + n, asked);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 1;
		if (r == 0)
			break;
		n += (size_t)r;
		/* A read of a regular file comes back short only at its end
		 * (POSIX read(2)); short, with exactly the size fstat gave,
		 * the file is whole and the read of its end can be saved. A
		 * file that reports another size (procfs, sysfs, a file
		 * growing or shrinking) is read until read() returns 0. */
		if ((size_t)r < asked && n == (size_t)st.st_size)
			break;
	}
	if (n > SCAN_FILE_MAX)
		return 1;
	*len = n;
	return 0;
}

static int add_entry(void *ctx, const struct parse_entry *e)
{
	struct scan_state *s = ctx;
	const char *f[4] = {s->dist, e->group, e->name, e->value};
	size_t l[4] = {s->dist_len, e->group_len, e->name_len, e->value_len};

	return ep_linebuf_add(&s->lines, 4, f, l);
}

/* The open of name/entry_points.txt failed with ENOENT or ENOTDIR: either the
 * candidate is not a directory (or a broken link: it contributes nothing) or
 * the name listed a moment ago is gone, which means the listing is out of
 * date and the scan must be redone. */
static void classify_missing(struct scan_state *s, const char *name)
{
	struct stat st;

	if (fstatat(s->dirfd, name, &st, 0) == 0)
		return;
	if (errno != ENOENT && errno != ENOTDIR)
		return;
	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return; /* a link pointing nowhere */
	if (errno == ENOENT || errno == ENOTDIR)
		s->raced = true;
}

/* What the open of name/entry_points.txt found when it failed: nothing there
 * (ENOENT, ENOTDIR), or a file this process may not read, whose stamp is
 * remembered like a readable file's. */
static void seen_failed(struct scan_state *s, const char *path, int err, struct deep_record *r)
{
	struct stat st;

	if (err != ENOENT && err != ENOTDIR && fstatat(s->dirfd, path, &st, 0) == 0) {
		r->ep_ok = true;
		ep_stamp_from_stat(&r->ep, &st);
	}
}

static int read_candidate(struct scan_state *s, const char *name, size_t name_len)
{
	char path[DEEP_NAME_MAX + sizeof("/" EP_FILE)];
	struct deep_record seen = {.name = name, .name_len = name_len};
	size_t len;
	int fd, rc;

	if (name_len > DEEP_NAME_MAX)
		return 0;
	memcpy(path, name, name_len);
	memcpy(path + name_len, "/" EP_FILE, sizeof("/" EP_FILE));
	/* O_NONBLOCK: a FIFO planted as entry_points.txt must not hang the scan
	 * (and is no regular file, so it counts as absent). */
	fd = openat(s->dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int err = errno;

		if (is_real_error(err))
			return -err;
		/* Without the second look nothing is recorded, and a listed name
		 * that vanished since moved the path entry's own stamp, which the
		 * caller compares before and after the scan (DESIGN.md 3). */
		if (!rechecks(s))
			return 0;
		if (err == ENOENT || err == ENOTDIR)
			classify_missing(s, name);
		seen_failed(s, path, err, &seen);
		return ep_deep_list_add(&s->seen, &seen);
	}
	seen.ep_ok = true;
	rc = read_file(s, fd, &len, &seen.ep);
	close(fd);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		s->dist = name;
		s->dist_len = name_len;
		rc = ep_parse_entry_points(s->buf, len, add_entry, s);
	} else {
		rc = 0; /* not a file that counts; its stamp is still checked */
	}
	if (rc || !rechecks(s))
		return rc;
	return ep_deep_list_add(&s->seen, &seen);
}

/* The second look, after every file was read: each entry_points.txt must
 * still have the stamp it had when it was read (taken by fstat before the
 * read), or still be absent. Then each file was unchanged from its read to
 * this check, so at the instant between the last read and the first check
 * every file was as read: the view is that instant's, not a mix of states
 * (a change inside one distribution moves no stamp of the path entry).
 * At the strict level the same stats are the deep records: taken after the
 * reads, a change during the scan shows as a ctime the guard refuses to
 * cache (DESIGN.md, "deep records"). */
static int verify(struct scan_state *s, struct scan_result *out)
{
	struct deep_record was, now;
	size_t pos = 0;
	int rc;

	while (ep_deep_next(s->seen.buf, s->seen.len, &pos, &was) == 1) {
		char name[DEEP_NAME_MAX + 1];

		memcpy(name, was.name, was.name_len);
		name[was.name_len] = '\0';
		rc = ep_deep_take(s->dirfd, name, was.name_len, &now, !(s->flags & SCAN_DEEP));
		if (rc)
			return rc;
		if (now.ep_ok != was.ep_ok || (now.ep_ok && !ep_stamp_equal(&now.ep, &was.ep))) {
			s->raced = true;
			return 0;
		}
		if (s->flags & SCAN_DEEP) {
			rc = ep_deep_list_add(&out->deep, &now);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int list_dir(struct scan_state *s)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	/* A descriptor of our own: readdir moves the offset of the one it reads. */
	fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return is_real_error(errno) ? -errno : 0;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		size_t len;

		errno = 0;
		de = readdir(d);
		if (!de) {
			/* ENOENT: the directory was removed under us; a race. */
			if (errno == ENOENT)
				s->raced = true;
			else if (errno)
				rc = -errno;
			break;
		}
		len = strlen(de->d_name);
		if (!ep_scan_is_candidate(de->d_name, len))
			continue;
		rc = read_candidate(s, de->d_name, len);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

int ep_scan_dir(int dirfd, unsigned flags, struct scan_result *out)
{
	struct scan_state s = {.dirfd = dirfd, .flags = flags};
	int rc;

	ep_scan_result_release(out);
	ep_linebuf_init(&s.lines);
	ep_deep_list_init(&s.seen);
	rc = list_dir(&s);
	if (!rc && !s.raced && rechecks(&s))
		rc = verify(&s, out);
	if (!rc)
		rc = ep_linebuf_finish(&s.lines, &out->text, &out->len, &out->count);
	out->raced = s.raced;
	ep_linebuf_release(&s.lines);
	ep_deep_list_release(&s.seen);
	free(s.buf);
	if (rc)
		ep_scan_result_release(out);
	return rc;
}
