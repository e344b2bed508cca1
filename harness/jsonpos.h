/* jsonpos.h: where each key and value of a JSON text is, by line and column.
 *
 * jansson parses a scenario but forgets where its values were; a message such
 * as "scenarios/x.json:12:18: ..." needs them back. jsonpos scans the same
 * text once more, after jansson accepted it, and keeps for every value its
 * key (for object members), the position of that key and of the value, and
 * its byte span. Positions are 1-based; a column counts characters (UTF-8
 * code points, a tab is one), as jansson's own json_error_t does, so both kinds
 * of message agree.
 *
 * Values are nodes numbered in document order; the root is node 0. A value is
 * found either by a path, a JSON pointer as in RFC 6901 ("/steps/3/do", "~1"
 * for '/', "~0" for '~', "" for the root), or by walking down from the root
 * with jsonpos_member() and jsonpos_item() alongside a jansson tree.
 *
 * The index is built in linear time without recursion; nesting deeper than
 * JSONPOS_MAX_DEPTH is refused rather than followed, so no input can exhaust
 * the stack or make the index quadratic. A built index is immutable: lookups
 * never allocate and may run concurrently. */
#ifndef CT_JSONPOS_H
#define CT_JSONPOS_H
#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting of objects and arrays accepted (the root container is at
 * depth 1). A scenario needs about 8. */
#define JSONPOS_MAX_DEPTH 64

struct jsonpos;

/* Indexes text[0..len). *out is new, to be freed with jsonpos_free(). Returns
 * 0; -E2BIG when nesting goes deeper than JSONPOS_MAX_DEPTH; -EINVAL when the
 * text is not one JSON value (the scanner is robust against that, but not a
 * validator: parse with jansson first); -EFBIG when len exceeds INT_MAX;
 * -ENOMEM. On -E2BIG and -EINVAL, *line and *col (each may be NULL) are set to
 * the offending character. *out is NULL on failure. */
int jsonpos_index(const char *text, size_t len, struct jsonpos **out, int *line, int *col);
void jsonpos_free(struct jsonpos *p);

/* Finds the value at path. With key, the position of its key (the opening
 * quote) for an object member, and of the value itself for an array item or
 * the root. 0, -ENOENT (no such value) or -EINVAL (path is not a pointer). */
int jsonpos_lookup(const struct jsonpos *p, const char *path, bool key, int *line, int *col);

/* Node-level walk. Each returns a node number, or -1 when node is not an
 * object (array) or has no such member (item), or node itself is -1, so a
 * walk needs no checks until the end. */
int jsonpos_member(const struct jsonpos *p, int node, const char *key, size_t keylen);
int jsonpos_item(const struct jsonpos *p, int node, size_t i);

/* Position of a node's key (as for jsonpos_lookup()) or value; 0:0 for -1. */
void jsonpos_where(const struct jsonpos *p, int node, bool key, int *line, int *col);

/* Byte span of a node's value in the indexed text, e.g. for quoting it in a
 * message: a string's span includes its quotes, a container's its brackets.
 * 0 and 0 for -1. */
void jsonpos_span(const struct jsonpos *p, int node, size_t *off, size_t *len);

#endif
