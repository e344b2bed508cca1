/* mutator.c: the operations of a scenario (install, uninstall, upgrade,
 * branch switch, mtime restore, relocation, future mtimes, in-place edits,
 * cache damage and chmod, environment changes), each recording every state
 * a reader could observe. */
#include "mutator.h"
#include "fixture.h"
#include "oracle.h"
#include "treehash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIST_STRIDE 1000000ULL
#define PAGE	    4096

/* The attribute lets the compiler check every caller's format (and clang's
 * -Wformat-nonliteral accept the vsnprintf). */
static int fail(struct mutator *m, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct mutator *m, int rc, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	len = strlen(m->err);
	if (rc < 0)
		snprintf(m->err + len, sizeof(m->err) - len, ": %s", strerror(-rc));
	return rc < 0 ? rc : -EIO;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the model ---- */

static int mlist_push(struct mlist *l, uint64_t index, unsigned version, bool has_ep,
		      const char *dirname)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct mdist *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].dirname = strdup(dirname);
	if (!l->v[l->n].dirname)
		return -ENOMEM;
	l->v[l->n].index = index;
	l->v[l->n].version = version;
	l->v[l->n].edits = 0;
	l->v[l->n].has_ep = has_ep;
	l->n++;
	return 0;
}

static void mlist_remove(struct mlist *l, size_t i)
{
	free(l->v[i].dirname);
	l->v[i] = l->v[--l->n];
}

static void mlist_release(struct mlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].dirname);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static ssize_t mlist_find(const struct mlist *l, const char *dirname)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].dirname, dirname))
			return (ssize_t)i;
	return -1;
}

/* A distribution to act on, preferring ones whose change the view shows. */
static ssize_t pick_dist(struct mutator *m, const struct mlist *l)
{
	size_t with = 0;

	if (l->n == 0)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		with += l->v[i].has_ep;
	if (with) {
		size_t k = (size_t)rng_below(&m->rng, with);

		for (size_t i = 0; i < l->n; i++)
			if (l->v[i].has_ep && k-- == 0)
				return (ssize_t)i;
	}
	return (ssize_t)rng_below(&m->rng, l->n);
}

static struct sb_entry *dir_entry(struct mutator *m, size_t d, size_t *e)
{
	*e = m->sb->dir_entry[d];
	return &m->sb->entries[*e];
}

/* ---- recording ---- */

/* Entry e may have changed between before and after: scan it and record. */
static int commit(struct mutator *m, size_t e, int64_t before, int64_t after, const char *label)
{
	struct view v;
	int rc;

	view_init(&v);
	m->last_change_ns = after;
	rc = oracle_scan(m->sb->entries[e].path, &v);
	if (rc)
		return fail(m, rc, "oracle scan of %s", m->sb->entries[e].path);
	rc = history_transition(m->h, e, before, after, &v, label);
	view_release(&v);
	return rc ? fail(m, rc, "history") : 0;
}

static void mark_dist(struct mutator *m, const char *parent, const char *dirname, size_t e)
{
	char *p;

	if (!m->w || asprintf(&p, "%s/%s", parent, dirname) < 0)
		return;
	/* Best effort: a missing mark only makes I4 blind to that directory. */
	watch_add_dist(m->w, p, (uint32_t)e);
	free(p);
}

