/* check_rounds.c: a query's scan rounds under changes made between their
 * phases, through the test seam of scan.h (ep_scan_hook). Every answer must
 * be the view of one state the tree was in during the query; a later round
 * must read only what is new or changed; a name re-used for another
 * directory, or a directory renamed away and back, must be read again; a
 * spent budget is answered and not cached. Deterministic: the changes
 * happen at chosen phases of chosen rounds, no thread races the query. */
#include "epcache.h"
#include "scan.h"
#include "testutil.h"

#define SEC	    1000000000LL
#define NDISTS	    30
#define MAX_STATES  64
#define MAX_ACTIONS 4

#define ANY_ROUND UINT_MAX

/* A change of the tree, made at one phase of one round (or of every round)
 * of the query. */
struct action {
	unsigned round;
	enum scan_phase phase;
	void (*fn)(int arg);
	int arg;
};

/* What the seam sees of the query under test. */
static struct {
	bool armed;
	unsigned listed; /* rounds begun (their listing done) */
	unsigned round;	 /* the current round, from 0 */
	struct action acts[MAX_ACTIONS];
	size_t nacts;
	size_t fresh[EPCACHE_MAX_SCANS]; /* candidates read by each round */
	size_t looked[EPCACHE_MAX_SCANS];
	char *views[MAX_STATES]; /* the view of each state during the query */
	size_t nviews;
	unsigned fired; /* actions made */
} g;

static struct tu_clock g_clk;
static char *g_dir, *g_sp, *g_aside;
static unsigned g_version[NDISTS];
static unsigned g_serial;

