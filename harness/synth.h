/* synth.h: synthetic histories with a known number of planted flaws, for the
 * checker's tests and for timing the checker in the bench.
 *
 * Each path entry goes through nstates states, each one distribution's
 * upgrade away from the last, so no two states of an entry have the same
 * view (nor the same reduced projection); transitions of different entries
 * are staggered. Every query picks, for each entry, one of the states whose
 * window meets its interval and answers their lines, so an unspoiled answer
 * is always correct. A spoiled one is exactly one of:
 *   stale      one entry answered from the state just before its candidates;
 *   torn       one entry's view (or projection) lost one line, which no
 *              state of that entry ever lacked;
 *   malformed  the answer broken in form (no final LF, a NUL byte, two lines
 *              swapped, a TAB made a space, a bad index, a repeated line).
 * Entry point names carry their entry's index, so projections of different
 * entries never share a line and a spoiled entry cannot hide in a union.
 * Answers are compact (about 20 bytes a line) so a million queries fit in a
 * few hundred megabytes. */
#ifndef CT_SYNTH_H
#define CT_SYNTH_H
#include "checker.h"
#include "history.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct synth_spec {
	size_t nentries;  /* path entries; 0 means 2 */
	size_t nstates;	  /* states of each entry; 0 means 100 */
	size_t nqueries;  /* may be 0 */
	size_t lines_min; /* lines of an entry's views, drawn once per entry; 0 means 3 */
	size_t lines_max; /* 0 means 5 (or lines_min if more) */
	uint64_t seed;
	bool reduced;		       /* answers in the reduced form (--view reduced) */
	double stale, torn, malformed; /* chance that a query is spoiled each way; sum <= 1 */
	int64_t state_ns;	       /* how long a state lasts; 0 means 10 ms */
	int64_t transition_ns;	       /* width of the call making a transition; 0 means 20 us */
	int64_t query_ns;	       /* longest query; 0 means 2 ms */
};

/* How many queries were spoiled each way: a checker finds exactly these. */
struct synth_planted {
	size_t stale, torn, malformed;
};

/* Fills h (not initialised by the caller; history_release() it afterwards)
 * with the history spec describes, times starting at h->t0_ns. planted may
 * be NULL. 0, -EINVAL (lines_min > lines_max) or -ENOMEM; on error h holds
 * nothing. Same spec and seed, same history. */
int synth_history(struct history *h, const struct synth_spec *spec, struct synth_planted *planted);

struct synth_timing {
	double build_s;	      /* synth_history() */
	double check_s;	      /* checker_run() */
	size_t history_bytes; /* what the history held: answers, query records, states */
	struct synth_planted planted;
};

/* Builds the history spec describes, judges it with checker_run() into v
 * (set up by verdict_init(); the caller releases it), times both steps and
 * frees the history. 0 or -errno. */
int synth_time_checker(const struct synth_spec *spec, const struct checker_opts *o,
		       struct verdict *v, struct synth_timing *t);

#endif
