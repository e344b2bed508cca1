/* fuzz_parse.c: libFuzzer target for the entry_points.txt parser. Any input:
 * no crash, no read outside the input, and every entry point it reports is
 * one the protocol allows (non-empty name; no TAB, NUL or line break in any
 * field; no white space at either end of name and value). */
#include "parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bounds {
	const char *lo, *hi;
	size_t count;
};

static int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

static void check_field(const struct bounds *b, const char *p, size_t n, int stripped)
{
	if (n && (p < b->lo || p + n > b->hi))
		abort(); /* outside the input */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\t' || c == '\0' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
		    c == 0x1C || c == 0x1D || c == 0x1E)
			abort();
	}
	if (stripped && n && (is_space((unsigned char)p[0]) || is_space((unsigned char)p[n - 1])))
		abort();
}

static int on_entry(void *ctx, const struct parse_entry *e)
{
	struct bounds *b = ctx;

	if (!e->name_len)
		abort();
	check_field(b, e->group, e->group_len, 0);
	check_field(b, e->name, e->name_len, 1);
	check_field(b, e->value, e->value_len, 1);
	b->count++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounds b = {(const char *)data, (const char *)data + size, 0};
	size_t lines = 1;

	if (ep_parse_entry_points((const char *)data, size, on_entry, &b))
		abort();
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r' || data[i] == '\v' || data[i] == '\f' ||
			 (data[i] >= 0x1C && data[i] <= 0x1E);
	if (b.count > lines) /* at most one entry point per line */
		abort();
	return 0;
}
