/* path.c: absolute path entries and their cache file names. */
#include "path.h"
#include "hash.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ep_path_absolute(const char *path, char **out)
{
	char cwd[PATH_MAX];
	size_t clen, plen = strlen(path);
	char *s;

	*out = NULL;
	if (path[0] == '/') {
		s = strdup(path);
		if (!s)
			return -ENOMEM;
		*out = s;
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return errno == ERANGE ? -ENAMETOOLONG : -errno;
	clen = strlen(cwd);
	s = malloc(clen + 1 + plen + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, cwd, clen);
	if (plen) {
		if (clen > 1)
			s[clen++] = '/';
		memcpy(s + clen, path, plen);
	}
	s[clen + plen] = '\0';
	*out = s;
	return 0;
}

void ep_path_cache_name(const char *abs, char name[PATH_CACHE_NAME_SIZE])
{
	snprintf(name, PATH_CACHE_NAME_SIZE, "ep-%016llx",
		 (unsigned long long)ep_hash_xxh64(abs, strlen(abs), 0));
}
