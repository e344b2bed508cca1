/* check_crosscheck.c: epcache against Python's importlib.metadata on
 * well-formed trees (the protocol and Python agree there), cold, warm and
 * without the cache. Python is /usr/bin/python3 (or $PYTHON); the reference
 * answer comes from tools/crosscheck_ref.py (or $EPCACHE_CROSSCHECK). */
#include "testutil.h"

static char *g_dir;

static void setup(void)
{
	g_dir = tu_scratch();
}

static void teardown(void)
{
	tu_rmrf(g_dir);
}

static const char *python(void)
{
	const char *p = getenv("PYTHON");

	return p && *p ? p : "/usr/bin/python3";
}

static const char *script(void)
{
	const char *s = getenv("EPCACHE_CROSSCHECK");

	return s && *s ? s : "tools/crosscheck_ref.py";
}

/* Compares the answers for the path entries in argv[2..] (argv[0], [1] free). */
static void compare(char **argv)
{
	char *want, *got, *err;
	const char *modes[] = {"--no-cache", "--settle=0", "--settle=0", "--deep"};

	argv[0] = (char *)python();
	argv[1] = (char *)script();
	ck_assert_int_eq(tu_run(argv, &want, &err), 0);
	ck_assert_msg(err[0] == '\0', "python: %s", err);
	ck_assert_msg(want[0] != '\0', "python found nothing: the tree is not comparable");
	free(err);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		argv[0] = (char *)tu_bin();
		argv[1] = (char *)modes[m];
		ck_assert_int_eq(tu_run(argv, &got, NULL), 0);
		ck_assert_msg(!strcmp(got, want),
			      "%s differs from importlib.metadata:\n%s\nwant:\n%s", modes[m], got,
			      want);
		free(got);
	}
	free(want);
}

#define SKIP_WITHOUT_PYTHON()                                                                      \
	do {                                                                                       \
		if (access(python(), X_OK))                                                        \
			TU_SKIP("%s is not installed", python());                                  \
		if (access(script(), R_OK))                                                        \
			TU_SKIP("%s not found (run from the repository root)", script());          \
	} while (0)

START_TEST(assorted_formats)
{
	char *sp = tu_fmt("%s/site-packages", g_dir);
	char *argv[] = {NULL, NULL, sp, NULL};

	SKIP_WITHOUT_PYTHON();
	tu_mkdir(sp);
	tu_dist(sp, "plain-1.0.dist-info", "[console_scripts]\nplain = plain.cli:main\n");
	tu_dist(sp, "Egg_Pkg-2.0-py3.11.egg-info",
		"[console_scripts]\negg-tool = egg_pkg:run\n\n[distutils.commands]\nx = y:z\n");
	tu_dist(sp, "UPPER-1.DIST-INFO", "[g]\nu = u:u\n");
	tu_dist(sp, "Mixed-1.Egg-Info", "[g]\nm = m:m\n");
	tu_dist(
	    sp, "comments-1.dist-info",
	    "# header comment\n[g]\n  # indented\n; not a comment = but a name\nc = c:c # tail\n");
	tu_dist(sp, "crlf-1.dist-info", "[g]\r\na = 1\r\n\r\n[h]\r\nb = 2\r\n");
	tu_dist(sp, "cr-1.dist-info", "[g]\ra = 1\r[h]\rb = 2");
	tu_dist(sp, "ws-1.dist-info", "  [ spaced ]  \n\t name \t=\t value \t\n[[dbl]]\nd=1\n");
	tu_dist(sp, "eq-1.dist-info", "[g]\nk = a=b=c\nk = again\nk = again\n");
	tu_dist(sp, "extras-1.dist-info", "[pytest11]\nplug = plug.mod:Cls [extra1, extra2]\n");
	tu_dist(sp, "empty-1.dist-info", "");
	tu_dist(sp, "noep-1.dist-info", NULL);
	tu_dist(sp, "utf8-1.dist-info",
		"[gr\xc3\xbcppe]\nna\xc3\xafve = m\xc3\xb6"
		"d:f\n");
	tu_dist(sp, "vt-1.dist-info",
		"[g]\x0b"
		"a=1\x0c"
		"b=2\x1c"
		"c=3\x1d"
		"d=4\x1e"
		"e=5\n");
	tu_dist(sp, "before-1.dist-info", "[g]\na=1\n[empty]\n[h]\nb=2\n");
	compare(argv);
}
END_TEST

START_TEST(many_entries_and_distributions)
{
	char *argv[16] = {NULL, NULL};
	char name[64], ep[256];

	SKIP_WITHOUT_PYTHON();
	for (int e = 0; e < 12; e++) {
		char *sp = tu_fmt("%s/sp%d", g_dir, e);

		argv[2 + e] = e == 5 ? tu_fmt("%s/missing", g_dir) : sp;
		if (e == 5)
			continue;
		tu_mkdir(sp);
		for (int d = 0; d < 25; d++) {
			snprintf(name, sizeof(name), "pkg%02d_%02d-%d.%d.%s", e, d, d % 3, d,
				 d % 4 ? "dist-info" : "egg-info");
			snprintf(ep, sizeof(ep),
				 "[console_scripts]\ncmd%d = pkg%d.cli:main\n[group%d]\nn%d = v%d\n"
				 "dup = same\ndup = same\n",
				 d, d, d % 5, e, d);
			tu_dist(sp, name, ep);
		}
	}
	compare(argv);
}
END_TEST

START_TEST(links_and_odd_children)
{
	char *sp = tu_fmt("%s/sp", g_dir), *real = tu_fmt("%s/real-1.0.dist-info", g_dir);
	char *file = tu_fmt("%s/file-1.0.dist-info", sp), *linked = tu_fmt("%s/sp-link", g_dir);
	char *argv[] = {NULL, NULL, sp, linked, tu_fmt("%s/file-1.0.dist-info", sp), NULL};

	SKIP_WITHOUT_PYTHON();
	tu_mkdir(sp);
	tu_dist(g_dir, "real-1.0.dist-info", "[g]\nlinked = yes\n");
	ck_assert_int_eq(symlink(real, tu_fmt("%s/link-1.0.dist-info", sp)), 0);
	tu_writes(file, "[g]\nnot = read\n");
	tu_dist(sp, "ok-1.0.dist-info", "[g]\nok = 1\n");
	tu_dist(sp, "notes.txt", "[g]\nno = 1\n");
	ck_assert_int_eq(symlink(sp, linked), 0);
	compare(argv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crosscheck");
	TCase *tc = tcase_create("importlib.metadata");
	char bin[PATH_MAX];
	SRunner *sr;
	int failed;

	if (access(tu_bin(), X_OK) || !realpath(tu_bin(), bin)) {
		fprintf(stderr, "check_crosscheck: %s is not executable (set EPCACHE_BIN)\n",
			tu_bin());
		return 1;
	}
	setenv("EPCACHE_BIN", bin, 1);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, assorted_formats);
	tcase_add_test(tc, many_entries_and_distributions);
	tcase_add_test(tc, links_and_odd_children);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
