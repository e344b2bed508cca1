/* view.h: a path entry's view (PROTOCOL.md section 3) as the harness holds it.
 *
 * Invariants of struct view: text holds nlines lines "D\tG\tN\tV\n" (the
 * answer's lines for one entry with their "P\t" prefix removed), sorted
 * bytewise as LC_ALL=C sort orders them (the LF is not part of the key, so a
 * line sorts before any longer line it prefixes); duplicates are kept; hash is
 * hash64(text, len). An empty view has text NULL and len 0.
 *
 * A reduced view (PROTOCOL.md section 2) has the same shape with lines
 * "G\tN\tV\n", distinct. */
#ifndef CT_VIEW_H
#define CT_VIEW_H
#include <stddef.h>
#include <stdint.h>

struct view {
	char *text; /* owned */
	size_t len;
	size_t nlines;
	uint64_t hash;
};

/* Collects lines in any order, then turns them into a view. */
struct linebuf {
	char **lines; /* each malloc'd, without LF */
	size_t *lens;
	size_t n, cap;
};

void view_init(struct view *v);
void view_release(struct view *v);
/* Deep copy; dst must be initialised (its old content is released). 0 or -ENOMEM. */
int view_copy(struct view *dst, const struct view *src);
/* Takes ownership of text (malloc'd, already sorted, every line LF-ended). */
void view_adopt(struct view *v, char *text, size_t len);
/* Drops adjacent duplicate lines in place: in a sorted view, every
 * duplicate (a reduced answer has distinct lines). */
void view_unique(struct view *v);
/* Reduced projection of a full view: D dropped, distinct, sorted. 0 or -ENOMEM. */
int view_reduce(const struct view *full, struct view *out);
/* Bytewise line order, LF excluded: <0, 0, >0 like memcmp. */
int view_line_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* A readable diff between an expected view and what was answered for the same
 * entry (both sorted, LF-ended lines): "-" lines missing, "+" lines extra, at
 * most max_lines lines then "...". Returns a malloc'd string or NULL (ENOMEM). */
char *view_diff(const char *want, size_t want_len, const char *got, size_t got_len,
		size_t max_lines);

void linebuf_init(struct linebuf *lb);
void linebuf_release(struct linebuf *lb);
/* Adds one line made of nfields fields joined by TAB (no LF). 0 or -ENOMEM. */
int linebuf_add_fields(struct linebuf *lb, size_t nfields, const char *const *fields,
		       const size_t *lens);
/* Sorts, joins into out (released first) and empties lb. 0 or -ENOMEM. */
int linebuf_to_view(struct linebuf *lb, struct view *out);

#endif
