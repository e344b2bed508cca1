/* check_walk.c: the tree walker on real trees: bytewise order at every
 * level, the same on tmpfs as on the scratch filesystem, pre- and post-order
 * events with depth, rel, name and a usable dirfd, symlinks reported and
 * never entered, the root's forms and failures, skip, stop, a visitor's
 * error, the depth limit, entries vanishing mid-walk, unreadable and
 * unsearchable directories (as uid 65534), a full descriptor table; then
 * walk_remove_tree: locked trees as root and as their owner, not the owner,
 * symlinks never followed (not even by the chmod), trees far deeper than
 * the walk, and a move up that fails. */
#include "util/walk.h"
#include "util/strbuf.h"
#include "testutil.h"
#include "treeutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a visitor that writes down what it is shown ---- */

struct rec {
	struct strbuf log;
	const char *skip, *stop, *stop_post, *fail_at; /* rels */
	const char *vanish_at, *vanish;		       /* at vanish_at, unlink vanish */
	int fail_ret;				       /* returned at WALK_FAIL */
	bool bad_dirfd;				       /* dirfd + name did not reach st */
};

static char type_of(const struct stat *st)
{
	return !st		       ? '?'
	       : S_ISDIR(st->st_mode)  ? 'd'
	       : S_ISREG(st->st_mode)  ? 'f'
	       : S_ISLNK(st->st_mode)  ? 'l'
	       : S_ISFIFO(st->st_mode) ? 'p'
				       : 'o';
}

/* One entry of the log: "P a/x 2 f;" (pre), "O a 1 d;" (post) or
 * "F a 1 d -13;" (fail). */
static int rec_visit(void *ctx, const struct walk_entry *e)
{
	struct rec *r = ctx;
	struct stat st;

	strbuf_addf(&r->log, "%c %s %d %c", "POF"[e->event], e -> rel, e -> depth, type_of(e->st));
	if (e->event == WALK_FAIL)
		strbuf_addf(&r->log, " %d", e->err);
	strbuf_addch(&r->log, ';');
	if (e->st && (fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		      st.st_ino != e->st->st_ino))
		r->bad_dirfd = true;
	if (e->event == WALK_FAIL)
		return r->fail_ret;
	if (e->event == WALK_POST)
		return r->stop_post && !strcmp(e->rel, r->stop_post) ? WALK_STOP : 0;
	if (r->vanish_at && !strcmp(e->rel, r->vanish_at))
		ck_assert(unlinkat(e->dirfd, r->vanish, 0) == 0);
	if (r->fail_at && !strcmp(e->rel, r->fail_at))
		return -EIO;
	if (r->stop && !strcmp(e->rel, r->stop))
		return WALK_STOP;
	return r->skip && !strcmp(e->rel, r->skip) ? WALK_SKIP : 0;
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->log, 0, NULL);
}

/* Walks dir with flags and max_depth into r; the walk's result. */
static int rec_walk(struct rec *r, const char *dir, unsigned flags, int max_depth)
{
	struct walk_opts o = {rec_visit, r, flags, max_depth};

	strbuf_reset(&r->log);
	strbuf_addstr(&r->log, "");
	return walk_tree(AT_FDCWD, dir, &o);
}

static void want_log(struct rec *r, const char *log)
{
	ck_assert_int_eq(r->log.err, 0);
	ck_assert_msg(!strcmp(r->log.buf, log), "log\n  %s\nwanted\n  %s", r->log.buf, log);
	ck_assert(!r->bad_dirfd);
}

/* ---- order ---- */

START_TEST(test_sorted_order)
{
	/* Made in an order that is neither sorted nor reversed. */
	static const char *const made[] = {"b", "B", "a-b", "9", "\xc3\xa9", "_", "10"};
	char dir[PATH_MAX];
	struct rec r;

	test_dir(dir, "order");
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		tree_put(dir, made[i], "x", 1);
	tree_mkdir(dir, "a", 0755);
	tree_put(dir, "a/x", "x", 1);
	tree_put(dir, "a/X", "x", 1);
	rec_init(&r);
	ck_assert_int_eq(rec_walk(&r, dir, 0, 0), 0);
	/* Bytewise at every level, depth first: "a/x" before "a-b" although
	 * '-' < '/', and the byte 0xc3 after every ASCII one. */
	want_log(&r, "P 10 1 f;P 9 1 f;P B 1 f;P _ 1 f;P a 1 d;P a/X 2 f;P a/x 2 f;"
		     "P a-b 1 f;P b 1 f;P \xc3\xa9 1 f;");
	strbuf_release(&r.log);
}
END_TEST

