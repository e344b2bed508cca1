/* check_parse.c: the entry_points.txt parser, data-driven from
 * fixtures/parse/<case>.txt (input bytes) and <case>.out (the expected
 * "G\tN\tV" lines in file order), plus generated and random inputs. */
#include "parse.h"
#include "testutil.h"

#include <dirent.h>

static char *g_cases[512];
static int g_ncases;

struct sink {
	char *buf;
	size_t len, cap;
	size_t count;
	int stop_after; /* 0: never */
};

static void sink_put(struct sink *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
		ck_assert_ptr_nonnull(s->buf);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static int collect(void *ctx, const struct parse_entry *e)
{
	struct sink *s = ctx;

	sink_put(s, e->group, e->group_len);
	sink_put(s, "\t", 1);
	sink_put(s, e->name, e->name_len);
	sink_put(s, "\t", 1);
	sink_put(s, e->value, e->value_len);
	sink_put(s, "\n", 1);
	s->count++;
	if (s->stop_after && s->count == (size_t)s->stop_after)
		return -ECANCELED;
	return 0;
}

START_TEST(fixture_case)
{
	const char *name = g_cases[_i];
	char *in = tu_fmt("%s/parse/%s.txt", tu_fixtures(), name);
	char *out = tu_fmt("%s/parse/%s.out", tu_fixtures(), name);
	size_t ilen = 0, olen = 0;
	char *input = tu_read(in, &ilen), *want = tu_read(out, &olen);
	struct sink s = {0};

	ck_assert_msg(input && want, "case %s: missing .txt or .out", name);
	ck_assert_int_eq(ep_parse_entry_points(input, ilen, collect, &s), 0);
	ck_assert_msg(s.len == olen && (!olen || !memcmp(s.buf, want, olen)),
		      "case %s: got [%s] want [%s]", name, s.buf ? s.buf : "", want);
	free(s.buf);
	free(input);
	free(want);
	free(in);
	free(out);
}
END_TEST

START_TEST(null_empty_input)
{
	struct sink s = {0};

	ck_assert_int_eq(ep_parse_entry_points(NULL, 0, collect, &s), 0);
	ck_assert_uint_eq(s.count, 0);
}
END_TEST

START_TEST(callback_error_stops)
{
	const char *in = "[g]\na=1\nb=2\nc=3\n";
	struct sink s = {.stop_after = 2};

	ck_assert_int_eq(ep_parse_entry_points(in, strlen(in), collect, &s), -ECANCELED);
	ck_assert_uint_eq(s.count, 2);
	free(s.buf);
}
END_TEST

/* A few MiB, generated: every line found, in order, nothing quadratic. */
START_TEST(huge_file)
{
	const size_t n = 200000;
	size_t cap = n * 40 + 64, len = 0;
	char *buf = malloc(cap);
	struct sink s = {0};
	char last[64];

	ck_assert_ptr_nonnull(buf);
	len += (size_t)snprintf(buf + len, cap - len, "[console_scripts]\r\n");
	for (size_t i = 0; i < n; i++)
		len +=
		    (size_t)snprintf(buf + len, cap - len, "  name%zu = mod%zu:func  \r\n", i, i);
	ck_assert_int_eq(ep_parse_entry_points(buf, len, collect, &s), 0);
	ck_assert_uint_eq(s.count, n);
	ck_assert(!strncmp(s.buf, "console_scripts\tname0\tmod0:func\n", 32));
	snprintf(last, sizeof(last), "console_scripts\tname%zu\tmod%zu:func\n", n - 1, n - 1);
	ck_assert_str_eq(s.buf + s.len - strlen(last), last);
	free(s.buf);
	free(buf);
}
END_TEST

/* An independent, literal reading of PROTOCOL.md section 3, one byte at a
 * time, to compare with the parser on random input. */
static bool ref_break(unsigned char c)
{
	return strchr("\n\r\v\f\x1c\x1d\x1e", c) && c;
}

static bool ref_space(unsigned char c)
{
	return strchr(" \t\n\v\f\r\x1c\x1d\x1e\x1f", c) && c;
}

static void ref_strip(const char **p, size_t *n)
{
	while (*n && ref_space((unsigned char)**p))
		(*p)++, (*n)--;
	while (*n && ref_space((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

static bool ref_bad(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\t' || p[i] == '\0')
			return true;
	return false;
}

static void ref_line(struct sink *s, const char *p, size_t n, const char **g, size_t *gn)
{
	const char *name, *val;
	size_t nn, vn, eq;

	ref_strip(&p, &n);
	if (!n || p[0] == '#')
		return;
	if (p[0] == '[' && p[n - 1] == ']') {
		while (n && (p[0] == '[' || p[0] == ']'))
			p++, n--;
		while (n && (p[n - 1] == '[' || p[n - 1] == ']'))
			n--;
		*g = p;
		*gn = n;
		return;
	}
	if (!*g)
		return;
	for (eq = 0; eq < n && p[eq] != '='; eq++)
		;
	if (eq == n)
		return;
	name = p, nn = eq, val = p + eq + 1, vn = n - eq - 1;
	ref_strip(&name, &nn);
	ref_strip(&val, &vn);
	if (!nn || ref_bad(*g, *gn) || ref_bad(name, nn) || ref_bad(val, vn))
		return;
	struct parse_entry e = {*g, *gn, name, nn, val, vn};
	collect(s, &e);
}

static void ref_parse(struct sink *s, const char *buf, size_t len)
{
	const char *g = NULL;
	size_t gn = 0, start = 0;

	for (size_t i = 0; i <= len; i++)
		if (i == len || ref_break((unsigned char)buf[i])) {
			ref_line(s, buf + start, i - start, &g, &gn);
			start = i + 1;
		}
}

START_TEST(random_inputs_agree_with_literal_reading)
{
	static const char alphabet[] = "[]=#  \t\n\r\v\f\x1c\x1d\x1e\x1f\x85\xa0\0abgx";
	unsigned seed = 12345;
	char buf[200];

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		struct sink a = {0}, b = {0};

		for (size_t i = 0; i < len; i++)
			buf[i] = alphabet[rand_r(&seed) % (int)(sizeof(alphabet) - 1)];
		ck_assert_int_eq(ep_parse_entry_points(buf, len, collect, &a), 0);
		ref_parse(&b, buf, len);
		ck_assert_msg(a.len == b.len && (!a.len || !memcmp(a.buf, b.buf, a.len)),
			      "round %d differs", round);
		free(a.buf);
		free(b.buf);
	}
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_cases(void)
{
	char *dir = NULL;
	struct dirent *de;
	DIR *d;

	/* Outside any test: no ck_assert (and so no tu_fmt) here. */
	if (asprintf(&dir, "%s/parse", tu_fixtures()) < 0)
		exit(1);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr,
			"check_parse: cannot open %s (run from the repository root "
			"or set EPCACHE_FIXTURES)\n",
			dir);
		exit(1);
	}
	while ((de = readdir(d)) && g_ncases < 512) {
		size_t n = strlen(de->d_name);

		if (n > 4 && !strcmp(de->d_name + n - 4, ".txt"))
			g_cases[g_ncases++] = strndup(de->d_name, n - 4);
	}
	closedir(d);
	free(dir);
	qsort(g_cases, (size_t)g_ncases, sizeof(*g_cases), cmp_str);
}

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *fx = tcase_create("fixtures"), *gen = tcase_create("generated");
	SRunner *sr;
	int failed;

	list_cases();
	tcase_add_loop_test(fx, fixture_case, 0, g_ncases);
	tcase_add_test(gen, null_empty_input);
	tcase_add_test(gen, callback_error_stops);
	tcase_add_test(gen, huge_file);
	tcase_add_test(gen, random_inputs_agree_with_literal_reading);
	tcase_set_timeout(gen, 60);
	suite_add_tcase(s, fx);
	suite_add_tcase(s, gen);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int i = 0; i < g_ncases; i++)
		free(g_cases[i]);
	return failed ? 1 : 0;
}
