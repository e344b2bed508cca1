/* check_words.c: words_split, the shell-like splitting of --impl: blanks,
 * both kinds of quotes, the escapes of double quotes, backslash outside
 * quotes, empty and glued words, and the offsets of its two errors. */
#include "words.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A case: the input and the words it must give, NULL-terminated. */
struct split_case {
	const char *in;
	const char *want[8];
};

static const struct split_case split_cases[] = {
    /* blanks: space, TAB and LF separate, any number of them */
    {"", {NULL}},
    {"   \t\n  ", {NULL}},
    {"python3", {"python3", NULL}},
    {"  python3 -X  dev\tadapter.py\n", {"python3", "-X", "dev", "adapter.py", NULL}},
    /* single quotes: everything literal, backslash and double quote too */
    {"'a b'", {"a b", NULL}},
    {"'a\\'", {"a\\", NULL}},
    {"'say \"hi\"'", {"say \"hi\"", NULL}},
    {"'$HOME `x`'", {"$HOME `x`", NULL}},
    /* double quotes: \" \\ \$ \` lose the backslash, any other \x stays two chars */
    {"\"a b\"", {"a b", NULL}},
    {"\"it's\"", {"it's", NULL}},
    {"\"\\\"\"", {"\"", NULL}},
    {"\"\\\\\"", {"\\", NULL}},
    {"\"\\$HOME\"", {"$HOME", NULL}},
    {"\"\\`\"", {"`", NULL}},
    {"\"\\x\\n\\'\"", {"\\x\\n\\'", NULL}},
    {"\"a\\\\\\\"b\"", {"a\\\"b", NULL}},
    /* backslash outside quotes: the next character, whatever it is */
    {"a\\ b", {"a b", NULL}},
    {"\\'x", {"'x", NULL}},
    {"\\\"", {"\"", NULL}},
    {"\\\\", {"\\", NULL}},
    {"\\x", {"x", NULL}},
    {"a\\\tb c", {"a\tb", "c", NULL}},
    /* nothing else is special: no variables, no globs, no operators */
    {"$HOME *.py a;b |c", {"$HOME", "*.py", "a;b", "|c", NULL}},
    /* empty words exist when quoted */
    {"''", {"", NULL}},
    {"\"\"", {"", NULL}},
    {"'' \"\" x", {"", "", "x", NULL}},
    {"a '' b", {"a", "", "b", NULL}},
    /* adjacent pieces form one word */
    {"a\"b\"'c'd", {"abcd", NULL}},
    {"'a'\"b\"", {"ab", NULL}},
    {"--impl='x y'z", {"--impl=x yz", NULL}},
    {"x''y", {"xy", NULL}},
};

START_TEST(test_split)
{
	const struct split_case *c = &split_cases[_i];
	char **w = NULL;
	size_t n = 99, where = 99, want_n = 0;
	int rc = words_split(c->in, &w, &n, &where);

	ck_assert_msg(rc == 0, "case %d: rc %d", _i, rc);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(where, 0);
	while (c->want[want_n])
		want_n++;
	ck_assert_msg(n == want_n, "case %d: %zu words, want %zu", _i, n, want_n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(w[i] && !strcmp(w[i], c->want[i]),
			      "case %d word %zu: '%s', want '%s'", _i, i, w[i] ? w[i] : "(null)",
			      c->want[i]);
	/* The array is NULL-terminated whatever the count, even zero. */
	ck_assert_ptr_null(w[n]);
	words_free(w);
}
END_TEST

/* An error: the input and the byte offset words_split must blame. */
struct error_case {
	const char *in;
	size_t where;
};

static const struct error_case error_cases[] = {
    {"'", 0},	      {"abc 'def", 4},	     {"a 'b' 'c", 6}, {"\"", 0},     {"x \"a b", 2},
    {"x \"a\\\"", 2}, /* the escaped quote does not close it */
    {"x \"a\\", 2},   /* a backslash at the end inside "..." */
    {"\\", 0},	      /* trailing backslash: its own offset */
    {"abc\\", 3},     {"a b 'c d' e\\", 11}, {"'x'\"y", 3},   {"\"it's", 0}, /* the quote that
										opened, not the '
										inside */
};

START_TEST(test_errors)
{
	const struct error_case *c = &error_cases[_i];
	char **w = (char **)&w; /* a sentinel: untouched on failure */
	char **sentinel = w;
	size_t n = 77, where = 99;
	int rc = words_split(c->in, &w, &n, &where);

	ck_assert_msg(rc == -EINVAL, "case %d ('%s'): rc %d, want -EINVAL", _i, c->in, rc);
	ck_assert_msg(where == c->where, "case %d ('%s'): offset %zu, want %zu", _i, c->in, where,
		      c->where);
	ck_assert_ptr_eq(w, sentinel);
	ck_assert_uint_eq(n, 77);
}
END_TEST

START_TEST(test_free_null)
{
	/* Callers free unconditionally on their cleanup path. */
	words_free(NULL);
}
END_TEST

START_TEST(test_long)
{
	/* Many words and long ones: the array and the word buffer grow. */
	size_t len = 200 * 6 + 5000 + 3;
	char *s = malloc(len), *p = s;
	char **w;
	size_t n, where;

	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < 200; i++)
		p += snprintf(p, 7, "w%03d ", i);
	*p++ = '\'';
	memset(p, 'x', 5000);
	p += 5000;
	*p++ = '\'';
	*p = '\0';
	ck_assert_int_eq(words_split(s, &w, &n, &where), 0);
	ck_assert_uint_eq(n, 201);
	ck_assert_str_eq(w[0], "w000");
	ck_assert_str_eq(w[199], "w199");
	ck_assert_uint_eq(strlen(w[200]), 5000);
	ck_assert_ptr_null(w[201]);
	words_free(w);
	free(s);
}
END_TEST

static Suite *words_suite(void)
{
	Suite *s = suite_create("words");
	TCase *tc = tcase_create("split");

	tcase_add_loop_test(tc, test_split, 0, (int)(sizeof(split_cases) / sizeof(*split_cases)));
	tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof(error_cases) / sizeof(*error_cases)));
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(words_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