/* 300 names made in a scrambled order, some of them directories. */
static void make_many(const char *dir)
{
	char rel[64];

	for (unsigned i = 0; i < 300; i++) {
		unsigned k = (i * 7919u) % 300u;

		snprintf(rel, sizeof(rel), "n%u", k);
		if (k % 10 == 0) {
			tree_mkdir(dir, rel, 0755);
			snprintf(rel, sizeof(rel), "n%u/z%u", k, 300 - k);
			tree_put(dir, rel, "x", 1);
			snprintf(rel, sizeof(rel), "n%u/a%u", k, k);
		}
		tree_put(dir, rel, "x", 1);
	}
}

/* readdir's own order of dir, as "name;name;..." */
static void raw_order(const char *dir, struct strbuf *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strbuf_addf(out, "%s;", de->d_name);
	closedir(d);
}

/* In a mount namespace of its own, a tmpfs beside the scratch tree: the
 * same tree walks the same on both, whatever readdir says. */
static int tmpfs_compare(void *arg)
{
	const char *dir = arg;
	char disk[PATH_MAX], mem[PATH_MAX];
	struct strbuf raw_disk = STRBUF_INIT, raw_mem = STRBUF_INIT;
	struct rec a, b;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return FT_SKIP;
	pathf(disk, "%s/disk", dir);
	pathf(mem, "%s/mem", dir);
	if (mount("tmpfs", mem, "tmpfs", 0, "size=16m") < 0)
		return FT_SKIP;
	make_many(disk);
	make_many(mem);
	rec_init(&a);
	rec_init(&b);
	if (rec_walk(&a, disk, 0, 0) || rec_walk(&b, mem, 0, 0))
		return 1;
	if (strcmp(a.log.buf, b.log.buf))
		return 2;
	raw_order(disk, &raw_disk);
	raw_order(mem, &raw_mem);
	fprintf(stderr, "check_walk: readdir order on disk and on tmpfs %s\n",
		strcmp(raw_disk.buf, raw_mem.buf) ? "differ" : "agree here");
	umount(mem);
	return 0;
}

START_TEST(test_same_order_on_tmpfs)
{
	char dir[PATH_MAX];
	int rc;

	test_dir(dir, "tmpfs");
	tree_mkdir(dir, "disk", 0755);
	tree_mkdir(dir, "mem", 0755);
	rc = ft_in_child(tmpfs_compare, dir);
	if (ft_skipped(rc, "check_walk", "same_order_on_tmpfs"))
		return;
	ck_assert_msg(rc == 0, "tmpfs_compare: case %d", rc);
}
END_TEST

/* ---- events ---- */

/* root/a/x, root/f, root/l -> a, root/p (a FIFO) */
static void make_small(const char *dir)
{
	char p[PATH_MAX];

	tree_mkdir(dir, "a", 0755);
	tree_put(dir, "a/x", "x", 1);
	tree_put(dir, "f", "x", 1);
	tree_symlink(dir, "l", "a");
	pathf(p, "%s/p", dir);
	ck_assert(mkfifo(p, 0644) == 0);
}

START_TEST(test_events)
{
	char dir[PATH_MAX];
	struct rec r;

	test_dir(dir, "events");
	make_small(dir);
	rec_init(&r);
	ck_assert_int_eq(rec_walk(&r, dir, WALK_ROOT | WALK_POSTORDER, 0), 0);
	/* The symlink to a directory is an entry, never entered. */
	want_log(&r, "P  0 d;P a 1 d;P a/x 2 f;O a 1 d;P f 1 f;P l 1 l;P p 1 p;O  0 d;");
	ck_assert_int_eq(rec_walk(&r, dir, WALK_POSTORDER, 0), 0);
	want_log(&r, "P a 1 d;P a/x 2 f;O a 1 d;P f 1 f;P l 1 l;P p 1 p;");
	ck_assert_int_eq(rec_walk(&r, dir, WALK_ROOT, 0), 0);
	want_log(&r, "P  0 d;P a 1 d;P a/x 2 f;P f 1 f;P l 1 l;P p 1 p;");
	strbuf_release(&r.log);
}
END_TEST

