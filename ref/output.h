/* output.h: the CLI's three answer formats, written to a stdio stream.
 *
 * protocol: PROTOCOL.md section 2, "P\tD\tG\tN\tV\n" sorted bytewise as a
 *           whole; the lines of one P are contiguous and the view's own
 *           order, so the entries are emitted in the order of the strings
 *           "P\t" ("10\t" before "2\t").
 * text:     for people: each path entry, its distributions, their groups
 *           and "name = value" lines; control bytes shown as \xNN.
 * json:     an array of {"path_index", "path", "dist", "group", "name",
 *           "value"} objects in path order then view order; bytes that are
 *           not UTF-8 become U+FFFD and the object gets "lossy": true.
 *
 * A group filter (optional) keeps the entry points of that group only. */
#ifndef EPCACHE_OUTPUT_H
#define EPCACHE_OUTPUT_H
#include "epcache.h"

#include <stdio.h>

struct output_item {
	long index;	  /* P; < 0: not shown (the index-skip variant) */
	const char *path; /* the absolute path entry */
	const struct epcache_view *view;
};

/* Each writes items[0..n) to f. group NULL: every group. 0, -ENOMEM, or -EIO
 * when f reports an error (errno then says which). */
int ep_output_protocol(FILE *f, const struct output_item *items, size_t n, const char *group);
int ep_output_text(FILE *f, const struct output_item *items, size_t n, const char *group);
int ep_output_json(FILE *f, const struct output_item *items, size_t n, const char *group);

#endif
