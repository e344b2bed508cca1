/* check_flaw.c: the variant switch itself (ref/flaw.h). */
#include "flaw.h"
#include "testutil.h"

static const int FLAWS[] = {
    FLAW_STAMP_AFTER_SCAN, FLAW_CACHE_MTIME,	FLAW_NO_GUARD,	     FLAW_MTIME_ONLY_KEY,
    FLAW_WHOLE_SECOND_KEY, FLAW_FORWARD_ONLY,	FLAW_IN_PLACE_WRITE, FLAW_TMPDIR_COPY,
    FLAW_BLOCKING_LOCK,	   FLAW_EXIT_ON_DAMAGE, FLAW_LEAK_TMP,	     FLAW_FAIL_WITHOUT_HOME,
    FLAW_INDEX_SKIP,	   FLAW_NEVER_HITS,	FLAW_DEEP_DIRS_ONLY, FLAW_WAITS_TO_SETTLE,
    FLAW_NO_RESCAN,
};
#define NFLAWS (sizeof(FLAWS) / sizeof(FLAWS[0]))

START_TEST(every_flaw_is_distinct_and_not_none)
{
	ck_assert_int_eq(NFLAWS, 17);
	ck_assert_int_eq(FLAW_COUNT, 18);
	for (size_t i = 0; i < NFLAWS; i++) {
		ck_assert_int_ne(FLAWS[i], FLAW_NONE);
		ck_assert_int_lt(FLAWS[i], FLAW_COUNT);
		for (size_t j = i + 1; j < NFLAWS; j++)
			ck_assert_int_ne(FLAWS[i], FLAWS[j]);
	}
}
END_TEST

/* This suite is built without -DEPCACHE_FLAW, as the reference is. */
START_TEST(plain_build_has_no_flaw)
{
	ck_assert_int_eq(EPCACHE_FLAW, FLAW_NONE);
	for (size_t i = 0; i < NFLAWS; i++)
		ck_assert_msg(!FLAWED(FLAWS[i]), "flaw %d active", FLAWS[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flaw");
	TCase *tc = tcase_create("switch");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_flaw_is_distinct_and_not_none);
	tcase_add_test(tc, plain_build_has_no_flaw);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
