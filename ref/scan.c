/* scan.c: listing a path entry and parsing its distributions' entry points,
 * in rounds that keep what earlier rounds read (DESIGN.md section 3). */
#include "scan.h"
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

/* One listed candidate and what is known of it. */
struct scan_cand {
	const char *name; /* NUL-terminated, in scan.names (set once the listing is whole) */
	size_t name_off;  /* where the name is while the listing grows */
	size_t name_len;
	size_t first, nlines; /* its lines in scan.lines */
	struct stamp ep;      /* entry_points.txt as read: fstat before the read (ep_ok) */
	struct stamp dir;     /* the candidate itself at its last look (dir_seen, dir_ok) */
	bool read;	      /* looked at: ep and the lines are recorded */
	bool kept;	      /* read by an earlier round, carried into this listing */
	bool ep_ok;	      /* entry_points.txt was there, readable or not */
	bool dir_seen;	      /* the candidate itself was looked at since it was read */
	bool dir_ok;	      /* ... and could be stat'ed */
	bool tied;	      /* entry_points.txt was seen as read after a look at dir */
	bool settled;	      /* what was read was settled by the clock of its round */
};

/* A listing being made. */
struct listing {
	struct scan_cand *cands;
	size_t n, cap;
	char *names;
	size_t len, names_cap;
};

void ep_scan_init(struct scan *s)
{
	memset(s, 0, sizeof(*s));
	ep_linebuf_init(&s->lines);
	ep_deep_list_init(&s->deep);
}

void ep_scan_release(struct scan *s)
{
	ep_linebuf_release(&s->lines);
	ep_deep_list_release(&s->deep);
	free(s->cands);
	free(s->names);
	free(s->buf);
	ep_scan_init(s);
}

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

static bool is_real_error(int err)
{
	return err == ENOMEM || err == EMFILE || err == ENFILE;
}

/* Records, the vanished-name test and the second look: when the caller asks
 * for them, and always at the strict level, whose deep records are its stats. */
static bool rechecks(const struct scan *s)
{
	return s->flags & (SCAN_RECHECK | SCAN_DEEP);
}

static void hook(enum scan_phase phase, const struct scan *s)
{
	if (ep_scan_hook)
		ep_scan_hook(phase, s);
}

/* Reads the whole regular file at fd, at most SCAN_FILE_MAX bytes, after
 * taking its stamp. 0 with the bytes in s->buf, 1 when the file does not
 * count (not regular, too big, unreadable), or -ENOMEM. */
static int read_file(struct scan *s, int fd, size_t *len, struct stamp *stamp)
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

/* Where the parser's entry points go: lines of one distribution. */
struct adder {
	struct linebuf *lines;
	const char *dist;
	size_t dist_len;
};

static int add_entry(void *ctx, const struct parse_entry *e)
{
	struct adder *a = ctx;
	const char *f[4] = {a->dist, e->group, e->name, e->value};
	size_t l[4] = {a->dist_len, e->group_len, e->name_len, e->value_len};

	return ep_linebuf_add(a->lines, 4, f, l);
}

/* The open of name/entry_points.txt failed with err: records what is there
 * instead. A file this process may not read is remembered like a readable
 * one, by its stamp. Without one, the candidate's own stamp stands for it:
 * a file appearing in a directory moves the directory's mtime and ctime, so
 * "still absent, directory unchanged" proves it absent all along, where
 * "absent twice" would not. A name that can be stat'ed neither way is a
 * link pointing nowhere (it contributes nothing), or a name listed a moment
 * ago that is gone: the listing is out of date and the round is raced. */