/* The root's name and dirfd as the visitor sees them. */
static int root_names(void *ctx, const struct walk_entry *e)
{
	if (e->depth == 0)
		strbuf_addf(ctx, "%s|%s|%d;", e->name, e->rel, e->dirfd);
	return 0;
}

START_TEST(test_root_forms)
{
	char dir[PATH_MAX], p[PATH_MAX], want[64];
	struct strbuf names = STRBUF_INIT;
	struct walk_opts o = {root_names, &names, WALK_ROOT | WALK_POSTORDER, 0};
	struct rec r;
	int dfd;

	test_dir(dir, "roots");
	tree_mkdir(dir, "tree", 0755);
	tree_put(dir, "tree/f", "x", 1);
	tree_put(dir, "file", "x", 1);
	tree_symlink(dir, "link", "tree");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	/* Relative to a dirfd, and "." of a dirfd. */
	ck_assert_int_eq(walk_tree(dfd, "tree", &o), 0);
	snprintf(want, sizeof(want), "tree||%d;tree||%d;", dfd, dfd);
	ck_assert_str_eq(names.buf, want);
	strbuf_reset(&names);
	ck_assert_int_eq(walk_tree(dfd, ".", &o), 0);
	snprintf(want, sizeof(want), ".||%d;.||%d;", dfd, dfd);
	ck_assert_str_eq(names.buf, want);
	strbuf_release(&names);
	close(dfd);

	/* A root that is a symlink, a file or nothing is an error. */
	rec_init(&r);
	pathf(p, "%s/link", dir);
	ck_assert_int_eq(rec_walk(&r, p, WALK_ROOT, 0), -ENOTDIR);
	ck_assert_int_lt(rec_walk(&r, p, 0, 0), 0);
	want_log(&r, "");
	pathf(p, "%s/file", dir);
	ck_assert_int_eq(rec_walk(&r, p, WALK_ROOT, 0), -ENOTDIR);
	ck_assert_int_eq(rec_walk(&r, p, 0, 0), -ENOTDIR);
	pathf(p, "%s/absent", dir);
	ck_assert_int_eq(rec_walk(&r, p, WALK_ROOT, 0), -ENOENT);
	ck_assert_int_eq(rec_walk(&r, p, 0, 0), -ENOENT);
	want_log(&r, "");
	strbuf_release(&r.log);
}
END_TEST

START_TEST(test_invalid_options)
{
	struct walk_opts o = {NULL, NULL, 0, 0};

	ck_assert_int_eq(walk_tree(AT_FDCWD, "/", &o), -EINVAL);
	o.visit = rec_visit;
	o.max_depth = -1;
	ck_assert_int_eq(walk_tree(AT_FDCWD, "/", &o), -EINVAL);
}
END_TEST

/* ---- what a visitor can say ---- */

START_TEST(test_skip)
{
	char dir[PATH_MAX];
	struct rec r;

	test_dir(dir, "skip");
	make_small(dir);
	rec_init(&r);
	/* A skipped directory is not entered and gets no post event. */
	r.skip = "a";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_POSTORDER, 0), 0);
	want_log(&r, "P a 1 d;P f 1 f;P l 1 l;P p 1 p;");
	/* Skipping a file changes nothing. */
	r.skip = "f";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_POSTORDER, 0), 0);
	want_log(&r, "P a 1 d;P a/x 2 f;O a 1 d;P f 1 f;P l 1 l;P p 1 p;");
	/* Skipping the root: nothing more. */
	r.skip = "";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_ROOT | WALK_POSTORDER, 0), 0);
	want_log(&r, "P  0 d;");
	strbuf_release(&r.log);
}
END_TEST

