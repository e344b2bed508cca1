/* check_checker.c: the checker (I1..I5) on hand-built histories whose right
 * verdict is known, and on synthetic ones with planted flaws. */
#include "checker.h"
#include "history.h"
#include "synth.h"
#include "view.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define MS	  1000000LL
#define SEC	  1000000000LL
#define ALL_BITS  0xffu
#define EXIT(n)	  ((n) << 8)	       /* the wait status of exit(n) */
#define KILLED(s) (s)		       /* the wait status of a death by signal s */
#define END	  ((const char *)NULL) /* ends the lines of begin() and trans() */

static struct history H;
static struct verdict V;

static void hist_new(size_t n)
{
	const char *paths[16];
	char buf[16][16];

	ck_assert_uint_le(n, 16);
	for (size_t i = 0; i < n; i++) {
		snprintf(buf[i], sizeof(buf[i]), "/p%zu", i);
		paths[i] = buf[i];
	}
	ck_assert_int_eq(history_init(&H, n, paths), 0);
	H.t0_ns = 0;
}

static void setup(void)
{
	memset(&H, 0, sizeof(H));
	verdict_init(&V);
}

static void teardown(void)
{
	if (H.entries)
		history_release(&H);
	verdict_release(&V);
}

/* A view from "D\tG\tN\tV" lines (NULL-terminated, any order). */
static void vview(struct view *v, va_list ap)
{
	struct linebuf lb;
	const char *line;

	linebuf_init(&lb);
	view_init(v);
	while ((line = va_arg(ap, const char *))) {
		size_t n = strlen(line);

		ck_assert_int_eq(linebuf_add_fields(&lb, 1, &line, &n), 0);
	}
	ck_assert_int_eq(linebuf_to_view(&lb, v), 0);
}

static void begin(size_t e, int64_t from, const char *label, ...)
{
	struct view v;
	va_list ap;

	va_start(ap, label);
	vview(&v, ap);
	va_end(ap);
	ck_assert_int_eq(history_begin(&H, e, from, &v, label), 0);
}

static void trans(size_t e, int64_t before, int64_t after, const char *label, ...)
{
	struct view v;
	va_list ap;

	va_start(ap, label);
	vview(&v, ap);
	va_end(ap);
	ck_assert_int_eq(history_transition(&H, e, before, after, &v, label), 0);
}

static uint32_t query_full(int64_t start, int64_t end, int wstatus, unsigned flags, int32_t scans,
			   const char *out, size_t len)
{
	struct hquery q;
	int id;

	memset(&q, 0, sizeof(q));
	q.worker = 7;
	q.start_ns = start;
	q.end_ns = end;
	q.wstatus = wstatus;
	q.flags = flags;
	q.scans = scans;
	if (len) {
		q.out = malloc(len);
		ck_assert_ptr_nonnull(q.out);
		memcpy(q.out, out, len);
		q.out_len = len;
	}
	id = history_add_query(&H, &q);
	ck_assert_int_ge(id, 0);
	return (uint32_t)id;
}

/* A query that exited 0 with this answer. */
static uint32_t query(int64_t start, int64_t end, const char *out)
{
	return query_full(start, end, 0, 0, -1, out, strlen(out));
}

static struct checker_opts opts(void)
{
	struct checker_opts o;

	memset(&o, 0, sizeof(o));
	o.bound_ns = 10 * SEC;
	o.deciding = ALL_BITS;
	return o;
}

static void run_opts(const struct checker_opts *o)
{
	ck_assert_int_eq(checker_run(&H, o, &V), 0);
}

static void run(bool reduced)
{
	struct checker_opts o = opts();

	o.reduced = reduced;
	run_opts(&o);
}

static const struct check_outcome *out(enum check_id id)
{
	return &V.checks[id];
}

static const struct check_example *ex(enum check_id id, size_t i)
{
	ck_assert_uint_gt(out(id)->nexamples, i);
	return &out(id)->examples[i];
}

/* Two entries: entry 0 goes A -> B during [100, 110], entry 1 stays C. */
static void two_entries(void)
{
	hist_new(2);
	begin(0, 0, "initial", "a-1.dist-info\tcs\tx\tm:f", END);
	trans(0, 100, 110, "upgrade a to 2", "a-2.dist-info\tcs\tx\tm:g", END);
	begin(1, 0, "initial", "c-1.dist-info\tcs\ty\tm:h", END);
}

#define ANS_A "0\ta-1.dist-info\tcs\tx\tm:f\n"
#define ANS_B "0\ta-2.dist-info\tcs\tx\tm:g\n"
#define ANS_C "1\tc-1.dist-info\tcs\ty\tm:h\n"

/* ---- I1, full answers ---- */

START_TEST(test_boundaries_inclusive)
{
	two_entries();
	query(110, 200, ANS_A ANS_C); /* starts exactly when A's window ends */
	query(50, 100, ANS_B ANS_C);  /* ends exactly when B's window begins */
	query(102, 105, ANS_A ANS_C); /* inside the overlap: either */
	query(102, 105, ANS_B ANS_C);
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 0);
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_PASS);
	ck_assert_uint_eq(V.fig.answered, 4);
}
END_TEST

START_TEST(test_just_past_boundaries)
{
	two_entries();
	query(111, 200, ANS_A ANS_C); /* A was replaced before it started */
	query(50, 99, ANS_B ANS_C);   /* B began after it ended */
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 2);
	ck_assert_uint_eq(V.fig.stale, 1);
	ck_assert_uint_eq(V.fig.torn, 1);
	ck_assert_str_eq(ex(CHECK_I1, 0)->kind, "stale");
	ck_assert_int_eq(ex(CHECK_I1, 0)->entry, 0);
	ck_assert_str_eq(ex(CHECK_I1, 1)->kind, "torn");
	ck_assert_ptr_nonnull(strstr(ex(CHECK_I1, 1)->detail, "after the query ended"));
	ck_assert_ptr_nonnull(strstr(ex(CHECK_I1, 1)->states, "matched later state 1"));
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_FAIL);
}
END_TEST