static void look_failed(struct scan *s, int dirfd, const char *path, struct scan_cand *c, int err)
{
	struct stat st;

	if (err != ENOENT && err != ENOTDIR && fstatat(dirfd, path, &st, 0) == 0) {
		c->ep_ok = true;
		ep_stamp_from_stat(&c->ep, &st);
		return;
	}
	c->dir_seen = true;
	if (fstatat(dirfd, c->name, &st, 0) == 0) {
		c->dir_ok = true;
		ep_stamp_from_stat(&c->dir, &st);
		return;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		return;
	if (fstatat(dirfd, c->name, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (errno == ENOENT || errno == ENOTDIR))
		s->raced = true;
}

/* Reads name/entry_points.txt and adds its entry points. With c, records
 * what was found in it (rechecking rounds); without, nothing is recorded,
 * and a listed name that vanished since moved the path entry's own stamp,
 * which the caller compares before and after the round (DESIGN.md 3). */
static int read_candidate(struct scan *s, int dirfd, const char *name, size_t name_len,
			  struct scan_cand *c)
{
	char path[DEEP_NAME_MAX + sizeof("/" EP_FILE)];
	struct adder a = {&s->lines, name, name_len};
	struct stamp st = {0};
	size_t len;
	int fd, rc;

	if (name_len > DEEP_NAME_MAX)
		return 0;
	memcpy(path, name, name_len);
	memcpy(path + name_len, "/" EP_FILE, sizeof("/" EP_FILE));
	s->fresh++;
	/* O_NONBLOCK: a FIFO planted as entry_points.txt must not hang the scan
	 * (and is no regular file, so it counts as absent). */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int err = errno;

		if (is_real_error(err))
			return -err;
		if (c)
			look_failed(s, dirfd, path, c, err);
		return 0;
	}
	rc = read_file(s, fd, &len, &st);
	close(fd);
	if (rc < 0)
		return rc;
	if (c) {
		c->ep_ok = true; /* a file that does not count is still checked by its stamp */
		c->ep = st;
	}
	return rc ? 0 : ep_parse_entry_points(s->buf, len, add_entry, &a);
}

/* Looks at a candidate again from scratch: its old lines go. */
static int read_cand(struct scan *s, int dirfd, struct scan_cand *c)
{
	int rc;

	ep_linebuf_drop(&s->lines, c->first, c->nlines);
	c->read = c->kept = c->ep_ok = c->dir_seen = c->dir_ok = c->tied = c->settled = false;
	c->first = s->lines.n;
	rc = read_candidate(s, dirfd, c->name, c->name_len, c);
	c->nlines = s->lines.n - c->first;
	if (rc)
		return rc;
	c->read = true;
	/* The guard's own test on what was read (the file, or the directory
	 * standing for a missing one), by the clock read before this round:
	 * settled, it is past every install window and will not change at
	 * the default level. */
	if (c->ep_ok)
		c->settled = !ep_stamp_settle_wait(&c->ep, s->now_ns, s->settle_ns);
	else if (c->dir_ok)
		c->settled = !ep_stamp_settle_wait(&c->dir, s->now_ns, s->settle_ns);
	return 0;
}

static int listing_add(struct listing *l, const char *name, size_t len)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct scan_cand *nc = realloc(l->cands, ncap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		l->cands = nc;
		l->cap = ncap;
	}
	if (l->len + len + 1 > l->names_cap) {
		size_t ncap = l->names_cap ? l->names_cap * 2 : 4096;
		char *nn;

		while (ncap < l->len + len + 1)
			ncap *= 2;
		nn = realloc(l->names, ncap);
		if (!nn)
			return -ENOMEM;
		l->names = nn;
		l->names_cap = ncap;
	}
	memset(&l->cands[l->n], 0, sizeof(l->cands[l->n]));
	l->cands[l->n].name_off = l->len;
	l->cands[l->n++].name_len = len;
	memcpy(l->names + l->len, name, len + 1);
	l->len += len + 1;
	return 0;
}

/* Lists the directory: into l when recording, else reading each candidate
 * as it comes (the fast path: one pass, nothing kept but the lines). */
static int list_dir(struct scan *s, int dirfd, struct listing *l)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	/* A descriptor of our own: readdir moves the offset of the one it reads. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
		if (!ep_scan_is_candidate(de->d_name, len) || len > DEEP_NAME_MAX)
			continue;
		rc = l ? listing_add(l, de->d_name, len)
		       : read_candidate(s, dirfd, de->d_name, len, NULL);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

static int cand_cmp(const void *x, const void *y)
{
	return strcmp(((const struct scan_cand *)x)->name, ((const struct scan_cand *)y)->name);
}

/* Carries what earlier rounds read of each name still listed into the new
 * listing l (both put in name order), and drops the lines of every name
 * no longer listed. A name listed twice (the entry moved during the
 * listing, which the caller's stamps will show) is kept once. */
static void merge(struct scan *s, struct listing *l)
{
	size_t i = 0, out = 0;

	if (!s->sorted)
		qsort(s->cands, s->ncands, sizeof(*s->cands), cand_cmp);
	qsort(l->cands, l->n, sizeof(*l->cands), cand_cmp);
	for (size_t j = 0; j < l->n; j++) {
		struct scan_cand c = l->cands[j];

		if (out && !strcmp(l->cands[out - 1].name, c.name))
			continue;
		while (i < s->ncands && strcmp(s->cands[i].name, c.name) < 0) {
			ep_linebuf_drop(&s->lines, s->cands[i].first, s->cands[i].nlines);
			i++;
		}
		if (i < s->ncands && !strcmp(s->cands[i].name, c.name)) {
			const char *name = c.name;
			size_t off = c.name_off;

			c = s->cands[i++];
			c.name = name;
			c.name_off = off;
			/* Its name may now name another directory: the second look
			 * re-stats every kept candidate (ep_scan_verify()). */
			c.kept = c.read;
		}
		l->cands[out++] = c;
	}
	for (; i < s->ncands; i++)
		ep_linebuf_drop(&s->lines, s->cands[i].first, s->cands[i].nlines);
	l->n = out;
}

