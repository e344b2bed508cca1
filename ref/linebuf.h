/* linebuf.h: collects the lines of a view in any order, then sorts and joins
 * them into the view's text.
 *
 * The order is the protocol's (PROTOCOL.md section 2): bytewise, as
 * `LC_ALL=C sort` orders lines, the LF not part of the key, so a line sorts
 * before any longer line it prefixes. Duplicates are kept. */
#ifndef EPCACHE_LINEBUF_H
#define EPCACHE_LINEBUF_H
#include <stddef.h>

struct linebuf_ref {
	size_t off; /* into linebuf.buf */
	size_t len; /* without the LF */
};

struct linebuf {
	char *buf; /* owned: every line added so far, each LF-terminated */
	size_t len, cap;
	struct linebuf_ref *refs; /* owned: one per line, dropped ones included */
	size_t n, refs_cap;
	size_t dropped; /* lines dropped (ep_linebuf_drop()) */
};

void ep_linebuf_init(struct linebuf *lb);
/* Frees what lb holds and leaves it initialised. */
void ep_linebuf_release(struct linebuf *lb);
/* Appends one line made of nfields fields joined by TAB (no LF inside the
 * fields: the caller guarantees it). 0 or -ENOMEM (lb unchanged then). */
int ep_linebuf_add(struct linebuf *lb, size_t nfields, const char *const *fields,
		   const size_t *lens);
/* Drops lines first .. first + n - 1 (counted in the order they were added,
 * dropped ones included): ep_linebuf_finish() leaves them out. Lines are
 * numbered by lb->n before they are added, so a caller can remember which
 * ones a source gave and drop them when the source is gone. */
void ep_linebuf_drop(struct linebuf *lb, size_t first, size_t n);
/* Sorts the lines not dropped and joins them, each LF-terminated, into a new buffer:
 * *text (malloc'd, owned by the caller; NULL when there are no lines),
 * *len bytes, *count lines. Empties lb. 0 or -ENOMEM (lb unchanged then). */
int ep_linebuf_finish(struct linebuf *lb, char **text, size_t *len, size_t *count);
/* The order of the protocol between two lines without their LF: <0, 0, >0. */
int ep_linebuf_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
