/* output.c: writing views as protocol lines, text for people, or JSON. */
#include "output.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool group_ok(const struct epcache_entry *e, const char *group)
{
	return !group || (strlen(group) == e->group_len && !memcmp(group, e->group, e->group_len));
}

static int stream_status(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

/* "P\t" strings compare bytewise: the protocol's global sort. */
static int key_cmp(const void *x, const void *y)
{
	const struct output_item *a = *(const struct output_item *const *)x;
	const struct output_item *b = *(const struct output_item *const *)y;
	char ka[32], kb[32];

	snprintf(ka, sizeof(ka), "%ld\t", a->index);
	snprintf(kb, sizeof(kb), "%ld\t", b->index);
	return strcmp(ka, kb);
}

static void protocol_one(FILE *f, const struct output_item *it, const char *group)
{
	char prefix[32];
	int plen = snprintf(prefix, sizeof(prefix), "%ld\t", it->index);
	const struct epcache_view *v = it->view;
	struct epcache_entry e;
	size_t pos = 0, start = 0;

	/* Without a filter the view's text is printed as it is, line by line. */
	if (!group) {
		const char *p = v->text, *end = v->text + v->len;

		while (p < end) {
			const char *lf = memchr(p, '\n', (size_t)(end - p));
			size_t len = lf ? (size_t)(lf - p) + 1 : (size_t)(end - p);

			fwrite(prefix, 1, (size_t)plen, f);
			fwrite(p, 1, len, f);
			p += len;
		}
		return;
	}
	while (start = pos, epcache_view_next(v, &pos, &e)) {
		if (!group_ok(&e, group))
			continue;
		fwrite(prefix, 1, (size_t)plen, f);
		fwrite(v->text + start, 1, pos - start, f);
	}
}

int ep_output_protocol(FILE *f, const struct output_item *items, size_t n, const char *group)
{
	const struct output_item **order = calloc(n ? n : 1, sizeof(*order));
	size_t k = 0;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (items[i].index >= 0)
			order[k++] = &items[i];
	qsort(order, k, sizeof(*order), key_cmp);
	for (size_t i = 0; i < k; i++)
		protocol_one(f, order[i], group);
	free(order);
	return stream_status(f);
}

/* Control bytes would drive the terminal; everything else is shown as is. */
static void put_text(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
	return a && alen == blen && !memcmp(a, b, alen);
}

static void text_one(FILE *f, const struct output_item *it, const char *group)
{
	const char *dist = NULL, *grp = NULL;
	size_t dlen = 0, glen = 0, pos = 0, shown = 0;
	struct epcache_entry e;

	fprintf(f, "[%ld] ", it->index);
	put_text(f, it->path, strlen(it->path));
	fputc('\n', f);
	while (epcache_view_next(it->view, &pos, &e)) {
		if (!group_ok(&e, group))
			continue;
		if (!same(dist, dlen, e.dist, e.dist_len)) {
			fputs("  ", f);
			put_text(f, e.dist, e.dist_len);
			fputc('\n', f);
			dist = e.dist;
			dlen = e.dist_len;
			grp = NULL;
		}
		if (!same(grp, glen, e.group, e.group_len)) {
			fputs("    [", f);
			put_text(f, e.group, e.group_len);
			fputs("]\n", f);
			grp = e.group;
			glen = e.group_len;
		}
		fputs("      ", f);
		put_text(f, e.name, e.name_len);
		fputs(" = ", f);
		put_text(f, e.value, e.value_len);
		fputc('\n', f);
		shown++;
	}
	if (!shown)
		fputs("  (no entry points)\n", f);
}

int ep_output_text(FILE *f, const struct output_item *items, size_t n, const char *group)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].index >= 0)
			text_one(f, &items[i], group);
	return stream_status(f);
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string of the bytes, invalid UTF-8 replaced by U+FFFD. */
static json_t *json_bytes(const char *s, size_t len, bool *lossy)
{
	const unsigned char *u = (const unsigned char *)s;
	json_t *j = json_stringn(s, len);
	char *fixed;
	size_t k = 0;

	if (j || !len)
		return j ? j : json_string("");
	fixed = malloc(len * 3 + 1);
	if (!fixed)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(u + i, len - i);

		if (n && !(n == 1 && u[i] == 0)) {
			memcpy(fixed + k, s + i, n);
			k += n;
			i += n;
		} else {
			memcpy(fixed + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		}
	}
	*lossy = true;
	j = json_stringn(fixed, k);
	free(fixed);
	return j;
}

static json_t *json_entry(const struct output_item *it, const struct epcache_entry *e)
{
	bool lossy = false;
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (json_object_set_new(o, "path_index", json_integer(it->index)) ||
	    json_object_set_new(o, "path", json_bytes(it->path, strlen(it->path), &lossy)) ||
	    json_object_set_new(o, "dist", json_bytes(e->dist, e->dist_len, &lossy)) ||
	    json_object_set_new(o, "group", json_bytes(e->group, e->group_len, &lossy)) ||
	    json_object_set_new(o, "name", json_bytes(e->name, e->name_len, &lossy)) ||
	    json_object_set_new(o, "value", json_bytes(e->value, e->value_len, &lossy)) ||
	    (lossy && json_object_set_new(o, "lossy", json_true()))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int ep_output_json(FILE *f, const struct output_item *items, size_t n, const char *group)
{
	json_t *arr = json_array();
	struct epcache_entry e;
	int rc = 0;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		size_t pos = 0;

		if (items[i].index < 0)
			continue;
		while (!rc && epcache_view_next(items[i].view, &pos, &e))
			if (group_ok(&e, group) &&
			    json_array_append_new(arr, json_entry(&items[i], &e)))
				rc = -ENOMEM;
	}
	if (!rc && json_dumpf(arr, f, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0)
		rc = -EIO;
	if (!rc)
		fputc('\n', f);
	json_decref(arr);
	return rc ? rc : stream_status(f);
}
