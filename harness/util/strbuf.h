/* strbuf.h: the harness's one growable string buffer, for building messages,
 * example texts, names and paths without an error branch at every append.
 *
 * Invariants of struct strbuf:
 *   - buf is NULL until the first add, then holds len bytes and a NUL
 *     (the content may itself hold NUL bytes added with strbuf_add());
 *   - err is sticky: the first failure (-ENOMEM, or the -errno of a failed
 *     format) is kept, and every later add is a no-op until strbuf_reset(),
 *     so a builder appends freely and looks once, at strbuf_detach();
 *   - with cap != 0, len never passes cap plus the length of mark: the add
 *     that would pass cap keeps what fits, appends mark (if any) once, sets
 *     truncated, and every later add is dropped. Quoted escapes are kept
 *     whole or not at all, never cut in half;
 *   - the struct owns buf; detach hands it over, release frees it.
 *
 * Adds return nothing: the state is in err and truncated. Lifecycle:
 * strbuf_init() (or STRBUF_INIT), adds, then strbuf_detach() or
 * strbuf_release(). Both leave the buffer empty and reusable, with its cap
 * and mark kept. */
#ifndef CT_UTIL_STRBUF_H
#define CT_UTIL_STRBUF_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;	  /* owned; NULL until the first add */
	size_t len;	  /* bytes in buf, NUL excluded */
	size_t alloc;	  /* bytes allocated */
	size_t cap;	  /* most content bytes kept; 0: no cap */
	const char *mark; /* borrowed, appended when the cap cuts: " ..."; may be NULL */
	int err;	  /* 0, or the first failure's -errno */
	bool truncated;	  /* the cap dropped some input */
};

/* An uncapped, empty buffer. */
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, 0, NULL, 0, false                                                      \
	}

/* Empty; cap 0 for none. mark must outlive the buffer (a literal). */
void strbuf_init(struct strbuf *sb, size_t cap, const char *mark);

/* Appends n bytes of p (p may be NULL when n is 0). */
void strbuf_add(struct strbuf *sb, const void *p, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
/* printf-style. A format that fails (an unconvertible wide string: -EILSEQ)
 * sets err like an allocation failure. */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Untrusted bytes as the body of a C-like string literal, so that an answer
 * or a label cannot garble a report: TAB as \t, LF as \n, backslash and
 * double quote escaped with a backslash, every other byte below 0x20, 0x7f
 * and every byte from 0x80 up as \xNN (lower-case hex); the rest as is.
 * Quotes at most max bytes of p, then "..." when n > max. */
void strbuf_addquoted(struct strbuf *sb, const char *p, size_t n, size_t max);

/* Shortens the content to len bytes (len > sb->len is ignored). err and
 * truncated are kept: what was dropped stays dropped. */
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Empties the buffer and clears err and truncated; the allocation is kept
 * for reuse. */
void strbuf_reset(struct strbuf *sb);

/* Hands the string over: malloc'd, NUL-terminated, "" (never NULL) when
 * nothing was added; its length in *len when len is not NULL. After an
 * error: NULL, the error in *err when err is not NULL, and the partial
 * content freed. Either way the buffer is left empty, as after init. */
char *strbuf_detach(struct strbuf *sb, size_t *len, int *err);

/* Frees the content; the buffer is left empty, as after init. */
void strbuf_release(struct strbuf *sb);

#endif
