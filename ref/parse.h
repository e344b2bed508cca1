/* parse.h: the entry_points.txt parser of PROTOCOL.md section 3.
 *
 * The input is bytes, parsed exactly as importlib.metadata parses ASCII text:
 * lines split where Python's str.splitlines splits ASCII (LF, CR LF, CR, VT,
 * FF, 0x1C, 0x1D, 0x1E); each line stripped of what str.strip strips in ASCII
 * (space, TAB, LF, VT, FF, CR, 0x1C to 0x1F); empty and '#' lines skipped; a
 * line "[...]" starts a group named by the line with every '[' and ']' removed
 * from both ends; lines before the first group skipped; any other line split
 * at its first '=', both parts stripped; skipped when it has no '=', an empty
 * name, or a TAB or NUL byte in group, name or value. Bytes from 0x80 up pass
 * through: never split, never stripped. No de-duplication.
 *
 * The parser allocates nothing and cannot fail by itself: it calls back once
 * per entry point, in file order, with slices of the input. */
#ifndef EPCACHE_PARSE_H
#define EPCACHE_PARSE_H
#include <stddef.h>

/* One entry point: borrowed slices of the parser's input, not NUL-terminated,
 * valid during the callback only. None contains TAB, NUL or a line break;
 * name is never empty, group and value may be. */
struct parse_entry {
	const char *group;
	size_t group_len;
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Called once per entry point. Returns 0 to go on, or a negative errno that
 * stops the parse and becomes ep_parse_entry_points()'s result. */
typedef int (*parse_entry_fn)(void *ctx, const struct parse_entry *e);

/* Parses len bytes at buf (buf may be NULL when len is 0). Returns 0, or the
 * first non-zero value the callback returned. */
int ep_parse_entry_points(const char *buf, size_t len, parse_entry_fn fn, void *ctx);

#endif
