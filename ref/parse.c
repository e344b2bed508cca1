/* parse.c: entry_points.txt, bytes in, entry points out (PROTOCOL.md 3). */
#include "parse.h"

#include <stdbool.h>
#include <string.h>

/* str.splitlines boundaries within ASCII. CR LF needs no special case: the
 * empty line between CR and LF is skipped like every empty line. */
static bool is_break(unsigned char c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x1C || c == 0x1D ||
	       c == 0x1E;
}

/* str.strip's white space within ASCII; 0x1F strips but does not split. */
static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

struct slice {
	const char *p;
	size_t len;
};

static struct slice strip(struct slice s)
{
	while (s.len && is_space((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_space((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Python's line.strip('[]'): every bracket off both ends, nothing else. */
static struct slice strip_brackets(struct slice s)
{
	while (s.len && (s.p[0] == '[' || s.p[0] == ']')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == '[' || s.p[s.len - 1] == ']'))
		s.len--;
	return s;
}

/* A TAB or NUL would break the answer's TAB-separated line format. */
static bool has_tab_or_nul(struct slice s)
{
	return memchr(s.p, '\t', s.len) || memchr(s.p, '\0', s.len);
}

static int parse_pair(struct slice line, struct slice group, parse_entry_fn fn, void *ctx)
{
	const char *eq = memchr(line.p, '=', line.len);
	struct slice name, value;
	struct parse_entry e;

	if (!eq) /* importlib.metadata raises here; the protocol skips */
		return 0;
	name = strip((struct slice){line.p, (size_t)(eq - line.p)});
	value = strip((struct slice){eq + 1, line.len - (size_t)(eq - line.p) - 1});
	if (!name.len || has_tab_or_nul(group) || has_tab_or_nul(name) || has_tab_or_nul(value))
		return 0;
	e.group = group.p;
	e.group_len = group.len;
	e.name = name.p;
	e.name_len = name.len;
	e.value = value.p;
	e.value_len = value.len;
	return fn(ctx, &e);
}

int ep_parse_entry_points(const char *buf, size_t len, parse_entry_fn fn, void *ctx)
{
	struct slice group = {NULL, 0};
	bool in_group = false;
	size_t i = 0;
	int rc;

	while (i < len) {
		size_t start = i;
		struct slice line;

		while (i < len && !is_break((unsigned char)buf[i]))
			i++;
		line = strip((struct slice){buf + start, i - start});
		i += i < len; /* past the break */
		if (!line.len || line.p[0] == '#')
			continue;
		if (line.p[0] == '[' && line.p[line.len - 1] == ']') {
			group = strip_brackets(line);
			in_group = true;
			continue;
		}
		if (!in_group)
			continue;
		rc = parse_pair(line, group, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}
