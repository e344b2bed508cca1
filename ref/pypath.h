/* pypath.h: the path entries of a Python interpreter's sys.path, for
 * `epcache --python`. */
#ifndef EPCACHE_PYPATH_H
#define EPCACHE_PYPATH_H
#include <stddef.h>

/* Largest sys.path listing accepted from the interpreter. */
#define PYPATH_OUTPUT_MAX (1u << 20)

struct pypath {
	char **entries; /* owned: count strings, as sys.path holds them */
	size_t count;
	int exit_status; /* the interpreter's, when it ran */
};

void ep_pypath_init(struct pypath *p);
void ep_pypath_release(struct pypath *p);

/* Runs `interp -I -c SCRIPT` (interp searched in $PATH when it has no
 * slash; no shell; standard input /dev/null; standard error inherited),
 * the script printing every sys.path entry NUL-terminated. -I: isolated
 * mode, so that PYTHONPATH, PYTHONHOME, the user site directory and the
 * current directory do not change the answer. Fills p (released first).
 * 0; the posix_spawn error (-ENOENT: no such interpreter); -ECHILD when the
 * interpreter failed (p->exit_status then says how); -E2BIG when it printed
 * more than PYPATH_OUTPUT_MAX; -EPROTO when its output is not a NUL-
 * terminated list; -ENOMEM. */
int ep_pypath_query(const char *interp, struct pypath *p);

#endif
