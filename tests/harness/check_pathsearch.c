/* check_pathsearch.c: the PATH resolver on real files: order, only
 * executable regular files, EACCES remembered, empty elements as the
 * working directory, the one default (and that the sandbox gives queries
 * the same one), names with a slash, names and elements too long, as uid
 * 65534 directories it may not search and files it may not run, and the
 * effective ids (not the real ones) deciding what may run. */
#include "util/pathsearch.h"
#include "sandbox.h"
#include "testutil.h"
#include "treeutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A script at dir/rel with exactly mode. */
static void mkexe(const char *dir, const char *rel, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	pathf(p, "%s/%s", dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
	ck_assert(write(fd, "#!/bin/sh\n", 10) == 10);
	ck_assert(close(fd) == 0);
	ck_assert(chmod(p, mode) == 0);
}

/* pathsearch_find's result for name along path, which must succeed. */
static void want_found(const char *name, const char *path, const char *expect)
{
	char *out = NULL;
	int rc = pathsearch_find(name, path, &out);

	ck_assert_msg(rc == 0, "%s along \"%s\": %s", name, path, strerror(-rc));
	ck_assert_str_eq(out, expect);
	free(out);
}

static void want_error(const char *name, const char *path, int err)
{
	char *out = (char *)1;

	ck_assert_int_eq(pathsearch_find(name, path, &out), err);
	ck_assert_ptr_null(out);
}

START_TEST(test_order)
{
	char dir[PATH_MAX], path[3 * PATH_MAX], a[PATH_MAX], b[PATH_MAX];

	test_dir(dir, "order");
	tree_mkdir(dir, "bin1", 0755);
	tree_mkdir(dir, "bin2", 0755);
	mkexe(dir, "bin1/tool", 0755);
	mkexe(dir, "bin2/tool", 0755);
	pathf(a, "%s/bin1/tool", dir);
	pathf(b, "%s/bin2/tool", dir);
	snprintf(path, sizeof(path), "%s/bin1:%s/bin2", dir, dir);
	want_found("tool", path, a);
	snprintf(path, sizeof(path), "%s/bin2:%s/bin1", dir, dir);
	want_found("tool", path, b);
	/* A trailing slash on an element is not doubled. */
	snprintf(path, sizeof(path), "%s/bin2/", dir);
	want_found("tool", path, b);
}
END_TEST

START_TEST(test_only_runnable_regular_files)
{
	char dir[PATH_MAX], path[3 * PATH_MAX], b[PATH_MAX];

	test_dir(dir, "runnable");
	tree_mkdir(dir, "bin1", 0755);
	tree_mkdir(dir, "bin2", 0755);
	/* Not executable, a directory, a FIFO: passed over for bin2's. */
	mkexe(dir, "bin1/tool", 0644);
	tree_mkdir(dir, "bin1/dir", 0755);
	pathf(b, "%s/bin1/fifo", dir);
	ck_assert(mkfifo(b, 0755) == 0);
	mkexe(dir, "bin2/tool", 0755);
	mkexe(dir, "bin2/dir", 0755);
	mkexe(dir, "bin2/fifo", 0755);
	snprintf(path, sizeof(path), "%s/bin1:%s/bin2", dir, dir);
	pathf(b, "%s/bin2/tool", dir);
	want_found("tool", path, b);
	pathf(b, "%s/bin2/dir", dir);
	want_found("dir", path, b);
	pathf(b, "%s/bin2/fifo", dir);
	want_found("fifo", path, b);
}
END_TEST

START_TEST(test_eacces_remembered)
{
	char dir[PATH_MAX], path[3 * PATH_MAX];

	test_dir(dir, "eacces");
	tree_mkdir(dir, "bin1", 0755);
	tree_mkdir(dir, "bin2", 0755);
	mkexe(dir, "bin1/tool", 0644);
	tree_mkdir(dir, "bin1/dir", 0755);
	snprintf(path, sizeof(path), "%s/bin1:%s/bin2", dir, dir);
	/* Found but not runnable, and nothing after: EACCES, as execvp. */
	want_error("tool", path, -EACCES);
	want_error("dir", path, -EACCES);
	/* Also when the denied one comes last. */
	snprintf(path, sizeof(path), "%s/bin2:%s/bin1", dir, dir);
	want_error("tool", path, -EACCES);
	/* Nowhere at all. */
	want_error("absent", path, -ENOENT);
	want_error("tool", "/nonexistent-dir:/also-not-there", -ENOENT);
}
END_TEST

START_TEST(test_empty_elements)
{
	char dir[PATH_MAX];
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(here, 0);
	test_dir(dir, "empty");
	mkexe(dir, "tool", 0755);
	ck_assert(chdir(dir) == 0);
	/* Empty (PATH set to ""), leading, trailing, in the middle: "." */
	want_found("tool", "", "./tool");
	want_found("tool", ":/nonexistent", "./tool");
	want_found("tool", "/nonexistent:", "./tool");
	want_found("tool", "/nonexistent::/also-not", "./tool");
	want_error("absent", "", -ENOENT);
	ck_assert(fchdir(here) == 0);
	close(here);
}
END_TEST

/* The first directory of the default that holds an executable sh. */
static void default_sh(char *out)
{
	char copy[] = PATHSEARCH_DEFAULT, *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		struct stat st;

		pathf(out, "%s/sh", d);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return;
	}
	ck_abort_msg("no sh along %s", PATHSEARCH_DEFAULT);
}

