/* walk.c: the sorted, non-following tree walk and the removal built on it.
 * The state of one walk lives in a struct walk on the caller's stack. */
#include "util/walk.h"
#include "util/grow.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct walk {
	const struct walk_opts *o;
	int max_depth;
	struct strbuf rel; /* the current entry's path from the root */
};

/* One directory's names: NUL-terminated, back to back in buf, and the
 * offset of each, sorted by the name it points at. */
struct names {
	char *buf;
	size_t len, cap;
	size_t *off;
	size_t n, ncap;
};

static void names_release(struct names *nl)
{
	free(nl->buf);
	free(nl->off);
	memset(nl, 0, sizeof(*nl));
}

static int names_add(struct names *nl, const char *name)
{
	size_t l = strlen(name) + 1;

	if (GROW(nl->off, nl->ncap, nl->n + 1) || GROW(nl->buf, nl->cap, grow_need(nl->len, l)))
		return -ENOMEM;
	nl->off[nl->n++] = nl->len;
	memcpy(nl->buf + nl->len, name, l);
	nl->len += l;
	return 0;
}

static int name_cmp(const void *a, const void *b, void *buf)
{
	return strcmp((const char *)buf + *(const size_t *)a,
		      (const char *)buf + *(const size_t *)b);
}

/* Every name in d but "." and "..", sorted. readdir's NULL is the end only
 * when errno stayed 0. */
static int names_read(DIR *d, struct names *nl)
{
	for (;;) {
		struct dirent *de;
		int rc;

		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = names_add(nl, de->d_name);
		if (rc)
			return rc;
	}
	if (errno)
		return -errno;
	if (nl->n > 1)
		qsort_r(nl->off, nl->n, sizeof(*nl->off), name_cmp, nl->buf);
	return 0;
}

/* Opens directory name in parent, never through a symlink, and lists it.
 * On success *dp is open and nl filled; on failure both are empty. */
static int dir_open(int parent, const char *name, DIR **dp, struct names *nl)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;
	DIR *d;

	*dp = NULL;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = names_read(d, nl);
	if (rc) {
		closedir(d);
		names_release(nl);
		return rc;
	}
	*dp = d;
	return 0;
}

/* Calls the visitor; its answer as the walk reads it: -errno, WALK_STOP,
 * WALK_SKIP or 0. */
static int event(struct walk *w, enum walk_event ev, int dirfd, const char *name,
		 const struct stat *st, int depth, int err)
{
	struct walk_entry e = {ev, dirfd, name, w->rel.buf, st, depth, err};
	int rc = w->o->visit(w->o->ctx, &e);

	return rc < 0 || rc == WALK_STOP || rc == WALK_SKIP ? rc : 0;
}

static int walk_one(struct walk *w, int parent, const char *name, int depth);

/* The entries of d (listed in nl), which are at depth. */
static int walk_list(struct walk *w, DIR *d, const struct names *nl, int depth)
{
	for (size_t i = 0; i < nl->n; i++) {
		int rc = walk_one(w, dirfd(d), nl->buf + nl->off[i], depth);

		if (rc)
			return rc;
	}
	return 0;
}

/* Directory name (at depth, already visited by WALK_PRE): its contents,
 * or the WALK_FAIL that says why not, then its WALK_POST. */
static int walk_dir(struct walk *w, int parent, const char *name, const struct stat *st, int depth)
{
	struct names nl = {NULL, 0, 0, NULL, 0, 0};
	DIR *d = NULL;
	int rc = depth >= w->max_depth ? -ELOOP : dir_open(parent, name, &d, &nl);

	if (rc) {
		rc = event(w, WALK_FAIL, parent, name, st, depth, rc);
	} else {
		rc = walk_list(w, d, &nl, depth + 1);
		closedir(d);
		names_release(&nl);
	}
	if ((rc == 0 || rc == WALK_SKIP) && (w->o->flags & WALK_POSTORDER))
		rc = event(w, WALK_POST, parent, name, st, depth, 0);
	return rc == WALK_SKIP ? 0 : rc;
}

/* One entry of a directory: 0 to go on, else -errno or WALK_STOP. */
static int walk_one(struct walk *w, int parent, const char *name, int depth)
{
	size_t keep = w->rel.len;
	struct stat st;
	int rc;

	if (keep)
		strbuf_addch(&w->rel, '/');
	strbuf_addstr(&w->rel, name);
	if (w->rel.err)
		return w->rel.err;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		/* Gone since the listing: not an entry any more. */
		rc = errno == ENOENT ? 0 : event(w, WALK_FAIL, parent, name, NULL, depth, -errno);
	} else {
		rc = event(w, WALK_PRE, parent, name, &st, depth, 0);
		if (rc == 0 && S_ISDIR(st.st_mode))
			rc = walk_dir(w, parent, name, &st, depth);
	}
	strbuf_setlen(&w->rel, keep);
	return rc == WALK_SKIP ? 0 : rc;
}