int ep_scan_list(struct scan *s, int dirfd, unsigned flags, int64_t now_ns, int64_t settle_ns)
{
	struct listing l = {0};
	bool sorted = false;
	int rc;

	s->flags = flags & SCAN_DEEP ? flags | SCAN_RECHECK : flags;
	s->now_ns = now_ns;
	s->settle_ns = settle_ns;
	s->fresh = s->looked = 0;
	s->raced = false;
	/* Lines made without records (the fast path, or a finished scan) have
	 * no candidate to own them: start afresh. */
	if (!rechecks(s) || !s->recorded) {
		ep_linebuf_release(&s->lines);
		s->ncands = 0;
		s->sorted = false;
	}
	s->recorded = rechecks(s);
	if (!rechecks(s)) {
		rc = list_dir(s, dirfd, NULL);
		hook(SCAN_PHASE_LISTED, s);
		return rc;
	}
	rc = list_dir(s, dirfd, &l);
	if (rc) {
		free(l.cands);
		free(l.names);
		return rc;
	}
	for (size_t i = 0; i < l.n; i++)
		l.cands[i].name = l.names + l.cands[i].name_off;
	if (s->ncands) {
		merge(s, &l);
		sorted = true;
	}
	free(s->cands);
	free(s->names);
	s->cands = l.cands;
	s->ncands = l.n;
	s->names = l.names;
	s->sorted = sorted;
	hook(SCAN_PHASE_LISTED, s);
	return 0;
}

int ep_scan_read(struct scan *s, int dirfd)
{
	int rc;

	for (size_t i = 0; i < s->ncands; i++) {
		if (s->cands[i].read)
			continue;
		rc = read_cand(s, dirfd, &s->cands[i]);
		if (rc)
			return rc;
	}
	hook(SCAN_PHASE_READ, s);
	return 0;
}

/* A look at a candidate: its entry_points.txt, and the candidate itself, each
 * stat'ed (following links) when the look asks for it. */
struct look {
	bool ep_ok, dir_ok;
	struct stamp ep, dir;
};

static void look_ep(int dirfd, const struct scan_cand *c, struct look *l)
{
	char path[DEEP_NAME_MAX + sizeof("/" EP_FILE)];
	struct stat st;

	memcpy(path, c->name, c->name_len);
	memcpy(path + c->name_len, "/" EP_FILE, sizeof("/" EP_FILE));
	l->ep_ok = fstatat(dirfd, path, &st, 0) == 0;
	if (l->ep_ok)
		ep_stamp_from_stat(&l->ep, &st);
}

static void look_dir(int dirfd, const struct scan_cand *c, struct look *l)
{
	struct stat st;

	l->dir_ok = fstatat(dirfd, c->name, &st, 0) == 0;
	if (l->dir_ok)
		ep_stamp_from_stat(&l->dir, &st);
}

/* entry_points.txt as read: the stamp fstat gave before the read means the
 * same inode, unchanged since (a write, a rename, a link or an unlink moves
 * its ctime, which nothing sets back), and still linked where it was. */
static bool ep_same(const struct scan_cand *c, const struct look *l)
{
	return l->ep_ok == c->ep_ok && (!c->ep_ok || ep_stamp_equal(&c->ep, &l->ep));
}

/* The candidate as at its last look: the same directory, never renamed (a
 * rename moves a directory's ctime) nor changed inside (adding, removing or
 * renaming a file in it moves its mtime) in between: it stayed at its name
 * all along, holding the same entries. */
static bool dir_same(const struct scan_cand *c, const struct look *l)
{
	return c->dir_seen && l->dir_ok == c->dir_ok &&
	       (!c->dir_ok || ep_stamp_equal(&c->dir, &l->dir));
}

static void dir_record(struct scan_cand *c, const struct look *l)
{
	c->dir_seen = true;
	c->dir_ok = l->dir_ok;
	c->dir = l->dir;
}

static int deep_add(struct scan *s, const struct scan_cand *c, const struct look *l)
{
	struct deep_record r = {c->name, c->name_len, l->dir_ok, l->ep_ok, l->dir, l->ep};

	return ep_deep_list_add(&s->deep, &r);
}