static int stage_dir(struct mutator *m, char **path)
{
	if (asprintf(path, "%s/op%u", m->sb->stage, m->serial++) < 0)
		return -ENOMEM;
	if (mkdir(*path, 0755) < 0) {
		int rc = -errno;

		free(*path);
		*path = NULL;
		return rc;
	}
	return 0;
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Writes entry_points.txt content into an open, empty file one page at a
 * time, recording each step. Within a page a write is seen whole or not at
 * all (the file size moves after the copy), so a reader can only see these
 * prefixes. */
static int write_pages(struct mutator *m, size_t e, int fd, const char *data, size_t len,
		       const char *label)
{
	char lab[512];

	for (size_t off = 0; off < len; off += PAGE) {
		size_t n = len - off < PAGE ? len - off : PAGE;
		int64_t b = clock_now_ns();
		ssize_t w = pwrite(fd, data + off, n, (off_t)off);
		int64_t a = clock_now_ns();
		int rc;

		if (w != (ssize_t)n)
			return fail(m, w < 0 ? -errno : -EIO, "writing entry_points.txt");
		snprintf(lab, sizeof(lab), "%s: entry_points.txt %zu of %zu bytes", label, off + n,
			 len);
		rc = commit(m, e, b, a, lab);
		if (rc)
			return rc;
	}
	return 0;
}

static int write_plain(int dirfd, const struct fixture_file *f)
{
	int fd = openat(dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (f->len && write(fd, f->data, f->len) != (ssize_t)f->len)
		rc = -EIO;
	close(fd);
	return rc;
}

/* ---- install / uninstall ---- */

static int install_atomic(struct mutator *m, size_t e, const char *entdir,
			  const struct fixture_dist *d, const char *label)
{
	char *stage = NULL;
	int sfd = -1, efd = -1, rc;
	int64_t b, a;

	rc = stage_dir(m, &stage);
	if (rc)
		return fail(m, rc, "staging directory");
	sfd = open_dir(stage);
	efd = open_dir(entdir);
	if (sfd < 0 || efd < 0) {
		rc = fail(m, sfd < 0 ? sfd : efd, "opening %s", sfd < 0 ? stage : entdir);
		goto out;
	}
	rc = fixture_dist_write(sfd, d);
	if (rc) {
		rc = fail(m, rc, "writing %s", d->dirname);
		goto out;
	}
	/* Marked before it becomes visible: no open can slip past the watch. */
	mark_dist(m, stage, d->dirname, e);
	b = clock_now_ns();
	rc = renameat(sfd, d->dirname, efd, d->dirname) < 0 ? -errno : 0;
	a = clock_now_ns();
	if (rc) {
		rc = fail(m, rc, "renaming %s into %s", d->dirname, entdir);
		goto out;
	}
	rc = commit(m, e, b, a, label);
out:
	if (sfd >= 0)
		close(sfd);
	if (efd >= 0)
		close(efd);
	if (stage)
		tree_remove(stage);
	free(stage);
	return rc;
}

/* As pip does it: the directory first, then its files one by one over the
 * install window, entry_points.txt somewhere in the middle. */
static int install_installer(struct mutator *m, size_t e, const char *entdir,
			     const struct fixture_dist *d, const char *label)
{
	int efd = open_dir(entdir), dfd = -1, rc = 0;
	int64_t b, a, start;
	char lab[600];

	if (efd < 0)
		return fail(m, efd, "opening %s", entdir);
	b = clock_now_ns();
	rc = mkdirat(efd, d->dirname, 0755) < 0 ? -errno : 0;
	a = clock_now_ns();
	if (rc) {
		rc = fail(m, rc, "mkdir %s", d->dirname);
		goto out;
	}
	start = a;
	mark_dist(m, entdir, d->dirname, e);
	snprintf(lab, sizeof(lab), "%s: directory created", label);
	rc = commit(m, e, b, a, lab);
	if (rc)
		goto out;
	dfd = openat(efd, d->dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = fail(m, -errno, "opening %s", d->dirname);
		goto out;
	}
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct fixture_file *f = &d->files[i];
		/* Spread the files over most of the window, in order. */
		int64_t due =
		    start + (m->window_ns * 8 / 10) * (int64_t)(i + 1) / (int64_t)(d->nfiles + 1);
		int64_t now = clock_now_ns();

		if (due > now)
			sleep_ns(due - now);
		if (strcmp(f->name, "entry_points.txt") != 0) {
			rc = write_plain(dfd, f);
			if (rc) {
				rc = fail(m, rc, "writing %s/%s", d->dirname, f->name);
				goto out;
			}
			continue;
		}
		/* Created empty: an empty file shows nothing, like no file. */
		int fd = openat(dfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd < 0) {
			rc = fail(m, -errno, "creating %s/entry_points.txt", d->dirname);
			goto out;
		}
		rc = write_pages(m, e, fd, f->data, f->len, label);
		close(fd);
		if (rc)
			goto out;
	}
out:
	if (dfd >= 0)
		close(dfd);
	close(efd);
	return rc;
}

static int install(struct mutator *m, size_t d, enum install_style style, uint64_t index,
		   unsigned version, const char *verb)
{
	struct mentry *me = &m->ents[d];
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	struct fixture_dist fd;
	char label[512];
	int rc;

	rc = fixture_dist_make(m->seed, index, version, 1, &fd);
	if (rc)
		return fail(m, rc, "making distribution %llu", (unsigned long long)index);
	if (style == STYLE_ANY)
		style = rng_chance(&m->rng, 1, 2) ? STYLE_ATOMIC : STYLE_INSTALLER;
	snprintf(label, sizeof(label), "%s %s in entry %zu (%s)", verb, fd.dirname, e,
		 style == STYLE_ATOMIC ? "atomic" : "installer");
	rc = style == STYLE_ATOMIC ? install_atomic(m, e, ent->dir, &fd, label)
				   : install_installer(m, e, ent->dir, &fd, label);
	if (rc == 0)
		rc = mlist_push(&me->dists, index, version, fd.has_entry_points, fd.dirname);
	fixture_dist_release(&fd);
	return rc;
}

static int uninstall_at(struct mutator *m, size_t d, size_t i, enum install_style style,
			const char *verb)
{
	struct mentry *me = &m->ents[d];
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	const char *name = me->dists.v[i].dirname;
	char label[512], *stage = NULL;
	int efd = open_dir(ent->dir), rc = 0;
	int64_t b, a;

	if (efd < 0)
		return fail(m, efd, "opening %s", ent->dir);
	if (style == STYLE_ANY)
		style = rng_chance(&m->rng, 1, 2) ? STYLE_ATOMIC : STYLE_INSTALLER;
	snprintf(label, sizeof(label), "%s %s from entry %zu (%s)", verb, name, e,
		 style == STYLE_ATOMIC ? "atomic" : "installer");
	if (style == STYLE_ATOMIC) {
		int sfd;

		rc = stage_dir(m, &stage);
		if (rc) {
			rc = fail(m, rc, "staging directory");
			goto out;
		}
		sfd = open_dir(stage);
		if (sfd < 0) {
			rc = fail(m, sfd, "opening %s", stage);
			goto out;
		}
		b = clock_now_ns();
		rc = renameat(efd, name, sfd, name) < 0 ? -errno : 0;
		a = clock_now_ns();
		close(sfd);
		if (rc) {
			rc = fail(m, rc, "renaming %s out of %s", name, ent->dir);
			goto out;
		}
		rc = commit(m, e, b, a, label);
	} else {
		/* File by file, entry_points.txt among them, then the directory. */
		int dfd = openat(efd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *dir;
		struct dirent *de;

		if (dfd < 0) {
			rc = fail(m, -errno, "opening %s", name);
			goto out;
		}
		dir = fdopendir(dfd);
		if (!dir) {
			close(dfd);
			rc = fail(m, -errno, "reading %s", name);
			goto out;
		}
		while (rc == 0 && (de = readdir(dir)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			b = clock_now_ns();
			rc = unlinkat(dirfd(dir), de->d_name, 0) < 0 ? -errno : 0;
			a = clock_now_ns();
			if (rc)
				rc = fail(m, rc, "removing %s/%s", name, de->d_name);
			else if (!strcmp(de->d_name, "entry_points.txt"))
				rc = commit(m, e, b, a, label);
		}
		closedir(dir);
		if (rc)
			goto out;
		b = clock_now_ns();
		rc = unlinkat(efd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
		a = clock_now_ns();
		if (rc) {
			rc = fail(m, rc, "removing %s", name);
			goto out;
		}
		rc = commit(m, e, b, a, label);
	}
	if (rc == 0)
		mlist_remove(&me->dists, i);
out:
	close(efd);
	if (stage)
		tree_remove(stage);
	free(stage);
	return rc;
}

static int op_install(struct mutator *m, size_t d, enum install_style style)
{
	uint64_t index = m->ents[d].next_index++;

	return install(m, d, style, index, 0, "install");
}

static int op_uninstall(struct mutator *m, size_t d, enum install_style style)
{
	ssize_t i = pick_dist(m, &m->ents[d].dists);

	if (i < 0)
		return op_install(m, d, style); /* nothing left: keep the scenario moving */
	return uninstall_at(m, d, (size_t)i, style, "uninstall");
}

/* The new version goes in before the old one leaves: a reader may see both. */
static int op_upgrade(struct mutator *m, size_t d, enum install_style style)
{
	struct mentry *me = &m->ents[d];
	ssize_t i = pick_dist(m, &me->dists);
	uint64_t index;
	unsigned version;
	char *old;
	int rc;

	if (i < 0)
		return op_install(m, d, style);
	index = me->dists.v[i].index;
	version = me->dists.v[i].version + 1;
	old = strdup(me->dists.v[i].dirname);
	if (!old)
		return -ENOMEM;
	if (style == STYLE_ANY)
		style = rng_chance(&m->rng, 1, 2) ? STYLE_ATOMIC : STYLE_INSTALLER;
	rc = install(m, d, style, index, version, "upgrade: install");
	if (rc == 0) {
		ssize_t j = mlist_find(&me->dists, old);

		rc = j < 0 ? fail(m, -ENOENT, "upgrade lost %s", old)
			   : uninstall_at(m, d, (size_t)j, style, "upgrade: remove");
	}
	free(old);
	return rc;
}

/* ---- timestamps ---- */

static int entry_mtime(struct mutator *m, const char *dir, struct timespec *t)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return fail(m, -errno, "stat %s", dir);
	*t = st.st_mtim;
	return 0;
}

static int set_mtime(struct mutator *m, size_t e, const char *dir, struct timespec t,
		     const char *label)
{
	struct timespec ts[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT}, t};
	int64_t b = clock_now_ns();
	int rc = utimensat(AT_FDCWD, dir, ts, 0) < 0 ? -errno : 0;
	int64_t a = clock_now_ns();

	if (rc)
		return fail(m, rc, "utimensat %s", dir);
	return commit(m, e, b, a, label);
}

/* Content changes, then the entry's mtime goes back to exactly what it was:
 * only ctime, or a key that includes it, can tell. */
static int op_mtime_restore(struct mutator *m, size_t d, enum install_style style)
{
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	struct timespec before;
	char label[256];
	int rc = entry_mtime(m, ent->dir, &before);

	if (rc)
		return rc;
	rc = m->ents[d].dists.n && rng_chance(&m->rng, 1, 2) ? op_uninstall(m, d, style)
							     : op_install(m, d, style);
	if (rc)
		return rc;
	snprintf(label, sizeof(label), "mtime of entry %zu restored to %lld.%09ld", e,
		 (long long)before.tv_sec, before.tv_nsec);
	return set_mtime(m, e, ent->dir, before, label);
}

static int op_future_entry(struct mutator *m, size_t d, long offset_s)
{
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	struct timespec now;
	char label[256];
	int rc = op_install(m, d, STYLE_ATOMIC);

	if (rc)
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_sec += offset_s;
	snprintf(label, sizeof(label), "mtime of entry %zu set %+lds from now", e, offset_s);
	return set_mtime(m, e, ent->dir, now, label);
}

/* ---- branch switch ---- */

/* The other branch: a third of the distributions gone, a third at their next
 * version, two new ones; its own distributions wait in a stash. */
static int make_other_branch(struct mutator *m, size_t d)
{
	struct mentry *me = &m->ents[d];
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	int sfd, rc = 0;

	if (asprintf(&me->stash, "%s/branch%zu", m->sb->stage, d) < 0)
		return -ENOMEM;
	if (mkdir(me->stash, 0755) < 0)
		return fail(m, -errno, "mkdir %s", me->stash);
	sfd = open_dir(me->stash);
	if (sfd < 0)
		return fail(m, sfd, "opening %s", me->stash);
	for (size_t i = 0; i < me->dists.n && rc == 0; i++) {
		const struct mdist *x = &me->dists.v[i];
		unsigned r = (unsigned)rng_below(&m->rng, 3);

		if (r == 0)
			continue; /* not on the other branch */
		if (r == 1) {
			rc = mlist_push(&me->other, x->index, x->version, x->has_ep, x->dirname);
		} else {
			struct fixture_dist fd;

			rc = fixture_dist_make(m->seed, x->index, x->version + 1, 0, &fd);
			if (rc)
				break;
			if ((rc = fixture_dist_write(sfd, &fd)) == 0) {
				mark_dist(m, me->stash, fd.dirname, e);
				rc = mlist_push(&me->other, x->index, x->version + 1,
						fd.has_entry_points, fd.dirname);
			}
			fixture_dist_release(&fd);
		}
	}
	for (int k = 0; k < 2 && rc == 0; k++) {
		struct fixture_dist fd;
		uint64_t index = me->next_index++;

		rc = fixture_dist_make(m->seed, index, 0, 1, &fd);
		if (rc)
			break;
		if ((rc = fixture_dist_write(sfd, &fd)) == 0) {
			mark_dist(m, me->stash, fd.dirname, e);
			rc = mlist_push(&me->other, index, 0, fd.has_entry_points, fd.dirname);
		}
		fixture_dist_release(&fd);
	}
	close(sfd);
	if (rc)
		return fail(m, rc, "building the other branch of entry %zu", e);
	rc = entry_mtime(m, ent->dir, &me->other_mtime);
	me->other_mtime.tv_sec -= 7200; /* the other branch is older */
	me->has_other = true;
	return rc;
}

/* Writes distribution x, as the fixture makes it, into the stash. */
static int restock(struct mutator *m, int sfd, const char *stash, struct mdist *x, size_t e)
{
	struct fixture_dist fd;
	int rc = fixture_dist_make(m->seed, x->index, x->version, x->has_ep, &fd);

	if (rc)
		return fail(m, rc, "making %s", x->dirname);
	rc = fixture_dist_write(sfd, &fd);
	if (rc == 0) {
		mark_dist(m, stash, fd.dirname, e);
		x->edits = 0;
	} else {
		rc = fail(m, rc, "writing %s into %s", fd.dirname, stash);
	}
	fixture_dist_release(&fd);
	return rc;
}

static int op_branch_switch(struct mutator *m, size_t d)
{
	struct mentry *me = &m->ents[d];
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	struct timespec leaving;
	struct mlist tmp;
	char label[512];
	int efd = -1, sfd = -1, rc;

	if (!me->has_other && (rc = make_other_branch(m, d)))
		return rc;
	rc = entry_mtime(m, ent->dir, &leaving);
	if (rc)
		return rc;
	efd = open_dir(ent->dir);
	sfd = open_dir(me->stash);
	if (efd < 0 || sfd < 0) {
		rc = fail(m, efd < 0 ? efd : sfd, "opening branch directories");
		goto out;
	}
	/* Out: what this branch has and the other has not; in: the reverse.
	 * Each rename is a state, as a checkout writing file by file. */
	for (size_t i = 0; i < me->dists.n && rc == 0; i++) {
		const char *name = me->dists.v[i].dirname;
		int64_t b, a;

		if (mlist_find(&me->other, name) >= 0)
			continue;
		b = clock_now_ns();
		rc = renameat(efd, name, sfd, name) < 0 ? -errno : 0;
		a = clock_now_ns();
		snprintf(label, sizeof(label), "branch switch of entry %zu: %s out", e, name);
		rc = rc ? fail(m, rc, "moving %s out", name) : commit(m, e, b, a, label);
	}
	for (size_t i = 0; i < me->other.n && rc == 0; i++) {
		const char *name = me->other.v[i].dirname;
		struct stat st;
		int64_t b, a;

		if (mlist_find(&me->dists, name) >= 0)
			continue;
		/* A distribution both branches had stays in the entry, not in
		 * the stash; if this branch uninstalled or upgraded it since, it
		 * is nowhere to move back from: check it out afresh. */
		if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
		    (rc = restock(m, sfd, me->stash, &me->other.v[i], e)))
			break;
		b = clock_now_ns();
		rc = renameat(sfd, name, efd, name) < 0 ? -errno : 0;
		a = clock_now_ns();
		snprintf(label, sizeof(label), "branch switch of entry %zu: %s in", e, name);
		rc = rc ? fail(m, rc, "moving %s in", name) : commit(m, e, b, a, label);
	}
	if (rc)
		goto out;
	snprintf(label, sizeof(label), "branch switch of entry %zu: mtime back to %lld", e,
		 (long long)me->other_mtime.tv_sec);
	rc = set_mtime(m, e, ent->dir, me->other_mtime, label);
	if (rc)
		goto out;
	tmp = me->dists;
	me->dists = me->other;
	me->other = tmp;
	me->other_mtime = leaving;
out:
	if (efd >= 0)
		close(efd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}

/* ---- relocation ---- */

/* A copy of the entry's distributions plus one new one, in a new directory
 * whose mtime equals the entry's: only device, inode or ctime tell them
 * apart. */
static int build_replacement(struct mutator *m, size_t d, const char *dir, struct mlist *out)
{
	struct mentry *me = &m->ents[d];
	size_t e = m->sb->dir_entry[d];
	int fd, rc = 0;

	if (mkdir(dir, 0755) < 0)
		return fail(m, -errno, "mkdir %s", dir);
	fd = open_dir(dir);
	if (fd < 0)
		return fail(m, fd, "opening %s", dir);
	for (size_t i = 0; i < me->dists.n + 1 && rc == 0; i++) {
		struct fixture_dist fx;
		bool fresh = i == me->dists.n;
		uint64_t index = fresh ? me->next_index++ : me->dists.v[i].index;
		unsigned version = fresh ? 0 : me->dists.v[i].version;

		/* Edited distributions come back as generated: a difference the
		 * oracle records like any other. */
		rc = fixture_dist_make(m->seed, index, version, fresh, &fx);
		if (rc)
			break;
		rc = fixture_dist_write(fd, &fx);
		if (rc == 0) {
			mark_dist(m, dir, fx.dirname, e);
			rc = mlist_push(out, index, version, fx.has_entry_points, fx.dirname);
		}
		fixture_dist_release(&fx);
	}
	close(fd);
	return rc ? fail(m, rc, "building %s", dir) : 0;
}

static int op_relocate(struct mutator *m, size_t d, enum relocate_how how)
{
	struct mentry *me = &m->ents[d];
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	struct timespec mt;
	struct timespec ts[2];
	struct mlist fresh = {0};
	char *newdir = NULL, *tmplink = NULL, label[512];
	int64_t b, a;
	int rc = entry_mtime(m, ent->dir, &mt);

	if (rc)
		return rc;
	if (how == RELOCATE_SYMLINK && ent->kind != ENTRY_LINK)
		return fail(m, -EINVAL, "entry %zu is not a symlink", e);
	if (how == RELOCATE_SYMLINK)
		rc = asprintf(&newdir, "%s/d%zur%u", m->sb->site, d, m->serial++) < 0 ? -ENOMEM : 0;
	else
		rc = asprintf(&newdir, "%s/reloc%u", m->sb->stage, m->serial++) < 0 ? -ENOMEM : 0;
	if (rc)
		return rc;
	rc = build_replacement(m, d, newdir, &fresh);
	if (rc)
		goto out;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[0].tv_sec = 0;
	ts[1] = mt;
	if (utimensat(AT_FDCWD, newdir, ts, 0) < 0) {
		rc = fail(m, -errno, "utimensat %s", newdir);
		goto out;
	}
	if (how == RELOCATE_SYMLINK) {
		if (asprintf(&tmplink, "%s/.link%u", m->sb->site, m->serial++) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		if (symlink(newdir, tmplink) < 0) {
			rc = fail(m, -errno, "symlink %s", tmplink);
			goto out;
		}
		b = clock_now_ns();
		rc = rename(tmplink, ent->path) < 0 ? -errno : 0;
		a = clock_now_ns();
		if (rc) {
			rc = fail(m, rc, "re-pointing %s", ent->path);
			goto out;
		}
		snprintf(label, sizeof(label), "entry %zu re-pointed to %s (same mtime)", e,
			 newdir);
		free(ent->dir);
		ent->dir = newdir;
		newdir = NULL;
		rc = commit(m, e, b, a, label);
	} else {
		/* One atomic swap: the old directory lands where the new one was. */
		b = clock_now_ns();
		rc = renameat2(AT_FDCWD, newdir, AT_FDCWD, ent->dir, RENAME_EXCHANGE) < 0 ? -errno
											  : 0;
		a = clock_now_ns();
		if (rc) {
			rc = fail(m, rc, "exchanging %s and %s", newdir, ent->dir);
			goto out;
		}
		snprintf(label, sizeof(label),
			 "entry %zu replaced by another directory (same mtime)", e);
		rc = commit(m, e, b, a, label);
		/* Some filesystems touch a moved directory: put the mtime back. */
		struct timespec now_mt = {0, 0};

		if (rc == 0 && (rc = entry_mtime(m, ent->dir, &now_mt)) == 0 &&
		    (now_mt.tv_sec != mt.tv_sec || now_mt.tv_nsec != mt.tv_nsec))
			rc = set_mtime(m, e, ent->dir, mt, label);
		tree_remove(newdir);
	}
	if (rc == 0) {
		mlist_release(&me->dists);
		me->dists = fresh;
		memset(&fresh, 0, sizeof(fresh));
	}
out:
	mlist_release(&fresh);
	if (tmplink) {
		unlink(tmplink);
		free(tmplink);
	}
	free(newdir);
	return rc;
}

/* ---- in-place edit (strict level) ---- */

static int op_edit(struct mutator *m, size_t d)
{
	struct mentry *me = &m->ents[d];
	size_t e;
	struct sb_entry *ent = dir_entry(m, d, &e);
	struct fixture_dist fx;
	const struct fixture_file *f;
	ssize_t i;
	char *path = NULL, label[512];
	int fd = -1, rc;
	int64_t b, a;

	i = pick_dist(m, &me->dists);
	if (i < 0 || !me->dists.v[i].has_ep)
		return fail(m, -ENOENT, "edit: entry %zu has no distribution with entry points", e);
	/* New content: what the next version would say, under the same name. */
	rc = fixture_dist_make(m->seed, me->dists.v[i].index,
			       me->dists.v[i].version + 1 + me->dists.v[i].edits, 1, &fx);
	if (rc)
		return fail(m, rc, "edit content");
	f = fixture_dist_file(&fx, "entry_points.txt");
	if (!f || asprintf(&path, "%s/%s/entry_points.txt", ent->dir, me->dists.v[i].dirname) < 0) {
		rc = fail(m, -ENOMEM, "edit");
		goto out;
	}
	snprintf(label, sizeof(label), "in-place edit of %s/entry_points.txt in entry %zu",
		 me->dists.v[i].dirname, e);
	b = clock_now_ns();
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	a = clock_now_ns();
	if (fd < 0) {
		rc = fail(m, -errno, "opening %s", path);
		goto out;
	}
	rc = commit(m, e, b, a, label); /* truncated: shows nothing for a moment */
	if (rc == 0)
		rc = write_pages(m, e, fd, f->data, f->len, label);
	if (rc == 0)
		me->dists.v[i].edits++;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	fixture_dist_release(&fx);
	return rc;
}

/* ---- the cache tree ---- */

static bool is_bystander(struct mutator *m, const char *abs)
{
	size_t rl = strlen(m->sb->root);

	if (strncmp(abs, m->sb->root, rl) != 0 || abs[rl] != '/')
		return false;
	for (const char *const *b = sandbox_bystanders(); *b; b++)
		if (!strcmp(abs + rl + 1, *b))
			return true;
	return false;
}

struct pathlist {
	char **v;
	bool *dir;
	size_t n, cap;
};

static void pathlist_free(struct pathlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->dir);
	memset(l, 0, sizeof(*l));
}

/* Everything below (and including) root that is not a bystander. */
static int collect(struct mutator *m, const char *path, bool isdir, struct pathlist *l, int depth)
{
	DIR *dir;
	struct dirent *de;
	int rc = 0;

	if (is_bystander(m, path) || depth > 32)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **v = realloc(l->v, cap * sizeof(*v));
		bool *dv;

		if (!v)
			return -ENOMEM;
		l->v = v;
		dv = realloc(l->dir, cap * sizeof(*dv));
		if (!dv)
			return -ENOMEM;
		l->dir = dv;
		l->cap = cap;
	}
	l->v[l->n] = strdup(path);
	if (!l->v[l->n])
		return -ENOMEM;
	l->dir[l->n++] = isdir;
	if (!isdir)
		return 0;
	dir = opendir(path);
	if (!dir)
		return 0;
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		struct stat st;
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0) {
			rc = -ENOMEM;
			break;
		}
		/* Symlinks, FIFOs and sockets too, or clear-cache would leave
		 * them (and their directories) behind. The other operations are
		 * safe with them: damage skips what is not a regular file, chmod
		 * touches directories only, and future-mtime does not follow. */
		rc = collect(m, sub, S_ISDIR(st.st_mode), l, depth + 1);
		free(sub);
	}
	closedir(dir);
	return rc;
}

