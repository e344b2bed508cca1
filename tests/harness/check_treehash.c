/* check_treehash.c: tree snapshots (files, directories, symlinks, a FIFO),
 * their diff (every kind of change, and what is deliberately not one: link
 * counts, directory timestamps), the skip callback, tree_count, and
 * tree_remove through locked directories, as root and as the owner uid. */
#include "hash.h"
#include "treehash.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static void mkd(const char *base, const char *rel, mode_t mode)
{
	char p[PATH_MAX];

	pathf(p, "%s/%s", base, rel);
	ck_assert_msg(mkdir(p, mode) == 0, "mkdir %s: %s", p, strerror(errno));
	/* mkdir's mode goes through the umask; the tests want it exact. */
	ck_assert(chmod(p, mode) == 0);
}

static void put(const char *base, const char *rel, const char *text)
{
	char p[PATH_MAX];
	int fd;

	pathf(p, "%s/%s", base, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
	ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	ck_assert(close(fd) == 0);
}

static void sym(const char *base, const char *rel, const char *target)
{
	char p[PATH_MAX];

	pathf(p, "%s/%s", base, rel);
	ck_assert_msg(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

static const struct tree_item *find(const struct tree_snap *s, const char *rel)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i].rel, rel))
			return &s->items[i];
	return NULL;
}

static void snap(const char *root, struct tree_snap *s)
{
	int rc = tree_snap_take(root, NULL, NULL, s);

	ck_assert_msg(rc == 0, "tree_snap_take %s: %s", root, strerror(-rc));
}

/* The changes from a to b as one string "rel what; rel what; ..." */
static char *changes(const struct tree_snap *a, const struct tree_snap *b)
{
	struct tree_change *c;
	size_t n;
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(tree_snap_diff(a, b, &c, &n), 0);
	f = open_memstream(&s, &len);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s %s", i ? "; " : "", c[i].rel, c[i].what);
	fclose(f);
	tree_changes_free(c, n);
	return s;
}

/* A small tree with one of everything. */
static void make_tree(const char *dir)
{
	char p[PATH_MAX];

	put(dir, "f", "hello");
	mkd(dir, "d", 0755);
	put(dir, "d/g", "inside\n");
	mkd(dir, "d/sub", 0700);
	sym(dir, "l", "f");
	sym(dir, "dl", "d"); /* a link to a directory: never followed */
	pathf(p, "%s/p", dir);
	ck_assert(mkfifo(p, 0600) == 0);
}