/* The second look at a candidate kept from an earlier round. It was read
 * before this round's listing: its name may have been removed and re-added
 * since, or its directory renamed away and back. Its directory must be as
 * at its last look, and its entry_points.txt must have been seen as read
 * after that look: then from that look to this one the name held the same
 * directory, holding that same file, through the caller's stamp. Once tied
 * so, a settled file needs no look of its own: it does not change at the
 * default level, and the directory's unchanged entries keep it there. */
static bool look_kept(const struct scan *s, int dirfd, struct scan_cand *c, struct look *l)
{
	bool ep = s->flags & SCAN_DEEP || !c->tied || !c->settled;

	if (ep)
		look_ep(dirfd, c, l);
	look_dir(dirfd, c, l);
	if ((ep && !ep_same(c, l)) || !dir_same(c, l))
		return false;
	c->tied = true;
	return true;
}

/* The second look at a candidate read by this round, while the entry was as
 * listed. If what it read was settled then, nothing in it changes at the
 * default level: no look. Else its file must still be as read, and the
 * candidate as at its look when it had no file (look_failed()). The
 * directory is looked at first, tying the file to it for a later round;
 * the strict level looks at the file first, as its records always have. */
static bool look_fresh(const struct scan *s, int dirfd, struct scan_cand *c, struct look *l)
{
	bool deep = s->flags & SCAN_DEEP;
	bool same;

	if (!deep)
		look_dir(dirfd, c, l);
	look_ep(dirfd, c, l);
	if (deep)
		look_dir(dirfd, c, l);
	same = ep_same(c, l) && (!c->dir_seen || dir_same(c, l));
	if (same) {
		dir_record(c, l);
		c->tied = !deep;
	}
	return same;
}

int ep_scan_verify(struct scan *s, int dirfd)
{
	bool deep = s->flags & SCAN_DEEP;
	int rc;

	s->looked = 0;
	if (!rechecks(s))
		return 0;
	hook(SCAN_PHASE_VERIFY, s);
	if (deep)
		ep_deep_list_release(&s->deep);
	for (size_t i = 0; i < s->ncands; i++) {
		struct scan_cand *c = &s->cands[i];
		struct look l = {0};
		bool same;

		if (c->read && !c->kept && c->settled && !deep)
			continue;
		same =
		    c->read && (c->kept ? look_kept(s, dirfd, c, &l) : look_fresh(s, dirfd, c, &l));
		s->looked++;
		if (!same) {
			c->read = false; /* read again by the next round */
			s->raced = true;
		}
		if (deep) {
			rc = deep_add(s, c, &l);
			if (rc)
				return rc;
		}
	}
	hook(SCAN_PHASE_VERIFIED, s);
	return 0;
}

int ep_scan_keep(struct scan *s, int dirfd)
{
	for (size_t i = 0; i < s->ncands; i++) { /* none after a fast-path round */
		struct scan_cand *c = &s->cands[i];
		struct look l = {0};

		if (!c->read || c->tied)
			continue;
		/* The directory, then the file: tied for the next round, whose
		 * second look then needs one stat (look_kept()). */
		look_dir(dirfd, c, &l);
		look_ep(dirfd, c, &l);
		if (ep_same(c, &l) && (!c->dir_seen || dir_same(c, &l))) {
			dir_record(c, &l);
			c->tied = true;
		} else {
			c->read = false;
		}
	}
	hook(SCAN_PHASE_KEPT, s);
	return 0;
}

int ep_scan_finish(struct scan *s, struct scan_result *out)
{
	int rc;

	ep_scan_result_release(out);
	rc = ep_linebuf_finish(&s->lines, &out->text, &out->len, &out->count);
	if (rc)
		return rc;
	/* The lines are gone: a further round starts afresh. */
	s->recorded = false;
	out->deep = s->deep;
	ep_deep_list_init(&s->deep);
	out->raced = s->raced;
	return 0;
}

int ep_scan_dir(int dirfd, unsigned flags, struct scan_result *out)
{
	struct scan s;
	int rc;

	ep_scan_init(&s);
	ep_scan_result_release(out);
	/* No clock: every stamp counts as unsettled, so the second look
	 * (when asked for) looks at everything. */
	rc = ep_scan_list(&s, dirfd, flags, INT64_MIN, 0);
	if (!rc)
		rc = ep_scan_read(&s, dirfd);
	if (!rc && !s.raced)
		rc = ep_scan_verify(&s, dirfd);
	if (!rc)
		rc = ep_scan_finish(&s, out);
	ep_scan_release(&s);
	return rc;
}
