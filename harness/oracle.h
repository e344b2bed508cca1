/* oracle.h: the harness's own scanner, PROTOCOL.md section 3.
 *
 * Written from the protocol text alone and never linked with ref/: a parser
 * bug shared by the oracle and the reference would be invisible. Its tests
 * cross-check it against Python's importlib.metadata on well-formed trees. */
#ifndef CT_ORACLE_H
#define CT_ORACLE_H
#include "view.h"

#include <stddef.h>

/* Appends the lines "D\tG\tN\tV" of one entry_points.txt (its bytes) of
 * metadata directory `dist` to lb, in file order. 0 or -ENOMEM. */
int oracle_parse(const char *dist, size_t dist_len, const char *buf, size_t len,
		 struct linebuf *lb);

/* The view of one path entry. A missing entry, a file or anything that is
 * not a directory gives an empty view; unreadable parts contribute nothing
 * (an entry_points.txt that is not a regular file counts as absent, and is
 * never opened, so a FIFO cannot hang the harness). out must be initialised;
 * on success its old content is released, on failure it is untouched.
 * 0, or -errno only when the view cannot be known: resource failures
 * (ENOMEM, EMFILE, ...), read errors (EIO), or -EFBIG for an
 * entry_points.txt over 64 MiB, refused rather than silently truncated. */
int oracle_scan(const char *path, struct view *out);

/* The whole answer an implementation must print for these path entries
 * (section 2): "P\tD\tG\tN\tV\n" lines sorted bytewise. *out is malloc'd
 * (NULL when empty, and on failure). 0 or -errno as oracle_scan. */
int oracle_answer(const char *const *paths, size_t n, char **out, size_t *len);

#endif
