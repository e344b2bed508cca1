/* check_oracle.c: the oracle against the parser cases in fixtures/oracle/parse,
 * hand-built trees for every scan rule of PROTOCOL.md section 3, and
 * Python's importlib.metadata on generated and hand-made well-formed trees. */
#include "fixture.h"
#include "hash.h"
#include "oracle.h"
#include "view.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- small helpers: a failing helper fails the test that called it ---- */

static void mkdirs(const char *base, const char *rel)
{
	char p[PATH_MAX];

	pathf(p, "%s/%s", base, rel);
	ck_assert_msg(mkdir(p, 0755) == 0, "mkdir %s: %s", p, strerror(errno));
}

static void put_bytes(const char *base, const char *rel, const char *data, size_t len)
{
	char p[PATH_MAX];
	int fd;

	pathf(p, "%s/%s", base, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
	ck_assert(write(fd, data, len) == (ssize_t)len);
	ck_assert(close(fd) == 0);
}

static void put(const char *base, const char *rel, const char *text)
{
	put_bytes(base, rel, text, strlen(text));
}

/* A metadata directory holding an entry_points.txt. */
static void put_dist(const char *base, const char *dist, const char *ep)
{
	char rel[PATH_MAX];

	mkdirs(base, dist);
	pathf(rel, "%s/entry_points.txt", dist);
	put(base, rel, ep);
}

static void link_to(const char *base, const char *rel, const char *target)
{
	char p[PATH_MAX];

	pathf(p, "%s/%s", base, rel);
	ck_assert_msg(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

static void chmod_rel(const char *base, const char *rel, mode_t mode)
{
	char p[PATH_MAX];

	pathf(p, "%s/%s", base, rel);
	ck_assert(chmod(p, mode) == 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	do {
		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			ck_assert(nb != NULL);
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	ck_assert(!ferror(f));
	fclose(f);
	*len = n;
	return buf;
}

/* Bytes made readable for a failure report: \t, \n, \xNN. malloc'd. */
static char *shown(const char *p, size_t len)
{
	size_t cap = len * 4 + 1, w = 0;
	char *s = malloc(cap);

	ck_assert(s != NULL);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\t')
			w += (size_t)snprintf(s + w, cap - w, "\\t");
		else if (c == '\n')
			w += (size_t)snprintf(s + w, cap - w, "\\n\n");
		else if (c < 0x20 || c >= 0x7f)
			w += (size_t)snprintf(s + w, cap - w, "\\x%02x", c);
		else
			s[w++] = (char)c;
	}
	s[w] = '\0';
	return s;
}

static void assert_bytes(const char *what, const char *want, size_t want_len, const char *got,
			 size_t got_len)
{
	if (want_len == got_len && (!want_len || !memcmp(want, got, want_len)))
		return;
	char *w = shown(want, want_len), *g = shown(got, got_len);

	/* Check carries messages of a few KiB at most: details go to stderr. */
	fprintf(stderr, "%s:\n--- want\n%s\n--- got\n%s\n", what, w, g);
	free(w);
	free(g);
	ck_abort_msg("%s: differs (want and got on stderr)", what);
}

static void assert_view(const char *what, const struct view *v, const char *want)
{
	assert_bytes(what, want, strlen(want), v->text ? v->text : "", v->len);
}

/* The source tree: CT_SRCDIR, else the directory this file was compiled
 * from (the Makefile compiles from the top of the tree, so often "."). */
static void srcdir(char *out)
{
	const char *env = getenv("CT_SRCDIR");
	const char *me = __FILE__, *tail = "tests/harness/check_oracle.c";
	size_t ml = strlen(me), tl = strlen(tail);

	if (env && *env)
		pathf(out, "%s", env);
	else if (ml > tl && !strcmp(me + ml - tl, tail))
		pathf(out, "%.*s", (int)(ml - tl - 1), me);
	else
		pathf(out, ".");
}

/* ---- parser cases: fixtures/oracle/parse/<case>.txt and .out ---- */

static int is_txt(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 4 && !strcmp(de->d_name + n - 4, ".txt");
}

START_TEST(test_parse_cases)
{
	char dir[PATH_MAX], src[PATH_MAX];
	struct dirent **names;
	int n;

	srcdir(src);
	pathf(dir, "%s/fixtures/oracle/parse", src);
	n = scandir(dir, &names, is_txt, alphasort);
	ck_assert_msg(n >= 25, "%s: %d parser cases found, expected at least 25", dir, n);
	for (int i = 0; i < n; i++) {
		char in_path[PATH_MAX], out_path[PATH_MAX];
		size_t in_len, want_len, got_len = 0, base = strlen(names[i]->d_name) - 4;
		char *in, *want, *got;
		struct linebuf lb;

		pathf(in_path, "%s/%s", dir, names[i]->d_name);
		pathf(out_path, "%s/%.*s.out", dir, (int)base, names[i]->d_name);
		in = slurp(in_path, &in_len);
		want = slurp(out_path, &want_len);
		linebuf_init(&lb);
		ck_assert_int_eq(oracle_parse("D", 1, in, in_len, &lb), 0);
		/* In file order: join the lines as the .out file has them. */
		for (size_t k = 0; k < lb.n; k++)
			got_len += lb.lens[k] + 1;
		got = malloc(got_len + 1);
		ck_assert(got != NULL);
		got_len = 0;
		for (size_t k = 0; k < lb.n; k++) {
			ck_assert_msg(lb.lens[k] >= 2 && !memcmp(lb.lines[k], "D\t", 2),
				      "%s: D field missing", names[i]->d_name);
			memcpy(got + got_len, lb.lines[k] + 2, lb.lens[k] - 2);
			got_len += lb.lens[k] - 2;
			got[got_len++] = '\n';
		}
		assert_bytes(names[i]->d_name, want, want_len, got, got_len);
		linebuf_release(&lb);
		free(got);
		free(in);
		free(want);
		free(names[i]);
	}
	free(names);
}
END_TEST

START_TEST(test_parse_appends)
{
	/* D is copied as given, bytes and all, and parse appends to lb. */
	static const char d1[] = "a-1.0.dist-info", d2[] = "b\x0b\x85-2.0.egg-info";
	struct linebuf lb;
	struct view v;

	linebuf_init(&lb);
	view_init(&v);
	ck_assert_int_eq(oracle_parse(d1, strlen(d1), "[g]\nx = 1\n", 10, &lb), 0);
	ck_assert_int_eq(oracle_parse(d2, strlen(d2), "[g]\ny = 2\n", 10, &lb), 0);
	ck_assert_int_eq(oracle_parse(d2, strlen(d2), NULL, 0, &lb), 0);
	ck_assert_uint_eq(lb.n, 2);
	ck_assert_int_eq(linebuf_to_view(&lb, &v), 0);
	assert_view("appended", &v, "a-1.0.dist-info\tg\tx\t1\nb\x0b\x85-2.0.egg-info\tg\ty\t2\n");
	view_release(&v);
}
END_TEST

/* ---- scan rules: one small path entry per case, built then scanned ---- */

struct scan_case {
	const char *name;
	void (*build)(const char *dir);
	const char *want; /* the view */
};

static const char ep_a[] = "[g]\na = 1\n";

static void build_plain(const char *d)
{
	put_dist(d, "plain-1.0.dist-info", ep_a);
	mkdirs(d, "noep-1.0.dist-info");
	put(d, "noep-1.0.dist-info/METADATA", "Name: noep\n");
}

static void build_egg(const char *d)
{
	put_dist(d, "legacy-1.0-py3.11.egg-info", "[console_scripts]\nlegacy = legacy:main\n");
}

static void build_upper(const char *d)
{
	put_dist(d, "Upper-1.0.DIST-INFO", ep_a);
	put_dist(d, "Mixed-1.0.Egg-Info", ep_a);
	put_dist(d, "Half-1.0.dist-INFO", ep_a);
}

static void build_bad_chars(const char *d)
{
	put_dist(d, "tab\tname-1.0.dist-info", ep_a);
	put_dist(d, "cr\rname-1.0.dist-info", ep_a);
	put_dist(d, "lf\nname-1.0.dist-info", ep_a);
	put_dist(d, "trail-1.0.dist-info\t", ep_a);
	/* Other control bytes are allowed in D. */
	put_dist(d, "vt\x0bname-1.0.dist-info", ep_a);
}

static void build_not_metadata(const char *d)
{
	put_dist(d, "notmeta", ep_a);
	put_dist(d, "x-1.0.dist-info.bak", ep_a);
	put_dist(d, "x-1.0.dist-infox", ep_a);
	put_dist(d, "x-1.0.distinfo", ep_a);
	put_dist(d, "x-1.0.egg", ep_a);
	put_dist(d, "x-1.0.dist_info", ep_a);
	mkdirs(d, "pkg");
	put_dist(d, "pkg/nested-1.0.dist-info", ep_a);
}

static void build_bare_suffix(const char *d)
{
	put_dist(d, ".dist-info", ep_a);
	put_dist(d, ".EGG-INFO", ep_a);
}

static void build_dist_is_file(const char *d)
{
	put(d, "file-1.0.dist-info", ep_a);
	put(d, "file-1.0.egg-info", ep_a);
}

static void build_dist_symlink(const char *d)
{
	mkdirs(d, "elsewhere");
	put_dist(d, "elsewhere/real", ep_a);
	link_to(d, "linked-1.0.dist-info", "elsewhere/real");
	link_to(d, "chain-1.0.dist-info", "linked-1.0.dist-info");
	link_to(d, "broken-1.0.dist-info", "elsewhere/missing");
	link_to(d, "loop-1.0.dist-info", "loop-1.0.dist-info");
	put(d, "elsewhere/afile", ep_a);
	link_to(d, "tofile-1.0.dist-info", "elsewhere/afile");
}

static void build_ep_symlink(const char *d)
{
	put(d, "target.txt", ep_a);
	mkdirs(d, "eplink-1.0.dist-info");
	link_to(d, "eplink-1.0.dist-info/entry_points.txt", "../target.txt");
	mkdirs(d, "epbroken-1.0.dist-info");
	link_to(d, "epbroken-1.0.dist-info/entry_points.txt", "../missing.txt");
	/* A character device is not a regular file: absent, never opened. */
	mkdirs(d, "epdev-1.0.dist-info");
	link_to(d, "epdev-1.0.dist-info/entry_points.txt", "/dev/null");
}

static void build_ep_dir(const char *d)
{
	mkdirs(d, "epdir-1.0.dist-info");
	mkdirs(d, "epdir-1.0.dist-info/entry_points.txt");
	put(d, "epdir-1.0.dist-info/entry_points.txt/x", ep_a);
}

static void build_ep_fifo(const char *d)
{
	char p[PATH_MAX];

	mkdirs(d, "fifo-1.0.dist-info");
	pathf(p, "%s/fifo-1.0.dist-info/entry_points.txt", d);
	ck_assert(mkfifo(p, 0644) == 0);
	put_dist(d, "after-1.0.dist-info", ep_a);
}

static void build_ep_socket(const char *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char p[PATH_MAX];
	int s;

	mkdirs(d, "sock-1.0.dist-info");
	pathf(p, "%s/sock-1.0.dist-info/entry_points.txt", d);
	if (strlen(p) >= sizeof(sa.sun_path))
		return; /* too deep for a socket name: the case is then empty */
	memcpy(sa.sun_path, p, strlen(p) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(s >= 0);
	ck_assert_msg(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind: %s",
		      strerror(errno));
	close(s);
}

static void build_empty_ep(const char *d)
{
	put_dist(d, "empty-1.0.dist-info", "");
	put_dist(d, "comments-1.0.dist-info", "# nothing\n\n");
}

static const struct scan_case scan_cases[] = {
    {"plain", build_plain, "plain-1.0.dist-info\tg\ta\t1\n"},
    {"egg_info", build_egg, "legacy-1.0-py3.11.egg-info\tconsole_scripts\tlegacy\tlegacy:main\n"},
    {"upper_suffix", build_upper,
     "Half-1.0.dist-INFO\tg\ta\t1\nMixed-1.0.Egg-Info\tg\ta\t1\nUpper-1.0.DIST-INFO\tg\ta\t1\n"},
    {"tab_cr_lf_in_name", build_bad_chars, "vt\x0bname-1.0.dist-info\tg\ta\t1\n"},
    {"not_metadata", build_not_metadata, ""},
    {"bare_suffix", build_bare_suffix, ".EGG-INFO\tg\ta\t1\n.dist-info\tg\ta\t1\n"},
    {"dist_is_file", build_dist_is_file, ""},
    {"dist_symlink", build_dist_symlink,
     "chain-1.0.dist-info\tg\ta\t1\nlinked-1.0.dist-info\tg\ta\t1\n"},
    {"ep_symlink", build_ep_symlink, "eplink-1.0.dist-info\tg\ta\t1\n"},
    {"ep_is_dir", build_ep_dir, ""},
    {"ep_fifo", build_ep_fifo, "after-1.0.dist-info\tg\ta\t1\n"},
    {"ep_socket", build_ep_socket, ""},
    {"empty_ep", build_empty_ep, ""},
};

START_TEST(test_scan_case)
{
	const struct scan_case *c = &scan_cases[_i];
	char dir[PATH_MAX], msg[128];
	struct view v;

	test_dir(dir, c->name);
	c->build(dir);
	view_init(&v);
	ck_assert_int_eq(oracle_scan(dir, &v), 0);
	snprintf(msg, sizeof(msg), "scan case %s", c->name);
	assert_view(msg, &v, c->want);
	ck_assert_uint_eq(v.hash, hash64(v.text, v.len));
	view_release(&v);
}
END_TEST

/* ---- path entries ---- */

START_TEST(test_path_entries)
{
	char dir[PATH_MAX], p[PATH_MAX];
	static const char want[] = "plain-1.0.dist-info\tg\ta\t1\n";
	struct view v;

	test_dir(dir, "entries");
	mkdirs(dir, "sp");
	pathf(p, "%s/sp", dir);
	build_plain(p);
	put(dir, "afile", ep_a);
	link_to(dir, "splink", "sp");
	link_to(dir, "dangling", "nowhere");
	view_init(&v);

	pathf(p, "%s/sp", dir);
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("directory", &v, want);
	ck_assert_uint_eq(v.nlines, 1);

	/* out is replaced, not appended to */
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("scanned twice into one view", &v, want);

	pathf(p, "%s/sp/", dir);
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("trailing slash", &v, want);

	pathf(p, "%s/splink", dir);
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("symlink to the directory", &v, want);

	pathf(p, "%s/missing", dir);
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("missing", &v, "");
	ck_assert(v.text == NULL);
	ck_assert_uint_eq(v.nlines, 0);

	pathf(p, "%s/afile", dir);
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("a file", &v, "");

	pathf(p, "%s/dangling", dir);
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("a dangling symlink", &v, "");

	pathf(p, "%s/afile/below", dir);
	ck_assert_int_eq(oracle_scan(p, &v), 0);
	assert_view("below a file", &v, "");

	ck_assert_int_eq(oracle_scan("", &v), 0);
	assert_view("empty path", &v, "");
	view_release(&v);
}
END_TEST

/* ---- unreadable parts ---- */

/* The scan, as whoever runs it, of the tree test_unreadable builds. */
static int unreadable_scan_ok(const char *dir)
{
	char p[PATH_MAX];
	struct view v;
	int ok;

	view_init(&v);
	snprintf(p, sizeof(p), "%s/sp", dir);
	ok = oracle_scan(p, &v) == 0 && v.len == strlen("readable-1.0.dist-info\tg\ta\t1\n") &&
	     !memcmp(v.text, "readable-1.0.dist-info\tg\ta\t1\n", v.len);
	snprintf(p, sizeof(p), "%s/locked", dir);
	ok = ok && oracle_scan(p, &v) == 0 && v.len == 0;
	view_release(&v);
	return ok;
}

START_TEST(test_unreadable)
{
	char dir[PATH_MAX], p[PATH_MAX];

	test_dir(dir, "unreadable");
	mkdirs(dir, "sp");
	pathf(p, "%s/sp", dir);
	put_dist(p, "readable-1.0.dist-info", ep_a);
	put_dist(p, "secret-1.0.dist-info", ep_a);
	chmod_rel(p, "secret-1.0.dist-info/entry_points.txt", 0);
	put_dist(p, "closed-1.0.dist-info", ep_a);
	chmod_rel(p, "closed-1.0.dist-info", 0);
	mkdirs(dir, "locked");
	pathf(p, "%s/locked", dir);
	put_dist(p, "inside-1.0.dist-info", ep_a);
	chmod_rel(dir, "locked", 0);

	if (geteuid() != 0) {
		ck_assert_msg(unreadable_scan_ok(dir), "unreadable parts contributed");
		return;
	}
	/* Root reads through mode bits: look as an ordinary user. */
	pid_t pid = fork();
	int status;

	ck_assert(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(3);
		if (access(dir, X_OK))
			_exit(77);
		_exit(unreadable_scan_ok(dir) ? 0 : 1);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 3) {
		fprintf(stderr, "check_oracle: skip unreadable: uid 65534 %s\n",
			WEXITSTATUS(status) == 3 ? "cannot be switched to"
						 : "cannot reach the scratch directory");
		return;
	}
	ck_assert_msg(WEXITSTATUS(status) == 0, "as uid 65534, unreadable parts contributed");
}
END_TEST

/* ---- failures the oracle must report rather than hide ---- */

START_TEST(test_too_big)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct view v, kept;
	int fd;

	test_dir(dir, "toobig");
	put_dist(dir, "big-1.0.dist-info", ep_a);
	pathf(p, "%s/big-1.0.dist-info/entry_points.txt", dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	ck_assert(fd >= 0);
	/* Sparse: costs nothing on disk. */
	ck_assert(ftruncate(fd, ((off_t)64 << 20) + 1) == 0);
	close(fd);
	view_init(&v);
	view_init(&kept);
	ck_assert_int_eq(oracle_scan(dir, &v), -EFBIG);
	ck_assert(v.text == NULL && v.len == 0);
	ck_assert_int_eq(fixture_tree_build(dir, 3, 0, 20), 0);
	/* Exactly at the cap is read (one 64 MiB line of NULs, skipped). */
	ck_assert(truncate(p, (off_t)64 << 20) == 0);
	ck_assert_int_eq(oracle_scan(dir, &v), 0);
	ck_assert(v.nlines > 1 && memmem(v.text, v.len, "big-1.0.dist-info\tg\ta\t1\n", 24));
	ck_assert_int_eq(view_copy(&kept, &v), 0);
	/* One byte more is refused, and the view passed in is left as it was. */
	ck_assert(truncate(p, ((off_t)64 << 20) + 1) == 0);
	ck_assert_int_eq(oracle_scan(dir, &v), -EFBIG);
	ck_assert(v.len == kept.len && !memcmp(v.text, kept.text, v.len) && v.hash == kept.hash);
	view_release(&v);
	view_release(&kept);
}
END_TEST

START_TEST(test_out_of_fds)
{
	char dir[PATH_MAX], *ans = (char *)1;
	const char *paths[1];
	struct rlimit old, lim;
	struct view v;
	size_t len = 1;
	int lowest;

	test_dir(dir, "fds");
	put_dist(dir, "a-1.0.dist-info", ep_a);
	paths[0] = dir;
	view_init(&v);
	lowest = dup(0);
	ck_assert(lowest >= 0);
	close(lowest);
	ck_assert(getrlimit(RLIMIT_NOFILE, &old) == 0);

	/* No descriptor at all: the path entry cannot be opened. */
	lim = old;
	lim.rlim_cur = (rlim_t)lowest;
	ck_assert(setrlimit(RLIMIT_NOFILE, &lim) == 0);
	ck_assert_int_eq(oracle_scan(dir, &v), -EMFILE);
	ck_assert_int_eq(oracle_answer(paths, 1, &ans, &len), -EMFILE);
	ck_assert(ans == NULL && len == 0);

	/* One: the directory opens, its entry_points.txt cannot. */
	lim.rlim_cur = (rlim_t)lowest + 1;
	ck_assert(setrlimit(RLIMIT_NOFILE, &lim) == 0);
	ck_assert_int_eq(oracle_scan(dir, &v), -EMFILE);

	ck_assert(setrlimit(RLIMIT_NOFILE, &old) == 0);
	ck_assert_int_eq(oracle_scan(dir, &v), 0);
	assert_view("after the limit is lifted", &v, "a-1.0.dist-info\tg\ta\t1\n");
	view_release(&v);
}
END_TEST

/* ---- the answer ---- */

START_TEST(test_answer_order)
{
	/* 13 entries: P "10", "11", "12" sort between "1" and "2". Entry 3
	 * is missing, 7 a file, 12 the same directory as 0 (no dedup). */
	static const int order[] = {0, 1, 10, 11, 12, 2, 4, 5, 6, 8, 9};
	char dir[PATH_MAX], p[13][PATH_MAX], want[4096], *ans;
	const char *paths[13];
	size_t len, w = 0;

	test_dir(dir, "answer");
	for (int i = 0; i < 13; i++) {
		char dist[64], ep[64];

		pathf(p[i], "%s/e%d", dir, i);
		paths[i] = p[i];
		if (i == 3 || i == 12)
			continue;
		if (i == 7) {
			put(dir, "e7", ep_a);
			continue;
		}
		mkdirs(dir, p[i] + strlen(dir) + 1);
		snprintf(dist, sizeof(dist), "d%d-1.0.dist-info", i);
		snprintf(ep, sizeof(ep), "[g]\nn = v%d\nm = w\n", i);
		put_dist(p[i], dist, ep);
	}
	pathf(p[12], "%s/e0", dir);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		int i = order[k], d = i == 12 ? 0 : i;

		w += (size_t)snprintf(
		    want + w, sizeof(want) - w,
		    "%d\td%d-1.0.dist-info\tg\tm\tw\n%d\td%d-1.0.dist-info\tg\tn\tv%d\n", i, d, i,
		    d, d);
	}
	ck_assert_int_eq(oracle_answer(paths, 13, &ans, &len), 0);
	assert_bytes("answer of 13 entries", want, w, ans, len);
	free(ans);

	ans = (char *)1;
	ck_assert_int_eq(oracle_answer(paths, 0, &ans, &len), 0);
	ck_assert(ans == NULL && len == 0);
	paths[0] = p[3];
	ck_assert_int_eq(oracle_answer(paths, 1, &ans, &len), 0);
	ck_assert(ans == NULL && len == 0);
}
END_TEST

START_TEST(test_sort_prefix)
{
	/* LF is not part of the key: "x" sorts before "x\x01" although
	 * "x\n" > "x\x01\n"; and the TAB after a field is a byte like any
	 * other, so "a\x01" sorts before "a". */
	char dir[PATH_MAX], *ans;
	const char *paths[2];
	struct view v;
	size_t len;
	static const char want[] = "d-1.0.dist-info\tg\ta\x01\tv\n"
				   "d-1.0.dist-info\tg\ta\tv\n"
				   "d-1.0.dist-info\tg\tb\tx\n"
				   "d-1.0.dist-info\tg\tb\tx\x01\n"
				   "d-1.0.dist-info\tg\tb\tx\x01y\n";

	test_dir(dir, "prefix");
	put_dist(dir, "d-1.0.dist-info", "[g]\nb = x\x01y\nb = x\x01\na = v\nb = x\na\x01 = v\n");
	view_init(&v);
	ck_assert_int_eq(oracle_scan(dir, &v), 0);
	assert_view("prefix order", &v, want);
	ck_assert_uint_eq(v.nlines, 5);
	paths[0] = paths[1] = dir;
	ck_assert_int_eq(oracle_answer(paths, 2, &ans, &len), 0);
	ck_assert_uint_eq(len, 2 * (v.len + 2 * 5));
	ck_assert(!memcmp(ans, "0\t", 2) && !memcmp(ans + v.len + 10, "1\t", 2));
	free(ans);
	view_release(&v);
}
END_TEST

/* ---- importlib.metadata on well-formed trees ---- */

static void build_edge_tree(const char *d)
{
	put_dist(d, "crlf-1.0.dist-info",
		 "[console_scripts]\r\nfoo = foo.cli:main\r\nbar=bar:run\r\n");
	put_dist(d, "cr-1.0.dist-info", "[g]\ra = 1\rb = 2");
	put_dist(d, "seps-1.0.dist-info",
		 "[g]\x0b"
		 "a = 1\x0c"
		 "b = 2\x1c"
		 "c = 3\x1d"
		 "d = 4\x1e"
		 "e = 5\n");
	put_dist(d, "us-1.0.dist-info",
		 "[g]\n\x1f"
		 "a = 1\x1f\nb\x1f= 2\n");
	put_dist(d, "comments-1.0.dist-info",
		 "# top\n[g]\n# c = 1\n  # x\na = 1 # not\n#[h]\nb = 2\n");
	put_dist(d, "groups-1.0.dist-info",
		 "[[g]]\na = 1\n[ s p ]\nb = 2\n[]\nc = 3\n[a = b]\nd = e\n[]]h[[]\nf = g\n");
	put_dist(d, "before-1.0.dist-info", "junk line\nk = v\n[g]\na = b=c\nd==e\n");
	put_dist(d, "dups-1.0.dist-info", "[g]\na = 1\na = 1\n[g]\na = 1\n");
	put_dist(d, "values-1.0.dist-info",
		 "[g]\na =\n  spaced name  =  spaced value  \nh#i = j\nx = [y]\n");
	put_dist(d, "nofinal-1.0.dist-info", "[g]\na = 1");
	put_dist(d, "empty-1.0.dist-info", "");
	put_dist(d, "utf8-1.0.dist-info",
		 "[g]\ncaf\xc3\xa9 = m\xc3\xb3"
		 "dulo:fn\n");
	put_dist(d, "legacy-0.1-py3.11.egg-info", "[console_scripts]\nlegacy = legacy:main\n");
	put_dist(d, "Shouty-2.0.DIST-INFO", "[gui_scripts]\nshout = shouty:Main.run\n");
	put_dist(d, "Mixed-1.0.Egg-Info", "[g]\nm = n\n");
	put_dist(d, ".dist-info", "[g]\nbare = suffix\n");
	mkdirs(d, "noep-1.0.dist-info");
	put(d, "noep-1.0.dist-info/METADATA", "Name: noep\n");
	put(d, "file-1.0.dist-info", ep_a);
	link_to(d, "dangling-1.0.dist-info", "nowhere");
	build_ep_dir(d);
	mkdirs(d, "targets");
	put_dist(d, "targets/real", "[g]\nlinked = yes\n");
	link_to(d, "linked-1.0.dist-info", "targets/real");
	put(d, "targets/ep.txt", "[g]\neplinked = yes\n");
	mkdirs(d, "eplink-1.0.dist-info");
	link_to(d, "eplink-1.0.dist-info/entry_points.txt", "../targets/ep.txt");
	put_dist(d, "notmeta", ep_a);
}

/* Runs the Python side; returns its standard output (malloc'd). */
static char *run_python(const char *python, const char *script, const char *const *paths, size_t n,
			size_t *len)
{
	const char **argv = calloc(n + 5, sizeof(*argv));
	int fds[2], status;
	char *out = NULL;
	size_t cap = 0, used = 0;
	pid_t pid;

	ck_assert(argv != NULL);
	argv[0] = python;
	argv[1] = "-I"; /* no PYTHON* variables, no user site */
	argv[2] = "-S"; /* no site: nothing but the stdlib's finders */
	argv[3] = script;
	for (size_t i = 0; i < n; i++)
		argv[4 + i] = paths[i];
	ck_assert(pipe2(fds, O_CLOEXEC) == 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		execv(python, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r;

		if (used == cap) {
			char *nout;

			cap = cap ? cap * 2 : 65536;
			nout = realloc(out, cap);
			ck_assert(nout != NULL);
			out = nout;
		}
		r = read(fds[0], out + used, cap - used);
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert(r >= 0);
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fds[0]);
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s failed (status %d)",
		      python, script, status);
	free(argv);
	*len = used;
	return out;
}

START_TEST(test_crosscheck_importlib)
{
	const char *python = getenv("PYTHON");
	char src[PATH_MAX], script[PATH_MAX], dir[PATH_MAX], p[16][PATH_MAX];
	const char *paths[16];
	char *want, *got, *diff;
	size_t want_len, got_len, n = 0, lines = 0;
	int dfd;

	if (!python || !*python)
		python = "/usr/bin/python3";
	if (access(python, X_OK)) {
		fprintf(stderr, "check_oracle: skip crosscheck_importlib: %s: %s\n", python,
			strerror(errno));
		return;
	}
	srcdir(src);
	pathf(script, "%s/tests/harness/crosscheck_importlib.py", src);
	test_dir(dir, "crosscheck");

	pathf(p[0], "%s/seed1", dir);
	ck_assert_int_eq(fixture_tree_build(p[0], 1, 0, 50), 0);
	pathf(p[1], "%s/seed2", dir);
	ck_assert_int_eq(fixture_tree_build(p[1], 2, 0, 300), 0);
	pathf(p[2], "%s/seed3", dir);
	ck_assert_int_eq(fixture_tree_build(p[2], 0xdeadbeef, 1000, 137), 0);
	/* Upgraded and forced distributions: versions 1-3, all with
	 * entry points. */
	pathf(p[3], "%s/forced", dir);
	ck_assert(mkdir(p[3], 0755) == 0);
	dfd = open(p[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert(dfd >= 0);
	for (unsigned i = 0; i < 60; i++) {
		struct fixture_dist d;

		ck_assert_int_eq(fixture_dist_make(7, i, 1 + i % 3, 1, &d), 0);
		ck_assert_int_eq(fixture_dist_write(dfd, &d), 0);
		fixture_dist_release(&d);
	}
	close(dfd);
	test_dir(p[4], "crosscheck/edge");
	build_edge_tree(p[4]);
	pathf(p[5], "%s/missing", dir);
	pathf(p[6], "%s/afile", dir);
	put(dir, "afile", ep_a);
	pathf(p[7], "%s/link", dir);
	ck_assert(symlink("seed1", p[7]) == 0);

	/* 13 entries, so that P "10".."12" sort before "2"; repeats too. */
	static const int use[] = {0, 5, 4, 6, 1, 7, 2, 4, 3, 0, 5, 1, 4};
	for (size_t k = 0; k < sizeof(use) / sizeof(use[0]); k++)
		paths[n++] = p[use[k]];

	ck_assert_int_eq(oracle_answer(paths, n, &got, &got_len), 0);
	want = run_python(python, script, paths, n, &want_len);
	for (size_t i = 0; i < got_len; i++)
		lines += got[i] == '\n';
	ck_assert_msg(lines > 500, "only %zu lines: the trees are too thin to compare", lines);
	if (want_len != got_len || memcmp(want, got, got_len)) {
		char *readable;

		diff = view_diff(want, want_len, got, got_len, 40);
		ck_assert(diff != NULL);
		readable = shown(diff, strlen(diff));
		fprintf(stderr, "oracle (+) and importlib.metadata (-):\n%s\n", readable);
		free(readable);
		free(diff);
		ck_abort_msg("oracle and importlib.metadata differ (diff on stderr)");
	}
	free(want);
	free(got);
}
END_TEST

/* ---- the run ---- */

static Suite *oracle_suite(void)
{
	Suite *s = suite_create("oracle");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_parse_cases);
	tcase_add_test(tc, test_parse_appends);
	suite_add_tcase(s, tc);

	tc = tcase_create("scan");
	/* A FIFO that blocked the scan would show as a timeout here. */
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_scan_case, 0,
			    (int)(sizeof(scan_cases) / sizeof(scan_cases[0])));
	tcase_add_test(tc, test_path_entries);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_out_of_fds);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer");
	tcase_add_test(tc, test_answer_order);
	tcase_add_test(tc, test_sort_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("importlib");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crosscheck_importlib);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_oracle", 1) < 0)
		return 2;
	/* SIGPIPE would kill a test whose Python side died early. */
	signal(SIGPIPE, SIG_IGN);
	return tu_run(oracle_suite(), "check_oracle");
}