/* The view of the tree as it is now (the seam disarmed meanwhile). */
static char *view_now(void)
{
	struct scan_result r;
	bool armed = g.armed;
	int fd = open(g_sp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *s;

	ck_assert_int_ge(fd, 0);
	g.armed = false;
	ep_scan_result_init(&r);
	ck_assert_int_eq(ep_scan_dir(fd, 0, &r), 0);
	close(fd);
	g.armed = armed;
	s = strndup(r.text ? r.text : "", r.len);
	ck_assert_ptr_nonnull(s);
	ep_scan_result_release(&r);
	return s;
}

static void record_state(void)
{
	ck_assert_uint_lt(g.nviews, MAX_STATES);
	g.views[g.nviews++] = view_now();
}

void ep_scan_hook(enum scan_phase phase, const struct scan *s)
{
	if (!g.armed)
		return;
	if (phase == SCAN_PHASE_LISTED)
		g.round = g.listed++;
	ck_assert_uint_lt(g.round, EPCACHE_MAX_SCANS);
	if (phase == SCAN_PHASE_READ)
		g.fresh[g.round] = s->fresh;
	if (phase == SCAN_PHASE_VERIFIED)
		g.looked[g.round] = s->looked;
	for (size_t i = 0; i < g.nacts; i++) {
		if ((g.acts[i].round == g.round || g.acts[i].round == ANY_ROUND) &&
		    g.acts[i].phase == phase) {
			g.acts[i].fn(g.acts[i].arg);
			g.fired++;
			record_state();
		}
	}
}

/* ---- the tree and its changes ---- */

static char *dist_name(int i, unsigned v)
{
	return tu_fmt("pkg%02d-1.%u.dist-info", i, v);
}

static char *ep_text(int i, unsigned v)
{
	return tu_fmt("[console_scripts]\npkg%02d = pkg%02d:main%u\n", i, i, v);
}

/* A complete distribution made aside, then renamed in: an atomic install. */
static void put_in(const char *name, const char *content)
{
	char *made = tu_fmt("%s/new-%u", g_aside, g_serial++);

	tu_mkdir(made);
	tu_writes(tu_fmt("%s/entry_points.txt", made), content);
	ck_assert_int_eq(rename(made, tu_fmt("%s/%s", g_sp, name)), 0);
}

static void take_out(const char *name)
{
	ck_assert_int_eq(
	    rename(tu_fmt("%s/%s", g_sp, name), tu_fmt("%s/old-%u", g_aside, g_serial++)), 0);
}

/* New version in, then the old one out (two states). */
static void upgrade(int i)
{
	put_in(dist_name(i, g_version[i] + 1), ep_text(i, g_version[i] + 1));
	record_state();
	take_out(dist_name(i, g_version[i]));
	g_version[i]++;
}

static void install(int i)
{
	put_in(tu_fmt("extra%02d-1.%u.dist-info", i, g_serial), ep_text(i + 50, g_serial));
}

static void uninstall(int i)
{
	take_out(dist_name(i, g_version[i]));
	g_version[i] = 1000; /* gone */
}

/* The same name, another directory with other content (two states). */
static void swap_dir(int i)
{
	char *name = dist_name(i, g_version[i]);

	take_out(name);
	record_state();
	put_in(name, tu_fmt("[console_scripts]\nswapped%u = x:y\n", g_serial));
}

/* In place, as an installer within its window writes: the entry's stamp
 * does not move, only the file's. */
static void edit(int i)
{
	char *f = tu_fmt("%s/%s/entry_points.txt", g_sp, dist_name(i, g_version[i]));

	tu_writes(f, tu_fmt("[console_scripts]\nedited%u = x:y\n", g_serial++));
}

/* A change of the entry that changes no view. */
static void junk(int i)
{
	char *d = tu_fmt("%s/junk-%d", g_sp, i);

	if (mkdir(d, 0755) < 0)
		ck_assert_int_eq(rmdir(d), 0);
}

static void setup(void)
{
	g_dir = tu_scratch();
	g_sp = tu_fmt("%s/sp", g_dir);
	g_aside = tu_fmt("%s/aside", g_dir);
	tu_mkdir(g_sp);
	tu_mkdir(g_aside);
	g_serial = 0;
	for (int i = 0; i < NDISTS; i++) {
		g_version[i] = 0;
		tu_dist(g_sp, dist_name(i, 0), ep_text(i, 0));
	}
	memset(&g, 0, sizeof(g));
}

static void teardown(void)
{
	for (size_t i = 0; i < g.nviews; i++)
		free(g.views[i]);
	tu_rmrf(g_dir);
}

/* ---- queries ---- */

enum mode {
	SETTLED,   /* the clock far ahead: a first round takes the fast path */
	UNSETTLED, /* the clock just after the fixture: every stamp too new */
};

static struct epcache_options opts(enum mode m, unsigned flags)
{
	struct epcache_options o;

	epcache_options_init(&o);
	o.flags = flags;
	o.clock = tu_clock_read;
	o.clock_ctx = &g_clk;
	g_clk.now_ns = m == SETTLED ? tu_realtime() + 10 * SEC : tu_realtime() + SEC / 2;
	return o;
}

static void plan(unsigned round, enum scan_phase phase, void (*fn)(int), int arg)
{
	ck_assert_uint_lt(g.nacts, MAX_ACTIONS);
	g.acts[g.nacts++] = (struct action){round, phase, fn, arg};
}

/* Runs the query with the planned changes; returns its answer, and fails
 * unless it is the view of a state the tree was in during the query. */
static char *query(const struct epcache_options *o, struct epcache_status *st)
{
	struct epcache_view v;
	char *got;
	bool found = false;

	for (size_t i = 0; i < g.nviews; i++)
		free(g.views[i]);
	g.nviews = 0;
	g.listed = g.round = 0;
	memset(g.fresh, 0, sizeof(g.fresh));
	memset(g.looked, 0, sizeof(g.looked));
	record_state();
	epcache_view_init(&v);
	g.armed = true;
	ck_assert_int_eq(epcache_query(o, g_sp, &v, st), 0);
	g.armed = false;
	got = strndup(v.text ? v.text : "", v.len);
	ck_assert_ptr_nonnull(got);
	epcache_view_release(&v);
	for (size_t i = 0; i < g.nviews && !found; i++)
		found = !strcmp(got, g.views[i]);
	if (!found) {
		for (size_t i = 0; i < g.nviews; i++)
			fprintf(stderr, "state %zu:\n%s", i, g.views[i]);
		ck_abort_msg("torn answer, matching none of the %zu states:\n%s", g.nviews, got);
	}
	g.nacts = 0;
	return got;
}

/* The answer is the view of the last state. */
static void expect_last(const char *got)
{
	ck_assert_str_eq(got, g.views[g.nviews - 1]);
}

/* ---- a later round reads only what changed ---- */

/* An upgrade between the listing and the reads: the old version vanishes
 * before it is read, the new one was not listed. The next round lists
 * again and reads only the new version. */
START_TEST(upgrade_between_listing_and_reads)
{
	struct epcache_options o = opts(UNSETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_LISTED, upgrade, 7);
	got = query(&o, &st);
	expect_last(got);
	ck_assert_uint_eq(st.scans, 2);
	ck_assert_uint_eq(g.fresh[0], NDISTS);
	ck_assert_uint_eq(g.fresh[1], 1);
	free(got);
}
END_TEST

/* The settled fast path keeps nothing: a first round that saw a change is
 * followed by one that reads everything, and records it. */
START_TEST(fast_path_round_then_recorded_round)
{
	struct epcache_options o = opts(SETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, upgrade, 3);
	plan(1, SCAN_PHASE_READ, install, 1);
	got = query(&o, &st);
	expect_last(got);
	ck_assert_uint_eq(st.scans, 3);
	ck_assert_uint_eq(g.fresh[1], NDISTS);
	ck_assert_uint_eq(g.fresh[2], 1);
	ck_assert_uint_eq(g.looked[2], NDISTS); /* each kept one; not the new, settled one */
	free(got);
}
END_TEST

/* A change between the reads and the stamp: the stamp differs, the next
 * round reads the one new name and keeps the rest. */
START_TEST(install_between_reads_and_stamp)
{
	struct epcache_options o = opts(UNSETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, install, 1);
	got = query(&o, &st);
	expect_last(got);
	ck_assert_uint_eq(st.scans, 2);
	ck_assert_uint_eq(g.fresh[1], 1);
	free(got);
}
END_TEST

/* A removal only: the next round reads nothing at all. */
START_TEST(uninstall_needs_no_read)
{
	struct epcache_options o = opts(UNSETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, uninstall, 4);
	got = query(&o, &st);
	expect_last(got);
	ck_assert_uint_eq(st.scans, 2);
	ck_assert_uint_eq(g.fresh[1], 0);
	free(got);
}
END_TEST

/* ---- a kept name must still name the directory it was read from ---- */

/* The name removed and re-added with other content between two rounds:
 * kept by name, it is looked at again and read again. */
START_TEST(name_reused_for_another_directory)
{
	struct epcache_options o = opts(SETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, junk, 0); /* a recorded round 1 */
	plan(1, SCAN_PHASE_READ, swap_dir, 5);
	got = query(&o, &st);
	expect_last(got);
	ck_assert(strstr(got, "swapped"));
	free(got);
}
END_TEST

/* The same, after the kept candidate was tied to its directory: its second
 * look (one stat of the directory) must see the other directory. */
START_TEST(name_reused_after_it_was_tied)
{
	struct epcache_options o = opts(SETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, junk, 0);
	plan(1, SCAN_PHASE_READ, junk, 1);
	plan(2, SCAN_PHASE_READ, swap_dir, 9);
	got = query(&o, &st);
	expect_last(got);
	ck_assert(strstr(got, "swapped"));
	free(got);
}
END_TEST

static unsigned g_swapped; /* swap_out's dist, for swap_back */

/* Moves pkg<i> aside and puts another directory with other content under
 * its name, and installs an extra one (so the state differs elsewhere). */
static void swap_out(int i)
{
	char *name = dist_name(i, g_version[i]);

	g_swapped = (unsigned)i;
	ck_assert_int_eq(rename(tu_fmt("%s/%s", g_sp, name), tu_fmt("%s/held", g_aside)), 0);
	record_state();
	put_in(name, "[console_scripts]\nimpostor = x:y\n");
	record_state();
	put_in("extra-1.0.dist-info", "[g]\nextra = x:y\n");
}

/* ... and puts the original directory back, removing the extra one. */
static void swap_back(int i)
{
	char *name = dist_name((int)g_swapped, g_version[g_swapped]);

	(void)i;
	take_out(name);
	record_state();
	ck_assert_int_eq(rename(tu_fmt("%s/held", g_aside), tu_fmt("%s/%s", g_sp, name)), 0);
	record_state();
	take_out("extra-1.0.dist-info");
}

/* A kept directory, tied to its name, moved away between two rounds (another
 * under its name, and an extra distribution installed) and back after the
 * next round's stamp, before its second look. At the stamp the name held
 * the impostor: the original's content with the extra one is a view that
 * never existed, and a look at the file alone would find it unchanged. The
 * look at the directory sees its ctime moved by the renames. */
START_TEST(directory_renamed_away_and_back)
{
	struct epcache_options o = opts(SETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, junk, 0);
	plan(1, SCAN_PHASE_READ, junk, 1);
	plan(1, SCAN_PHASE_KEPT, swap_out, 6);
	plan(2, SCAN_PHASE_VERIFY, swap_back, 0);
	got = query(&o, &st);
	expect_last(got);
	ck_assert_uint_eq(st.scans, 4);
	free(got);
}
END_TEST

/* ---- what changes inside a distribution ---- */

/* An installer still writing (the stamp too new): an in-place edit between
 * the reads and the stamp moves no stamp of the entry; the second look
 * sees it, and the next round reads that one file again. */
START_TEST(edit_of_unsettled_file_read_again)
{
	struct epcache_options o = opts(UNSETTLED, EPCACHE_NO_CACHE);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, edit, 8);
	got = query(&o, &st);
	expect_last(got);
	ck_assert(strstr(got, "edited"));
	ck_assert_uint_eq(st.scans, 2);
	ck_assert_uint_eq(g.fresh[1], 1);
	free(got);
}
END_TEST