START_TEST(test_default)
{
	char sh[PATH_MAX];

	ck_assert_str_eq(PATHSEARCH_DEFAULT, "/usr/local/bin:/usr/bin:/bin");
	ck_assert_str_eq(pathsearch_path(NULL), PATHSEARCH_DEFAULT);
	/* Set, even empty, is not unset. */
	ck_assert_str_eq(pathsearch_path(""), "");
	ck_assert_str_eq(pathsearch_path("/x"), "/x");
	default_sh(sh);
	want_found("sh", NULL, sh);
}
END_TEST

/* The --impl check and the queries' PATH must agree when PATH is unset:
 * the sandbox gives queries this module's default. */
START_TEST(test_sandbox_agrees)
{
	char dir[PATH_MAX], **env = NULL;
	struct sandbox sb;
	const char *path = NULL;

	test_dir(dir, "agree");
	ck_assert_int_eq(unsetenv("PATH"), 0);
	ck_assert_int_eq(sandbox_create(&sb, dir, "agree"), 0);
	ck_assert_int_eq(sandbox_env(&sb, &env), 0);
	for (char **e = env; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	ck_assert_ptr_nonnull(path);
	ck_assert_str_eq(path, pathsearch_path(NULL));
	sandbox_env_free(env);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

START_TEST(test_slash_names)
{
	char dir[PATH_MAX], p[PATH_MAX], longname[PATH_MAX + 8];
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(here, 0);
	test_dir(dir, "slash");
	tree_mkdir(dir, "bin", 0755);
	mkexe(dir, "bin/tool", 0755);
	mkexe(dir, "bin/plain", 0644);
	mkexe(dir, "file", 0755);
	/* Not searched (PATH has no such directory), taken as it is. */
	pathf(p, "%s/bin/tool", dir);
	want_found(p, "/nonexistent", p);
	ck_assert(chdir(dir) == 0);
	want_found("bin/tool", "/nonexistent", "bin/tool");
	want_found("./bin/tool", NULL, "./bin/tool");
	want_error("bin/plain", NULL, -EACCES);
	want_error("bin", NULL, -ENOENT);
	want_error("./bin", NULL, -EACCES);
	want_error("bin/absent", NULL, -ENOENT);
	want_error("file/x", NULL, -ENOTDIR);
	ck_assert(fchdir(here) == 0);
	close(here);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	want_error(longname, NULL, -ENAMETOOLONG);
}
END_TEST

START_TEST(test_long_names_and_elements)
{
	char dir[PATH_MAX], name[NAME_MAX + 2], path[4 * PATH_MAX], want[PATH_MAX];
	size_t n;

	want_error("", NULL, -ENOENT);
	memset(name, 'n', NAME_MAX + 1);
	name[NAME_MAX + 1] = '\0';
	want_error(name, NULL, -ENAMETOOLONG);

	test_dir(dir, "long");
	tree_mkdir(dir, "bin", 0755);
	mkexe(dir, "bin/tool", 0755);
	pathf(want, "%s/bin/tool", dir);
	/* An element longer than PATH_MAX, then one whose join with the
	 * name passes it: both skipped, as execvp skips them. */
	memset(path, 'x', PATH_MAX + 10);
	path[0] = '/';
	n = PATH_MAX + 10;
	path[n++] = ':';
	memset(path + n, 'y', PATH_MAX - 3);
	path[n] = '/';
	n += PATH_MAX - 3;
	snprintf(path + n, sizeof(path) - n, ":%s/bin", dir);
	want_found("tool", path, want);
	path[n] = '\0';
	want_error("tool", path, -ENOENT);
}
END_TEST

struct nobody_case {
	const char *dir;
};

/* As uid 65534: a directory it may not search is EACCES remembered (and
 * passed over for a later match); a file only its owner may run is not
 * runnable for it, though it is for root. */
static int as_nobody_checks(void *arg)
{
	const struct nobody_case *c = arg;
	char path[3 * PATH_MAX], *out = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/locked", c->dir);
	if (pathsearch_find("tool", path, &out) != -EACCES || out)
		return 1;
	snprintf(path, sizeof(path), "%s/locked:%s/open", c->dir, c->dir);
	rc = pathsearch_find("tool", path, &out);
	if (rc || !out || !strstr(out, "/open/tool"))
		return 2;
	free(out);
	snprintf(path, sizeof(path), "%s/open", c->dir);
	if (pathsearch_find("owners", path, &out) != -EACCES || out)
		return 3;
	snprintf(path, sizeof(path), "%s/open/owners", c->dir);
	if (pathsearch_find(path, NULL, &out) != -EACCES || out)
		return 4;
	return 0;
}

START_TEST(test_as_nobody)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct nobody_case c = {dir};
	int rc;

	test_dir(dir, "nobody");
	tree_mkdir(dir, "locked", 0700);
	mkexe(dir, "locked/tool", 0755);
	tree_mkdir(dir, "open", 0755);
	mkexe(dir, "open/tool", 0755);
	mkexe(dir, "open/owners", 0744);
	/* Root may run what only the owner may. */
	pathf(p, "%s/open/owners", dir);
	if (geteuid() == 0)
		want_found(p, NULL, p);
	rc = ft_as_nobody(as_nobody_checks, &c);
	if (ft_skipped(rc, "check_pathsearch", "as_nobody"))
		return;
	ck_assert_msg(rc == 0, "as uid %d: case %d failed", FT_NOBODY, rc);
}
END_TEST

/* Real uid 65534, effective uid 0: execve goes by the effective ids, so
 * a file only its owner (root) may run is runnable here, as it must be for
 * a set-uid harness; access() by the real ids would say no. */
static int effective_checks(void *arg)
{
	char *out = NULL;

	if (setresuid(FT_NOBODY, 0, 0) < 0)
		return FT_SKIP;
	if (pathsearch_find(arg, NULL, &out) || !out || strcmp(out, arg))
		return 1;
	free(out);
	return 0;
}

START_TEST(test_effective_ids)
{
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "check_pathsearch: skip effective_ids: not root\n");
		return;
	}
	test_dir(dir, "effective");
	mkexe(dir, "owners", 0744);
	pathf(p, "%s/owners", dir);
	rc = ft_in_child(effective_checks, p);
	if (ft_skipped(rc, "check_pathsearch", "effective_ids"))
		return;
	ck_assert_msg(rc == 0, "real uid %d, effective 0: case %d failed", FT_NOBODY, rc);
}
END_TEST

static Suite *pathsearch_suite(void)
{
	Suite *s = suite_create("pathsearch");
	TCase *tc = tcase_create("pathsearch");

	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_only_runnable_regular_files);
	tcase_add_test(tc, test_eacces_remembered);
	tcase_add_test(tc, test_empty_elements);
	tcase_add_test(tc, test_default);
	tcase_add_test(tc, test_sandbox_agrees);
	tcase_add_test(tc, test_slash_names);
	tcase_add_test(tc, test_long_names_and_elements);
	tcase_add_test(tc, test_as_nobody);
	tcase_add_test(tc, test_effective_ids);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_pathsearch", 1) < 0)
		return 2;
	return tu_run(pathsearch_suite(), "check_pathsearch");
}