START_TEST(test_stale_by_one)
{
	const struct check_example *e;

	hist_new(1);
	begin(0, 0, "initial", "a-1\tg\tn\tv1", END);
	trans(0, 1 * SEC, 1 * SEC + 10, "install b (atomic)", "a-1\tg\tn\tv1", "b-1\tg\tm\tw", END);
	trans(0, 2 * SEC, 2 * SEC + 10, "upgrade a", "a-2\tg\tn\tv2", "b-1\tg\tm\tw", END);
	query(2 * SEC + 500, 2 * SEC + 900, "0\ta-1\tg\tn\tv1\n0\tb-1\tg\tm\tw\n");
	run(false);
	ck_assert_uint_eq(V.fig.stale, 1);
	e = ex(CHECK_I1, 0);
	ck_assert_str_eq(e->kind, "stale");
	ck_assert_int_eq(e->query, 0);
	ck_assert_int_eq(e->worker, 7);
	ck_assert_int_eq(e->start_ns, 2 * SEC + 500);
	ck_assert_str_eq(e->states, "state 2 \"upgrade a\" [2.000 s, -]; matched earlier state 1 "
				    "\"install b (atomic)\" [1.000 s, 2.000 s]");
	ck_assert_str_eq(e->diff, "+a-1\tg\tn\tv1\n-a-2\tg\tn\tv2\n");
	ck_assert_ptr_nonnull(strstr(e->detail, "state 1, replaced at 2.000 s"));
}
END_TEST

START_TEST(test_torn_across_entries)
{
	two_entries();
	trans(1, 300, 310, "upgrade c", "c-2.dist-info\tcs\ty\tm:i", END);
	/* Entry 0 from its new state, entry 1 from a state it never had. */
	query(400, 500, ANS_B "1\tc-9.dist-info\tcs\ty\tm:z\n");
	/* Entry 0 stale and entry 1 torn: the query counts once, as torn. */
	query(400, 500, ANS_A "1\tc-9.dist-info\tcs\ty\tm:z\n");
	run(false);
	ck_assert_uint_eq(V.fig.torn, 2);
	ck_assert_uint_eq(V.fig.stale, 0);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 2);
	ck_assert_str_eq(ex(CHECK_I1, 0)->kind, "torn");
	ck_assert_int_eq(ex(CHECK_I1, 0)->entry, 1);
	ck_assert_ptr_nonnull(strstr(ex(CHECK_I1, 0)->detail, "match no state"));
	ck_assert_str_eq(ex(CHECK_I1, 1)->kind, "torn");
	ck_assert_int_eq(ex(CHECK_I1, 1)->entry, 1);
}
END_TEST

START_TEST(test_torn_within_entry)
{
	hist_new(1);
	begin(0, 0, "initial", "a-1\tg\tn1\tv1", "a-1\tg\tn2\tv1", END);
	trans(0, 100, 200, "upgrade a", "a-2\tg\tn1\tv2", "a-2\tg\tn2\tv2", END);
	/* Inside the overlap, yet half of each state. */
	query(150, 160, "0\ta-1\tg\tn1\tv1\n0\ta-2\tg\tn2\tv2\n");
	query(150, 160, "0\ta-1\tg\tn1\tv1\n0\ta-1\tg\tn2\tv1\n");
	query(150, 160, "0\ta-2\tg\tn1\tv2\n0\ta-2\tg\tn2\tv2\n");
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 1);
	ck_assert_uint_eq(V.fig.torn, 1);
	ck_assert_int_eq(ex(CHECK_I1, 0)->query, 0);
}
END_TEST

START_TEST(test_empty_views)
{
	hist_new(3);
	begin(0, 0, "initial", END);
	trans(0, 100, 110, "install a", "a-1\tg\tn\tv", END);
	begin(1, 0, "initial", END);
	begin(2, 0, "initial", "c-1\tg\tn\tv", END);
	trans(2, 100, 110, "uninstall c", END);
	query(0, 50, "2\tc-1\tg\tn\tv\n");		     /* entries 0 and 1 empty: right */
	query(200, 300, "0\ta-1\tg\tn\tv\n");		     /* entries 1 and 2 empty: right */
	query(200, 300, "");				     /* entry 0 empty: stale */
	query(0, 50, "");				     /* entry 2 empty: only later */
	query(200, 300, "0\ta-1\tg\tn\tv\n1\ta\tg\tn\tv\n"); /* entry 1 never had a line */
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 3);
	ck_assert_int_eq(ex(CHECK_I1, 0)->query, 2);
	ck_assert_str_eq(ex(CHECK_I1, 0)->kind, "stale");
	ck_assert_int_eq(ex(CHECK_I1, 0)->entry, 0);
	ck_assert_str_eq(ex(CHECK_I1, 0)->diff, "-a-1\tg\tn\tv\n");
	ck_assert_int_eq(ex(CHECK_I1, 1)->query, 3);
	ck_assert_str_eq(ex(CHECK_I1, 1)->kind, "torn");
	ck_assert_int_eq(ex(CHECK_I1, 1)->entry, 2);
	ck_assert_int_eq(ex(CHECK_I1, 2)->query, 4);
	ck_assert_str_eq(ex(CHECK_I1, 2)->kind, "torn");
	ck_assert_int_eq(ex(CHECK_I1, 2)->entry, 1);
}
END_TEST

