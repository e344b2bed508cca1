/* check_strbuf.c: the string buffer: every add, growth, embedded NUL bytes,
 * the sticky error (an add too large for memory, a format that fails, a
 * realloc that really fails), the cap with and without a mark (adds, formats
 * and escapes cut at it), quoting of every class of byte and its limit,
 * setlen, reset, detach and release. */
#include "util/strbuf.h"
#include "forktest.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static void want(const struct strbuf *sb, const char *text)
{
	ck_assert_int_eq(sb->err, 0);
	ck_assert_ptr_nonnull(sb->buf);
	ck_assert_uint_eq(sb->len, strlen(text));
	ck_assert_str_eq(sb->buf, text);
}

START_TEST(test_adds)
{
	struct strbuf sb = STRBUF_INIT;

	ck_assert_ptr_null(sb.buf);
	strbuf_addstr(&sb, "cache");
	strbuf_addch(&sb, '-');
	strbuf_add(&sb, "torture!!", 7);
	strbuf_addf(&sb, ": %d %s %.2f", 42, "x", 1.5);
	want(&sb, "cache-torture: 42 x 1.50");
	ck_assert(!sb.truncated);
	/* Nothing added still makes a string. */
	strbuf_release(&sb);
	strbuf_add(&sb, NULL, 0);
	want(&sb, "");
	strbuf_addstr(&sb, "");
	strbuf_addf(&sb, "%s", "");
	want(&sb, "");
	strbuf_release(&sb);
	ck_assert_ptr_null(sb.buf);
	ck_assert_uint_eq(sb.len, 0);
}
END_TEST

START_TEST(test_growth_and_nul)
{
	struct strbuf sb;
	char big[10000];

	strbuf_init(&sb, 0, NULL);
	for (int i = 0; i < 10000; i++)
		strbuf_addch(&sb, (char)('a' + i % 26));
	ck_assert_uint_eq(sb.len, 10000);
	ck_assert_uint_ge(sb.alloc, 10001);
	ck_assert_int_eq(sb.buf[10000], '\0');
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(sb.buf[i], 'a' + i % 26);
	/* A format far longer than any fixed buffer. */
	strbuf_reset(&sb);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addf(&sb, "<%s>%*d", big, 3000, 7);
	ck_assert_uint_eq(sb.len, 1 + 9999 + 1 + 3000);
	ck_assert_int_eq(sb.buf[0], '<');
	ck_assert_int_eq(sb.buf[10000], '>');
	ck_assert_int_eq(sb.buf[sb.len - 1], '7');
	/* Bytes are bytes: a NUL inside is kept and counted. */
	strbuf_reset(&sb);
	strbuf_add(&sb, "a\0b", 3);
	ck_assert_uint_eq(sb.len, 3);
	ck_assert_mem_eq(sb.buf, "a\0b", 4);
	strbuf_release(&sb);
}
END_TEST

__attribute__((format(printf, 2, 3))) static void wrapped(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

START_TEST(test_vaddf)
{
	struct strbuf sb = STRBUF_INIT;

	wrapped(&sb, "%s=%u", "seed", 7u);
	wrapped(&sb, "%c%05x", ';', 0xbeefu);
	want(&sb, "seed=7;0beef");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_sticky_enomem)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 99;
	int err = 0;

	strbuf_addstr(&sb, "kept");
	/* More than the address space: refused before any allocation (p is
	 * never read then). */
	strbuf_add(&sb, "x", SIZE_MAX - 2);
	ck_assert_int_eq(sb.err, -ENOMEM);
	ck_assert_uint_eq(sb.len, 4);
	/* Later adds are no-ops, whatever they are. */
	strbuf_addstr(&sb, "lost");
	strbuf_addch(&sb, 'c');
	strbuf_addf(&sb, "%d", 1);
	strbuf_addquoted(&sb, "q", 1, 10);
	ck_assert_uint_eq(sb.len, 4);
	ck_assert_int_eq(sb.err, -ENOMEM);
	/* detach: NULL, the error, len untouched, and an empty buffer left. */
	ck_assert_ptr_null(strbuf_detach(&sb, &len, &err));
	ck_assert_int_eq(err, -ENOMEM);
	ck_assert_uint_eq(len, 99);
	ck_assert_ptr_null(sb.buf);
	ck_assert_int_eq(sb.err, 0);
	strbuf_addstr(&sb, "again");
	want(&sb, "again");
	/* Both out-pointers may be NULL. */
	strbuf_add(&sb, "x", SIZE_MAX);
	ck_assert_ptr_null(strbuf_detach(&sb, NULL, NULL));
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_format_fails)
{
	struct strbuf sb = STRBUF_INIT;
	/* Not a character in any locale, and the suite runs in "C". */
	const wchar_t bad[] = {(wchar_t)0x7fffffff, 0};
	int err = 0;

	strbuf_addstr(&sb, "before");
	strbuf_addf(&sb, "%ls", bad);
	ck_assert_int_eq(sb.err, -EILSEQ);
	ck_assert_uint_eq(sb.len, 6);
	strbuf_addstr(&sb, "after");
	ck_assert_uint_eq(sb.len, 6);
	ck_assert_ptr_null(strbuf_detach(&sb, NULL, &err));
	ck_assert_int_eq(err, -EILSEQ);
	/* reset clears an error too, keeping the allocation. */
	strbuf_addf(&sb, "%ls", bad);
	ck_assert_int_eq(sb.err, -EILSEQ);
	strbuf_reset(&sb);
	ck_assert_int_eq(sb.err, 0);
	strbuf_addstr(&sb, "ok");
	want(&sb, "ok");
	strbuf_release(&sb);
}
END_TEST

