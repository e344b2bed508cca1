/* watch.h: what the implementation touched, observed from outside.
 *
 * opens (I4): which processes opened which entry_points.txt. With
 * CAP_SYS_ADMIN this is fanotify: an inode mark on every metadata directory
 * (FAN_OPEN | FAN_EVENT_ON_CHILD) reports each open with the opener's pid,
 * without slowing the opener the way ptrace would. Without it, inotify
 * (IN_OPEN) on the same directories counts opens but cannot say who opened:
 * events then carry pid 0 and are attributed by time. The design notes in
 * harness/DESIGN.md say why.
 *
 * fanotify attributes an open to its metadata directory by the directory's
 * inode, never by its path, so a directory renamed (even into another path
 * entry) after it was marked still reports the entry it was marked with.
 * Two fanotify groups do it: one reporting the directory's file handle and
 * the opened name (race-free, no descriptor per event), and one reporting
 * an open descriptor, used for a filesystem that cannot give handles (its
 * path is read back and checked, racing with renames; an open it cannot
 * place is counted in watch_lost()). Opens by the harness's own process
 * (getpid(): the oracle, the mutator) are left out. inotify cannot tell
 * them apart: with it, the harness's own opens are counted too.
 *
 * Test seams, read by watch_open(): CT_WATCH_FORCE_INOTIFY=1 uses inotify
 * even with CAP_SYS_ADMIN; CT_WATCH_FANOTIFY_FD=1 uses only the
 * descriptor-reporting fanotify group.
 *
 * quiet (I8): inotify on directories nothing may change during a run (TMPDIR,
 * HOME, the working directory, the decoys); any creation, deletion, write or
 * attribute change there is recorded, even one undone before the run ends,
 * which a before/after hash alone would miss.
 *
 * Each watch runs its own reader thread between watch_start() and
 * watch_stop(); marks may be added while it runs (the mutator does, before
 * it makes a new metadata directory visible). */
#ifndef CT_WATCH_H
#define CT_WATCH_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct open_event {
	int64_t ts_ns;	/* CLOCK_MONOTONIC when the reader thread read it */
	pid_t pid;	/* 0 when unknown (inotify) */
	pid_t pgid;	/* the opener's process group when it could still be read, else 0 */
	uint32_t entry; /* the path entry index given with the mark */
};

struct quiet_event {
	int64_t ts_ns;
	uint32_t mask; /* inotify mask */
	char *path;    /* owned: the watched directory joined with the name */
};

struct watch;

/* Opens a watch. 0 or -errno (-ENOSYS / -EPERM when neither facility can be
 * used; the caller then reports I4 as not measured). */
int watch_open(struct watch **out);
void watch_free(struct watch *w); /* stops the thread first if needed */

/* "fanotify" or "inotify". */
const char *watch_method(const struct watch *w);
/* 1 when events carry the opener's pid. */
int watch_has_pids(const struct watch *w);

/* Reports opens of dir/entry_points.txt (not of other files, nor of a
 * directory of that name), entry given back in events. Marking the same
 * directory again gives its events the new entry. 0 or -errno (-ENOTDIR). */
int watch_add_dist(struct watch *w, const char *dir, uint32_t entry);
/* Reports any change inside directory dir (not recursive): creation,
 * deletion, write, close after write, attributes, renames in and out, and
 * dir itself deleted or moved (path = dir). Reads and opens are not
 * changes. The same directory twice is one watch. 0 or -errno. */
int watch_add_quiet(struct watch *w, const char *dir);

/* Starts the reader thread. 0, -EBUSY when running, or -errno. */
int watch_start(struct watch *w);
/* Stops the reader after draining what the kernel queued; without a
 * running reader, drains it in the calling thread. 0 or -errno. */
int watch_stop(struct watch *w);

/* Collected events, valid after watch_stop(); owned by the watch. */
const struct open_event *watch_opens(const struct watch *w, size_t *n);
const struct quiet_event *watch_quiet_events(const struct watch *w, size_t *n);
/* Events lost to a queue overflow, to memory, or opens fanotify reported
 * but that could not be placed (then I4/I8 are reported as incomplete). */
uint64_t watch_lost(const struct watch *w);

/* Forgets the events collected so far and the lost count (between
 * phases); marks stay. Thread-safe. */
void watch_reset(struct watch *w);

#endif
