/* path.c: lexical path joining and containment. */
#include "util/path.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int path_join(char **out, const char *a, const char *b)
{
	size_t la = strlen(a), lb, n;
	bool slash;
	char *p;

	*out = NULL;
	/* An empty component leaves the other as it is. Otherwise "/" keeps
	 * its one slash, "a//" loses both and "//b" its leading ones. */
	if (la && *b) {
		while (la > 1 && a[la - 1] == '/')
			la--;
		while (*b == '/')
			b++;
	}
	lb = strlen(b);
	slash = la && lb && a[la - 1] != '/';
	n = la + slash + lb;
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	p = malloc(n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, a, la);
	if (slash)
		p[la] = '/';
	memcpy(p + la + slash, b, lb + 1);
	*out = p;
	return 0;
}

bool path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(path, dir, n) != 0)
		return false;
	/* "/" itself ends in the slash that separates. */
	return dir[n - 1] == '/' || path[n] == '\0' || path[n] == '/';
}
