/* checker.h: judging a history against the checks of PROTOCOL.md section 5.
 *
 * checker_run() decides I1 (fresh), I2 (answers), I3 (never waits), I4
 * (caches) and I5 (tidy) from a history alone. I6, I7 and I8 rest on
 * observations the runner makes (ownership, planted files, tree hashes); it
 * records them with verdict_add() so that one verdict holds every check. */
#ifndef CT_CHECKER_H
#define CT_CHECKER_H
#include "history.h"

#include <stdbool.h>
#include <stdint.h>

enum check_id {
	CHECK_I1,
	CHECK_I2,
	CHECK_I3,
	CHECK_I4,
	CHECK_I5,
	CHECK_I6,
	CHECK_I7,
	CHECK_I8,
	CHECK_COUNT
};

#define CHECK_BIT(id) (1u << (id))

enum check_status {
	CHECK_NOT_RUN,	/* nothing in this scenario exercises it */
	CHECK_PASS,	/* exercised, no violation */
	CHECK_FAIL,	/* violations, and the scenario decides on this check */
	CHECK_REPORTED, /* violations, reported only: the scenario does not decide on it */
};

struct check_example {
	int64_t query;	  /* query id, -1 when not about one query */
	int64_t worker;	  /* -1 when not about one query */
	int64_t start_ns; /* relative to history.t0_ns */
	int64_t end_ns;
	int64_t entry; /* path entry index, -1 when not about one entry */
	/* A class word first, then maybe the reason after ": ": "stale", "torn",
	 * "exit 1", "signal 9", "answer too large", "malformed: line 3: out of
	 * order after line 2", "timeout", "slow: 2.31 s > bound 2.00 s",
	 * "scanned", "grew", ... */
	char *kind;
	/* The states the answer could have matched, with their windows
	 * relative to t0, and the earlier (or later) one it did match; may be
	 * NULL. */
	char *states;
	char *diff;   /* against the state current when the query ended; may be NULL */
	char *detail; /* one readable sentence; may be NULL */
};

struct check_outcome {
	enum check_status status;
	uint64_t violations;
	struct check_example *examples; /* owned, at most checker_opts.max_examples */
	size_t nexamples;
	/* Owned, may be NULL: a plain statement, e.g. "never caches: every one
	 * of the 40 warm queries read entry_points.txt", or why a check was
	 * not run ("not measured"). */
	char *note;
};

struct check_figures {
	uint64_t queries;  /* all queries */
	uint64_t answered; /* exit 0 with a well-formed answer */
	uint64_t scanned;  /* queries that opened at least one entry_points.txt (when known) */
	uint64_t warm;	   /* queries flagged HQ_WARM */
	uint64_t warm_scanned;
	uint64_t stale, torn;
	/* Nearest rank, over the queries that ended on their own (neither
	 * killed past the bound nor failed to start). */
	double latency_p50_ms, latency_p99_ms, latency_max_ms;
	bool scans_known;
};

struct checker_opts {
	bool reduced;	     /* --view reduced: compare projections (PROTOCOL.md section 2) */
	int64_t bound_ns;    /* I3; 0 or less: no bound (timeouts still count) */
	unsigned deciding;   /* CHECK_BIT()s of the checks that decide the scenario */
	size_t max_examples; /* per check; 0 means 5 */
	bool scans_known;    /* hquery.scans was measured */
};

struct verdict {
	struct check_outcome checks[CHECK_COUNT];
	struct check_figures fig;
};

const char *check_id_name(enum check_id id); /* "I1" */
const char *check_title(enum check_id id);   /* "fresh" */
/* "I4" (also "i4" or the title "caches") -> CHECK_I4; -1 when unknown. */
int check_id_parse(const char *s);

void verdict_init(struct verdict *v);
void verdict_release(struct verdict *v);

/* Judges h: fills v->fig and the outcomes of I1..I5, then calls
 * verdict_finish(v, o->deciding). v was set up by verdict_init() and may
 * already hold what the runner recorded for I6..I8; call once per verdict.
 * Examples keep the first max_examples violations of each check, in query
 * order. I2 and I3 are exercised when a query was started, I1 when at least
 * one answer was well-formed (nothing else can be judged fresh), I4 when
 * scans_known and some query was warm, I5 with two tidy samples or more.
 * A reduced answer whose search passes its cap is counted in I1's note as
 * undecided, not as a violation. 0 or -ENOMEM (v then holds a partial
 * verdict, to be released). */
int checker_run(const struct history *h, const struct checker_opts *o, struct verdict *v);

/* Records that check id was exercised (status PASS unless it already has
 * violations). */
void verdict_exercised(struct verdict *v, enum check_id id);
/* Records one violation of check id, which makes it exercised; ex (may be
 * NULL) is deep-copied while fewer than max_examples (0 means 5) are kept.
 * 0 or -ENOMEM (the violation is counted either way). */
int verdict_add(struct verdict *v, enum check_id id, const struct check_example *ex,
		size_t max_examples);
/* Sets every exercised check's final status from its violations and the
 * deciding set; returns true when the scenario passed. */
bool verdict_finish(struct verdict *v, unsigned deciding);

#endif