START_TEST(test_stop_and_error)
{
	char dir[PATH_MAX];
	struct rec r;

	test_dir(dir, "stop");
	make_small(dir);
	rec_init(&r);
	/* Stop: no more calls, not even the post events of the parents. */
	r.stop = "a/x";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_ROOT | WALK_POSTORDER, 0), 0);
	want_log(&r, "P  0 d;P a 1 d;P a/x 2 f;");
	r.stop = NULL;
	r.stop_post = "a";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_ROOT | WALK_POSTORDER, 0), 0);
	want_log(&r, "P  0 d;P a 1 d;P a/x 2 f;O a 1 d;");
	r.stop_post = "";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_ROOT | WALK_POSTORDER, 0), 0);
	want_log(&r, "P  0 d;P a 1 d;P a/x 2 f;O a 1 d;P f 1 f;P l 1 l;P p 1 p;O  0 d;");
	/* An error ends the walk and is its result. */
	r.stop_post = NULL;
	r.fail_at = "a/x";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_POSTORDER, 0), -EIO);
	want_log(&r, "P a 1 d;P a/x 2 f;");
	r.fail_at = "";
	ck_assert_int_eq(rec_walk(&r, dir, WALK_ROOT, 0), -EIO);
	want_log(&r, "P  0 d;");
	strbuf_release(&r.log);
}
END_TEST

/* How many times needle occurs in hay. */
static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(test_depth_limit)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct rec r;

	test_dir(dir, "depth");
	tree_chain(dir, 5);
	rec_init(&r);
	/* Depth 3 entries are visited; the directory there is not entered. */
	ck_assert_int_eq(rec_walk(&r, dir, WALK_POSTORDER, 3), 0);
	want_log(&r, "P d 1 d;P d/d 2 d;P d/d/d 3 d;F d/d/d 3 d -40;O d/d/d 3 d;P d/d/f 3 f;"
		     "O d/d 2 d;P d/f 2 f;O d 1 d;P f 1 f;");
	/* WALK_SKIP there is as good as 0. */
	r.fail_ret = WALK_SKIP;
	ck_assert_int_eq(rec_walk(&r, dir, WALK_POSTORDER, 3), 0);
	want_log(&r, "P d 1 d;P d/d 2 d;P d/d/d 3 d;F d/d/d 3 d -40;O d/d/d 3 d;P d/d/f 3 f;"
		     "O d/d 2 d;P d/f 2 f;O d 1 d;P f 1 f;");
	/* A visitor that takes the limit for an error ends the walk there. */
	r.fail_ret = -ELOOP;
	ck_assert_int_eq(rec_walk(&r, dir, 0, 3), -ELOOP);
	want_log(&r, "P d 1 d;P d/d 2 d;P d/d/d 3 d;F d/d/d 3 d -40;");
	/* The default limit. */
	r.fail_ret = 0;
	pathf(p, "%s/long", dir);
	ck_assert(mkdir(p, 0755) == 0);
	tree_chain(p, WALK_DEPTH_DEFAULT + 6);
	ck_assert_int_eq(rec_walk(&r, p, 0, 0), 0);
	ck_assert_int_eq(count(r.log.buf, "F "), 1);
	ck_assert_int_eq(count(r.log.buf, " 64 d -40;"), 1);
	ck_assert_int_eq(count(r.log.buf, " 65 "), 0);
	strbuf_release(&r.log);
}
END_TEST

START_TEST(test_vanished_entry)
{
	char dir[PATH_MAX];
	struct rec r;

	test_dir(dir, "vanish");
	tree_put(dir, "a", "x", 1);
	tree_put(dir, "b", "x", 1);
	tree_put(dir, "c", "x", 1);
	rec_init(&r);
	/* Listed, then gone before its turn: simply not there. */
	r.vanish_at = "a";
	r.vanish = "b";
	ck_assert_int_eq(rec_walk(&r, dir, 0, 0), 0);
	want_log(&r, "P a 1 f;P c 1 f;");
	strbuf_release(&r.log);
}
END_TEST

/* As uid 65534 in a tree it owns: a 0000 directory cannot be opened, a
 * 0444 one can be listed but not searched (every fstatat in it fails). */