START_TEST(test_snapshot)
{
	static const char *const order[] = {"d", "d/g", "d/sub", "dl", "f", "l", "p"};
	char dir[PATH_MAX], p[PATH_MAX];
	struct tree_snap s;
	const struct tree_item *it;
	struct stat st;

	test_dir(dir, "snapshot");
	make_tree(dir);
	snap(dir, &s);
	/* Everything below the root, nothing through the symlinks, the root
	 * itself left out, sorted by path. */
	ck_assert_uint_eq(s.n, sizeof(order) / sizeof(*order));
	for (size_t i = 0; i < s.n; i++)
		ck_assert_str_eq(s.items[i].rel, order[i]);

	it = find(&s, "f");
	pathf(p, "%s/f", dir);
	ck_assert(lstat(p, &st) == 0);
	ck_assert(S_ISREG(it->mode));
	ck_assert_uint_eq(it->mode, st.st_mode);
	ck_assert_uint_eq(it->uid, st.st_uid);
	ck_assert_uint_eq(it->gid, st.st_gid);
	ck_assert_int_eq(it->size, 5);
	ck_assert_int_eq(it->mtime_ns,
			 (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
	ck_assert(it->content == hash64("hello", 5));
	ck_assert(!it->unreadable);

	it = find(&s, "l");
	ck_assert(S_ISLNK(it->mode));
	ck_assert(it->content == hash64("f", 1));
	ck_assert_int_eq(it->size, 1);
	ck_assert_int_eq(it->mtime_ns, 0);
	it = find(&s, "dl");
	ck_assert(S_ISLNK(it->mode));
	ck_assert(it->content == hash64("d", 1));

	it = find(&s, "d/sub");
	ck_assert(S_ISDIR(it->mode));
	ck_assert_uint_eq(it->mode & 07777, 0700);
	ck_assert_int_eq(it->size, 0);
	ck_assert_int_eq(it->mtime_ns, 0); /* directory timestamps are not recorded */

	/* The FIFO is recorded, never opened (opening it would block). */
	it = find(&s, "p");
	ck_assert(S_ISFIFO(it->mode));
	ck_assert(it->content == 0);
	ck_assert_int_eq(it->mtime_ns, 0);
	tree_snap_release(&s);
	ck_assert_ptr_null(s.items);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(test_equal_trees)
{
	char dir[PATH_MAX];
	struct tree_snap a, b;
	struct tree_change *c = (struct tree_change *)&c;
	size_t n = 9;

	test_dir(dir, "equal");
	make_tree(dir);
	snap(dir, &a);
	snap(dir, &b);
	ck_assert_int_eq(tree_snap_diff(&a, &b, &c, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(c);
	tree_changes_free(c, n);
	/* Two empty snapshots (a missing root) are equal too. */
	tree_snap_release(&b);
	pathf(dir, "%s/no-such-dir", scratch);
	snap(dir, &b);
	ck_assert_uint_eq(b.n, 0);
	ck_assert_int_eq(tree_snap_diff(&b, &b, &c, &n), 0);
	ck_assert_uint_eq(n, 0);
	tree_snap_release(&a);
	tree_snap_release(&b);
}
END_TEST

START_TEST(test_diff_kinds)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct tree_snap a, b;
	struct timespec ts[2] = {{.tv_sec = 1000000000, .tv_nsec = 0},
				 {.tv_sec = 1000000000, .tv_nsec = 0}};
	char *got;

	test_dir(dir, "kinds");
	put(dir, "content", "abcdef");
	put(dir, "gone", "x");
	put(dir, "mode", "m");
	put(dir, "owner", "o");
	put(dir, "type", "t");
	put(dir, "when", "w");
	sym(dir, "target", "aaa");
	mkd(dir, "dmode", 0755);
	mkd(dir, "dir", 0755);
	snap(dir, &a);

	put(dir, "content", "abcxef"); /* same size: only the hash tells */
	pathf(p, "%s/gone", dir);
	ck_assert(unlink(p) == 0);
	put(dir, "new", "n");
	pathf(p, "%s/mode", dir);
	ck_assert(chmod(p, 0600) == 0);
	pathf(p, "%s/owner", dir);
	ck_assert(chown(p, NOBODY, NOBODY) == 0);
	pathf(p, "%s/type", dir);
	ck_assert(unlink(p) == 0);
	ck_assert(mkdir(p, 0755) == 0);
	pathf(p, "%s/when", dir);
	ck_assert(utimensat(AT_FDCWD, p, ts, 0) == 0);
	pathf(p, "%s/target", dir);
	ck_assert(unlink(p) == 0);
	sym(dir, "target", "bbb"); /* same length: only the hash tells */
	pathf(p, "%s/dmode", dir);
	ck_assert(chmod(p, 0711) == 0);
	put(dir, "dir/inner", "i"); /* the directory's own mtime moves: not a change */
	snap(dir, &b);

	got = changes(&a, &b);
	ck_assert_str_eq(got, "content changed content; dir/inner created; dmode changed mode; "
			      "gone removed; mode changed mode; new created; owner changed owner; "
			      "target changed target; type changed type; when changed mtime");
	free(got);
	/* And back again: the reverse diff is the mirror. */
	got = changes(&b, &a);
	ck_assert_str_eq(got, "content changed content; dir/inner removed; dmode changed mode; "
			      "gone created; mode changed mode; new removed; owner changed owner; "
			      "target changed target; type changed type; when changed mtime");
	free(got);
	tree_snap_release(&a);
	tree_snap_release(&b);
}
END_TEST

START_TEST(test_group_and_size)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct tree_snap a, b;
	char *got;

	test_dir(dir, "group");
	put(dir, "g", "g");
	put(dir, "grow", "12");
	snap(dir, &a);
	pathf(p, "%s/g", dir);
	ck_assert(chown(p, (uid_t)-1, NOBODY) == 0); /* the group alone */
	put(dir, "grow", "123");
	snap(dir, &b);
	got = changes(&a, &b);
	ck_assert_str_eq(got, "g changed owner; grow changed content");
	free(got);
	tree_snap_release(&a);
	tree_snap_release(&b);
}
END_TEST

START_TEST(test_links_are_not_changes)
{
	char dir[PATH_MAX], other[PATH_MAX], p[PATH_MAX], q[PATH_MAX];
	struct tree_snap a, b;
	struct timespec ts[2] = {{.tv_sec = 12345, .tv_nsec = 0}, {.tv_sec = 12345, .tv_nsec = 0}};
	char *got;

	test_dir(dir, "links");
	test_dir(other, "links-elsewhere");
	put(dir, "decoy", "must never change\n");
	mkd(dir, "d", 0755);
	snap(dir, &a);
	/* The harness links decoys into cache trees: the decoy's link count
	 * (and ctime) move, and that must not read as a change to it. */
	pathf(p, "%s/decoy", dir);
	pathf(q, "%s/link", other);
	ck_assert(link(p, q) == 0);
	pathf(p, "%s/d", dir);
	ck_assert(utimensat(AT_FDCWD, p, ts, 0) == 0);
	snap(dir, &b);
	got = changes(&a, &b);
	ck_assert_str_eq(got, "");
	free(got);
	tree_snap_release(&a);
	tree_snap_release(&b);
}
END_TEST

/* Records which paths the callback was asked about, and skips "skipme"
 * (a directory) and "d/skipfile". */
struct skip_log {
	char asked[32][64];
	int n;
};

static bool skip_cb(void *ctx, const char *rel)
{
	struct skip_log *l = ctx;

	if (l->n < 32)
		snprintf(l->asked[l->n++], sizeof(l->asked[0]), "%s", rel);
	return !strcmp(rel, "skipme") || !strcmp(rel, "d/skipfile");
}

static bool asked(const struct skip_log *l, const char *rel)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->asked[i], rel))
			return true;
	return false;
}

