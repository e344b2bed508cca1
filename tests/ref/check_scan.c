/* check_scan.c: the view of one path entry (PROTOCOL.md section 3): which
 * children count, how links are followed, what is unreadable. */
#include "epcache.h"
#include "scan.h"
#include "testutil.h"

#include <pthread.h>
#include <sys/syscall.h>

static char *g_dir; /* scratch */
static char *g_sp;  /* the path entry under test */

static void setup(void)
{
	g_dir = tu_scratch();
	g_sp = tu_fmt("%s/site-packages", g_dir);
	tu_mkdir(g_sp);
}

static void teardown(void)
{
	tu_rmrf(g_dir);
	free(g_sp);
	free(g_dir);
}

/* The view of path, as a NUL-terminated string (owned by the test). */
static char *scan_path(const char *path, unsigned flags, struct scan_result *keep)
{
	struct scan_result r;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *s;

	ck_assert_msg(fd >= 0, "open %s", path);
	ep_scan_result_init(&r);
	ck_assert_int_eq(ep_scan_dir(fd, flags, &r), 0);
	close(fd);
	ck_assert(!r.raced);
	s = strndup(r.text ? r.text : "", r.len);
	if (keep)
		*keep = r;
	else
		ep_scan_result_release(&r);
	return s;
}

static char *view_of(const char *path)
{
	return scan_path(path, 0, NULL);
}

/* Through the library without a cache: what a CLI user gets. */
static char *query_nocache(const char *path, enum epcache_entry_type *type)
{
	struct epcache_options o;
	struct epcache_status st;
	struct epcache_view v;
	char *s;

	epcache_options_init(&o);
	o.flags = EPCACHE_NO_CACHE;
	epcache_view_init(&v);
	ck_assert_int_eq(epcache_query(&o, path, &v, &st), 0);
	s = strndup(v.text ? v.text : "", v.len);
	if (type)
		*type = st.entry_type;
	epcache_view_release(&v);
	return s;
}

START_TEST(sorted_across_distributions)
{
	char *v;

	tu_dist(g_sp, "zz-1.0.dist-info", "[b]\nz=1\n[a]\ny=2\n");
	tu_dist(g_sp, "aa-1.0.dist-info", "[g]\nk=v\nk=v\n");
	tu_dist(g_sp, "aa-1.0.dist-info0", "[g]\nk=v\n"); /* not a candidate */
	v = view_of(g_sp);
	ck_assert_str_eq(v, "aa-1.0.dist-info\tg\tk\tv\n"
			    "aa-1.0.dist-info\tg\tk\tv\n"
			    "zz-1.0.dist-info\ta\ty\t2\n"
			    "zz-1.0.dist-info\tb\tz\t1\n");
	free(v);
}
END_TEST

/* LC_ALL=C sort: a line sorts before any longer line it prefixes. */
START_TEST(prefix_sorts_first)
{
	char *v;

	tu_dist(g_sp, "a.dist-info", "[g]\nn=v\nn=v2\nn=\n");
	v = view_of(g_sp);
	ck_assert_str_eq(v, "a.dist-info\tg\tn\t\n"
			    "a.dist-info\tg\tn\tv\n"
			    "a.dist-info\tg\tn\tv2\n");
	free(v);
}
END_TEST

START_TEST(egg_info_and_any_case)
{
	char *v;

	tu_dist(g_sp, "a-1.egg-info", "[g]\na=1\n");
	tu_dist(g_sp, "B-1.DIST-INFO", "[g]\nb=1\n");
	tu_dist(g_sp, "c-1.Egg-Info", "[g]\nc=1\n");
	tu_dist(g_sp, ".dist-info", "[g]\nd=1\n");
	tu_dist(g_sp, "e-1.distinfo", "[g]\ne=1\n");
	tu_dist(g_sp, "f-1.dist-info.bak", "[g]\nf=1\n");
	tu_dist(g_sp, "g-1.egg", "[g]\ng=1\n");
	v = view_of(g_sp);
	ck_assert_str_eq(v, ".dist-info\tg\td\t1\n"
			    "B-1.DIST-INFO\tg\tb\t1\n"
			    "a-1.egg-info\tg\ta\t1\n"
			    "c-1.Egg-Info\tg\tc\t1\n");
	free(v);
}
END_TEST

START_TEST(tab_lf_cr_in_name_excluded)
{
	char *v;

	tu_dist(g_sp, "t\tab.dist-info", "[g]\na=1\n");
	tu_dist(g_sp, "l\nf.dist-info", "[g]\na=1\n");
	tu_dist(g_sp, "c\rr.dist-info", "[g]\na=1\n");
	tu_dist(g_sp, "v\vok.dist-info", "[g]\na=1\n");
	v = view_of(g_sp);
	ck_assert_str_eq(v, "v\vok.dist-info\tg\ta\t1\n");
	free(v);
	ck_assert(!ep_scan_is_candidate("x\t.dist-info", 12));
	ck_assert(ep_scan_is_candidate("x.DiSt-InFo", 11));
	ck_assert(!ep_scan_is_candidate("dist-info", 9));
}
END_TEST