static int walk_unreadable(void *arg)
{
	const char *dir = arg;
	char p[PATH_MAX];
	struct rec r;
	int rc;

	rec_init(&r);
	rc = rec_walk(&r, dir, WALK_POSTORDER, 0);
	if (rc)
		return 1;
	if (strcmp(r.log.buf, "P closed 1 d;F closed 1 d -13;O closed 1 d;P listed 1 d;"
			      "F listed/inside 2 ? -13;O listed 1 d;P open 1 d;P open/x 2 f;"
			      "O open 1 d;")) {
		fprintf(stderr, "check_walk: as nobody: %s\n", r.log.buf);
		return 2;
	}
	/* A root it may not open is the walk's own error. */
	pathf(p, "%s/closed", dir);
	if (rec_walk(&r, p, 0, 0) != -EACCES || rec_walk(&r, p, WALK_ROOT, 0) != -EACCES)
		return 3;
	strbuf_release(&r.log);
	return 0;
}

START_TEST(test_unreadable_dirs)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	test_dir(dir, "unreadable");
	tree_mkdir(dir, "closed", 0755);
	tree_put(dir, "closed/hidden", "x", 1);
	tree_mkdir(dir, "listed", 0755);
	tree_put(dir, "listed/inside", "x", 1);
	tree_mkdir(dir, "open", 0755);
	tree_put(dir, "open/x", "x", 1);
	tree_give_to_nobody(dir);
	pathf(p, "%s/closed", dir);
	ck_assert(chmod(p, 0) == 0);
	pathf(p, "%s/listed", dir);
	ck_assert(chmod(p, 0444) == 0);
	rc = ft_as_nobody(walk_unreadable, dir);
	if (ft_skipped(rc, "check_walk", "unreadable_dirs"))
		return;
	ck_assert_msg(rc == 0, "as uid %d: case %d", FT_NOBODY, rc);
}
END_TEST

/* With three descriptors to spare, a chain of ten runs out: the directory
 * that cannot be opened is reported and the walk goes on. */
static int walk_emfile(void *arg)
{
	struct rec r;

	rec_init(&r);
	if (rec_walk(&r, arg, 0, 0) != 0)
		return 1;
	if (count(r.log.buf, " -24;") != 1 || count(r.log.buf, "P ") < 3)
		return 2;
	return 0;
}

START_TEST(test_out_of_descriptors)
{
	char dir[PATH_MAX];

	test_dir(dir, "emfile");
	tree_chain(dir, 10);
	ck_assert_int_eq(ft_with_fds(walk_emfile, dir, 3), 0);
}
END_TEST

/* ---- removal ---- */

/* A tree with directories locked as scenarios leave them, and a symlink to
 * a locked directory outside it that must stay as it is. */
static void make_locked(const char *dir)
{
	char p[PATH_MAX];

	tree_mkdir(dir, "tree", 0755);
	tree_mkdir(dir, "tree/ro", 0755);
	tree_put(dir, "tree/ro/f", "x", 1);
	tree_mkdir(dir, "tree/ro/none", 0755);
	tree_put(dir, "tree/ro/none/f", "x", 1);
	tree_mkdir(dir, "tree/ro/none/deeper", 0755);
	tree_symlink(dir, "tree/ro/none/deeper/root", "/");
	tree_mkdir(dir, "tree/none", 0755);
	pathf(p, "%s/tree/fifo", dir);
	ck_assert(mkfifo(p, 0644) == 0);
	tree_mkdir(dir, "outside", 0755);
	tree_put(dir, "outside/keep", "x", 1);
	tree_symlink(dir, "tree/out", "../outside");
}

static void lock_tree(const char *dir)
{
	static const struct {
		const char *rel;
		mode_t mode;
	} locks[] = {
	    {"tree/ro/none/deeper", 0}, {"tree/ro/none", 0}, {"tree/ro", 0500},
	    {"tree/none", 0},		{"outside", 0},
	};
	char p[PATH_MAX];

	/* Innermost first, or the outer ones would stop us. */
	for (size_t i = 0; i < sizeof(locks) / sizeof(locks[0]); i++) {
		pathf(p, "%s/%s", dir, locks[i].rel);
		ck_assert(chmod(p, locks[i].mode) == 0);
	}
}

/* The tree is gone and outside is untouched, its mode too. */
static int locked_gone(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	if (tree_exists(dir, "tree"))
		return 10;
	pathf(p, "%s/outside", dir);
	if (lstat(p, &st) < 0 || (st.st_mode & 07777) != 0)
		return 11;
	return 0;
}

