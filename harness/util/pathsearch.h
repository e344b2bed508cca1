/* pathsearch.h: the harness's one PATH resolver, used both to check --impl
 * before anything runs and to find the program every query executes, so
 * that the two can never disagree.
 *
 * The search is execvp's (POSIX exec, glibc's execvpe):
 *   - a name holding a slash is not searched: it is the candidate itself;
 *   - otherwise each element of the PATH value, in order, left to right;
 *     an empty element (leading, trailing or "::") is the working
 *     directory, so the result is then "./name";
 *   - only an executable regular file matches (execute permission for the
 *     effective ids, as execve checks it);
 *   - a candidate that exists but cannot be run (a directory, a file
 *     without execute permission, a directory on the way we may not search)
 *     is remembered: if nothing later matches, the answer is -EACCES, not
 *     -ENOENT, as execvp's errno would be.
 *
 * PATH unset has ONE default here, PATHSEARCH_DEFAULT, which is also what
 * the sandbox puts in the queries' environment (pathsearch_path()): the
 * harness used to check --impl against one default and run queries with
 * another, so with PATH unset a command found in /usr/local/bin passed the
 * check and then failed every query. PATH set but empty is one empty
 * element: the working directory, as execvp has it.
 *
 * The result is a path as found, relative when the PATH element was: a
 * caller that executes it from another working directory makes it
 * absolute first. */
#ifndef CT_UTIL_PATHSEARCH_H
#define CT_UTIL_PATHSEARCH_H

#define PATHSEARCH_DEFAULT "/usr/local/bin:/usr/bin:/bin"

/* The PATH value a search, and a query's environment, use: path (the
 * value of PATH, NULL when it is unset) or PATHSEARCH_DEFAULT. */
const char *pathsearch_path(const char *path);

/* Resolves name along path (NULL: PATH unset, the default) as execvp would,
 * into *out (malloc'd). Returns 0; -ENOENT when nothing matched (and for an
 * empty name); -EACCES when only candidates that cannot be run were found;
 * -ENAMETOOLONG for a name longer than NAME_MAX, or a name with a slash
 * longer than PATH_MAX (an element whose join with name passes PATH_MAX is
 * skipped, as execvp skips it); -ENOMEM. For a name with a slash, the
 * -errno of stat() or of the execute check (-ENOENT, -ENOTDIR, -EACCES,
 * ...), or -EACCES when it is not a regular file. On failure *out is NULL. */
int pathsearch_find(const char *name, const char *path, char **out);

#endif