START_TEST(test_all_empty)
{
	hist_new(2);
	begin(0, 0, "initial", END);
	begin(1, 0, "initial", END);
	query(10, 20, "");
	query_full(10, 20, 0, 0, -1, NULL, 0);
	run(false);
	ck_assert_uint_eq(V.fig.answered, 2);
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_PASS);
	ck_assert_int_eq(out(CHECK_I2)->status, CHECK_PASS);
}
END_TEST

/* A slow query over many states of the same size: any of them will do. */
START_TEST(test_long_query_many_states)
{
	char line[32];

	hist_new(1);
	begin(0, 0, "initial", "a\tg\tn\t10", END);
	for (int i = 11; i < 40; i++) {
		snprintf(line, sizeof(line), "a\tg\tn\t%d", i);
		trans(0, i * 100, i * 100 + 10, "next", line, END);
	}
	query(1500, 3000, "0\ta\tg\tn\t21\n");
	query(1500, 3000, "0\ta\tg\tn\t15\n");
	query(1500, 3000, "0\ta\tg\tn\t30\n");
	query(1500, 3000, "0\ta\tg\tn\t13\n");
	query(1500, 3000, "0\ta\tg\tn\t31\n");
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 2);
	ck_assert_int_eq(ex(CHECK_I1, 0)->query, 3);
	ck_assert_str_eq(ex(CHECK_I1, 0)->kind, "stale");
	ck_assert_ptr_nonnull(strstr(ex(CHECK_I1, 0)->states, "11 earlier candidates not shown; "
							      "state 15 \"next\""));
	ck_assert_int_eq(ex(CHECK_I1, 1)->query, 4);
	ck_assert_str_eq(ex(CHECK_I1, 1)->kind, "torn");
}
END_TEST

/* Entry 10's lines sort between entry 1's and entry 2's. */
START_TEST(test_many_entries_order)
{
	hist_new(11);
	for (size_t e = 0; e < 11; e++) {
		if (e == 1 || e == 2 || e == 10)
			begin(e, 0, "initial", "d\tg\tn\tv", END);
		else
			begin(e, 0, "initial", END);
	}
	query(10, 20, "1\td\tg\tn\tv\n10\td\tg\tn\tv\n2\td\tg\tn\tv\n");
	query(10, 20, "1\td\tg\tn\tv\n2\td\tg\tn\tv\n10\td\tg\tn\tv\n");
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 0);
	ck_assert_uint_eq(out(CHECK_I2)->violations, 1);
	ck_assert_str_eq(ex(CHECK_I2, 0)->kind, "malformed: line 3: out of order after line 2");
	ck_assert_int_eq(ex(CHECK_I2, 0)->query, 1);
}
END_TEST

/* The runner records states in order; if not, every state is tried. */
START_TEST(test_unordered_states)
{
	hist_new(1);
	begin(0, 0, "initial", "a\tg\tn\t1", END);
	trans(0, 100, 110, "second", "a\tg\tn\t2", END);
	trans(0, 200, 210, "third", "a\tg\tn\t3", END);
	trans(0, 300, 310, "fourth", "a\tg\tn\t4", END);
	/* State 1's window made to end after state 2's. */
	H.entries[0].states[1].until_ns = 1000;
	query(500, 600, "0\ta\tg\tn\t2\n");
	query(500, 600, "0\ta\tg\tn\t4\n");
	query(500, 600, "0\ta\tg\tn\t3\n");
	query(1500, 1600, "0\ta\tg\tn\t2\n");
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 2);
	ck_assert_int_eq(ex(CHECK_I1, 0)->query, 2);
	ck_assert_str_eq(ex(CHECK_I1, 0)->kind, "stale");
	ck_assert_int_eq(ex(CHECK_I1, 1)->query, 3);
	ck_assert_str_eq(ex(CHECK_I1, 1)->kind, "stale");
}
END_TEST

/* ---- I1, reduced answers ---- */

/* Entry 0 goes A0 -> B0 at [200, 210], entry 1 goes A1 -> B1 at [100, 110]. */
static void reduced_history(void)
{
	hist_new(2);
	begin(0, 0, "initial", "p-1\tcs\tp\tm:1", "q-1\tcs\tq\tm:1", END);
	trans(0, 200, 210, "upgrade p", "p-2\tcs\tp\tm:2", "q-1\tcs\tq\tm:1", END);
	begin(1, 0, "initial", "r-1\tcs\tr\tm:1", END);
	trans(1, 100, 110, "upgrade r", "r-2\tcs\tr\tm:2", END);
}

START_TEST(test_reduced_accepted)
{
	reduced_history();
	query(20, 30, "cs\tp\tm:1\ncs\tq\tm:1\ncs\tr\tm:1\n");
	query(300, 400, "cs\tp\tm:2\ncs\tq\tm:1\ncs\tr\tm:2\n");
	/* B0 and A1 were never current together, but each was current
	 * during [50, 250]: each entry may be read at its own instant. */
	query(50, 250, "cs\tp\tm:2\ncs\tq\tm:1\ncs\tr\tm:1\n");
	query(50, 250, "cs\tp\tm:1\ncs\tq\tm:1\ncs\tr\tm:2\n");
	run(true);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 0);
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_PASS);
	ck_assert_uint_eq(V.fig.answered, 4);
}
END_TEST