START_TEST(test_remove_locked_as_root)
{
	char dir[PATH_MAX], p[PATH_MAX];

	test_dir(dir, "rm-root");
	make_locked(dir);
	lock_tree(dir);
	pathf(p, "%s/tree", dir);
	ck_assert_int_eq(walk_remove_tree(AT_FDCWD, p), 0);
	ck_assert_int_eq(locked_gone(dir), 0);
	pathf(p, "%s/outside", dir);
	ck_assert(chmod(p, 0755) == 0);
	ck_assert(tree_exists(dir, "outside/keep"));
}
END_TEST

static int remove_locked(void *arg)
{
	char p[PATH_MAX];
	int rc;

	pathf(p, "%s/tree", (const char *)arg);
	rc = walk_remove_tree(AT_FDCWD, p);
	return rc ? 20 + (-rc & 0x1f) : locked_gone(arg);
}

START_TEST(test_remove_locked_as_owner)
{
	char dir[PATH_MAX];
	int rc;

	/* Root bypasses mode bits: the chmod is for an owner who is not. */
	test_dir(dir, "rm-owner");
	ck_assert(chmod(dir, 0777) == 0);
	make_locked(dir);
	tree_give_to_nobody(dir);
	lock_tree(dir);
	rc = ft_as_nobody(remove_locked, dir);
	if (ft_skipped(rc, "check_walk", "remove_locked_as_owner"))
		return;
	ck_assert_msg(rc == 0, "as uid %d: child status %d", FT_NOBODY, rc);
}
END_TEST

static int remove_foreign(void *arg)
{
	int rc = walk_remove_tree(AT_FDCWD, arg);
	struct stat st;

	/* The first failure comes back; what could not go is still there. */
	if (rc != -EACCES)
		return 1;
	return lstat(arg, &st) == 0 ? 0 : 2;
}

START_TEST(test_remove_not_owner)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	test_dir(dir, "rm-foreign");
	tree_mkdir(dir, "tree", 0755);
	tree_put(dir, "tree/f", "x", 1);
	pathf(p, "%s/tree", dir);
	rc = ft_as_nobody(remove_foreign, p);
	if (ft_skipped(rc, "check_walk", "remove_not_owner"))
		return;
	ck_assert_msg(rc == 0, "as uid %d: child status %d", FT_NOBODY, rc);
	ck_assert(tree_exists(dir, "tree/f"));
}
END_TEST

START_TEST(test_remove_forms)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int dfd;

	test_dir(dir, "rm-forms");
	/* Missing: nothing to do. */
	pathf(p, "%s/absent", dir);
	ck_assert_int_eq(walk_remove_tree(AT_FDCWD, p), 0);
	/* A file, a FIFO, a symlink (its target stays), relative to a dirfd. */
	tree_put(dir, "file", "x", 1);
	pathf(p, "%s/fifo", dir);
	ck_assert(mkfifo(p, 0644) == 0);
	tree_mkdir(dir, "target", 0755);
	tree_put(dir, "target/keep", "x", 1);
	tree_symlink(dir, "link", "target");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(walk_remove_tree(dfd, "file"), 0);
	ck_assert_int_eq(walk_remove_tree(dfd, "fifo"), 0);
	ck_assert_int_eq(walk_remove_tree(dfd, "link"), 0);
	ck_assert(!tree_exists(dir, "file") && !tree_exists(dir, "fifo") &&
		  !tree_exists(dir, "link"));
	ck_assert(tree_exists(dir, "target/keep"));
	/* A root that is locked itself. */
	ck_assert(fchmodat(dfd, "target", 0, 0) == 0);
	ck_assert_int_eq(walk_remove_tree(dfd, "target"), 0);
	ck_assert(!tree_exists(dir, "target"));
	/* A directory fd that is not one. */
	ck_assert_int_eq(walk_remove_tree(9999, "x"), -EBADF);
	close(dfd);
}
END_TEST

/* dir/deep: a chain of n directories "n", a file in each; the one at
 * depth 100 locked 0000 once everything below it exists. */
