/* view.c: building, copying, projecting and diffing views. */
#include "view.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void view_init(struct view *v)
{
	v->text = NULL;
	v->len = 0;
	v->nlines = 0;
	v->hash = hash64("", 0);
}

void view_release(struct view *v)
{
	free(v->text);
	view_init(v);
}

void view_adopt(struct view *v, char *text, size_t len)
{
	if (v->text != text)
		free(v->text);
	if (!len) {
		free(text);
		text = NULL;
	}
	v->text = text;
	v->len = len;
	v->nlines = 0;
	for (size_t i = 0; i < len; i++)
		v->nlines += text[i] == '\n';
	v->hash = hash64(v->text, len);
}

int view_copy(struct view *dst, const struct view *src)
{
	char *t = NULL;

	if (src->len) {
		t = malloc(src->len);
		if (!t)
			return -ENOMEM;
		memcpy(t, src->text, src->len);
	}
	free(dst->text);
	dst->text = t;
	dst->len = src->len;
	dst->nlines = src->nlines;
	dst->hash = src->hash;
	return 0;
}

int view_line_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

void linebuf_init(struct linebuf *lb)
{
	lb->lines = NULL;
	lb->lens = NULL;
	lb->n = lb->cap = 0;
}

void linebuf_release(struct linebuf *lb)
{
	for (size_t i = 0; i < lb->n; i++)
		free(lb->lines[i]);
	free(lb->lines);
	free(lb->lens);
	linebuf_init(lb);
}

int linebuf_add_fields(struct linebuf *lb, size_t nfields, const char *const *fields,
		       const size_t *lens)
{
	size_t total = nfields ? nfields - 1 : 0;
	char *line, *p;

	for (size_t i = 0; i < nfields; i++)
		total += lens[i];
	if (lb->n == lb->cap) {
		size_t cap = lb->cap ? lb->cap * 2 : 16;
		char **nl = realloc(lb->lines, cap * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		lb->lines = nl;
		size_t *ns = realloc(lb->lens, cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		lb->lens = ns;
		lb->cap = cap;
	}
	line = malloc(total + 1);
	if (!line)
		return -ENOMEM;
	p = line;
	for (size_t i = 0; i < nfields; i++) {
		if (i)
			*p++ = '\t';
		memcpy(p, fields[i], lens[i]);
		p += lens[i];
	}
	lb->lines[lb->n] = line;
	lb->lens[lb->n] = total;
	lb->n++;
	return 0;
}

struct sortline {
	const char *p;
	size_t len;
};

static int sortline_cmp(const void *a, const void *b)
{
	const struct sortline *x = a, *y = b;

	return view_line_cmp(x->p, x->len, y->p, y->len);
}

int linebuf_to_view(struct linebuf *lb, struct view *out)
{
	struct sortline *idx = NULL;
	size_t total = 0;
	char *text = NULL, *p;

	if (lb->n) {
		idx = malloc(lb->n * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	for (size_t i = 0; i < lb->n; i++) {
		idx[i].p = lb->lines[i];
		idx[i].len = lb->lens[i];
		total += lb->lens[i] + 1;
	}
	if (lb->n)
		qsort(idx, lb->n, sizeof(*idx), sortline_cmp);
	if (total) {
		text = malloc(total);
		if (!text) {
			free(idx);
			return -ENOMEM;
		}
	}
	p = text;
	for (size_t i = 0; i < lb->n; i++) {
		memcpy(p, idx[i].p, idx[i].len);
		p += idx[i].len;
		*p++ = '\n';
	}
	free(idx);
	view_adopt(out, text, total);
	linebuf_release(lb);
	return 0;
}

void view_unique(struct view *v)
{
	char *w = v->text, *r = v->text, *end;
	const char *prev = NULL;
	size_t prevlen = 0;

	if (!v->text) /* empty: nothing to squeeze, and no text to point into */
		return;
	end = v->text + v->len;
	while (r < end) {
		char *nl = memchr(r, '\n', (size_t)(end - r));
		size_t n = (size_t)(nl - r);

		if (!prev || n != prevlen || memcmp(prev, r, n) != 0) {
			memmove(w, r, n + 1);
			prev = w;
			prevlen = n;
			w += n + 1;
		}
		r = nl + 1;
	}
	view_adopt(v, v->text, (size_t)(w - v->text));
}

int view_reduce(const struct view *full, struct view *out)
{
	struct linebuf lb;
	const char *p = full->text, *end = full->len ? full->text + full->len : full->text;
	int rc = 0;

	linebuf_init(&lb);
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *tab = memchr(p, '\t', (size_t)(nl - p));
		const char *rest = tab ? tab + 1 : nl;
		size_t len = (size_t)(nl - rest);

		rc = linebuf_add_fields(&lb, 1, &rest, &len);
		if (rc)
			goto out;
		p = nl + 1;
	}
	rc = linebuf_to_view(&lb, out);
	if (rc)
		goto out;
	view_unique(out);
out:
	linebuf_release(&lb);
	return rc;
}

struct diffbuf {
	char *s;
	size_t len, cap, lines, max;
	int err;
};

static void diff_put(struct diffbuf *d, char sign, const char *line, size_t len)
{
	if (d->err)
		return;
	if (d->lines == d->max) {
		line = "...";
		len = 3;
		sign = ' ';
	} else if (d->lines > d->max) {
		return;
	}
	if (d->len + len + 3 > d->cap) {
		size_t cap = (d->cap + len + 3) * 2;
		char *n = realloc(d->s, cap);

		if (!n) {
			d->err = 1;
			return;
		}
		d->s = n;
		d->cap = cap;
	}
	d->s[d->len++] = sign;
	memcpy(d->s + d->len, line, len);
	d->len += len;
	d->s[d->len++] = '\n';
	d->s[d->len] = '\0';
	d->lines++;
}

char *view_diff(const char *want, size_t want_len, const char *got, size_t got_len,
		size_t max_lines)
{
	struct diffbuf d = {.s = NULL, .len = 0, .cap = 0, .lines = 0, .max = max_lines, .err = 0};
	/* Empty sides may be NULL: no arithmetic on them. */
	const char *a = want, *ae = want_len ? want + want_len : want;
	const char *b = got, *be = got_len ? got + got_len : got;

	/* Both sides are sorted: a merge walk finds what is missing and extra. */
	while ((a && a < ae) || (b && b < be)) {
		const char *an = (a && a < ae) ? memchr(a, '\n', (size_t)(ae - a)) : NULL;
		const char *bn = (b && b < be) ? memchr(b, '\n', (size_t)(be - b)) : NULL;
		size_t al = an ? (size_t)(an - a) : (a && a < ae ? (size_t)(ae - a) : 0);
		size_t bl = bn ? (size_t)(bn - b) : (b && b < be ? (size_t)(be - b) : 0);
		int c;

		if (!(a && a < ae))
			c = 1;
		else if (!(b && b < be))
			c = -1;
		else
			c = view_line_cmp(a, al, b, bl);
		if (c == 0) {
			a += al + 1;
			b += bl + 1;
		} else if (c < 0) {
			diff_put(&d, '-', a, al);
			a += al + 1;
		} else {
			diff_put(&d, '+', b, bl);
			b += bl + 1;
		}
	}
	if (d.err) {
		free(d.s);
		return NULL;
	}
	if (!d.s) {
		d.s = malloc(1);
		if (d.s)
			d.s[0] = '\0';
	}
	return d.s;
}
