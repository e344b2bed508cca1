/* check_stamp.c: stamps compare by equality, and the too-new guard. */
#include "stamp.h"
#include "testutil.h"

#define SEC STAMP_NS_PER_SEC

START_TEST(equality_not_direction)
{
	struct stamp a = {1, 2, 100 * SEC, 100 * SEC}, b = a;

	ck_assert(ep_stamp_equal(&a, &b) && ep_stamp_matches(&a, &b));
	b.mtime_ns -= 1; /* backwards is a change too */
	ck_assert(!ep_stamp_matches(&a, &b));
	b = a;
	b.ctime_ns += 1;
	ck_assert(!ep_stamp_matches(&a, &b));
	b = a;
	b.ino = 3;
	ck_assert(!ep_stamp_matches(&a, &b));
	b = a;
	b.dev = 9;
	ck_assert(!ep_stamp_matches(&a, &b));
	b = a;
	b.mtime_ns += 500000000; /* same second, still a change */
	ck_assert(!ep_stamp_matches(&a, &b));
}
END_TEST

START_TEST(guard)
{
	struct stamp s = {1, 2, 100 * SEC, 100 * SEC};

	ck_assert(ep_stamp_settled(&s, 102 * SEC, 2 * SEC));
	ck_assert(!ep_stamp_settled(&s, 102 * SEC - 1, 2 * SEC));
	ck_assert(!ep_stamp_settled(&s, 99 * SEC, 2 * SEC)); /* ahead of the clock */
	ck_assert(!ep_stamp_settled(&s, 99 * SEC, 0));
	ck_assert(ep_stamp_settled(&s, 100 * SEC, 0));
	s.ctime_ns = 101 * SEC; /* mtime old, ctime young */
	ck_assert(!ep_stamp_settled(&s, 102 * SEC, 2 * SEC));
	ck_assert_int_eq(ep_stamp_settle_wait(&s, 102 * SEC, 2 * SEC), SEC);
	ck_assert_int_eq(ep_stamp_settle_wait(&s, 200 * SEC, 2 * SEC), 0);
	ck_assert_int_eq(ep_stamp_settle_wait(&s, 50 * SEC, 2 * SEC), 2 * SEC); /* capped */
}
END_TEST

START_TEST(from_stat)
{
	struct stat st;
	struct stamp s;

	memset(&st, 0, sizeof(st));
	st.st_dev = 7;
	st.st_ino = 8;
	st.st_mtim.tv_sec = 10;
	st.st_mtim.tv_nsec = 5;
	st.st_ctim.tv_sec = -1;
	st.st_ctim.tv_nsec = 999999999;
	ep_stamp_from_stat(&s, &st);
	ck_assert(s.dev == 7 && s.ino == 8);
	ck_assert(s.mtime_ns == 10 * SEC + 5);
	ck_assert(s.ctime_ns == -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stamp");
	TCase *tc = tcase_create("stamp");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, equality_not_direction);
	tcase_add_test(tc, guard);
	tcase_add_test(tc, from_stat);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
