/* check_torture.c: every allocation of a query fails in turn, as curl
 * tortures itself: the query must then either answer right or return
 * -ENOMEM with an empty view, never crash, never leave a temporary behind,
 * never leave a damaged cache that a later query would believe.
 *
 * Works by replacing malloc and friends in this executable (glibc routes its
 * own allocations through them too) and forwarding to glibc's. A sanitizer
 * build has its own allocator: the suite then says it skips. */
#include "epcache.h"
#include "scan.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define TORTURE_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TORTURE_SKIP 1
#endif
#endif

#ifndef TORTURE_SKIP
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long g_fail_at = -1; /* the allocation to fail, counting from 0 */
static long g_calls;
static int g_failed;

static int should_fail(void)
{
	if (g_fail_at < 0 || g_calls++ != g_fail_at)
		return 0;
	g_failed = 1;
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	return should_fail() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	return should_fail() ? NULL : __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

static char *g_dir, *g_sp, *g_cache;

/* The rounds path: the seam (scan.h) toggles a directory that changes no
 * view in the entry after the reads of the first two rounds, so that a
 * query makes three rounds, the last keeping what the second read. */
static char g_junk[PATH_MAX];
static bool g_rounds;
static unsigned g_listed;

void ep_scan_hook(enum scan_phase phase, const struct scan *s)
{
	(void)s;
	if (!g_rounds)
		return;
	if (phase == SCAN_PHASE_LISTED)
		g_listed++;
	if (phase == SCAN_PHASE_READ && g_listed <= 2 && mkdir(g_junk, 0755) < 0)
		rmdir(g_junk);
}

static void setup(void)
{
	g_dir = tu_scratch();
	g_sp = tu_fmt("%s/sp", g_dir);
	g_cache = tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME"));
	tu_mkdir(g_sp);
	for (int i = 0; i < 20; i++) {
		char name[64];

		snprintf(name, sizeof(name), "p%02d-1.0.dist-info", i);
		tu_dist(g_sp, name, "[console_scripts]\nx = y:z\n[g]\na=1\nb=2\n");
	}
}

static void teardown(void)
{
	tu_rmrf(g_dir);
}

static int64_t ahead(void *ctx)
{
	(void)ctx;
	return tu_realtime() + 10 * 1000000000LL;
}

/* The answer; with fail_at >= 0, that allocation of the query fails. */
static char *answer(unsigned flags, int *rc, long fail_at)
{
	struct epcache_options o;
	struct epcache_status st;
	struct epcache_view v;
	char *s;

	epcache_options_init(&o);
	o.flags = flags;
	o.clock = ahead;
	epcache_view_init(&v);
	g_listed = 0;
#ifndef TORTURE_SKIP
	g_calls = 0;
	g_failed = 0;
	g_fail_at = fail_at; /* only the query is tortured, not the test */
#else
	(void)fail_at;
#endif
	*rc = epcache_query(&o, g_sp, &v, &st);
#ifndef TORTURE_SKIP
	g_fail_at = -1;
#endif
	s = tu_fmt("%.*s", (int)v.len, v.text ? v.text : "");
	epcache_view_release(&v);
	return s;
}

/* Fails allocation N for N = 0, 1, ... until a query makes it through. */
static void torture(unsigned flags, bool clear_between)
{
#ifdef TORTURE_SKIP
	(void)flags;
	(void)clear_between;
#else
	int rc;
	char *want = answer(EPCACHE_NO_CACHE, &rc, -1);

	ck_assert_int_eq(rc, 0);
	for (long n = 0; n < 100000; n++) {
		char *got;

		if (clear_between)
			tu_sh("rm -rf '%s'", g_cache);
		got = answer(flags, &rc, n);
		ck_assert_msg(rc == 0 || rc == -ENOMEM, "allocation %ld: rc %d", n, rc);
		if (rc == 0)
			ck_assert_msg(!strcmp(got, want), "allocation %ld: wrong answer", n);
		else
			ck_assert_msg(!strcmp(got, ""), "allocation %ld: a view with an error", n);
		ck_assert_int_eq(tu_count(g_cache, "\\.tmp-"), 0);
		/* Whatever was left must not be believed wrongly. */
		if (!g_failed) {
			fprintf(stderr, "torture: %ld allocations, each failed once\n", n);
			return;
		}
		got = answer(flags, &rc, -1);
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(got, want);
	}
	ck_abort_msg("the query never completed");
#endif
}

START_TEST(miss_path)
{
#ifdef TORTURE_SKIP
	TU_SKIP("a sanitizer build replaces malloc itself");
#endif
	torture(0, true);
}
END_TEST

START_TEST(hit_path)
{
#ifdef TORTURE_SKIP
	TU_SKIP("a sanitizer build replaces malloc itself");
#endif
	int rc;

	answer(0, &rc, -1); /* warm */
	torture(0, false);
}
END_TEST

START_TEST(deep_miss_path)
{
#ifdef TORTURE_SKIP
	TU_SKIP("a sanitizer build replaces malloc itself");
#endif
	torture(EPCACHE_DEEP, true);
}
END_TEST

START_TEST(rounds_path)
{
#ifdef TORTURE_SKIP
	TU_SKIP("a sanitizer build replaces malloc itself");
#endif
	snprintf(g_junk, sizeof(g_junk), "%s/junk", g_sp);
	g_rounds = true;
	torture(0, true);
	torture(EPCACHE_DEEP, true);
	g_rounds = false;
}
END_TEST

START_TEST(no_cache_path)
{
#ifdef TORTURE_SKIP
	TU_SKIP("a sanitizer build replaces malloc itself");
#endif
	torture(EPCACHE_NO_CACHE, false);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("torture");
	TCase *tc = tcase_create("allocations");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, miss_path);
	tcase_add_test(tc, hit_path);
	tcase_add_test(tc, deep_miss_path);
	tcase_add_test(tc, no_cache_path);
	tcase_add_test(tc, rounds_path);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