/* The root, visited itself (WALK_ROOT): its failures are the walk's. */
static int walk_root(struct walk *w, int dirfd, const char *path)
{
	struct names nl = {NULL, 0, 0, NULL, 0, 0};
	struct stat st;
	DIR *d;
	int rc;

	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	rc = event(w, WALK_PRE, dirfd, path, &st, 0, 0);
	if (rc)
		return rc == WALK_SKIP ? 0 : rc;
	rc = dir_open(dirfd, path, &d, &nl);
	if (rc)
		return rc;
	rc = walk_list(w, d, &nl, 1);
	closedir(d);
	names_release(&nl);
	if (rc == 0 && (w->o->flags & WALK_POSTORDER))
		rc = event(w, WALK_POST, dirfd, path, &st, 0, 0);
	return rc == WALK_SKIP ? 0 : rc;
}

int walk_tree(int dirfd, const char *path, const struct walk_opts *o)
{
	struct names nl = {NULL, 0, 0, NULL, 0, 0};
	struct walk w = {o, o->max_depth ? o->max_depth : WALK_DEPTH_DEFAULT, STRBUF_INIT};
	DIR *d;
	int rc;

	if (!o->visit || o->max_depth < 0)
		return -EINVAL;
	strbuf_add(&w.rel, "", 0); /* rel is "" at the root, never NULL */
	if (w.rel.err)
		return w.rel.err;
	if (o->flags & WALK_ROOT) {
		rc = walk_root(&w, dirfd, path);
	} else {
		rc = dir_open(dirfd, path, &d, &nl);
		if (rc == 0) {
			rc = walk_list(&w, d, &nl, 1);
			closedir(d);
			names_release(&nl);
		}
	}
	strbuf_release(&w.rel);
	return rc == WALK_STOP ? 0 : rc;
}

/* ---- removal ---- */

struct remover {
	int topfd;	/* the directory being emptied: where deep subtrees go */
	unsigned moved; /* subtrees moved up so far */
	int err;	/* the first failure */
};

static void remover_note(struct remover *r, int err)
{
	if (!r->err)
		r->err = err;
}

/* A scenario may have left a directory 0500 or 0000; its owner (not root)
 * needs rwx to list and empty it, and w to move it (its ".." changes). A
 * failure is left to the open that follows to report. */
static void unlock_dir(int dirfd, const char *name, const struct stat *st)
{
	if ((st->st_mode & 0700) != 0700)
		(void)fchmodat(dirfd, name, (st->st_mode & 07777) | 0700, AT_SYMLINK_NOFOLLOW);
}

/* A directory at the depth limit goes up into the top directory, whose
 * next pass comes back for it. */
static void move_up(struct remover *r, const struct walk_entry *e)
{
	for (;;) {
		char up[40];

		snprintf(up, sizeof(up), ".walk_remove.%u", r->moved);
		if (renameat2(e->dirfd, e->name, r->topfd, up, RENAME_NOREPLACE) == 0) {
			r->moved++;
			return;
		}
		if (errno != EEXIST) {
			remover_note(r, -errno);
			return;
		}
		r->moved++;
	}
}

static int remove_visit(void *ctx, const struct walk_entry *e)
{
	struct remover *r = ctx;

	if (e->event == WALK_FAIL) {
		if (e->err == -ELOOP && e->st && S_ISDIR(e->st->st_mode))
			move_up(r, e);
		else
			remover_note(r, e->err);
	} else if (e->event == WALK_PRE && S_ISDIR(e->st->st_mode)) {
		unlock_dir(e->dirfd, e->name, e->st);
	} else if (unlinkat(e->dirfd, e->name, e->event == WALK_POST ? AT_REMOVEDIR : 0) < 0 &&
		   errno != ENOENT) {
		remover_note(r, -errno);
	}
	return 0;
}

/* Empties the directory open as r->topfd, pass after pass while deep
 * subtrees keep coming up. */
static void remove_contents(struct remover *r)
{
	struct walk_opts o = {remove_visit, r, WALK_POSTORDER, WALK_DEPTH_DEFAULT};
	unsigned before;

	do {
		int rc;

		before = r->moved;
		rc = walk_tree(r->topfd, ".", &o);
		if (rc)
			remover_note(r, rc);
	} while (r->moved != before);
}

int walk_remove_tree(int dirfd, const char *path)
{
	struct remover r = {-1, 0, 0};
	struct stat st;

	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		unlock_dir(dirfd, path, &st);
		r.topfd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (r.topfd < 0)
			return errno == ENOENT ? 0 : -errno;
		remove_contents(&r);
		close(r.topfd);
	}
	if (unlinkat(dirfd, path, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT)
		remover_note(&r, -errno);
	return r.err;
}
