/* path.h: the harness's one path join and its one "is this inside that"
 * test. Both work on the strings alone: nothing is resolved, no symlink is
 * followed, "." and ".." are ordinary names. Paths the harness builds are
 * its own (the sandbox layout, walk results), so a lexical test is the
 * right one; a path from outside is opened relative to a directory fd with
 * O_NOFOLLOW instead of being judged by its spelling. */
#ifndef CT_UTIL_PATH_H
#define CT_UTIL_PATH_H
#include <stdbool.h>

/* *out = a "/" b, malloc'd, with exactly one slash between them: a trailing
 * slash of a and leading slashes of b are not doubled ("/" and "x" give
 * "/x", "a/" and "/b" give "a/b": b is always taken as below a, never as an
 * absolute path replacing it; a b of slashes only adds nothing). An empty
 * a gives b and an empty b gives a, unchanged. Returns 0, -ENOMEM, or -ENAMETOOLONG when the result
 * with its NUL would pass PATH_MAX; on failure *out is NULL. */
int path_join(char **out, const char *a, const char *b);

/* Whether path is dir or lies below it, comparing whole components:
 * "a/b" is under "a" and under "a/", "ab" is not under "a", "a" is under
 * "a". Every absolute path is under "/"; a relative path is never under an
 * absolute dir nor the other way round. An empty dir contains nothing. */
bool path_is_under(const char *path, const char *dir);

#endif
