/* check_path.c: path_join (slashes at the seam, empty components, the
 * PATH_MAX boundary on both sides) and path_is_under (whole components,
 * trailing slashes, the root, relative against absolute, empty). */
#include "util/path.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_join)
{
	static const struct {
		const char *a, *b, *out;
	} cases[] = {
	    {"a", "b", "a/b"},
	    {"/tmp/x", "site/e0", "/tmp/x/site/e0"},
	    /* one slash at the seam, whichever side had it */
	    {"a/", "b", "a/b"},
	    {"a//", "b", "a/b"},
	    {"a", "/b", "a/b"},
	    {"a/", "//b", "a/b"},
	    {"/", "b", "/b"},
	    {"//", "b", "/b"},
	    /* b is never an absolute path that replaces a */
	    {"/root", "/etc/passwd", "/root/etc/passwd"},
	    /* slashes inside and at the far ends are not the join's business */
	    {"a/b", "c/", "a/b/c/"},
	    {"a", "b//c", "a/b//c"},
	    /* empty components leave the other one as it is */
	    {"", "b", "b"},
	    {"", "/b", "/b"},
	    {"a/", "", "a/"},
	    {"", "", ""},
	    {"a", "/", "a"},
	    {".", "x", "./x"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = (char *)1;

		ck_assert_int_eq(path_join(&out, cases[i].a, cases[i].b), 0);
		ck_assert_msg(!strcmp(out, cases[i].out), "case %zu: \"%s\" + \"%s\": got \"%s\"",
			      i, cases[i].a, cases[i].b, out);
		free(out);
	}
}
END_TEST

START_TEST(test_join_too_long)
{
	char a[PATH_MAX + 1], *out = (char *)1;

	/* a of PATH_MAX - 3 bytes, "/", "x" and the NUL: exactly PATH_MAX. */
	memset(a, 'a', PATH_MAX - 3);
	a[PATH_MAX - 3] = '\0';
	ck_assert_int_eq(path_join(&out, a, "x"), 0);
	ck_assert_uint_eq(strlen(out), PATH_MAX - 1);
	free(out);
	/* One byte more does not fit; *out is NULL then. */
	out = (char *)1;
	ck_assert_int_eq(path_join(&out, a, "xy"), -ENAMETOOLONG);
	ck_assert_ptr_null(out);
	/* Slashes dropped at the seam do not count. */
	ck_assert_int_eq(path_join(&out, a, "///x"), 0);
	free(out);
	/* With an empty other side: PATH_MAX - 1 bytes fit, PATH_MAX do not. */
	memset(a, 'a', PATH_MAX);
	a[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(path_join(&out, "", a), 0);
	free(out);
	a[PATH_MAX - 1] = 'a';
	a[PATH_MAX] = '\0';
	ck_assert_int_eq(path_join(&out, "", a), -ENAMETOOLONG);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(path_join(&out, a, ""), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_is_under)
{
	static const struct {
		const char *path, *dir;
		bool under;
	} cases[] = {
	    {"a/b", "a", true},
	    {"a", "a", true},
	    {"a/b/c", "a/b", true},
	    {"a/", "a", true},
	    /* whole components only */
	    {"ab", "a", false},
	    {"a-b/c", "a", false},
	    {"a", "a/b", false},
	    {"b/a", "a", false},
	    /* a trailing slash on dir changes nothing */
	    {"a/b", "a/", true},
	    {"a", "a/", true},
	    {"a/b", "a//", true},
	    {"ab", "a/", false},
	    /* the root holds every absolute path and no relative one */
	    {"/", "/", true},
	    {"/etc", "/", true},
	    {"/etc", "//", true},
	    {"etc", "/", false},
	    {"/home/.cache/x", "/home/.cache", true},
	    {"home/.cache", "/home", false},
	    {"/home", "home", false},
	    /* empty */
	    {"a", "", false},
	    {"", "", false},
	    {"", "a", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(path_is_under(cases[i].path, cases[i].dir) == cases[i].under,
			      "case %zu: \"%s\" under \"%s\"", i, cases[i].path, cases[i].dir);
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("path");

	tcase_add_test(tc, test_join);
	tcase_add_test(tc, test_join_too_long);
	tcase_add_test(tc, test_is_under);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(path_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