static int cache_paths(struct mutator *m, struct pathlist *l)
{
	struct stat st;

	memset(l, 0, sizeof(*l));
	if (!m->cache_root || lstat(m->cache_root, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return collect(m, m->cache_root, true, l, 0);
}

static int damage_file(struct mutator *m, const char *path, enum damage_kind kind)
{
	struct stat st;
	int fd, rc = 0;

	if (kind == DAMAGE_MIXED)
		kind = (enum damage_kind)rng_below(&m->rng, DAMAGE_MIXED);
	/* A file with another link is a decoy planted earlier: writing into it
	 * would be the harness breaking I8, not the implementation. */
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		return 0;
	if (kind == DAMAGE_HARDLINK) {
		char *decoy;

		if (asprintf(&decoy, "%s/decoy%u", m->sb->decoy,
			     (unsigned)rng_below(&m->rng, m->sb->ndecoys)) < 0)
			return -ENOMEM;
		if (unlink(path) < 0 || link(decoy, path) < 0)
			rc = -errno;
		free(decoy);
		return rc;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (kind == DAMAGE_GARBAGE ? O_TRUNC : 0));
	if (fd < 0)
		return -errno;
	switch (kind) {
	case DAMAGE_TRUNCATE:
		if (st.st_size > 0 &&
		    ftruncate(fd, (off_t)rng_below(&m->rng, (uint64_t)st.st_size)) < 0)
			rc = -errno;
		break;
	case DAMAGE_ZERO: {
		char zero[4096] = {0};

		for (off_t off = 0; off < st.st_size && rc == 0; off += (off_t)sizeof(zero)) {
			size_t n = (size_t)(st.st_size - off) < sizeof(zero)
				       ? (size_t)(st.st_size - off)
				       : sizeof(zero);

			if (pwrite(fd, zero, n, off) != (ssize_t)n)
				rc = -EIO;
		}
		break;
	}
	case DAMAGE_BITFLIP: {
		unsigned char c;
		off_t off = (off_t)rng_below(&m->rng, (uint64_t)(st.st_size ? st.st_size : 1));
		int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (st.st_size && rfd >= 0 && pread(rfd, &c, 1, off) == 1) {
			c ^= (unsigned char)(1u << rng_below(&m->rng, 8));
			if (pwrite(fd, &c, 1, off) != 1)
				rc = -EIO;
		}
		if (rfd >= 0)
			close(rfd);
		break;
	}
	case DAMAGE_GARBAGE: {
		size_t n = 1 + (size_t)rng_below(&m->rng, (uint64_t)st.st_size * 2 + 64);
		unsigned char *buf = malloc(n);

		if (!buf) {
			rc = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)rng_next(&m->rng);
		if (write(fd, buf, n) != (ssize_t)n)
			rc = -EIO;
		free(buf);
		break;
	}
	default:
		break;
	}
	close(fd);
	return rc;
}

static int op_damage(struct mutator *m, enum damage_kind kind)
{
	struct pathlist l;
	int rc = cache_paths(m, &l);

	for (size_t i = 0; i < l.n && rc == 0; i++)
		if (!l.dir[i]) {
			rc = damage_file(m, l.v[i], kind);
			if (rc)
				rc = fail(m, rc, "damaging %s", l.v[i]);
		}
	pathlist_free(&l);
	return rc;
}

static int op_chmod_cache(struct mutator *m, unsigned mode)
{
	struct pathlist l;
	int rc = cache_paths(m, &l);

	/* Children first: a parent made unsearchable would hide them. */
	for (size_t i = l.n; i-- > 0 && rc == 0;)
		if (l.dir[i] && chmod(l.v[i], (mode_t)mode) < 0)
			rc = fail(m, -errno, "chmod %s", l.v[i]);
	pathlist_free(&l);
	return rc;
}

static int op_future_cache(struct mutator *m, long offset_s)
{
	struct pathlist l;
	struct timespec ts[2];
	int rc = cache_paths(m, &l);

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += offset_s;
	ts[1] = ts[0];
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		struct stat st;

		/* A file with another link is a decoy that damage planted: its
		 * times are the decoy's, outside the cache tree, and setting them
		 * would be the harness breaking I8 (as damage_file says). */
		if (!l.dir[i] && lstat(l.v[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink != 1)
			continue;
		if (utimensat(AT_FDCWD, l.v[i], ts, AT_SYMLINK_NOFOLLOW) < 0)
			rc = fail(m, -errno, "utimensat %s", l.v[i]);
	}
	pathlist_free(&l);
	return rc;
}

static int op_clear_cache(struct mutator *m)
{
	struct pathlist l;
	int rc = cache_paths(m, &l);

	/* Deepest first; directories holding bystanders stay. */
	for (size_t i = l.n; i-- > 1 && rc == 0;) {
		if (l.dir[i])
			rmdir(l.v[i]); /* fails while a bystander lives below: fine */
		else if (unlink(l.v[i]) < 0 && errno != ENOENT)
			rc = fail(m, -errno, "removing %s", l.v[i]);
	}
	pathlist_free(&l);
	return rc;
}

/* ---- entry point ---- */

static size_t pick_dir(struct mutator *m, const struct step *st, bool need_link)
{
	if (st->entry >= 0)
		return (size_t)st->entry;
	if (need_link) {
		size_t links = 0;

		for (size_t d = 0; d < m->sb->ndirs; d++)
			links += m->sb->entries[m->sb->dir_entry[d]].kind == ENTRY_LINK;
		size_t k = (size_t)rng_below(&m->rng, links);

		for (size_t d = 0; d < m->sb->ndirs; d++)
			if (m->sb->entries[m->sb->dir_entry[d]].kind == ENTRY_LINK && k-- == 0)
				return d;
	}
	return (size_t)rng_below(&m->rng, m->sb->ndirs);
}

static int apply_locked(struct mutator *m, const struct step *st)
{
	/* The loader checks `entry` in files, not in steps built by hand: one
	 * the sandbox does not have would index past m->ents and dir_entry. */
	bool on_entry = st->kind <= STEP_EDIT && st->kind >= STEP_INSTALL &&
			!(st->kind == STEP_FUTURE_MTIME && st->target == FUTURE_CACHE);

	if (on_entry &&
	    (m->sb->ndirs == 0 || (st->entry >= 0 && (size_t)st->entry >= m->sb->ndirs)))
		return fail(m, -EINVAL, "entry %d: there are %zu directory entries", st->entry,
			    m->sb->ndirs);
	switch (st->kind) {
	case STEP_INSTALL:
		return op_install(m, pick_dir(m, st, false), st->style);
	case STEP_UNINSTALL:
		return op_uninstall(m, pick_dir(m, st, false), st->style);
	case STEP_UPGRADE:
		return op_upgrade(m, pick_dir(m, st, false), st->style);
	case STEP_BRANCH_SWITCH:
		return op_branch_switch(m, pick_dir(m, st, false));
	case STEP_MTIME_RESTORE:
		return op_mtime_restore(m, pick_dir(m, st, false), st->style);
	case STEP_RELOCATE:
		return op_relocate(m, pick_dir(m, st, st->how == RELOCATE_SYMLINK), st->how);
	case STEP_FUTURE_MTIME:
		return st->target == FUTURE_CACHE
			   ? op_future_cache(m, st->offset_s)
			   : op_future_entry(m, pick_dir(m, st, false), st->offset_s);
	case STEP_EDIT:
		return op_edit(m, pick_dir(m, st, false));
	case STEP_DAMAGE:
		return op_damage(m, st->damage);
	case STEP_CHMOD_CACHE:
		return op_chmod_cache(m, st->mode);
	case STEP_ENV:
		if (st->home != ENV_KEEP)
			m->sb->home_mode = st->home;
		if (st->xdg != ENV_KEEP)
			m->sb->xdg_mode = st->xdg;
		return 0;
	case STEP_CLEAR_CACHE:
		return op_clear_cache(m);
	case STEP_RANDOM: {
		unsigned total = 0, k;

		for (size_t i = 0; i < st->nops; i++)
			total += st->ops[i].weight;
		k = (unsigned)rng_below(&m->rng, total);
		for (size_t i = 0; i < st->nops; i++) {
			if (k < st->ops[i].weight)
				return apply_locked(m, st->ops[i].step);
			k -= st->ops[i].weight;
		}
		return fail(m, -EINVAL, "random: no operation");
	}
	default:
		return fail(m, -EINVAL, "%s is not a mutation", step_kind_name(st->kind));
	}
}

int mutator_apply(struct mutator *m, const struct step *st)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	m->err[0] = '\0';
	rc = apply_locked(m, st);
	if (rc && !m->err[0])
		fail(m, rc, "%s", step_kind_name(st->kind));
	m->ops++;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int64_t mutator_last_change(struct mutator *m)
{
	int64_t t;

	pthread_mutex_lock(&m->lock);
	t = m->last_change_ns;
	pthread_mutex_unlock(&m->lock);
	return t;
}

int mutator_set_cache_root(struct mutator *m, const char *root)
{
	char *r = root ? strdup(root) : NULL;

	if (root && !r)
		return -ENOMEM;
	pthread_mutex_lock(&m->lock);
	free(m->cache_root);
	m->cache_root = r;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int mutator_init(struct mutator *m, struct sandbox *sb, struct history *h, struct watch *w,
		 uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->sb = sb;
	m->h = h;
	m->w = w;
	m->seed = seed;
	m->window_ns = 1000000000; /* PROTOCOL §6: the install window is 1 s */
	rng_seed(&m->rng, seed ^ 0x6d757461746f72ULL);
	m->ents = calloc(sb->ndirs ? sb->ndirs : 1, sizeof(*m->ents));
	if (!m->ents)
		return -ENOMEM;
	for (size_t d = 0; d < sb->ndirs; d++) {
		struct mentry *me = &m->ents[d];
		size_t e = sb->dir_entry[d];
		DIR *dir = opendir(sb->entries[e].dir);
		struct dirent *de;
		int rc = 0;

		me->next_index = (uint64_t)d * DIST_STRIDE + DIST_STRIDE / 2;
		if (!dir)
			return fail(m, -errno, "reading %s", sb->entries[e].dir);
		/* The model is what is really there: the fixture's distributions
		 * are regenerated from the names found (index and version are
		 * recovered by making each candidate and comparing names). */
		while (rc == 0 && (de = readdir(dir)) != NULL) {
			size_t len = strlen(de->d_name);

			if (len < 10 || (strcasecmp(de->d_name + len - 10, ".dist-info") &&
					 strcasecmp(de->d_name + len - 9, ".egg-info")))
				continue;
			mark_dist(m, sb->entries[e].dir, de->d_name, e);
		}
		closedir(dir);
		for (uint64_t i = 0; rc == 0; i++) {
			struct fixture_dist fx;
			char *p;
			struct stat st;

			rc = fixture_dist_make(seed, (uint64_t)d * DIST_STRIDE + i, 0, 0, &fx);
			if (rc)
				return fail(m, rc, "model");
			if (asprintf(&p, "%s/%s", sb->entries[e].dir, fx.dirname) < 0) {
				fixture_dist_release(&fx);
				return -ENOMEM;
			}
			if (stat(p, &st) == 0)
				rc = mlist_push(&me->dists, (uint64_t)d * DIST_STRIDE + i, 0,
						fx.has_entry_points, fx.dirname);
			else
				rc = 1; /* past the last one the fixture made */
			free(p);
			fixture_dist_release(&fx);
		}
		if (rc < 0)
			return fail(m, rc, "model");
	}
	return 0;
}

void mutator_release(struct mutator *m)
{
	for (size_t d = 0; m->ents && d < m->sb->ndirs; d++) {
		mlist_release(&m->ents[d].dists);
		mlist_release(&m->ents[d].other);
		free(m->ents[d].stash);
	}
	free(m->ents);
	free(m->cache_root);
	pthread_mutex_destroy(&m->lock);
	memset(m, 0, sizeof(*m));
}