START_TEST(test_reduced_stale_torn)
{
	reduced_history();
	query(300, 400, "cs\tp\tm:1\ncs\tq\tm:1\ncs\tr\tm:2\n");	     /* entry 0 stale */
	query(300, 400, "cs\tp\tm:2\ncs\tr\tm:2\n");			     /* q lost */
	query(300, 400, "cs\tp\tm:2\ncs\tq\tm:1\ncs\tr\tm:2\ncs\tz\tm:9\n"); /* z never was */
	run(true);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 3);
	ck_assert_uint_eq(V.fig.stale, 1);
	ck_assert_uint_eq(V.fig.torn, 2);
	ck_assert_str_eq(ex(CHECK_I1, 0)->kind, "stale");
	ck_assert_ptr_nonnull(
	    strstr(ex(CHECK_I1, 0)->states, "matched with earlier entry 0 state 0"));
	ck_assert_str_eq(ex(CHECK_I1, 0)->diff, "+cs\tp\tm:1\n-cs\tp\tm:2\n");
	ck_assert_str_eq(ex(CHECK_I1, 1)->kind, "torn");
	ck_assert_int_eq(ex(CHECK_I1, 1)->entry, 0);
	ck_assert_str_eq(ex(CHECK_I1, 2)->kind, "torn");
	ck_assert_int_eq(ex(CHECK_I1, 2)->entry, -1);
	ck_assert_int_eq(ex(CHECK_I1, 0)->entry, 0);
	ck_assert_str_eq(ex(CHECK_I1, 2)->diff, "+cs\tz\tm:9\n");
}
END_TEST

/* States that differ only in D project alike: either will do. */
START_TEST(test_reduced_same_projection)
{
	hist_new(2);
	begin(0, 0, "initial", "a-1\tcs\tx\tm:f", END);
	trans(0, 100, 200, "rename", "a-2\tcs\tx\tm:f", END);
	trans(0, 150, 300, "rename again", "a-3\tcs\tx\tm:f", END);
	begin(1, 0, "initial", "b-1\tcs\ty\tm:g", END);
	trans(1, 100, 200, "upgrade", "b-2\tcs\ty\tm:h", END);
	query(160, 170, "cs\tx\tm:f\ncs\ty\tm:g\n");
	query(160, 170, "cs\tx\tm:f\ncs\ty\tm:h\n");
	run(true);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 0);
}
END_TEST

/* One wrong answer repeated: what the first judgement found is reused
 * only where it still holds. */
START_TEST(test_reduced_repeated)
{
	hist_new(1);
	begin(0, 0, "initial", "a-1\tg\ta\tv", END);
	trans(0, 100, 110, "b", "b-1\tg\tb\tv", END);
	trans(0, 200, 210, "c", "c-1\tg\tc\tv", END);
	trans(0, 500, 610, "d", "d-1\tg\td\tv", END);
	trans(0, 600, 700, "e", "e-1\tg\te\tv", END);
	query(300, 400, "g\tb\tv\n"); /* stale */
	query(300, 400, "g\tb\tv\n"); /* stale again */
	query(0, 50, "g\tb\tv\n");    /* the same lines, but only a later state had them */
	query(150, 160, "g\td\tv\n"); /* only later */
	query(170, 180, "g\td\tv\n"); /* still */
	query(800, 900, "g\td\tv\n"); /* now an earlier state has them: stale */
	query(800, 900, "g\tz\tv\n"); /* never */
	query(900, 990, "g\tz\tv\n");
	run(true);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 8);
	ck_assert_uint_eq(V.fig.stale, 3);
	ck_assert_uint_eq(V.fig.torn, 5);
	ck_assert_str_eq(ex(CHECK_I1, 0)->kind, "stale");
	ck_assert_str_eq(ex(CHECK_I1, 1)->kind, "stale");
	ck_assert_str_eq(ex(CHECK_I1, 2)->kind, "torn");
	ck_assert_str_eq(ex(CHECK_I1, 3)->kind, "torn");
	ck_assert_str_eq(ex(CHECK_I1, 4)->kind, "torn");
}
END_TEST

/* Two entries may project to the same line: the answer holds it once. */
START_TEST(test_reduced_shared_lines)
{
	hist_new(2);
	begin(0, 0, "initial", "a-1\tcs\tx\tm:f", END);
	begin(1, 0, "initial", "b-1\tcs\tx\tm:f", "b-1\tcs\ty\tm:g", END);
	trans(1, 100, 110, "uninstall b", END);
	query(10, 20, "cs\tx\tm:f\ncs\ty\tm:g\n");
	query(200, 300, "cs\tx\tm:f\n");
	query(50, 150, "cs\tx\tm:f\n");
	query(10, 20, "cs\tx\tm:f\ncs\tx\tm:f\ncs\ty\tm:g\n");
	run(true);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 0);
	ck_assert_uint_eq(out(CHECK_I2)->violations, 1);
	ck_assert_str_eq(ex(CHECK_I2, 0)->kind, "malformed: line 2: repeats line 1");
}
END_TEST

/* A search that cannot finish is undecided, never torn. */
START_TEST(test_reduced_undecided)
{
	char lines[9][32], answer[512];
	size_t len = 0;

	hist_new(8);
	for (size_t i = 0; i < 9; i++)
		snprintf(lines[i], sizeof(lines[i]), "d\tg\tn\tv%zu", i);
	for (size_t e = 0; e < 8; e++) {
		begin(e, 0, "initial", lines[0], END);
		for (size_t i = 1; i < 9; i++)
			trans(e, (int64_t)i * 10, (int64_t)i * 10 + 5, "next", lines[i], END);
	}
	/* Nine lines, eight entries each offering any one of them. */
	for (size_t i = 0; i < 9; i++)
		len += (size_t)snprintf(answer + len, sizeof(answer) - len, "%s\n", lines[i] + 2);
	query(0, 1000, answer);
	run(true);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 0);
	ck_assert_ptr_nonnull(strstr(out(CHECK_I1)->note, "1 undecided"));
}
END_TEST

/* ---- I2 ---- */

