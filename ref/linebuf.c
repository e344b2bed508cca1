/* linebuf.c: building a view's sorted text from unsorted lines. */
#include "linebuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void ep_linebuf_init(struct linebuf *lb)
{
	memset(lb, 0, sizeof(*lb));
}

void ep_linebuf_release(struct linebuf *lb)
{
	free(lb->buf);
	free(lb->refs);
	ep_linebuf_init(lb);
}

/* Grows *p to hold at least need elements of size sz, doubling. */
static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t ncap = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / sz)
		return -ENOMEM;
	np = realloc(*p, ncap * sz);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

int ep_linebuf_add(struct linebuf *lb, size_t nfields, const char *const *fields,
		   const size_t *lens)
{
	size_t need = nfields; /* the TABs and the LF */
	size_t off = lb->len;
	int rc;

	for (size_t i = 0; i < nfields; i++) {
		if (lens[i] > SIZE_MAX - need - lb->len)
			return -ENOMEM;
		need += lens[i];
	}
	rc = grow((void **)&lb->buf, &lb->cap, lb->len + need, 1);
	if (!rc)
		rc = grow((void **)&lb->refs, &lb->refs_cap, lb->n + 1, sizeof(*lb->refs));
	if (rc)
		return rc;
	for (size_t i = 0; i < nfields; i++) {
		if (i)
			lb->buf[lb->len++] = '\t';
		if (lens[i])
			memcpy(lb->buf + lb->len, fields[i], lens[i]);
		lb->len += lens[i];
	}
	lb->buf[lb->len++] = '\n';
	lb->refs[lb->n].off = off;
	lb->refs[lb->n].len = lb->len - off - 1;
	lb->n++;
	return 0;
}

/* A dropped line keeps its bytes (they are not worth moving) but no length. */
#define DROPPED SIZE_MAX

void ep_linebuf_drop(struct linebuf *lb, size_t first, size_t n)
{
	for (size_t i = first; i < first + n && i < lb->n; i++) {
		if (lb->refs[i].len != DROPPED) {
			lb->refs[i].len = DROPPED;
			lb->dropped++;
		}
	}
}

int ep_linebuf_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

/* qsort has no context argument in C11; the refs carry their text instead. */
struct sortref {
	const char *p;
	size_t len;
};

static int sortref_cmp(const void *x, const void *y)
{
	const struct sortref *a = x, *b = y;

	return ep_linebuf_cmp(a->p, a->len, b->p, b->len);
}

int ep_linebuf_finish(struct linebuf *lb, char **text, size_t *len, size_t *count)
{
	size_t live = lb->n - lb->dropped, pos = 0, k = 0;
	struct sortref *v = NULL;
	char *out = NULL;

	*text = NULL;
	*len = 0;
	*count = 0;
	if (!live) {
		ep_linebuf_release(lb);
		return 0;
	}
	v = malloc(live * sizeof(*v));
	out = malloc(lb->len);
	if (!v || !out) {
		free(v);
		free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lb->n; i++) {
		if (lb->refs[i].len == DROPPED)
			continue;
		v[k].p = lb->buf + lb->refs[i].off;
		v[k++].len = lb->refs[i].len;
	}
	qsort(v, live, sizeof(*v), sortref_cmp);
	for (size_t i = 0; i < live; i++) {
		memcpy(out + pos, v[i].p, v[i].len + 1); /* with its LF */
		pos += v[i].len + 1;
	}
	*text = out;
	*len = pos;
	*count = live;
	free(v);
	ep_linebuf_release(lb);
	return 0;
}