START_TEST(test_skip)
{
	char dir[PATH_MAX];
	struct tree_snap s;
	struct skip_log log = {.n = 0};
	uint64_t files, dirs, bytes;

	test_dir(dir, "skip");
	mkd(dir, "skipme", 0755);
	put(dir, "skipme/hidden", "hidden");
	mkd(dir, "skipme/deeper", 0755);
	mkd(dir, "d", 0755);
	put(dir, "d/skipfile", "12345");
	put(dir, "d/kept", "123");
	ck_assert_int_eq(tree_snap_take(dir, skip_cb, &log, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.items[0].rel, "d");
	ck_assert_str_eq(s.items[1].rel, "d/kept");
	/* A skipped directory is pruned: nothing below it is even asked about. */
	ck_assert(asked(&log, "skipme"));
	ck_assert(!asked(&log, "skipme/hidden"));
	ck_assert(!asked(&log, "skipme/deeper"));
	ck_assert(asked(&log, "d/kept"));
	tree_snap_release(&s);

	log.n = 0;
	ck_assert_int_eq(tree_count(dir, skip_cb, &log, &files, &dirs, &bytes), 0);
	ck_assert_uint_eq(files, 1);
	ck_assert_uint_eq(dirs, 1);
	ck_assert_uint_eq(bytes, 3);
	ck_assert(!asked(&log, "skipme/hidden"));
}
END_TEST

START_TEST(test_take_errors)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct tree_snap s;
	int fd;

	/* A missing root is an empty snapshot, not an error. */
	pathf(p, "%s/absent", scratch);
	ck_assert_int_eq(tree_snap_take(p, NULL, NULL, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	tree_snap_release(&s);

	test_dir(dir, "take-errors");
	put(dir, "file", "x");
	pathf(p, "%s/file", dir);
	ck_assert_int_eq(tree_snap_take(p, NULL, NULL, &s), -ENOTDIR);
	ck_assert_uint_eq(s.n, 0);
	/* The root is never followed either. */
	sym(dir, "link", ".");
	pathf(p, "%s/link", dir);
	ck_assert_int_lt(tree_snap_take(p, NULL, NULL, &s), 0);

	/* Deeper than the walk goes: an error, never a silent cut, and
	 * nothing half-made is handed back. */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 70; i++) {
		int nfd;

		ck_assert(mkdirat(fd, "n", 0755) == 0);
		nfd = openat(fd, "n", O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(nfd, 0);
		close(fd);
		fd = nfd;
	}
	close(fd);
	ck_assert_int_eq(tree_snap_take(dir, NULL, NULL, &s), -ELOOP);
	ck_assert_ptr_null(s.items);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(test_count)
{
	char dir[PATH_MAX], p[PATH_MAX];
	uint64_t files = 9, dirs = 9, bytes = 9;

	test_dir(dir, "count");
	make_tree(dir);
	/* f (5 bytes), d/g (7), the links (their targets' lengths, 1 each)
	 * and the FIFO are files; d and d/sub are directories. */
	ck_assert_int_eq(tree_count(dir, NULL, NULL, &files, &dirs, &bytes), 0);
	ck_assert_uint_eq(files, 5);
	ck_assert_uint_eq(dirs, 2);
	ck_assert_uint_eq(bytes, 5 + 7 + 1 + 1);

	/* A missing root, and a root that is a file, count zero. */
	pathf(p, "%s/absent", dir);
	ck_assert_int_eq(tree_count(p, NULL, NULL, &files, &dirs, &bytes), 0);
	ck_assert_uint_eq(files + dirs + bytes, 0);
	pathf(p, "%s/f", dir);
	files = dirs = bytes = 9;
	ck_assert_int_eq(tree_count(p, NULL, NULL, &files, &dirs, &bytes), 0);
	ck_assert_uint_eq(files + dirs + bytes, 0);
	/* An empty directory: nothing below it. */
	pathf(p, "%s/d/sub", dir);
	ck_assert_int_eq(tree_count(p, NULL, NULL, &files, &dirs, &bytes), 0);
	ck_assert_uint_eq(files + dirs + bytes, 0);
}
END_TEST

/* A tree with directories locked as scenarios leave them. */
static void make_locked(const char *dir)
{
	mkd(dir, "open", 0755);
	put(dir, "open/f", "f");
	mkd(dir, "open/ro", 0755);
	put(dir, "open/ro/f", "f");
	mkd(dir, "open/ro/none", 0755);
	put(dir, "open/ro/none/f", "f");
	mkd(dir, "open/ro/none/deeper", 0755);
	sym(dir, "open/ro/none/deeper/l", "/");
	mkd(dir, "open/none", 0755);
}

static void lock_tree(const char *dir)
{
	char p[PATH_MAX];

	/* Innermost first, or the outer ones would stop us. */
	pathf(p, "%s/open/ro/none/deeper", dir);
	ck_assert(chmod(p, 0) == 0);
	pathf(p, "%s/open/ro/none", dir);
	ck_assert(chmod(p, 0) == 0);
	pathf(p, "%s/open/ro", dir);
	ck_assert(chmod(p, 0500) == 0);
	pathf(p, "%s/open/none", dir);
	ck_assert(chmod(p, 0) == 0);
}

START_TEST(test_remove_as_root)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct stat st;

	test_dir(dir, "remove-root");
	pathf(p, "%s/tree", dir);
	ck_assert(mkdir(p, 0755) == 0);
	make_locked(p);
	lock_tree(p);
	ck_assert_int_eq(tree_remove(p), 0);
	ck_assert(lstat(p, &st) < 0 && errno == ENOENT);
	/* Missing: nothing to do, not an error; a file and a symlink go too,
	 * the symlink's target stays. */
	ck_assert_int_eq(tree_remove(p), 0);
	put(dir, "file", "x");
	pathf(p, "%s/file", dir);
	ck_assert_int_eq(tree_remove(p), 0);
	ck_assert(lstat(p, &st) < 0);
	mkd(dir, "target", 0755);
	put(dir, "target/keep", "k");
	sym(dir, "link", "target");
	pathf(p, "%s/link", dir);
	ck_assert_int_eq(tree_remove(p), 0);
	ck_assert(lstat(p, &st) < 0);
	pathf(p, "%s/target/keep", dir);
	ck_assert(lstat(p, &st) == 0);
}
END_TEST

/* Runs fn(arg) in a child as uid/gid 65534: 0 on success, 77 when the
 * switch is impossible (not root), else fn's failure. */
static int as_nobody(int (*fn)(const char *), const char *arg)
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return 77;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(77);
		_exit(fn(arg));
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int remove_and_check(const char *path)
{
	struct stat st;
	int rc = tree_remove(path);

	if (rc)
		return 10 + (-rc & 0x3f);
	return lstat(path, &st) < 0 && errno == ENOENT ? 0 : 2;
}

static void chown_tree(const char *path)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "chown -hR %d:%d '%s'", NOBODY, NOBODY, path);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_remove_as_owner)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	/* As root, mode bits are bypassed: this is the case that needs the
	 * chmod inside tree_remove, an owner who is not root. */
	test_dir(dir, "remove-owner");
	ck_assert(chmod(dir, 0777) == 0);
	pathf(p, "%s/tree", dir);
	ck_assert(mkdir(p, 0755) == 0);
	make_locked(p);
	chown_tree(p);
	lock_tree(p);
	rc = as_nobody(remove_and_check, p);
	if (rc == 77) {
		fprintf(stderr, "check_treehash: skip remove_as_owner: cannot run as uid %d\n",
			NOBODY);
		return;
	}
	ck_assert_msg(rc == 0, "as uid %d, tree_remove: child status %d", NOBODY, rc);
}
END_TEST

