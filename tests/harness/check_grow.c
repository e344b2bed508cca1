/* check_grow.c: grow_array and GROW: the start and the doubling, nothing
 * done when the capacity suffices, contents kept, the overflow of need *
 * elem refused rather than wrapped, grow_need's saturation, a realloc that
 * really fails (the array left intact) and the exact-size retry. */
#include "util/grow.h"
#include "forktest.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct triple {
	uint64_t a, b, c;
};

START_TEST(test_start_and_doubling)
{
	void *p = NULL;
	size_t cap = 0;

	/* Nothing asked, nothing done. */
	ck_assert_int_eq(grow_array(&p, &cap, 0, 8), 0);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(cap, 0);

	ck_assert_int_eq(grow_array(&p, &cap, 1, 8), 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(cap, GROW_START);
	ck_assert_int_eq(grow_array(&p, &cap, GROW_START + 1, 8), 0);
	ck_assert_uint_eq(cap, 2 * GROW_START);
	ck_assert_int_eq(grow_array(&p, &cap, 100, 8), 0);
	ck_assert_uint_eq(cap, 128);
	free(p);

	/* A first request larger than the start: doubled up to it. */
	p = NULL;
	cap = 0;
	ck_assert_int_eq(grow_array(&p, &cap, 1000, 1), 0);
	ck_assert_uint_eq(cap, 1024);
	free(p);

	/* A capacity set by someone else (not a power of two) doubles on. */
	p = malloc(24 * 4);
	cap = 24;
	ck_assert_int_eq(grow_array(&p, &cap, 25, 4), 0);
	ck_assert_uint_eq(cap, 48);
	free(p);
}
END_TEST

START_TEST(test_enough_is_a_no_op)
{
	size_t cap = 0;
	int *v = NULL, *before;

	ck_assert_int_eq(GROW(v, cap, 10), 0);
	before = v;
	ck_assert_int_eq(GROW(v, cap, cap), 0);
	ck_assert_int_eq(GROW(v, cap, 1), 0);
	ck_assert_ptr_eq(v, before);
	ck_assert_uint_eq(cap, GROW_START);
	free(v);
}
END_TEST

START_TEST(test_macro_is_typed)
{
	struct triple *v = NULL;
	size_t cap = 0, n;

	/* sizeof(*v) is 24: every element written below must be allocated
	 * (ASan would say otherwise), and every one kept across the moves. */
	for (n = 0; n < 5000; n++) {
		ck_assert_int_eq(GROW(v, cap, n + 1), 0);
		ck_assert_uint_ge(cap, n + 1);
		v[n].a = n;
		v[n].b = n * 3;
		v[n].c = ~(uint64_t)n;
	}
	ck_assert_uint_eq(cap, 8192);
	for (n = 0; n < 5000; n++)
		ck_assert(v[n].a == n && v[n].b == n * 3 && v[n].c == ~(uint64_t)n);
	free(v);
}
END_TEST

START_TEST(test_overflow_is_enomem)
{
	uint64_t *v = NULL;
	size_t cap = 0;
	void *p;

	ck_assert_int_eq(GROW(v, cap, 4), 0);
	v[0] = 42;
	p = v;
	/* need * 8 wraps to a small number: refused, not granted. */
	ck_assert_int_eq(GROW(v, cap, SIZE_MAX / 4), -ENOMEM);
	ck_assert_int_eq(GROW(v, cap, (SIZE_MAX >> 3) + 2), -ENOMEM);
	/* Past GROW_MAX_BYTES without wrapping: refused too. */
	ck_assert_int_eq(GROW(v, cap, GROW_MAX_BYTES / 8 + 1), -ENOMEM);
	ck_assert_int_eq(grow_array(&p, &cap, GROW_MAX_BYTES + 1, 1), -ENOMEM);
	ck_assert_int_eq(grow_array(&p, &cap, SIZE_MAX, 1), -ENOMEM);
	/* Left exactly as it was. */
	ck_assert_ptr_eq(v, p);
	ck_assert_uint_eq(cap, GROW_START);
	ck_assert_uint_eq(v[0], 42);
	free(v);
}
END_TEST

START_TEST(test_need_saturates)
{
	char *v = NULL;
	size_t cap = 0;

	ck_assert_uint_eq(grow_need(1, 2), 3);
	ck_assert_uint_eq(grow_need(0, 0), 0);
	ck_assert_uint_eq(grow_need(SIZE_MAX - 1, 1), SIZE_MAX);
	ck_assert_uint_eq(grow_need(SIZE_MAX - 1, 2), SIZE_MAX);
	ck_assert_uint_eq(grow_need(5, SIZE_MAX), SIZE_MAX);
	/* An extra count that would wrap the length asks for everything. */
	ck_assert_int_eq(GROW(v, cap, grow_need(SIZE_MAX - 3, 8)), -ENOMEM);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(cap, 0);
}
END_TEST

START_TEST(test_zero_elem)
{
	void *p = NULL;
	size_t cap = 0;

	ck_assert_int_eq(grow_array(&p, &cap, 1, 0), -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(cap, 0);
}
END_TEST

/* An allocation the system refuses, not one grow_array refuses: about half
 * of everything, within GROW_MAX_BYTES. (In an ASan build the allocator
 * says no too: forktest.h makes it return NULL.) */
START_TEST(test_realloc_fails)
{
	unsigned char *v = NULL;
	size_t cap = 0, need = GROW_MAX_BYTES / 2 + 1;

	ck_assert_int_eq(GROW(v, cap, 100), 0);
	memset(v, 7, 100);
	ck_assert_int_eq(GROW(v, cap, need), -ENOMEM);
	ck_assert_uint_eq(cap, 128);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(v[i], 7);
	/* Doubling clamped to the maximum, which also fails. */
	ck_assert_int_eq(GROW(v, cap, GROW_MAX_BYTES), -ENOMEM);
	ck_assert_uint_eq(cap, 128);
	free(v);
}
END_TEST

#define MiB ((size_t)1 << 20)

/* In 100 MiB of headroom: 70 MiB doubles to 128 MiB, which fails, and
 * then 70 MiB exactly, which fits. */
static int exact_retry(void *arg)
{
	unsigned char *v = NULL;
	size_t cap = 0;

	(void)arg;
	if (GROW(v, cap, 70 * MiB))
		return 1;
	if (cap != 70 * MiB)
		return 2;
	memset(v, 1, cap);
	/* And past what is left: the array stays as it was. */
	if (GROW(v, cap, cap + 50 * MiB) != -ENOMEM || cap != 70 * MiB || v[cap - 1] != 1)
		return 3;
	free(v);
	return 0;
}

START_TEST(test_exact_retry)
{
	int rc = ft_with_memory(exact_retry, NULL, 100 * MiB);

	if (ft_skipped(rc, "check_grow", "exact_retry"))
		return;
	ck_assert_msg(rc == 0, "exact_retry: child status %d", rc);
}
END_TEST

static Suite *grow_suite(void)
{
	Suite *s = suite_create("grow");
	TCase *tc = tcase_create("grow");

	tcase_add_test(tc, test_start_and_doubling);
	tcase_add_test(tc, test_enough_is_a_no_op);
	tcase_add_test(tc, test_macro_is_typed);
	tcase_add_test(tc, test_overflow_is_enomem);
	tcase_add_test(tc, test_need_saturates);
	tcase_add_test(tc, test_zero_elem);
	tcase_add_test(tc, test_realloc_fails);
	tcase_add_test(tc, test_exact_retry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(grow_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