/* The strict level sees an in-place edit of a settled file too, in a kept
 * candidate as well as in one just read. */
START_TEST(deep_edit_of_kept_file)
{
	struct epcache_options o = opts(SETTLED, EPCACHE_NO_CACHE | EPCACHE_DEEP);
	struct epcache_status st;
	char *got;

	plan(0, SCAN_PHASE_READ, junk, 0);
	plan(1, SCAN_PHASE_LISTED, edit, 2);
	plan(1, SCAN_PHASE_READ, junk, 1);
	got = query(&o, &st);
	expect_last(got);
	ck_assert(strstr(got, "edited"));
	free(got);
}
END_TEST

/* ---- the budget, and what is cached ---- */

/* The entry moves in every round's window: after EPCACHE_MAX_SCANS rounds
 * the last is answered (every state here has the same view), and nothing
 * is cached. */
START_TEST(spent_budget_is_answered_not_cached)
{
	struct epcache_options o = opts(SETTLED, 0);
	struct epcache_status st;
	char *got, *cache = tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME"));

	plan(ANY_ROUND, SCAN_PHASE_READ, junk, 0);
	got = query(&o, &st);
	expect_last(got);
	ck_assert_uint_eq(st.scans, EPCACHE_MAX_SCANS);
	ck_assert_int_eq(st.outcome, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(st.reason, "changed during scan");
	ck_assert_int_eq(tu_count(cache, "ep-"), 0);
	/* Each later round read nothing: the budget bought listings. */
	for (unsigned r = 2; r < EPCACHE_MAX_SCANS; r++)
		ck_assert_uint_eq(g.fresh[r], 0);
	free(got);
}
END_TEST

/* A round that saw one state after others did not is cached, under the
 * stamp taken before its own listing, and that cache file then answers. */
START_TEST(later_round_is_cached_under_its_own_stamp)
{
	struct epcache_options o = opts(SETTLED, 0);
	struct epcache_status st;
	char *got, *again;

	plan(0, SCAN_PHASE_READ, upgrade, 1);
	plan(1, SCAN_PHASE_READ, install, 3);
	got = query(&o, &st);
	expect_last(got);
	ck_assert_uint_eq(st.scans, 3);
	ck_assert_int_eq(st.outcome, EPCACHE_WRITTEN);
	again = query(&o, &st);
	ck_assert_int_eq(st.outcome, EPCACHE_HIT);
	ck_assert_str_eq(again, got);
	free(got);
	free(again);
}
END_TEST

/* ---- every answer is one state, wherever the change lands ---- */

static void (*const CHANGES[])(int) = {upgrade, install, uninstall, swap_dir, edit};
static const enum scan_phase PHASES[] = {SCAN_PHASE_LISTED, SCAN_PHASE_READ, SCAN_PHASE_VERIFY,
					 SCAN_PHASE_VERIFIED, SCAN_PHASE_KEPT};
#define NCHANGES (sizeof(CHANGES) / sizeof(CHANGES[0]))
#define NPHASES	 (sizeof(PHASES) / sizeof(PHASES[0]))

/* Each kind of change at each phase of rounds 0 to 2, one query each, with a
 * second change in round 0 so that later rounds happen, at both levels, on
 * a settled and on a too-new entry. An in-place edit of a settled file is
 * seen by the strict level only (PROTOCOL.md section 6): the default level
 * gets edits while the entry is too new. query() checks each answer. */
START_TEST(every_answer_is_one_state)
{
	unsigned flags = _i & 1 ? EPCACHE_DEEP : 0;
	enum mode m = _i & 2 ? UNSETTLED : SETTLED;
	unsigned queries = 0, rounds = 0, fired = 0, n = 0;

	for (unsigned r = 0; r < 3; r++) {
		for (size_t p = 0; p < NPHASES; p++) {
			for (size_t c = 0; c < NCHANGES; c++, n++) {
				struct epcache_options o = opts(m, EPCACHE_NO_CACHE | flags);
				struct epcache_status st;
				int victim = (int)(n % NDISTS), other = (victim + 11) % NDISTS;

				if (CHANGES[c] == edit && m == SETTLED && !flags)
					continue;
				if (g_version[victim] == 1000 || g_version[other] == 1000)
					continue; /* uninstalled earlier */
				plan(0, SCAN_PHASE_READ, upgrade, other);
				if (r == 2)
					plan(1, SCAN_PHASE_READ, junk, 0);
				plan(r, PHASES[p], CHANGES[c], victim);
				g.fired = 0;
				free(query(&o, &st));
				/* A listing and its reads happen in every round. */
				if (PHASES[p] == SCAN_PHASE_LISTED || PHASES[p] == SCAN_PHASE_READ)
					ck_assert_uint_eq(g.fired, r == 2 ? 3 : 2);
				queries++;
				rounds += st.scans;
				fired += g.fired;
			}
		}
	}
	ck_assert_uint_ge(queries, 40);
	fprintf(stderr, "every_answer_is_one_state(%d): %u queries, %u rounds, %u changes\n", _i,
		queries, rounds, fired);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rounds");
	TCase *tc = tcase_create("rounds");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, upgrade_between_listing_and_reads);
	tcase_add_test(tc, fast_path_round_then_recorded_round);
	tcase_add_test(tc, install_between_reads_and_stamp);
	tcase_add_test(tc, uninstall_needs_no_read);
	tcase_add_test(tc, name_reused_for_another_directory);
	tcase_add_test(tc, name_reused_after_it_was_tied);
	tcase_add_test(tc, directory_renamed_away_and_back);
	tcase_add_test(tc, edit_of_unsettled_file_read_again);
	tcase_add_test(tc, deep_edit_of_kept_file);
	tcase_add_test(tc, spent_budget_is_answered_not_cached);
	tcase_add_test(tc, later_round_is_cached_under_its_own_stamp);
	tcase_add_loop_test(tc, every_answer_is_one_state, 0, 4);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
