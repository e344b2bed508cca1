/* strbuf.c: the growable string buffer: its sticky error, its optional cap
 * and the quoting of untrusted bytes. */
#include "util/strbuf.h"
#include "util/grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, size_t cap, const char *mark)
{
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	sb->cap = cap;
	sb->mark = mark;
	sb->err = 0;
	sb->truncated = false;
}

/* Room for extra more bytes and the NUL; the first failure sticks. */
static int reserve(struct strbuf *sb, size_t extra)
{
	void *p = sb->buf;
	int rc;

	if (sb->err)
		return sb->err;
	rc = grow_array(&p, &sb->alloc, grow_need(grow_need(sb->len, extra), 1), 1);
	sb->buf = p;
	if (rc)
		sb->err = rc;
	else
		sb->buf[sb->len] = '\0'; /* a first allocation is a string too */
	return rc;
}

static size_t mark_len(const struct strbuf *sb)
{
	return sb->mark ? strlen(sb->mark) : 0;
}

/* How many of n more bytes the cap lets in (all of them without a cap). */
static size_t fits(const struct strbuf *sb, size_t n)
{
	return sb->cap && n > sb->cap - sb->len ? sb->cap - sb->len : n;
}

/* The cap was reached: the mark goes in once and nothing more after it.
 * The caller reserved room for the mark. */
static void cut(struct strbuf *sb)
{
	size_t m = mark_len(sb);

	memcpy(sb->buf + sb->len, sb->mark ? sb->mark : "", m);
	sb->len += m;
	sb->buf[sb->len] = '\0';
	sb->truncated = true;
}

/* Appends p; WHOLE bytes (an escape sequence) are kept all or none. */
static void put(struct strbuf *sb, const void *p, size_t n, bool whole)
{
	size_t keep;

	if (sb->err || sb->truncated)
		return;
	keep = fits(sb, n);
	if (keep < n && whole)
		keep = 0;
	if (reserve(sb, keep < n ? keep + mark_len(sb) : n))
		return;
	if (keep)
		memcpy(sb->buf + sb->len, p, keep);
	sb->len += keep;
	sb->buf[sb->len] = '\0';
	if (keep < n)
		cut(sb);
}

void strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	put(sb, p, n, false);
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	put(sb, s, strlen(s), false);
}

void strbuf_addch(struct strbuf *sb, char c)
{
	put(sb, &c, 1, false);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	size_t keep;
	int n;

	if (sb->err || sb->truncated)
		return;
	va_copy(aq, ap);
	errno = 0;
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		sb->err = errno ? -errno : -EINVAL;
		return;
	}
	/* Formatted in place, whole, then cut back to the cap: the mark
	 * overwrites what the cap drops, so room for both is reserved. */
	if (reserve(sb, grow_need((size_t)n, mark_len(sb))))
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	keep = fits(sb, (size_t)n);
	sb->len += keep;
	sb->buf[sb->len] = '\0';
	if (keep < (size_t)n)
		cut(sb);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

/* The escape for byte c in out (at most 4 bytes), or 0 when c stands as is. */
static size_t escape(unsigned char c, char out[5])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\t' || c == '\n') {
		out[0] = '\\';
		out[1] = c == '\t' ? 't' : 'n';
		return 2;
	}
	if (c == '\\' || c == '"') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f)
		return 0;
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
	return 4;
}

void strbuf_addquoted(struct strbuf *sb, const char *p, size_t n, size_t max)
{
	size_t end = n < max ? n : max, i = 0;

	while (i < end && !sb->err && !sb->truncated) {
		char esc[5];
		size_t run = i, k;

		/* A run of bytes that stand as they are goes in one piece. */
		while (run < end && escape((unsigned char)p[run], esc) == 0)
			run++;
		if (run > i) {
			put(sb, p + i, run - i, false);
			i = run;
			continue;
		}
		k = escape((unsigned char)p[i++], esc);
		put(sb, esc, k, true);
	}
	if (n > max)
		put(sb, "...", 3, true);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		return;
	sb->len = len;
	if (sb->buf)
		sb->buf[len] = '\0';
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
	sb->err = 0;
	sb->truncated = false;
}

char *strbuf_detach(struct strbuf *sb, size_t *len, int *err)
{
	char *s;

	if (!sb->buf)
		reserve(sb, 0);
	if (sb->err) {
		if (err)
			*err = sb->err;
		strbuf_release(sb);
		return NULL;
	}
	s = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb, sb->cap, sb->mark);
	return s;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb, sb->cap, sb->mark);
}