static void make_deep(const char *dir, int n)
{
	char p[PATH_MAX];
	int fd, lockfd = -1;

	pathf(p, "%s/deep", dir);
	ck_assert(mkdir(p, 0755) == 0);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < n; i++) {
		int nfd, f = openat(fd, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		ck_assert_int_ge(f, 0);
		close(f);
		ck_assert(mkdirat(fd, "n", 0755) == 0);
		nfd = openat(fd, "n", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_ge(nfd, 0);
		if (i == 99)
			lockfd = dup(fd);
		close(fd);
		fd = nfd;
	}
	close(fd);
	if (lockfd >= 0) {
		ck_assert(fchmodat(lockfd, "n", 0, 0) == 0);
		close(lockfd);
	}
}

static int remove_deep(void *arg)
{
	char p[PATH_MAX];
	int rc;

	pathf(p, "%s/deep", (const char *)arg);
	rc = walk_remove_tree(AT_FDCWD, p);
	if (rc)
		return 20 + (-rc & 0x1f);
	return tree_exists(arg, "deep") ? 2 : 0;
}

START_TEST(test_remove_deep)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	/* Far deeper than the walk goes: the tree must still go, whole. */
	test_dir(dir, "rm-deep");
	ck_assert(chmod(dir, 0777) == 0);
	make_deep(dir, 300);
	/* A name the first moved subtree would take is taken, and still
	 * there when it moves: "+" sorts before ".walk_remove.0". */
	pathf(p, "%s/deep/+", dir);
	ck_assert(mkdir(p, 0755) == 0);
	tree_chain(p, WALK_DEPTH_DEFAULT + 10);
	tree_put(dir, "deep/.walk_remove.0", "x", 1);
	ck_assert_int_eq(remove_deep(dir), 0);

	make_deep(dir, 150);
	pathf(p, "%s/deep", dir);
	tree_give_to_nobody(p);
	rc = ft_as_nobody(remove_deep, dir);
	if (ft_skipped(rc, "check_walk", "remove_deep as owner"))
		return;
	ck_assert_msg(rc == 0, "as uid %d: child status %d", FT_NOBODY, rc);
}
END_TEST

START_TEST(test_remove_move_fails)
{
	char dir[PATH_MAX], p[PATH_MAX];
	size_t n;
	int rc;

	/* The directory at the limit cannot leave its parent, which is
	 * root's: the move fails, and so does the removal, with its error. */
	test_dir(dir, "rm-stuck");
	ck_assert(chmod(dir, 0777) == 0);
	make_deep(dir, 80);
	pathf(p, "%s/deep", dir);
	tree_give_to_nobody(p);
	n = strlen(p);
	for (int i = 0; i < WALK_DEPTH_DEFAULT - 1; i++) {
		ck_assert_uint_lt(n + 3, sizeof(p));
		memcpy(p + n, "/n", 3);
		n += 2;
	}
	ck_assert(lchown(p, 0, 0) == 0);
	rc = ft_as_nobody(remove_deep, dir);
	if (ft_skipped(rc, "check_walk", "remove_move_fails"))
		return;
	ck_assert_msg(rc == 20 + EACCES, "as uid %d: child status %d", FT_NOBODY, rc);
	ck_assert(tree_exists(dir, "deep"));
}
END_TEST

static Suite *walk_suite(void)
{
	Suite *s = suite_create("walk");
	TCase *tc = tcase_create("walk");

	/* A FIFO opened by mistake would hang: show it as a timeout. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sorted_order);
	tcase_add_test(tc, test_same_order_on_tmpfs);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_root_forms);
	tcase_add_test(tc, test_invalid_options);
	tcase_add_test(tc, test_skip);
	tcase_add_test(tc, test_stop_and_error);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_vanished_entry);
	tcase_add_test(tc, test_unreadable_dirs);
	tcase_add_test(tc, test_out_of_descriptors);
	suite_add_tcase(s, tc);

	tc = tcase_create("remove");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_remove_locked_as_root);
	tcase_add_test(tc, test_remove_locked_as_owner);
	tcase_add_test(tc, test_remove_not_owner);
	tcase_add_test(tc, test_remove_forms);
	tcase_add_test(tc, test_remove_deep);
	tcase_add_test(tc, test_remove_move_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_walk", 1) < 0)
		return 2;
	return tu_run(walk_suite(), "check_walk");
}
