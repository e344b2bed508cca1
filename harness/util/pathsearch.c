/* pathsearch.c: execvp's PATH search, done in the harness so that it runs
 * once per command rather than once per query, and with one default. */
#include "util/pathsearch.h"
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *pathsearch_path(const char *path)
{
	return path ? path : PATHSEARCH_DEFAULT;
}

/* 0 when cand is a regular file we may execute, else the -errno execve
 * would fail with: the reason a candidate that exists is passed over. */
static int runnable(const char *cand)
{
	struct stat st;

	if (stat(cand, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (faccessat(AT_FDCWD, cand, X_OK, AT_EACCESS) < 0)
		return -errno;
	return 0;
}

/* One PATH element (elem, len bytes; empty: the working directory). */
static int try_elem(const char *elem, size_t len, const char *name, char **out)
{
	char dir[PATH_MAX];
	int rc;

	if (len == 0) {
		elem = ".";
		len = 1;
	}
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, elem, len);
	dir[len] = '\0';
	rc = path_join(out, dir, name);
	if (rc)
		return rc;
	rc = runnable(*out);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int pathsearch_find(const char *name, const char *path, char **out)
{
	const char *p, *end;
	int rc, found = -ENOENT;

	*out = NULL;
	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (strlen(name) >= PATH_MAX)
			return -ENAMETOOLONG;
		rc = runnable(name);
		if (rc)
			return rc;
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	for (p = pathsearch_path(path);; p = end + 1) {
		end = strchrnul(p, ':');
		rc = try_elem(p, (size_t)(end - p), name, out);
		if (rc == 0 || rc == -ENOMEM)
			return rc;
		/* There, but not for us: execvp goes on too, and says EACCES
		 * if nothing later matches. */
		if (rc == -EACCES)
			found = -EACCES;
		if (!*end)
			return found;
	}
}