/* In 32 MiB of headroom a 64 MiB format cannot be held: realloc fails for
 * real and the error sticks. */
static int real_enomem(void *arg)
{
	struct strbuf sb = STRBUF_INIT;
	int err = 0;

	(void)arg;
	strbuf_addstr(&sb, "head");
	strbuf_addf(&sb, "%*s", 64 << 20, "");
	if (sb.err != -ENOMEM || sb.len != 4 || strcmp(sb.buf, "head"))
		return 1;
	strbuf_addstr(&sb, "tail");
	if (sb.len != 4 || strbuf_detach(&sb, NULL, &err) || err != -ENOMEM)
		return 2;
	return 0;
}

START_TEST(test_real_enomem)
{
	int rc = ft_with_memory(real_enomem, NULL, 32 << 20);

	if (ft_skipped(rc, "check_strbuf", "real_enomem"))
		return;
	ck_assert_msg(rc == 0, "real_enomem: child status %d", rc);
}
END_TEST

START_TEST(test_cap_with_mark)
{
	struct strbuf sb;

	strbuf_init(&sb, 10, " ...");
	strbuf_addstr(&sb, "hello");
	strbuf_addstr(&sb, "world");
	/* Exactly the cap: nothing cut yet. */
	want(&sb, "helloworld");
	ck_assert(!sb.truncated);
	strbuf_addch(&sb, '!');
	want(&sb, "helloworld ...");
	ck_assert(sb.truncated);
	/* Dropped from now on, every kind of add. */
	strbuf_addstr(&sb, "more");
	strbuf_addf(&sb, "%d", 5);
	strbuf_addquoted(&sb, "q", 1, 5);
	want(&sb, "helloworld ...");

	/* An add that crosses the cap keeps what fits. */
	strbuf_reset(&sb);
	ck_assert(!sb.truncated);
	strbuf_addstr(&sb, "abc");
	strbuf_add(&sb, "defghijklmnop", 13);
	want(&sb, "abcdefghij ...");
	/* And a format that crosses it, likewise. */
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s-%d", "abcdefgh", 12345);
	want(&sb, "abcdefgh-1 ...");

	/* detach keeps cap and mark for the next text. */
	free(strbuf_detach(&sb, NULL, NULL));
	ck_assert_uint_eq(sb.cap, 10);
	strbuf_addstr(&sb, "0123456789ABC");
	want(&sb, "0123456789 ...");
	strbuf_release(&sb);
	ck_assert_uint_eq(sb.cap, 10);
	ck_assert_str_eq(sb.mark, " ...");
}
END_TEST

START_TEST(test_cap_without_mark)
{
	struct strbuf sb;

	strbuf_init(&sb, 4, NULL);
	strbuf_addstr(&sb, "abcdef");
	want(&sb, "abcd");
	ck_assert(sb.truncated);
	strbuf_addstr(&sb, "x");
	want(&sb, "abcd");
	strbuf_release(&sb);
}
END_TEST

