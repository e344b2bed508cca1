/* mutator.h: changing the world under the implementation, and recording it.
 *
 * Every operation is a sequence of system calls on the sandbox. Around each
 * call that can change what a reader sees, the mutator reads the clock
 * before and after, scans the path entry with the oracle (nothing else
 * writes the tree, so the scan sees exactly the state the call left) and
 * records the transition in the history. Intermediate states are states too:
 * a half-installed distribution, both versions during an upgrade, an empty
 * entry_points.txt between O_TRUNC and write. That is what keeps a correct
 * implementation from ever being called stale or torn.
 *
 * A model of each directory entry (which distributions are installed, the
 * other branch for branch-switch) decides what an operation does, from the
 * scenario's seed. Operations are serialised by the mutator's own lock: the
 * runner's thread and a herd's timeline thread may both call mutator_apply. */
#ifndef CT_MUTATOR_H
#define CT_MUTATOR_H
#include "history.h"
#include "rng.h"
#include "sandbox.h"
#include "scenario.h"
#include "watch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct mdist {
	uint64_t index;
	unsigned version;
	unsigned edits; /* in-place edits so far: each gives new content */
	bool has_ep;
	char *dirname; /* owned */
};

struct mlist {
	struct mdist *v;
	size_t n, cap;
};

struct mentry {
	struct mlist dists; /* installed now */
	struct mlist other; /* branch-switch: the other branch's distributions */
	bool has_other;
	struct timespec other_mtime; /* the entry's mtime when the other branch was left */
	char *stash;		     /* owned: where the other branch's own distributions wait */
	uint64_t next_index;
};

struct mutator {
	pthread_mutex_t lock;
	struct sandbox *sb; /* borrowed */
	struct history *h;  /* borrowed */
	struct watch *w;    /* borrowed, may be NULL */
	uint64_t seed;
	struct rng rng;
	struct mentry *ents; /* by directory index */
	char *cache_root;    /* owned, NULL when the implementation has none */
	unsigned serial;     /* unique names under stage/ */
	int64_t last_change_ns;
	int64_t window_ns; /* installer-like writes spread over this (PROTOCOL §6) */
	uint64_t ops;	   /* operations applied */
	char err[512];	   /* why the last call failed */
};

/* Builds the model of every directory entry (the fixture must be in place)
 * and marks every metadata directory in w. 0 or -errno. */
int mutator_init(struct mutator *m, struct sandbox *sb, struct history *h, struct watch *w,
		 uint64_t seed);
void mutator_release(struct mutator *m);

/* The implementation's cache tree that damage, chmod-cache, future-mtime
 * (cache) and clear-cache act on; NULL when it has none. 0 or -ENOMEM. */
int mutator_set_cache_root(struct mutator *m, const char *root);

/* Applies one mutation step (step_is_mutation(st->kind)). STEP_ENV only
 * changes the sandbox's modes: the caller rebuilds the environment. 0, or
 * -errno with m->err saying what failed. */
int mutator_apply(struct mutator *m, const struct step *st);

/* CLOCK_MONOTONIC instant the tree last changed (0: never). */
int64_t mutator_last_change(struct mutator *m);

#endif
