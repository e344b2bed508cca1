/* scratchdir.h: where the Check suites of both halves make their scratch
 * directories. Header-only, included by tests/ref/testutil.h and
 * tests/harness/testutil.h.
 *
 * $TMPDIR (else /tmp) is the place, unless another user could not reach it:
 * the tests that fork children as nobody need to, and a private $TMPDIR
 * (mode 0700 somewhere on the way) would fail them for a reason that is not
 * theirs. /tmp serves then. */
#ifndef CT_SCRATCHDIR_H
#define CT_SCRATCHDIR_H
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Whether other users may search every directory on the way to DIR. */
static inline int scratch_reachable(const char *dir)
{
	char path[PATH_MAX], *slash;
	struct stat st;

	if (!realpath(dir, path))
		return 0;
	for (;;) {
		if (stat(path, &st) < 0 || !(st.st_mode & S_IXOTH))
			return 0;
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			return 1;
		*slash = 0;
	}
}

/* The base directory for scratch directories. */
static inline const char *scratch_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' && scratch_reachable(t) ? t : "/tmp";
}

#endif
