/* testutil.h: the scratch directory and the runner that the harness's Check
 * suites share. Header-only, like tests/ref/testutil.h: the Makefile builds
 * one .c per suite.
 *
 * A suite's scratch root is made in main() before Check forks its tests: a
 * test that fails exits at once, so removing it cannot be the test's job. It
 * lives under scratch_base(), is removed when every test passed and is
 * kept as NAME.XXXXXX.failed, for a look, when one did not. */
#ifndef CT_TESTUTIL_H
#define CT_TESTUTIL_H
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../scratchdir.h"
#include "treehash.h"

static char scratch[PATH_MAX];

/* snprintf into a PATH_MAX buffer; a path that does not fit fails the test
 * rather than being silently cut. */
static inline void pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	ck_assert_msg(n > 0 && n < PATH_MAX, "path too long");
}

/* A fresh directory scratch/NAME for one test. */
static inline void test_dir(char *out, const char *name)
{
	pathf(out, "%s/%s", scratch, name);
	ck_assert_msg(mkdir(out, 0755) == 0, "mkdir %s: %s", out, strerror(errno));
}

/* The metadata directories in dir. */
static inline size_t count_dists(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		n += (len > 10 && !strcmp(de->d_name + len - 10, ".dist-info")) ||
		     (len > 9 && !strcmp(de->d_name + len - 9, ".egg-info"));
	}
	closedir(d);
	return n;
}

/* Makes the scratch root for suite NAME (see scratchdir.h for where). Mode
 * 0755 when OPEN, so that the unprivileged children some tests fork (as
 * nobody) can reach their part. */
static inline int tu_scratch_make(const char *name, int open)
{
	const char *tmp = scratch_base();
	snprintf(scratch, sizeof(scratch), "%s/%s.XXXXXX", tmp, name);
	if (!mkdtemp(scratch)) {
		fprintf(stderr, "%s: cannot make a scratch directory in '%s': %s\n", name, tmp,
			strerror(errno));
		return -1;
	}
	if (open && chmod(scratch, 0755) < 0) {
		fprintf(stderr, "%s: chmod %s: %s\n", name, scratch, strerror(errno));
		return -1;
	}
	return 0;
}

/* Runs SUITE, then removes or keeps the scratch root; returns main()'s
 * exit status. */
static inline int tu_run(Suite *suite, const char *name)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (failed) {
		char kept[PATH_MAX + 8];

		snprintf(kept, sizeof(kept), "%s.failed", scratch);
		if (rename(scratch, kept) == 0)
			fprintf(stderr, "%s: scratch kept in %s\n", name, kept);
		return 1;
	}
	if (tree_remove(scratch) != 0) {
		fprintf(stderr, "%s: cannot remove %s\n", name, scratch);
		return 1;
	}
	return 0;
}

#endif