START_TEST(file_named_dist_info_excluded)
{
	char *f = tu_fmt("%s/x-1.dist-info", g_sp), *v;

	tu_writes(f, "[g]\na=1\n");
	v = view_of(g_sp);
	ck_assert_str_eq(v, "");
	free(v);
	free(f);
}
END_TEST

START_TEST(symlinks_followed)
{
	char *target = tu_fmt("%s/elsewhere", g_dir), *link = tu_fmt("%s/ln-1.dist-info", g_sp);
	char *broken = tu_fmt("%s/broken-1.dist-info", g_sp);
	char *epl = tu_fmt("%s/eplink-1.dist-info/entry_points.txt", g_sp);
	char *epfile = tu_fmt("%s/ep.txt", g_dir), *v;

	tu_dist(g_dir, "elsewhere", "[g]\nviadir=1\n");
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(symlink("/nonexistent/nowhere", broken), 0);
	tu_dist(g_sp, "eplink-1.dist-info", NULL);
	tu_writes(epfile, "[g]\nviafile=1\n");
	ck_assert_int_eq(symlink(epfile, epl), 0);
	tu_dist(g_sp, "brokenep-1.dist-info", NULL);
	free(epl);
	epl = tu_fmt("%s/brokenep-1.dist-info/entry_points.txt", g_sp);
	ck_assert_int_eq(symlink("/nonexistent", epl), 0);
	v = view_of(g_sp);
	ck_assert_str_eq(v, "eplink-1.dist-info\tg\tviafile\t1\n"
			    "ln-1.dist-info\tg\tviadir\t1\n");
	free(v);
	free(target), free(link), free(broken), free(epl), free(epfile);
}
END_TEST

START_TEST(entry_points_not_a_file)
{
	char *d = tu_fmt("%s/dir-1.dist-info/entry_points.txt", g_sp);
	char *f = tu_fmt("%s/fifo-1.dist-info/entry_points.txt", g_sp), *v;

	tu_dist(g_sp, "dir-1.dist-info", NULL);
	tu_mkdir(d);
	tu_dist(g_sp, "fifo-1.dist-info", NULL);
	ck_assert_int_eq(mkfifo(f, 0644), 0); /* no writer: a blocking open would hang */
	tu_dist(g_sp, "ok-1.dist-info", "[g]\na=1\n");
	tu_dist(g_sp, "none-1.dist-info", NULL);
	v = view_of(g_sp);
	ck_assert_str_eq(v, "ok-1.dist-info\tg\ta\t1\n");
	free(v);
	free(d);
	free(f);
}
END_TEST
/* The FIFO test must finish quickly: the suite's timeout catches a hang. */

START_TEST(oversized_file_counts_as_unreadable)
{
	char *big = tu_fmt("%s/big-1.dist-info/entry_points.txt", g_sp);
	char *edge = tu_fmt("%s/edge-1.dist-info/entry_points.txt", g_sp), *v;
	int fd;

	tu_dist(g_sp, "big-1.dist-info", "[g]\nbig=1\n");
	tu_dist(g_sp, "edge-1.dist-info", "[g]\nedge=1\n");
	fd = open(big, O_WRONLY);
	ck_assert_int_eq(ftruncate(fd, (off_t)SCAN_FILE_MAX + 1), 0); /* sparse */
	close(fd);
	fd = open(edge, O_WRONLY);
	ck_assert_int_eq(ftruncate(fd, (off_t)SCAN_FILE_MAX), 0);
	close(fd);
	v = view_of(g_sp);
	ck_assert_str_eq(v, "edge-1.dist-info\tg\tedge\t1\n");
	free(v);
	free(big);
	free(edge);
}
END_TEST

/* Root reads everything; an unreadable file is tested as another uid, in a
 * child that drops privileges for good. */
