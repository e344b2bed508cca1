/* run.h: running one scenario against an implementation, start to verdict.
 *
 * A run builds the scenario's sandbox and fixture, starts the watches, plays
 * the steps round after round (queries through spawn, changes through the
 * mutator, a timeline thread for mutations during herds and streams),
 * attributes entry_points.txt opens to queries, hashes what must not have
 * changed, asks the checker for the verdict and disposes of the sandbox. */
#ifndef CT_RUN_H
#define CT_RUN_H
#include "checker.h"
#include "scenario.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct run_opts {
	char *const *impl;    /* the implementation's words; impl[0] resolved */
	const char *impl_str; /* as the user gave it, for replay lines */
	const char *workdir;  /* scratch directories go under it */
	bool seed_given;
	uint64_t seed;
	int repeat;  /* rounds are multiplied by it (>= 1) */
	int workers; /* > 0: every herd and stream uses this many */
	enum scenario_level level;
	bool reduced;		     /* --view reduced */
	bool keep;		     /* keep every scratch directory */
	bool keep_failed;	     /* keep a failed scenario's, renamed *.failed */
	int settle_ms;		     /* the harness's settle time */
	const char *self;	     /* how to invoke cachetorture, for replay lines */
	volatile sig_atomic_t *stop; /* set by a signal: abandon the run */
};

enum scen_status { SCEN_PASS, SCEN_FAIL, SCEN_SKIP, SCEN_ERROR };

/* The event kinds of PROTOCOL.md section 4, then lines that were not one. */
enum event_kind {
	EV_HIT,
	EV_MISS,
	EV_SCAN,
	EV_WRITE,
	EV_WRITE_SKIP,
	EV_ERROR,
	EV_MALFORMED,
	EVENT_KIND_COUNT
};
extern const char *const event_kind_names[EVENT_KIND_COUNT];

struct scen_result {
	char *name;
	char *path;
	enum scen_status status;
	char *reason; /* skip or error reason, or a one-line account of the failure */
	uint64_t seed;
	double duration_s;
	struct verdict verdict;
	unsigned deciding; /* the scenario's deciding checks */
	size_t herds;
	double skew_p50_ms, skew_max_ms;
	uint64_t mutations;
	uint64_t states;
	uint64_t unattributed_opens;
	/* PROTOCOL.md section 4 events, counted by kind; informative only. */
	uint64_t events[EVENT_KIND_COUNT];
	bool any_events;
	char *watch_method; /* "fanotify", "inotify" or why none */
	char *replay;
	char *kept_at; /* scratch directory left behind, or NULL */
};

const char *scen_status_name(enum scen_status s);

/* Runs sc. Always fills r (status error with its reason when the
 * environment failed); returns 0, or -EINTR when *o->stop was raised. */
int run_scenario(const struct run_opts *o, const struct scenario *sc, struct scen_result *r);
void scen_result_release(struct scen_result *r);

#endif