START_TEST(test_answers_exit)
{
	two_entries();
	query_full(10, 20, EXIT(1), 0, -1, "", 0);
	query_full(10, 20, KILLED(9), 0, -1, ANS_A, strlen(ANS_A));
	query_full(10, 20, 0, HQ_OUT_TRUNCATED, -1, ANS_A ANS_C, strlen(ANS_A ANS_C));
	query_full(10, 20, 0, HQ_SPAWN_FAILED, -1, "", 0);
	run(false);
	ck_assert_uint_eq(out(CHECK_I2)->violations, 3);
	ck_assert_str_eq(ex(CHECK_I2, 0)->kind, "exit 1");
	ck_assert_str_eq(ex(CHECK_I2, 0)->detail, "exited with status 1; stderr empty");
	ck_assert_str_eq(ex(CHECK_I2, 1)->kind, "signal 9");
	ck_assert_str_eq(ex(CHECK_I2, 2)->kind, "answer too large");
	ck_assert_uint_eq(V.fig.queries, 4);
	ck_assert_uint_eq(V.fig.answered, 0);
	ck_assert_ptr_nonnull(strstr(out(CHECK_I2)->note, "1 could not be started"));
	/* No answer was judged: freshness was not observed. */
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_NOT_RUN);
	ck_assert_int_eq(out(CHECK_I2)->status, CHECK_FAIL);
}
END_TEST

START_TEST(test_answers_stderr_quoted)
{
	struct hquery q;

	two_entries();
	memset(&q, 0, sizeof(q));
	q.wstatus = EXIT(2);
	q.err = strdup("epcache: cannot\tread \"x\"\x01\nsecond line\n");
	q.err_len = strlen(q.err);
	ck_assert_int_ge(history_add_query(&H, &q), 0);
	run(false);
	ck_assert_str_eq(ex(CHECK_I2, 0)->detail,
			 "exited with status 2; stderr: \"epcache: cannot\\tread \\\"x\\\"\\x01\"");
}
END_TEST

struct bad_answer {
	const char *out;
	size_t len;
	const char *kind;
};

/* clang-format off */
#define BAD(s, kind) {s, sizeof(s) - 1, kind}
/* clang-format on */

static const struct bad_answer full_bad[] = {
    BAD("1\tc\tg\tn\tv\n0\ta\tg\tn\tv\n", "malformed: line 2: out of order after line 1"),
    BAD("01\ta\tg\tn\tv\n", "malformed: line 1: path index \"01\" has a leading zero"),
    BAD("-1\ta\tg\tn\tv\n", "malformed: line 1: path index \"-1\" is not a decimal number"),
    BAD("2\ta\tg\tn\tv\n", "malformed: line 1: path index 2 out of range (2 entries)"),
    BAD("99999999999999999999999\ta\tg\tn\tv\n",
	"malformed: line 1: path index 99999999999999999999... out of range (2 entries)"),
    BAD("x\ta\tg\tn\tv\n", "malformed: line 1: path index \"x\" is not a decimal number"),
    BAD("\ta\tg\tn\tv\n", "malformed: line 1: path index \"\" is not a decimal number"),
    BAD("0\ta\tg\tn\n", "malformed: line 1: 4 fields, want 5"),
    BAD("0\ta\tg\tn\tv\tw\n", "malformed: line 1: 6 fields, want 5"),
    BAD("0\ta\tg\tn\tv", "malformed: line 1: no final LF"),
    BAD("0\ta\tg\tn\tv\n0\ta\tg\tn\tw", "malformed: line 2: no final LF"),
    BAD("0\ta\tg\tn\tv\n0\ta\tg\tn\tv\0\n", "malformed: line 2: NUL byte"),
    BAD("0\t\tg\tn\tv\n", "malformed: line 1: empty distribution directory name"),
    BAD("0\ta\tg\t\tv\n", "malformed: line 1: empty entry point name"),
    BAD("\n", "malformed: line 1: 1 field, want 5"),
};

