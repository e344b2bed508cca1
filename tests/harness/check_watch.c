/* check_watch.c: the watch against real opens and changes made by child
 * processes of the test, on the scratch filesystem and on tmpfs, through
 * fanotify (both of its groups) and through the inotify fallback. */
#include "history.h"
#include "watch.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Tree paths are short (mkdtemp under /tmp), buffers made from them longer:
 * so snprintf can be seen not to truncate. */
#define TP 512
#define BP 1024

struct tree {
	char root[TP / 4];
	char e0[TP / 2], e1[TP / 2];
	char a[TP], b[TP]; /* metadata directories in e0 and e1 */
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void make_dist(char out[TP], const char entry[TP / 2], const char *name)
{
	snprintf(out, TP, "%.*s/%s", TP / 2, entry, name);
	ck_assert_int_eq(mkdir(out, 0755), 0);
	put(out, "entry_points.txt", "[console_scripts]\nx = y:z\n");
	put(out, "METADATA", "Name: x\n");
}

static void tree_make(struct tree *t, const char *base)
{
	snprintf(t->root, sizeof(t->root), "%.32s/ct-watch-XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(t->root));
	snprintf(t->e0, sizeof(t->e0), "%s/e0", t->root);
	snprintf(t->e1, sizeof(t->e1), "%s/e1", t->root);
	ck_assert_int_eq(mkdir(t->e0, 0755), 0);
	ck_assert_int_eq(mkdir(t->e1, 0755), 0);
	make_dist(t->a, t->e0, "a-1.0.dist-info");
	make_dist(t->b, t->e1, "b-1.0.dist-info");
}

static void tree_remove(const struct tree *t)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	ck_assert_int_eq(system(cmd), 0);
}

/* A child in its own group opens dir/name (or dir) and reads a byte. With
 * a hold it then stays alive, its group readable, until kids_release(). */
struct kids {
	pid_t pid[8];
	int fd[8];
	int n;
};

static pid_t child_open(const char *dir, const char *name, struct kids *hold)
{
	char path[BP], c;
	int ready[2], release[2];
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	ck_assert(!hold || hold->n < 8);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(release), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		close(ready[0]);
		close(release[1]);
		setpgid(0, 0);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(1);
		if (read(fd, &c, 1) < 0 && errno != EISDIR)
			_exit(1);
		close(fd);
		/* opened: tell the parent, then wait for release[1] to close */
		if (write(ready[1], "", 1) != 1 || read(release[0], &c, 1) != 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	if (hold) {
		hold->pid[hold->n] = pid;
		hold->fd[hold->n++] = release[1];
		return pid;
	}
	close(release[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pid;
}

/* Every release end first: each kid holds copies of the ends of the kids
 * forked before it, so they go in a cascade from the last one. */
static void kids_release(struct kids *k)
{
	for (int i = 0; i < k->n; i++)
		close(k->fd[i]);
	for (int i = 0; i < k->n; i++) {
		int st;

		ck_assert_int_eq(waitpid(k->pid[i], &st, 0), k->pid[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	k->n = 0;
}

static void self_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

/* The fanotify story, on the filesystem under base. */
static void fanotify_story(const char *base, const char *force)
{
	struct tree t = {.root = ""};
	struct watch *w;
	const struct open_event *ev;
	char moved[TP], c[TP], gone[BP];
	struct kids kids = {.n = 0};
	pid_t p1, p3, p4;
	size_t n;
	int64_t t0 = clock_now_ns();
	int fds = count_fds();

	if (geteuid() != 0)
		return; /* fanotify needs CAP_SYS_ADMIN: the inotify test covers this */
	if (force)
		setenv(force, "1", 1);
	tree_make(&t, base);
	ck_assert_int_eq(watch_open(&w), 0);
	ck_assert_str_eq(watch_method(w), "fanotify");
	ck_assert_int_eq(watch_has_pids(w), 1);
	ck_assert_int_eq(watch_add_dist(w, t.a, 0), 0);
	ck_assert_int_eq(watch_add_dist(w, t.b, 1), 0);
	ck_assert_int_eq(watch_start(w), 0);

	p1 = child_open(t.a, "entry_points.txt", &kids);
	self_open(t.b, "entry_points.txt"); /* the harness's own: ignored */
	child_open(t.a, "METADATA", NULL);  /* another file: ignored */
	child_open(t.a, NULL, NULL);	    /* the directory itself: ignored */
	/* renamed into the other path entry: still the mark's entry */
	snprintf(moved, sizeof(moved), "%s/a-2.0.dist-info", t.e1);
	ck_assert_int_eq(rename(t.a, moved), 0);
	p3 = child_open(moved, "entry_points.txt", &kids);
	/* marked while the reader runs, as the mutator does */
	make_dist(c, t.e1, "c-1.0.dist-info");
	ck_assert_int_eq(watch_add_dist(w, c, 1), 0);
	p4 = child_open(c, "entry_points.txt", &kids);
	ck_assert_int_eq(watch_stop(w), 0);
	kids_release(&kids);

	ev = watch_opens(w, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ev[0].pid, p1);
	ck_assert_int_eq(ev[0].pgid, p1);
	ck_assert_uint_eq(ev[0].entry, 0);
	ck_assert_int_eq(ev[1].pid, p3);
	ck_assert_int_eq(ev[1].pgid, p3);
	ck_assert_uint_eq(ev[1].entry, 0);
	ck_assert_int_eq(ev[2].pid, p4);
	ck_assert_uint_eq(ev[2].entry, 1);
	ck_assert_int_le(t0, ev[0].ts_ns);
	ck_assert_int_le(ev[0].ts_ns, ev[1].ts_ns);
	ck_assert_int_le(ev[1].ts_ns, ev[2].ts_ns);
	ck_assert_int_le(ev[2].ts_ns, clock_now_ns());
	ck_assert_uint_eq(watch_lost(w), 0);

	/* restarted after a reset: only the new phase is seen */
	watch_reset(w);
	ck_assert_int_eq(watch_start(w), 0);
	p1 = child_open(t.b, "entry_points.txt", NULL);
	ck_assert_int_eq(watch_stop(w), 0);
	ev = watch_opens(w, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].pid, p1);
	ck_assert_uint_eq(ev[0].entry, 1);

	/* Events read only after their directory was renamed again and their
	 * file unlinked: still attributed. watch_stop() without a running
	 * reader drains what the kernel queued. */
	watch_reset(w);
	p1 = child_open(c, "entry_points.txt", NULL);
	snprintf(moved, sizeof(moved), "%s/c-2.0.dist-info", t.e0);
	ck_assert_int_eq(rename(c, moved), 0);
	p3 = child_open(t.b, "entry_points.txt", NULL);
	snprintf(gone, sizeof(gone), "%s/entry_points.txt", t.b);
	ck_assert_int_eq(unlink(gone), 0);
	ck_assert_int_eq(watch_stop(w), 0);
	ev = watch_opens(w, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ev[0].pid, p1);
	ck_assert_uint_eq(ev[0].entry, 1);
	ck_assert_int_eq(ev[1].pid, p3);
	ck_assert_uint_eq(ev[1].entry, 1);
	ck_assert_uint_eq(watch_lost(w), 0);
	watch_free(w);
	tree_remove(&t);
	ck_assert_int_eq(count_fds(), fds);
}

START_TEST(test_fanotify_fid)
{
	fanotify_story("/tmp", NULL);
}
END_TEST

START_TEST(test_fanotify_fid_tmpfs)
{
	struct stat st;

	if (stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0)
		fanotify_story("/dev/shm", NULL);
}
END_TEST

START_TEST(test_fanotify_fd)
{
	fanotify_story("/tmp", "CT_WATCH_FANOTIFY_FD");
}
END_TEST

START_TEST(test_inotify_fallback)
{
	struct tree t = {.root = ""};
	struct watch *w;
	const struct open_event *ev;
	char moved[TP];
	size_t n;
	int fds = count_fds();

	setenv("CT_WATCH_FORCE_INOTIFY", "1", 1);
	tree_make(&t, "/tmp");
	ck_assert_int_eq(watch_open(&w), 0);
	ck_assert_str_eq(watch_method(w), "inotify");
	ck_assert_int_eq(watch_has_pids(w), 0);
	ck_assert_int_eq(watch_add_dist(w, t.a, 0), 0);
	ck_assert_int_eq(watch_add_dist(w, t.b, 1), 0);
	ck_assert_int_eq(watch_start(w), 0);
	child_open(t.a, "entry_points.txt", NULL);
	child_open(t.a, "METADATA", NULL);
	child_open(t.b, NULL, NULL);
	snprintf(moved, sizeof(moved), "%s/b-2.0.dist-info", t.e0);
	ck_assert_int_eq(rename(t.b, moved), 0);
	child_open(moved, "entry_points.txt", NULL);
	ck_assert_int_eq(watch_stop(w), 0);
	ev = watch_opens(w, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ev[0].pid, 0);
	ck_assert_int_eq(ev[0].pgid, 0);
	ck_assert_uint_eq(ev[0].entry, 0);
	ck_assert_uint_eq(ev[1].entry, 1);
	watch_free(w);
	tree_remove(&t);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

static int has_event(struct watch *w, uint32_t mask, const char *path)
{
	const struct quiet_event *ev;
	size_t n;

	ev = watch_quiet_events(w, &n);
	for (size_t i = 0; i < n; i++)
		if ((ev[i].mask & mask) == mask && !strcmp(ev[i].path, path))
			return 1;
	return 0;
}

START_TEST(test_quiet)
{
	struct tree t = {.root = ""};
	struct watch *w;
	char x[BP], y[BP], z[BP];
	size_t n;
	int fd, fds = count_fds();

	tree_make(&t, "/tmp");
	ck_assert_int_eq(watch_open(&w), 0);
	ck_assert_int_eq(watch_add_quiet(w, t.e0), 0);
	ck_assert_int_eq(watch_add_quiet(w, t.e0), 0); /* twice: one watch */
	ck_assert_int_eq(watch_add_quiet(w, t.a), 0);

	/* a quiet run: reading and listing change nothing */
	ck_assert_int_eq(watch_start(w), 0);
	self_open(t.a, "entry_points.txt");
	fd = open(t.a, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	child_open(t.a, "METADATA", NULL);
	ck_assert_int_eq(watch_stop(w), 0);
	watch_quiet_events(w, &n);
	ck_assert_uint_eq(n, 0);

	/* every kind of change, each recorded with its path */
	ck_assert_int_eq(watch_start(w), 0);
	snprintf(x, sizeof(x), "%s/x", t.e0);
	snprintf(y, sizeof(y), "%s/y", t.e0);
	snprintf(z, sizeof(z), "%s/z", t.e0);
	fd = open(x, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	close(fd);
	ck_assert_int_eq(chmod(x, 0600), 0);
	ck_assert_int_eq(rename(x, y), 0);
	ck_assert_int_eq(unlink(y), 0);
	ck_assert_int_eq(mkdir(z, 0755), 0);
	ck_assert_int_eq(rmdir(z), 0);
	put(t.a, "METADATA", "Name: changed\n");
	ck_assert_int_eq(watch_stop(w), 0);
	ck_assert(has_event(w, IN_CREATE, x));
	ck_assert(has_event(w, IN_MODIFY, x));
	ck_assert(has_event(w, IN_CLOSE_WRITE, x));
	ck_assert(has_event(w, IN_ATTRIB, x));
	ck_assert(has_event(w, IN_MOVED_FROM, x));
	ck_assert(has_event(w, IN_MOVED_TO, y));
	ck_assert(has_event(w, IN_DELETE, y));
	ck_assert(has_event(w, IN_CREATE | IN_ISDIR, z));
	ck_assert(has_event(w, IN_DELETE | IN_ISDIR, z));
	snprintf(x, sizeof(x), "%s/METADATA", t.a);
	ck_assert(has_event(w, IN_MODIFY, x));
	ck_assert_uint_eq(watch_lost(w), 0);

	/* the watched directory itself going away */
	watch_reset(w);
	watch_quiet_events(w, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(watch_start(w), 0);
	snprintf(x, sizeof(x), "%s/ep", t.root);
	ck_assert_int_eq(rename(t.a, x), 0);
	ck_assert_int_eq(watch_stop(w), 0);
	ck_assert(has_event(w, IN_MOVE_SELF, t.a));
	ck_assert(has_event(w, IN_MOVED_FROM | IN_ISDIR, t.a));
	watch_free(w);
	tree_remove(&t);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* More events than the kernel queues while nobody reads: counted lost. */
START_TEST(test_overflow)
{
	struct tree t = {.root = ""};
	struct watch *w;
	char x[BP];
	size_t n;
	long max = 16384;
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 16384;
		fclose(f);
	}
	if (max > 100000)
		return; /* too slow to overflow here */
	tree_make(&t, "/tmp");
	snprintf(x, sizeof(x), "%s/x", t.e0);
	ck_assert_int_eq(watch_open(&w), 0);
	ck_assert_int_eq(watch_add_quiet(w, t.e0), 0);
	for (long i = 0; i < max / 2 + 1000; i++) {
		ck_assert_int_eq(mkdir(x, 0755), 0);
		ck_assert_int_eq(rmdir(x), 0);
	}
	ck_assert_int_eq(watch_start(w), 0);
	ck_assert_int_eq(watch_stop(w), 0);
	watch_quiet_events(w, &n);
	ck_assert_uint_gt(n, 1000);
	ck_assert_uint_ge(watch_lost(w), 1);
	watch_reset(w);
	ck_assert_uint_eq(watch_lost(w), 0);
	watch_free(w);
	tree_remove(&t);
}
END_TEST

START_TEST(test_errors)
{
	struct tree t = {.root = ""};
	struct watch *w;
	char f[BP];
	int fds = count_fds();

	tree_make(&t, "/tmp");
	snprintf(f, sizeof(f), "%s/entry_points.txt", t.a);
	ck_assert_int_eq(watch_open(&w), 0);
	ck_assert_int_eq(watch_add_dist(w, "/nonexistent/ct-watch", 0), -ENOENT);
	ck_assert_int_eq(watch_add_dist(w, f, 0), -ENOTDIR);
	ck_assert_int_eq(watch_add_quiet(w, "/nonexistent/ct-watch"), -ENOENT);
	ck_assert_int_eq(watch_add_quiet(w, f), -ENOTDIR);
	ck_assert_int_eq(watch_start(w), 0);
	ck_assert_int_eq(watch_start(w), -EBUSY);
	watch_free(w); /* still running: stops it */
	watch_free(NULL);
	tree_remove(&t);
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fanotify_fid);
	tcase_add_test(tc, test_fanotify_fid_tmpfs);
	tcase_add_test(tc, test_fanotify_fd);
	tcase_add_test(tc, test_inotify_fallback);
	tcase_add_test(tc, test_quiet);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(watch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