static int remove_foreign(const char *path)
{
	struct stat st;
	int rc = tree_remove(path);

	/* The first failure comes back, and what could not go is still there. */
	if (rc != -EACCES)
		return 3;
	return lstat(path, &st) == 0 ? 0 : 4;
}

START_TEST(test_remove_not_owner)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	test_dir(dir, "remove-foreign");
	ck_assert(chmod(dir, 0777) == 0);
	mkd(dir, "tree", 0755);
	put(dir, "tree/f", "root's");
	pathf(p, "%s/tree", dir);
	rc = as_nobody(remove_foreign, p);
	if (rc == 77)
		return;
	ck_assert_msg(rc == 0, "as uid %d, removing root's tree: child status %d", NOBODY, rc);
	pathf(p, "%s/tree/f", dir);
	ck_assert(access(p, F_OK) == 0);
}
END_TEST

static int unreadable_flagged(const char *dir)
{
	struct tree_snap s;
	const struct tree_item *secret, *closed;
	int rc = tree_snap_take(dir, NULL, NULL, &s);

	if (rc)
		return 3;
	secret = find(&s, "secret");
	closed = find(&s, "closed");
	rc = !secret || !secret->unreadable   ? 4
	     : !closed || !closed->unreadable ? 5
	     : find(&s, "closed/inside")      ? 6
	     : find(&s, "plain")->unreadable  ? 7
					      : 0;
	tree_snap_release(&s);
	return rc;
}