START_TEST(test_answers_malformed_full)
{
	size_t n = sizeof(full_bad) / sizeof(full_bad[0]);

	two_entries();
	for (size_t i = 0; i < n; i++) {
		const struct bad_answer *b = &full_bad[i];

		query_full(10, 20, 0, 0, -1, b->out, b->len);
	}
	/* Well-formed, if not fresh: empty G and V are allowed. */
	query(10, 20, "0\ta\t\tn\t\n");
	run_opts(&(struct checker_opts){.bound_ns = SEC, .max_examples = n, .deciding = ALL_BITS});
	ck_assert_uint_eq(out(CHECK_I2)->violations, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(ex(CHECK_I2, i)->kind, full_bad[i].kind);
	ck_assert_str_eq(ex(CHECK_I2, 0)->detail, "line 2 is \"0\\ta\\tg\\tn\\tv\"");
	ck_assert_uint_eq(V.fig.answered, 1);
	ck_assert_uint_eq(V.fig.torn, 1);
}
END_TEST

static const struct bad_answer reduced_bad[] = {
    BAD("g\tn\tv\ng\tn\tv\n", "malformed: line 2: repeats line 1"),
    BAD("g\tn\tw\ng\tn\tv\n", "malformed: line 2: out of order after line 1"),
    BAD("0\tg\tn\tv\n", "malformed: line 1: 4 fields, want 3"),
    BAD("g\tn\n", "malformed: line 1: 2 fields, want 3"),
    BAD("g\t\tv\n", "malformed: line 1: empty entry point name"),
    BAD("g\tn\tv", "malformed: line 1: no final LF"),
    BAD("g\tn\0\tv\n", "malformed: line 1: NUL byte"),
};

START_TEST(test_answers_malformed_reduced)
{
	size_t n = sizeof(reduced_bad) / sizeof(reduced_bad[0]);

	two_entries();
	for (size_t i = 0; i < n; i++) {
		const struct bad_answer *b = &reduced_bad[i];

		query_full(10, 20, 0, 0, -1, b->out, b->len);
	}
	run_opts(&(struct checker_opts){
	    .reduced = true, .bound_ns = SEC, .max_examples = n, .deciding = ALL_BITS});
	ck_assert_uint_eq(out(CHECK_I2)->violations, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(ex(CHECK_I2, i)->kind, reduced_bad[i].kind);
}
END_TEST

/* ---- I3 ---- */

START_TEST(test_never_waits)
{
	struct checker_opts o = opts();

	two_entries();
	o.bound_ns = 2 * SEC;
	query(0, 2 * SEC, ANS_A ANS_C);	  /* exactly the bound */
	query(0, 2310 * MS, ANS_B ANS_C); /* slow, and stale-free: judged */
	query_full(0, 2050 * MS, KILLED(9), HQ_TIMED_OUT, -1, "", 0);
	run_opts(&o);
	ck_assert_uint_eq(out(CHECK_I3)->violations, 2);
	ck_assert_str_eq(ex(CHECK_I3, 0)->kind, "slow: 2.31 s > bound 2.00 s");
	ck_assert_int_eq(ex(CHECK_I3, 0)->query, 1);
	ck_assert_str_eq(ex(CHECK_I3, 1)->kind, "timeout");
	ck_assert_str_eq(ex(CHECK_I3, 1)->detail, "killed after 2.05 s, past the bound of 2.00 s");
	/* A timed-out query is I3's, not I2's. */
	ck_assert_uint_eq(out(CHECK_I2)->violations, 0);
	ck_assert_uint_eq(V.fig.answered, 2);
	ck_assert_double_eq_tol(V.fig.latency_max_ms, 2310, 1e-6);
	ck_assert_double_eq_tol(V.fig.latency_p50_ms, 2000, 1e-6);
}
END_TEST

START_TEST(test_latency_figures)
{
	struct checker_opts o = opts();

	hist_new(1);
	begin(0, 0, "initial", END);
	for (int i = 1; i <= 200; i++)
		query(0, i * MS, "");
	query_full(0, 5 * SEC, 0, HQ_SPAWN_FAILED, -1, "", 0);
	run_opts(&o);
	ck_assert_double_eq_tol(V.fig.latency_p50_ms, 100, 1e-9);
	ck_assert_double_eq_tol(V.fig.latency_p99_ms, 198, 1e-9);
	ck_assert_double_eq_tol(V.fig.latency_max_ms, 200, 1e-9);
	ck_assert_uint_eq(V.fig.queries, 201);
}
END_TEST

/* ---- I4 ---- */

START_TEST(test_caches_warm_scanned)
{
	struct checker_opts o = opts();

	two_entries();
	o.scans_known = true;
	o.deciding = CHECK_BIT(CHECK_I1);
	query_full(10, 20, 0, 0, 3, ANS_A ANS_C, strlen(ANS_A ANS_C));
	query_full(10, 20, 0, HQ_WARM, 0, ANS_A ANS_C, strlen(ANS_A ANS_C));
	query_full(10, 20, 0, HQ_WARM, 12, ANS_A ANS_C, strlen(ANS_A ANS_C));
	query_full(10, 20, 0, HQ_WARM, 0, ANS_A ANS_C, strlen(ANS_A ANS_C));
	run_opts(&o);
	ck_assert_uint_eq(V.fig.scanned, 2);
	ck_assert_uint_eq(V.fig.warm, 3);
	ck_assert_uint_eq(V.fig.warm_scanned, 1);
	ck_assert(V.fig.scans_known);
	ck_assert_uint_eq(out(CHECK_I4)->violations, 1);
	ck_assert_str_eq(ex(CHECK_I4, 0)->kind, "scanned");
	ck_assert_str_eq(ex(CHECK_I4, 0)->detail, "warm query opened 12 entry_points.txt");
	ck_assert_str_eq(out(CHECK_I4)->note,
			 "cached: 2 of 3 warm queries read no entry_points.txt");
	ck_assert_int_eq(out(CHECK_I4)->status, CHECK_REPORTED);
}
END_TEST

START_TEST(test_caches_never)
{
	struct checker_opts o = opts();

	two_entries();
	o.scans_known = true;
	for (int i = 0; i < 3; i++)
		query_full(10, 20, 0, HQ_WARM, 2, ANS_A ANS_C, strlen(ANS_A ANS_C));
	run_opts(&o);
	ck_assert_str_eq(out(CHECK_I4)->note,
			 "never caches: every one of the 3 warm queries read entry_points.txt");
	ck_assert_int_eq(out(CHECK_I4)->status, CHECK_FAIL);
}
END_TEST

START_TEST(test_caches_not_measured)
{
	two_entries();
	query_full(10, 20, 0, HQ_WARM, -1, ANS_A ANS_C, strlen(ANS_A ANS_C));
	run(false);
	ck_assert_int_eq(out(CHECK_I4)->status, CHECK_NOT_RUN);
	ck_assert_str_eq(out(CHECK_I4)->note, "not measured");
	ck_assert(!V.fig.scans_known);
	ck_assert_uint_eq(V.fig.warm, 1);
}
END_TEST

/* ---- I5 ---- */

static void tidy(uint32_t round, uint64_t files)
{
	struct tidy_sample s = {.at_ns = round * SEC, .round = round, .files = files};

	ck_assert_int_eq(history_add_tidy(&H, &s), 0);
}

START_TEST(test_tidy_grew)
{
	two_entries();
	tidy(1, 3);
	tidy(2, 3);
	tidy(3, 2);
	tidy(4, 67);
	run(false);
	ck_assert_uint_eq(out(CHECK_I5)->violations, 1);
	ck_assert_str_eq(ex(CHECK_I5, 0)->kind, "grew");
	ck_assert_str_eq(ex(CHECK_I5, 0)->detail,
			 "cache tree grew from 3 to 67 files between round 1 and round 4");
	ck_assert_int_eq(ex(CHECK_I5, 0)->query, -1);
	ck_assert_int_eq(out(CHECK_I5)->status, CHECK_FAIL);
}
END_TEST

START_TEST(test_tidy_stable)
{
	two_entries();
	tidy(1, 3);
	tidy(2, 3);
	run(false);
	ck_assert_int_eq(out(CHECK_I5)->status, CHECK_PASS);
	ck_assert_str_eq(out(CHECK_I5)->note,
			 "never above the first sample's 3 files over 2 samples");
}
END_TEST

START_TEST(test_tidy_one_sample)
{
	two_entries();
	tidy(1, 3);
	run(false);
	ck_assert_int_eq(out(CHECK_I5)->status, CHECK_NOT_RUN);
	ck_assert_uint_eq(out(CHECK_I5)->violations, 0);
}
END_TEST

/* ---- examples and statuses ---- */

START_TEST(test_examples_capped)
{
	struct checker_opts o = opts();

	two_entries();
	for (int i = 0; i < 10; i++)
		query(200, 300, ANS_A ANS_C);
	o.max_examples = 3;
	run_opts(&o);
	ck_assert_uint_eq(out(CHECK_I1)->violations, 10);
	ck_assert_uint_eq(out(CHECK_I1)->nexamples, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(ex(CHECK_I1, i)->query, (int64_t)i);
}
END_TEST

START_TEST(test_examples_default_five)
{
	two_entries();
	for (int i = 0; i < 10; i++)
		query(200, 300, ANS_A ANS_C);
	run(false);
	ck_assert_uint_eq(out(CHECK_I1)->nexamples, 5);
}
END_TEST

START_TEST(test_statuses_deciding)
{
	struct checker_opts o = opts();

	two_entries();
	query(200, 300, ANS_A ANS_C);
	o.deciding = CHECK_BIT(CHECK_I2);
	run_opts(&o);
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_REPORTED);
	ck_assert_int_eq(out(CHECK_I2)->status, CHECK_PASS);
	ck_assert_int_eq(out(CHECK_I3)->status, CHECK_PASS);
	ck_assert_int_eq(out(CHECK_I6)->status, CHECK_NOT_RUN);
	ck_assert(verdict_finish(&V, o.deciding));
	ck_assert(!verdict_finish(&V, CHECK_BIT(CHECK_I1)));
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_FAIL);
}
END_TEST

START_TEST(test_verdict_helpers)
{
	struct verdict v;
	struct check_example e = {.query = -1,
				  .worker = -1,
				  .entry = -1,
				  .kind = "foreign-owner",
				  .detail = "cache file owned by uid 0"};

	verdict_init(&v);
	ck_assert_int_eq(v.checks[CHECK_I6].status, CHECK_NOT_RUN);
	verdict_exercised(&v, CHECK_I7);
	ck_assert_int_eq(v.checks[CHECK_I7].status, CHECK_PASS);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(verdict_add(&v, CHECK_I6, &e, 2), 0);
	ck_assert_int_eq(verdict_add(&v, CHECK_I6, NULL, 2), 0);
	ck_assert_uint_eq(v.checks[CHECK_I6].violations, 5);
	ck_assert_uint_eq(v.checks[CHECK_I6].nexamples, 2);
	ck_assert_ptr_ne(v.checks[CHECK_I6].examples[0].kind, e.kind);
	ck_assert_str_eq(v.checks[CHECK_I6].examples[1].detail, e.detail);
	ck_assert_ptr_null(v.checks[CHECK_I6].examples[1].states);
	ck_assert(verdict_finish(&v, CHECK_BIT(CHECK_I7)));
	ck_assert_int_eq(v.checks[CHECK_I6].status, CHECK_REPORTED);
	ck_assert_int_eq(v.checks[CHECK_I8].status, CHECK_NOT_RUN);
	ck_assert(!verdict_finish(&v, CHECK_BIT(CHECK_I6)));
	ck_assert_int_eq(v.checks[CHECK_I6].status, CHECK_FAIL);
	verdict_release(&v);
	ck_assert_ptr_null(v.checks[CHECK_I6].examples);

	ck_assert_str_eq(check_id_name(CHECK_I4), "I4");
	ck_assert_str_eq(check_title(CHECK_I3), "never waits");
	ck_assert_str_eq(check_title(CHECK_I8), "harmless");
	ck_assert_int_eq(check_id_parse("I4"), CHECK_I4);
	ck_assert_int_eq(check_id_parse("i8"), CHECK_I8);
	ck_assert_int_eq(check_id_parse("tidy"), CHECK_I5);
	ck_assert_int_eq(check_id_parse("I9"), -1);
	ck_assert_int_eq(check_id_parse(""), -1);
}
END_TEST

START_TEST(test_no_queries)
{
	hist_new(1);
	begin(0, 0, "initial", END);
	run(false);
	for (int i = 0; i < CHECK_COUNT; i++)
		ck_assert_int_eq(out((enum check_id)i)->status, CHECK_NOT_RUN);
}
END_TEST

/* ---- synthetic histories ---- */

static void synth_case(const struct synth_spec *sp)
{
	struct checker_opts o = opts();
	struct synth_planted pl;
	struct history h;

	ck_assert_int_eq(synth_history(&h, sp, &pl), 0);
	verdict_init(&V);
	o.reduced = sp->reduced;
	ck_assert_int_eq(checker_run(&h, &o, &V), 0);
	if (sp->stale > 0)
		ck_assert_uint_gt(pl.stale, 0);
	if (sp->torn > 0)
		ck_assert_uint_gt(pl.torn, 0);
	if (sp->malformed > 0)
		ck_assert_uint_gt(pl.malformed, 0);
	ck_assert_uint_eq(V.fig.stale, pl.stale);
	ck_assert_uint_eq(V.fig.torn, pl.torn);
	ck_assert_uint_eq(out(CHECK_I1)->violations, pl.stale + pl.torn);
	ck_assert_uint_eq(out(CHECK_I2)->violations, pl.malformed);
	ck_assert_uint_eq(V.fig.answered, sp->nqueries - pl.malformed);
	ck_assert_ptr_null(strstr(out(CHECK_I1)->note, "undecided"));
	history_release(&h);
}

START_TEST(test_synth_clean)
{
	struct synth_spec sp = {.nqueries = 5000, .seed = (uint64_t)_i};

	sp.reduced = _i % 2;
	synth_case(&sp);
	ck_assert_int_eq(out(CHECK_I1)->status, CHECK_PASS);
	ck_assert_int_eq(out(CHECK_I2)->status, CHECK_PASS);
}
END_TEST

START_TEST(test_synth_planted)
{
	struct synth_spec sp = {.nentries = 1 + (size_t)_i % 12,
				.nstates = 300,
				.nqueries = 20000,
				.lines_min = 1,
				.lines_max = 6,
				.seed = 1000 + (uint64_t)_i,
				.reduced = _i % 2,
				.stale = 0.05,
				.torn = 0.05,
				.malformed = 0.05,
				.query_ns = 8 * MS};

	synth_case(&sp);
}
END_TEST

START_TEST(test_synth_deterministic)
{
	struct synth_spec sp = {.nqueries = 100, .seed = 42, .torn = 0.5};
	struct history a, b;

	ck_assert_int_eq(synth_history(&a, &sp, NULL), 0);
	ck_assert_int_eq(synth_history(&b, &sp, NULL), 0);
	ck_assert_uint_eq(a.nqueries, b.nqueries);
	for (size_t i = 0; i < a.nqueries; i++) {
		ck_assert_int_eq(a.queries[i].end_ns - a.t0_ns, b.queries[i].end_ns - b.t0_ns);
		ck_assert_uint_eq(a.queries[i].out_len, b.queries[i].out_len);
		ck_assert_mem_eq(a.queries[i].out, b.queries[i].out, a.queries[i].out_len);
	}
	history_release(&a);
	history_release(&b);
	sp.lines_min = 9;
	sp.lines_max = 2;
	ck_assert_int_eq(synth_history(&a, &sp, NULL), -EINVAL);
}
END_TEST

/* Timing is printed for a person to read, asserted nowhere: speed is the
 * bench's to measure (synth_time_checker). */
START_TEST(test_synth_timing)
{
	struct synth_spec sp = {.nentries = 3,
				.nstates = 3000,
				.nqueries = 200000,
				.lines_min = 2,
				.lines_max = 4,
				.seed = 7,
				.stale = 0.001,
				.torn = 0.001};
	struct checker_opts o = opts();
	struct synth_timing t;
	struct rusage ru;

	verdict_init(&V);
	ck_assert_int_eq(synth_time_checker(&sp, &o, &V, &t), 0);
	ck_assert_uint_eq(V.fig.stale, t.planted.stale);
	ck_assert_uint_eq(V.fig.torn, t.planted.torn);
	getrusage(RUSAGE_SELF, &ru);
	printf("checker: %zu queries checked in %.3f s (built in %.3f s, history %.1f MB, "
	       "max rss %.1f MB)\n",
	       sp.nqueries, t.check_s, t.build_s, (double)t.history_bytes / 1e6,
	       (double)ru.ru_maxrss / 1e3);
}
END_TEST

static Suite *checker_suite(void)
{
	Suite *s = suite_create("checker");
	TCase *tc = tcase_create("fresh");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_boundaries_inclusive);
	tcase_add_test(tc, test_just_past_boundaries);
	tcase_add_test(tc, test_stale_by_one);
	tcase_add_test(tc, test_torn_across_entries);
	tcase_add_test(tc, test_torn_within_entry);
	tcase_add_test(tc, test_empty_views);
	tcase_add_test(tc, test_all_empty);
	tcase_add_test(tc, test_long_query_many_states);
	tcase_add_test(tc, test_many_entries_order);
	tcase_add_test(tc, test_unordered_states);
	tcase_add_test(tc, test_reduced_accepted);
	tcase_add_test(tc, test_reduced_stale_torn);
	tcase_add_test(tc, test_reduced_same_projection);
	tcase_add_test(tc, test_reduced_shared_lines);
	tcase_add_test(tc, test_reduced_repeated);
	tcase_add_test(tc, test_reduced_undecided);
	suite_add_tcase(s, tc);

	tc = tcase_create("other checks");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_answers_exit);
	tcase_add_test(tc, test_answers_stderr_quoted);
	tcase_add_test(tc, test_answers_malformed_full);
	tcase_add_test(tc, test_answers_malformed_reduced);
	tcase_add_test(tc, test_never_waits);
	tcase_add_test(tc, test_latency_figures);
	tcase_add_test(tc, test_caches_warm_scanned);
	tcase_add_test(tc, test_caches_never);
	tcase_add_test(tc, test_caches_not_measured);
	tcase_add_test(tc, test_tidy_grew);
	tcase_add_test(tc, test_tidy_stable);
	tcase_add_test(tc, test_tidy_one_sample);
	tcase_add_test(tc, test_examples_capped);
	tcase_add_test(tc, test_examples_default_five);
	tcase_add_test(tc, test_statuses_deciding);
	tcase_add_test(tc, test_no_queries);
	tcase_add_test(tc, test_verdict_helpers);
	suite_add_tcase(s, tc);

	tc = tcase_create("synthetic");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_synth_clean, 0, 4);
	tcase_add_loop_test(tc, test_synth_planted, 0, 12);
	tcase_add_test(tc, test_synth_deterministic);
	tcase_add_test(tc, test_synth_timing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(checker_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
