/* path.h: a path entry as the cache keys it: absolute, and the name of its
 * cache file. */
#ifndef EPCACHE_PATH_H
#define EPCACHE_PATH_H
#include <stddef.h>

/* Sizes a cache file name buffer: "ep-" and 16 hex digits, NUL. */
#define PATH_CACHE_NAME_SIZE 20

/* Makes path absolute as Python means a sys.path entry: relative to the
 * current directory, the empty string being the current directory itself.
 * No normalisation ("a/../b" is kept): the kernel resolves it as Python's
 * import would. Writes a new string to *out (malloc'd, owned by the caller).
 * 0, -ENOMEM, -ENAMETOOLONG, or getcwd()'s error (e.g. -ENOENT when the
 * current directory was removed). */
int ep_path_absolute(const char *path, char **out);

/* Writes the cache file name of the absolute path abs into name: "ep-" and
 * the XXH64 of the path in hex. Two paths may share a name; the cache file
 * stores its path and a reader compares it, so a collision is only a miss. */
void ep_path_cache_name(const char *abs, char name[PATH_CACHE_NAME_SIZE]);

#endif
