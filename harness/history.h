/* history.h: what happened during one scenario run, for the checker to judge.
 *
 * For every path entry, the sequence of states it went through, each with the
 * window in which it may have been current; for every query, its interval as
 * the harness saw it, its exit and its whole answer; and the tidy samples (I5).
 *
 * Time is CLOCK_MONOTONIC in nanoseconds everywhere (clock_now_ns()).
 *
 * A state of entry P is made by an operation that ran between before_ns and
 * after_ns (a clock read taken just before and just after the system call
 * that made it current). The state may be current from before_ns; the state
 * it replaced may still be current until after_ns. So consecutive states
 * overlap by the width of the system call, and a reader whose interval meets
 * that overlap may legitimately have seen either. A query [start, end] may
 * have seen state k of P iff state.from_ns <= end && start <= state.until_ns.
 *
 * Appends are serialised by the history's own mutex: the mutator, the
 * spawner's event loop and the runner append from different threads. Reading
 * (the checker) happens after every writer stopped, without locking. */
#ifndef CT_HISTORY_H
#define CT_HISTORY_H
#include "view.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define HIST_FOREVER INT64_MAX

struct hstate {
	int64_t from_ns;
	int64_t until_ns; /* HIST_FOREVER while current */
	struct view view; /* owned */
	char *label;	  /* owned: what made this state, for reports */
};

struct hentry {
	char *path; /* owned: the absolute path given to queries */
	struct hstate *states;
	size_t nstates, cap;
};

enum hquery_flag {
	HQ_WARM = 1u << 0,	/* tree still for the settle time and primed: I4 expects no scan */
	HQ_TIMED_OUT = 1u << 1, /* killed, with its process group, past the bound */
	HQ_SPAWN_FAILED = 1u << 2,  /* the harness could not start it (an environment error) */
	HQ_OUT_TRUNCATED = 1u << 3, /* stdout exceeded the harness's cap */
	HQ_HERD = 1u << 4,	    /* released at a barrier with others */
};

struct hquery {
	uint32_t id; /* index in history.queries, set by history_add_query */
	uint32_t worker;
	uint32_t round;
	uint32_t step; /* index of the scenario step that issued it */
	int pid;
	int64_t start_ns; /* release (herd) or just before spawn */
	int64_t end_ns;	  /* exit observed */
	int wstatus;	  /* as waitpid() reports it */
	unsigned flags;
	char *out; /* owned: whole stdout */
	size_t out_len;
	char *err; /* owned: stderr, bounded */
	size_t err_len;
	char *events; /* owned: what it wrote to CACHETORTURE_EVENT_FD, bounded */
	size_t events_len;
	int32_t scans; /* entry_points.txt opens attributed to it; -1 unknown */
};

/* I5: the cache tree measured at a quiet point. */
struct tidy_sample {
	int64_t at_ns;
	uint32_t round;
	uint64_t files; /* regular files, symlinks and others, not directories */
	uint64_t dirs;
	uint64_t bytes;
};

struct history {
	pthread_mutex_t lock;
	struct hentry *entries;
	size_t nentries;
	struct hquery *queries;
	size_t nqueries, qcap;
	struct tidy_sample *tidy;
	size_t ntidy, tcap;
	int64_t t0_ns; /* scenario start, for relative times in reports */
};

int64_t clock_now_ns(void);

/* 0 or -ENOMEM. paths are copied. */
int history_init(struct history *h, size_t nentries, const char *const *paths);
void history_release(struct history *h);

/* The first state of entry e, current from from_ns. view is moved in (left
 * empty). 0 or -ENOMEM. */
int history_begin(struct history *h, size_t e, int64_t from_ns, struct view *view,
		  const char *label);

/* Entry e went to *view through a system call between before_ns and
 * after_ns. view is moved in. A view equal to the current one records nothing
 * (the current state simply lasts). 0 or -ENOMEM. */
int history_transition(struct history *h, size_t e, int64_t before_ns, int64_t after_ns,
		       struct view *view, const char *label);

/* Appends *q (moved in: out and err now belong to the history) and returns
 * its id, or -ENOMEM. */
int history_add_query(struct history *h, struct hquery *q);

int history_add_tidy(struct history *h, const struct tidy_sample *s);

/* The current (last) state of entry e. */
const struct hstate *history_current(const struct history *h, size_t e);

#endif