START_TEST(test_unreadable_items)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	/* As the owner uid, a 0000 file and a 0000 directory cannot be read:
	 * the snapshot flags them instead of failing. */
	test_dir(dir, "unreadable");
	put(dir, "plain", "p");
	put(dir, "secret", "s");
	mkd(dir, "closed", 0755);
	put(dir, "closed/inside", "i");
	chown_tree(dir);
	pathf(p, "%s/secret", dir);
	ck_assert(chmod(p, 0) == 0);
	pathf(p, "%s/closed", dir);
	ck_assert(chmod(p, 0) == 0);
	rc = as_nobody(unreadable_flagged, dir);
	if (rc == 77) {
		fprintf(stderr, "check_treehash: skip unreadable_items: cannot run as uid %d\n",
			NOBODY);
		return;
	}
	ck_assert_msg(rc == 0, "as uid %d, unreadable items: child status %d", NOBODY, rc);
}
END_TEST

/* A chain of `depth` directories below dir/deep, a file in each, the one
 * at depth 100 locked 0000 once everything below it exists. */
static void make_deep(const char *dir, int depth)
{
	char p[PATH_MAX];
	int fd, lockfd = -1;

	pathf(p, "%s/deep", dir);
	ck_assert(mkdir(p, 0755) == 0);
	fd = open(p, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < depth; i++) {
		int nfd, f = openat(fd, "file", O_WRONLY | O_CREAT | O_EXCL, 0644);

		ck_assert_int_ge(f, 0);
		close(f);
		ck_assert(mkdirat(fd, "n", 0755) == 0);
		nfd = openat(fd, "n", O_RDONLY | O_DIRECTORY);
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

START_TEST(test_remove_deep)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct stat st;
	int rc;

	/* Deeper than the walk recurses: the tree must still go, whole. */
	test_dir(dir, "remove-deep");
	ck_assert(chmod(dir, 0777) == 0);
	make_deep(dir, 300);
	pathf(p, "%s/deep", dir);
	ck_assert_int_eq(tree_remove(p), 0);
	ck_assert(lstat(p, &st) < 0 && errno == ENOENT);

	make_deep(dir, 150);
	chown_tree(p);
	rc = as_nobody(remove_and_check, p);
	if (rc == 77)
		return;
	ck_assert_msg(rc == 0, "as uid %d, deep tree_remove: child status %d", NOBODY, rc);
}
END_TEST

static Suite *treehash_suite(void)
{
	Suite *s = suite_create("treehash");
	TCase *tc = tcase_create("snap");

	/* A FIFO opened by mistake would hang: show it as a timeout. */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_snapshot);
	tcase_add_test(tc, test_equal_trees);
	tcase_add_test(tc, test_diff_kinds);
	tcase_add_test(tc, test_group_and_size);
	tcase_add_test(tc, test_links_are_not_changes);
	tcase_add_test(tc, test_skip);
	tcase_add_test(tc, test_take_errors);
	tcase_add_test(tc, test_unreadable_items);
	suite_add_tcase(s, tc);

	tc = tcase_create("count-remove");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_count);
	tcase_add_test(tc, test_remove_as_root);
	tcase_add_test(tc, test_remove_as_owner);
	tcase_add_test(tc, test_remove_not_owner);
	tcase_add_test(tc, test_remove_deep);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_treehash", 1) < 0)
		return 2;
	return tu_run(treehash_suite(), "check_treehash");
}