/* The quoted body of n bytes of p, at most max of them, uncapped. */
static char *quoted(const char *p, size_t n, size_t max)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	strbuf_addquoted(&sb, p, n, max);
	s = strbuf_detach(&sb, NULL, NULL);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_quoting)
{
	static const struct {
		const char *in;
		size_t n, max;
		const char *out;
	} cases[] = {
	    {"plain text ~!", 13, 100, "plain text ~!"},
	    {"\t\n", 2, 100, "\\t\\n"},
	    {"\\\"", 2, 100, "\\\\\\\""},
	    {"'", 1, 100, "'"},
	    {"\x01\x1f\x7f\r", 4, 100, "\\x01\\x1f\\x7f\\x0d"},
	    {"\x80\xc3\xa9\xff", 4, 100, "\\x80\\xc3\\xa9\\xff"},
	    {"a\0b", 3, 100, "a\\x00b"},
	    /* the limit counts input bytes; "..." only when something is left */
	    {"abcdef", 6, 3, "abc..."},
	    {"abc", 3, 3, "abc"},
	    {"\n\n\n\n", 4, 2, "\\n\\n..."},
	    {"abc", 3, 0, "..."},
	    {"", 0, 0, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = quoted(cases[i].in, cases[i].n, cases[i].max);

		ck_assert_msg(!strcmp(s, cases[i].out), "case %zu: got \"%s\", want \"%s\"", i, s,
			      cases[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_quoting_under_a_cap)
{
	struct strbuf sb;

	/* An escape is never cut in half: "\x01" does not fit in the three
	 * bytes left, so none of it goes in. */
	strbuf_init(&sb, 5, "|");
	strbuf_addquoted(&sb, "ab\x01z", 4, 10);
	want(&sb, "ab|");
	ck_assert(sb.truncated);
	/* Plain bytes are cut anywhere. */
	strbuf_reset(&sb);
	strbuf_addquoted(&sb, "abcdefg", 7, 10);
	want(&sb, "abcde|");
	/* The escape that fits exactly, then the "..." that does not. */
	strbuf_reset(&sb);
	strbuf_addquoted(&sb, "a\tbcd", 5, 3);
	want(&sb, "a\\tb|");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_setlen)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_setlen(&sb, 0); /* nothing there yet: harmless */
	ck_assert_ptr_null(sb.buf);
	strbuf_addstr(&sb, "a/b/c");
	strbuf_setlen(&sb, 3);
	want(&sb, "a/b");
	strbuf_setlen(&sb, 10); /* longer: ignored */
	want(&sb, "a/b");
	strbuf_addstr(&sb, "/d");
	want(&sb, "a/b/d");
	/* An error stays through setlen. */
	strbuf_add(&sb, "x", SIZE_MAX);
	strbuf_setlen(&sb, 1);
	ck_assert_int_eq(sb.err, -ENOMEM);
	ck_assert_uint_eq(sb.len, 1);
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_reset_keeps_memory)
{
	struct strbuf sb = STRBUF_INIT;
	size_t alloc;
	char *buf;

	strbuf_addf(&sb, "%0500d", 1);
	buf = sb.buf;
	alloc = sb.alloc;
	strbuf_reset(&sb);
	ck_assert_ptr_eq(sb.buf, buf);
	ck_assert_uint_eq(sb.alloc, alloc);
	want(&sb, "");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_detach)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 99;
	int err = 5;
	char *s;

	/* Nothing added: "", not NULL; err written only on failure. */
	s = strbuf_detach(&sb, &len, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(err, 5);
	free(s);

	strbuf_addstr(&sb, "owned by the caller");
	s = strbuf_detach(&sb, &len, NULL);
	ck_assert_str_eq(s, "owned by the caller");
	ck_assert_uint_eq(len, 19);
	ck_assert_ptr_null(sb.buf);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_uint_eq(sb.alloc, 0);
	free(s);
}
END_TEST

static Suite *strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("strbuf");

	tcase_add_test(tc, test_adds);
	tcase_add_test(tc, test_growth_and_nul);
	tcase_add_test(tc, test_vaddf);
	tcase_add_test(tc, test_sticky_enomem);
	tcase_add_test(tc, test_format_fails);
	tcase_add_test(tc, test_real_enomem);
	tcase_add_test(tc, test_cap_with_mark);
	tcase_add_test(tc, test_cap_without_mark);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_quoting_under_a_cap);
	tcase_add_test(tc, test_setlen);
	tcase_add_test(tc, test_reset_keeps_memory);
	tcase_add_test(tc, test_detach);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(strbuf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
