/* spawn.h: starting implementation processes and collecting what they did.
 *
 * A herd is held *after* exec: every worker is cloned, stops itself with
 * PTRACE_TRACEME and is caught by the kernel right after execve, before the
 * dynamic loader runs. When all are parked, they are released back to back
 * with PTRACE_DETACH, so the release skew is the cost of a few system calls
 * rather than of an exec (as root the releasing thread runs SCHED_FIFO for
 * that loop, so nothing preempts it half-way). Each query's interval runs
 * from its own release (or, for streams and single queries, from just
 * before it is cloned) to the moment its exit is seen on its pidfd; its
 * whole stdout is captured, its stderr kept up to a cap, and one that
 * outlives the bound is killed with its whole process group.
 *
 * What a query gets: argv[0] searched in the harness's own PATH as execvp
 * would (no /bin/sh retry on ENOEXEC), cfg->envp as its whole environment,
 * stdin /dev/null, stdout and stderr pipes, fd 3 a pipe when cfg->event_fd,
 * no other descriptor; signal handlers reset to default, ignored signals
 * and the caller's signal mask kept (as across any exec). Each query leads
 * its own process group: the bound kills the group, terminal signals meant
 * for the harness do not reach it (whoever stops the harness kills the
 * groups), and once the leader exits the group's leftovers are SIGKILLed
 * too, so nothing a query forked outlives it. A descendant that makes its
 * own group or session escapes that; if it keeps the query's pipes open
 * they are read until the query's bound (at least 50 ms after the exit) and
 * then closed. What the query writes to fd 3 is drained and dropped: hquery
 * has no field for it.
 *
 * Every spawn call blocks until its queries ended and appends one hquery per
 * query to the history (worker = the query's slot, 0..n-1; flags = the
 * tag's, | HQ_HERD in a herd, | HQ_TIMED_OUT, HQ_OUT_TRUNCATED as they
 * happen). Calls are made from one thread (the runner's): the ptrace tracer
 * must be the thread that waits. Other threads (the mutator) may run
 * meanwhile; the on_release callback lets them align with a herd.
 *
 * Children are waited for by pid: no thread of the process may wait for
 * "any child" (wait(), waitpid(-1), a SIGCHLD handler that reaps) while a
 * spawn call runs, or it steals a query's exit status. No SIGCHLD handler
 * is installed here. On every return, success or error, nothing the call
 * started is still running or unreaped. */
#ifndef CT_SPAWN_H
#define CT_SPAWN_H
#include "history.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct spawn_config {
	char *const *argv; /* implementation words then path entries; NULL-terminated */
	char *const *envp; /* the whole environment of the query; NULL-terminated */
	const char *cwd;   /* working directory of the query; NULL: the harness's */
	/* A query running longer is killed (SIGKILL to its process group); <= 0: no bound. */
	int64_t bound_ns;
	size_t out_cap; /* stdout kept; beyond it HQ_OUT_TRUNCATED and the rest is drained */
	size_t err_cap; /* stderr kept (the first err_cap bytes) */
	/* Give the query fd 3 as CACHETORTURE_EVENT_FD (the caller puts the variable in envp). */
	bool event_fd;
	bool set_ids; /* seam for privileged scenarios: run as uid/gid, no supplementary groups */
	uid_t uid;
	gid_t gid;
};

/* Where a query came from, copied into each hquery. */
struct spawn_tag {
	uint32_t round;
	uint32_t step;
	unsigned flags; /* HQ_WARM etc., or'ed into each query's flags */
};

struct herd_result {
	size_t started; /* workers that reached the barrier */
	int64_t release_first_ns;
	int64_t release_last_ns; /* skew = last - first */
};

/* Called once from the calling thread, right after the *last* worker was
 * released, with t = the first release instant (res is filled by then).
 * After, not between, the releases: a callback there would widen the skew
 * by its own length, while workers need milliseconds of start-up before
 * their first look at the tree, so a mutator woken here still acts while
 * the herd runs. It must return quickly (wake another thread): the event
 * loop is not running meanwhile, and an exit seen late only widens that
 * query's interval. May be NULL. */
typedef void (*release_fn)(void *ctx, int64_t t_ns);

/* n workers released together. 0, or -errno when the environment failed
 * (cannot clone, no ptrace, out of descriptors: -EMFILE): then no query of
 * the herd is recorded and every started process has been killed and
 * reaped (res->started says how many had reached the barrier). An
 * implementation that cannot be executed is reported the same way, with
 * execve's errno: -ENOENT, -EACCES, -ENOEXEC, ... -EINVAL for n == 0 or a
 * config without argv or envp. A worker that was killed from outside while
 * parked is recorded with HQ_SPAWN_FAILED (it never ran). */
int spawn_herd(struct history *h, const struct spawn_config *cfg, size_t n,
	       const struct spawn_tag *tag, release_fn on_release, void *ctx,
	       struct herd_result *res);

/* `workers` workers, each starting its next query as soon as the last one
 * ended, until duration_ns after the call started; then waits for the ones
 * still running. No hold: each query starts just before its clone.
 * on_release is called once, after the first `workers` queries were
 * started, with t = the first one's start. 0 or -errno as above; on an
 * error the queries that had already ended stay recorded. */
int spawn_stream(struct history *h, const struct spawn_config *cfg, size_t workers,
		 int64_t duration_ns, const struct spawn_tag *tag, release_fn on_release,
		 void *ctx);

/* One query; returns its id in the history, or -errno as above. */
int spawn_one(struct history *h, const struct spawn_config *cfg, const struct spawn_tag *tag);

/* A bare clone/exec/wait of argv with stdin, stdout and stderr on
 * /dev/null, as the floor the bench compares the harness's per-query
 * overhead with: the same child set-up, no pipes, no pidfd, no event loop.
 * Returns the wall time in ns from just before the clone to the reap, or
 * -errno. Records nothing. */
int64_t spawn_bare(const struct spawn_config *cfg);

#endif