static int scan_as_nobody(const char *path, char *out, size_t size)
{
	int p[2];
	pid_t pid;
	ssize_t n;
	int st;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct scan_result r;
		int fd;

		close(p[0]);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		fd = open(path, O_RDONLY | O_DIRECTORY);
		ep_scan_result_init(&r);
		if (fd < 0 || ep_scan_dir(fd, 0, &r))
			_exit(4);
		if (r.len && write(p[1], r.text, r.len) != (ssize_t)r.len)
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(unreadable_counts_as_absent)
{
	char *f = tu_fmt("%s/locked-1.dist-info/entry_points.txt", g_sp);
	char *d = tu_fmt("%s/shut-1.dist-info", g_sp);
	char out[4096];

	if (!tu_is_root())
		TU_SKIP(
		    "needs root to switch to uid 65534 (permissions are tested as another uid)");
	chmod(g_dir, 0755);
	tu_dist(g_sp, "locked-1.dist-info", "[g]\nlocked=1\n");
	tu_dist(g_sp, "shut-1.dist-info", "[g]\nshut=1\n");
	tu_dist(g_sp, "open-1.dist-info", "[g]\nopen=1\n");
	ck_assert_int_eq(chmod(f, 0), 0);
	ck_assert_int_eq(chmod(d, 0), 0);
	ck_assert_int_eq(scan_as_nobody(g_sp, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "open-1.dist-info\tg\topen\t1\n");
	free(f);
	free(d);
}
END_TEST

START_TEST(path_entry_kinds)
{
	enum epcache_entry_type t;
	char *file = tu_fmt("%s/file", g_dir), *link = tu_fmt("%s/link", g_dir);
	char *zip = tu_fmt("%s/x.zip", g_dir), *v;

	tu_dist(g_sp, "a-1.dist-info", "[g]\na=1\n");
	tu_writes(file, "[g]\na=1\n");
	tu_writes(zip, "PK\3\4");
	ck_assert_int_eq(symlink(g_sp, link), 0);
	v = query_nocache(tu_fmt("%s/missing", g_dir), &t);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(t, EPCACHE_ENTRY_MISSING);
	free(v);
	v = query_nocache(file, &t);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(t, EPCACHE_ENTRY_OTHER);
	free(v);
	v = query_nocache(zip, &t);
	ck_assert_str_eq(v, "");
	free(v);
	v = query_nocache(link, &t);
	ck_assert_str_eq(v, "a-1.dist-info\tg\ta\t1\n");
	ck_assert_int_eq(t, EPCACHE_ENTRY_DIR);
	free(v);
	v = query_nocache(tu_fmt("%s/a-1.dist-info/entry_points.txt/x", g_sp), &t);
	ck_assert_str_eq(v, "");
	free(v);
	free(file), free(link), free(zip);
}
END_TEST

START_TEST(relative_path_entry)
{
	char *v;

	tu_dist(g_sp, "a-1.dist-info", "[g]\na=1\n");
	ck_assert_int_eq(chdir(g_sp), 0);
	v = query_nocache("", NULL);
	ck_assert_str_eq(v, "a-1.dist-info\tg\ta\t1\n");
	free(v);
	ck_assert_int_eq(chdir(g_dir), 0);
	v = query_nocache("site-packages", NULL);
	ck_assert_str_eq(v, "a-1.dist-info\tg\ta\t1\n");
	free(v);
	v = query_nocache("./site-packages/../site-packages", NULL);
	ck_assert_str_eq(v, "a-1.dist-info\tg\ta\t1\n");
	free(v);
}
END_TEST

START_TEST(deep_records_every_candidate)
{
	struct scan_result r;
	struct deep_record rec;
	char *f = tu_fmt("%s/file-1.dist-info", g_sp), *v;
	char *bl = tu_fmt("%s/broken-1.dist-info", g_sp);
	size_t pos = 0, n = 0, dirs = 0, eps = 0;

	tu_dist(g_sp, "a-1.dist-info", "[g]\na=1\n");
	tu_dist(g_sp, "b-1.egg-info", NULL);
	tu_dist(g_sp, "other", "[g]\nx=1\n");
	tu_writes(f, "");
	ck_assert_int_eq(symlink("/nonexistent", bl), 0);
	v = scan_path(g_sp, SCAN_DEEP, &r);
	ck_assert_str_eq(v, "a-1.dist-info\tg\ta\t1\n");
	ck_assert_uint_eq(r.deep.count, 4);
	while (ep_deep_next(r.deep.buf, r.deep.len, &pos, &rec) == 1) {
		n++;
		dirs += rec.dir_ok;
		eps += rec.ep_ok;
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(dirs, 3); /* a, b, the file; not the broken link */
	ck_assert_uint_eq(eps, 1);
	ep_scan_result_release(&r);
	free(v), free(f), free(bl);
}
END_TEST

/* The same tree with many distributions: the scan sees them all, in order. */
START_TEST(many_distributions)
{
	char name[64], want_last[128], *v;
	size_t lines = 0;

	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "pkg%03d-1.0.dist-info", i);
		tu_dist(g_sp, name, "[console_scripts]\nx = y:z\n[g]\na=b\n");
	}
	v = view_of(g_sp);
	for (char *p = v; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 1000);
	ck_assert(!strncmp(v, "pkg000-1.0.dist-info\tconsole_scripts\tx\ty:z\n", 43));
	snprintf(want_last, sizeof(want_last), "pkg499-1.0.dist-info\tg\ta\tb\n");
	ck_assert_str_eq(v + strlen(v) - strlen(want_last), want_last);
	free(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = tcase_create("view");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, sorted_across_distributions);
	tcase_add_test(tc, prefix_sorts_first);
	tcase_add_test(tc, egg_info_and_any_case);
	tcase_add_test(tc, tab_lf_cr_in_name_excluded);
	tcase_add_test(tc, file_named_dist_info_excluded);
	tcase_add_test(tc, symlinks_followed);
	tcase_add_test(tc, entry_points_not_a_file);
	tcase_add_test(tc, oversized_file_counts_as_unreadable);
	tcase_add_test(tc, unreadable_counts_as_absent);
	tcase_add_test(tc, path_entry_kinds);
	tcase_add_test(tc, relative_path_entry);
	tcase_add_test(tc, deep_records_every_candidate);
	tcase_add_test(tc, many_distributions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
