/* epcache.h: a multi-process, mtime-validated file cache of Python entry
 * points. This header is the manual of libepcache.
 *
 * WHAT IT ANSWERS. epcache_query() returns the view of one sys.path entry as
 * PROTOCOL.md section 3 defines it: for every distribution directory
 * (*.dist-info, *.egg-info) directly in the entry, every entry point of its
 * entry_points.txt, as lines "DIST\tGROUP\tNAME\tVALUE\n" sorted bytewise.
 * The answer is the same with and without the cache; the cache only makes it
 * cheaper.
 *
 * HOW IT CACHES. One cache file per path entry under $XDG_CACHE_HOME/epcache
 * (else $HOME/.cache/epcache). The file records the stamp of the path entry
 * taken before the scan (dev, ino, mtime ns, ctime ns); a later query uses
 * the file only if the entry's stamp is equal, field by field. A scan is not
 * written while the entry's mtime or ctime is within the settle window of
 * the clock read before the scan (or ahead of it). With EPCACHE_DEEP, every
 * distribution directory's and entry_points.txt's stamp is recorded and
 * checked too, so that in-place edits are seen (the "strict" level). See
 * ref/DESIGN.md for the hazards and the reasoning.
 *
 * INVARIANTS.
 * - Every cache problem (missing, unreadable, unwritable, read-only, full,
 *   damaged, foreign, group-writable, planted links, FIFOs, hard links, no
 *   HOME) makes a query fall back to scanning; it is never an error.
 * - A missing or unreadable path entry, or one that is not a directory, has
 *   an empty view; that is not an error either.
 * - Nothing is created or written unless the effective uid owns the cache
 *   base directory (or, while it does not exist, its parent). No locks are taken,
 *   no process ever waits for another.
 * - No global mutable state: every function may be called from several
 *   threads at once, on the same or different path entries, provided the
 *   environment (HOME, XDG_CACHE_HOME) is not changed meanwhile.
 *
 * ERRORS. Functions returning int return 0 on success or a negative errno:
 * -EINVAL for bad arguments, -ENOMEM, -EMFILE/-ENFILE, or an I/O error while
 * listing a path entry. Nothing is printed; nothing exits. */
#ifndef EPCACHE_H
#define EPCACHE_H
#include <stddef.h>
#include <stdint.h>

#define EPCACHE_VERSION "1.0.0"

/* Flags of struct epcache_options. */
#define EPCACHE_NO_CACHE 0x1u /* neither read nor write the cache: always scan */
#define EPCACHE_DEEP	 0x2u /* strict level: validate every distribution too */

/* The default settle window: 1 s of timestamp granularity (ext3, HFS+) plus
 * the 1 s install window of PROTOCOL.md section 6. */
#define EPCACHE_SETTLE_DEFAULT_NS 2000000000LL
/* Rounds of one path entry's scan (DESIGN.md section 3). The first lists the
 * entry and reads every distribution; if the entry moved meanwhile, a later
 * round lists it again and reads only what is new or changed, so that the
 * answer is the view of one state. If every round saw the entry move, the
 * last is answered as it is and not cached ("changed during scan"): only a
 * tree changing faster than it can be listed, for the whole query. */
#define EPCACHE_MAX_SCANS 24u

/* Options; initialise with epcache_options_init(), then set what you need.
 * Pointers are borrowed for the duration of each call. */
struct epcache_options {
	unsigned flags;
	/* The cache base directory, replacing $XDG_CACHE_HOME or $HOME/.cache
	 * (cache files go to cache_dir/epcache). NULL: the XDG rules. */
	const char *cache_dir;
	/* The too-new guard's window, ns, >= 0 (0: any timestamp not ahead of
	 * the clock is settled; tests use it). */
	int64_t settle_ns;
	/* The wall clock, ns since the epoch (CLOCK_REALTIME, the clock of file
	 * timestamps). NULL: clock_gettime(CLOCK_REALTIME). Tests inject one to
	 * drive the guard without sleeping. Must be safe to call from every
	 * thread that queries. */
	int64_t (*clock)(void *ctx);
	void *clock_ctx;
	/* Called as things happen, from the querying thread: ev is one of "hit",
	 * "miss", "scan", "write", "write-skip", "error" (PROTOCOL.md section
	 * 4); reason is one of the reason strings below, or NULL. NULL: no
	 * events. Must not call back into epcache. */
	void (*event)(void *ctx, const char *ev, const char *reason);
	void *event_ctx;
};

/* One path entry's view. Initialise with epcache_view_init(); filled by
 * epcache_query(); freed with epcache_view_release(). */
struct epcache_view {
	/* count lines "DIST\tGROUP\tNAME\tVALUE\n", sorted as `LC_ALL=C sort`
	 * sorts them, duplicates kept; len bytes, not NUL-terminated; NULL when
	 * count is 0. Print "P\t" before each line to get the protocol's answer.
	 * Owned by the view. */
	const char *text;
	size_t len;
	size_t count;
	void *priv; /* the storage text points into; private */
};

/* One entry point: slices of a view's text, not NUL-terminated, valid as long
 * as the view. No field contains TAB, LF, CR or NUL; dist and name are never
 * empty; group and value may be. Bytes from 0x80 up are passed through. */
struct epcache_entry {
	const char *dist;
	size_t dist_len;
	const char *group;
	size_t group_len;
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

enum epcache_outcome {
	EPCACHE_HIT = 1,	/* answered from the cache, nothing scanned */
	EPCACHE_WRITTEN = 2,	/* scanned, and the cache file (re)written */
	EPCACHE_NOT_CACHED = 3, /* scanned, and not written: see reason */
};

enum epcache_entry_type {
	EPCACHE_ENTRY_DIR = 1,	   /* a directory (links followed) */
	EPCACHE_ENTRY_MISSING = 2, /* does not exist, or cannot be looked at */
	EPCACHE_ENTRY_OTHER = 3,   /* a file, zip archive or anything else */
};

/* What a query did. The reason strings are stable, short, lower case; they
 * name the first cause found. `lookup` says why the cache was not used:
 *   "cache disabled", "no cache directory" (no usable XDG_CACHE_HOME or
 *   HOME), "no cache file", "cache file is a symbolic link",
 *   "cache file not a regular file", "cache file not owned by you",
 *   "cache file group or world writable", "cache file hard-linked",
 *   "cache file unreadable", "cache directory path too long",
 *   "damaged cache file", "other path", "shallow cache file"
 *   (EPCACHE_DEEP asked, the file has no deep records), "stale",
 *   "stale (deep)", "path entry missing", "path entry unreadable",
 *   "path entry not a directory".
 * `reason` says why a scan was not written (EPCACHE_NOT_CACHED):
 *   "cache disabled", "path entry missing", "path entry unreadable",
 *   "path entry not a directory",
 *   "changed during scan" (still moving after EPCACHE_MAX_SCANS rounds),
 *   "too new" (the guard), "view too large", "no cache directory",
 *   "cache directory not owned by you", "cannot create cache directory",
 *   "cannot open cache base directory", "cache directory not trusted",
 *   "cache directory not a directory",
 *   "cache directory group or world writable", "cache file not ours" (a
 *   directory sits at the cache file's name: it cannot be replaced),
 *   "cache directory full", "cache directory read-only",
 *   "cache directory not writable", "cache write failed". */
struct epcache_status {
	enum epcache_outcome outcome;
	enum epcache_entry_type entry_type;
	const char *lookup; /* NULL on a hit */
	const char *reason; /* NULL unless EPCACHE_NOT_CACHED */
	unsigned scans;	    /* scan rounds made (0 on a hit) */
};

/* Sets the defaults: no flags, XDG rules, EPCACHE_SETTLE_DEFAULT_NS, the
 * real clock, no events. */
void epcache_options_init(struct epcache_options *o);

void epcache_view_init(struct epcache_view *v);
/* Frees what v holds and leaves it initialised (empty). */
void epcache_view_release(struct epcache_view *v);

/* Walks a view: call with *pos = 0, then again with the same pos while it
 * returns 1; each call fills *e with the next entry point. Returns 0 at the
 * end. Allocates nothing; the view is not modified. */
int epcache_view_next(const struct epcache_view *v, size_t *pos, struct epcache_entry *e);

/* Answers the view of path_entry (absolute, or relative to the current
 * directory as Python takes sys.path entries; "" is the current directory).
 *
 * view must be initialised; it is released first, then filled (also when
 * the answer is empty). status (required) is filled. Returns 0 on success,
 * whatever the state of the cache; a negative errno only for a real error
 * (-EINVAL, -ENOMEM, -EMFILE, -ENFILE, an I/O error listing the entry), in
 * which case view is empty.
 *
 * Warm path (a hit): one stat of the entry (open+fstat, and two stats per
 * distribution, with EPCACHE_DEEP), open+fstat+read+close of one cache
 * file, its checksum, a stamp comparison; the view then points into the
 * file's bytes, nothing is copied or parsed. With EPCACHE_NO_CACHE: open,
 * fstat and list the entry, open+fstat+read each entry_points.txt, stat the
 * entry again, sort. While the entry is too new, each distribution that is
 * itself too new is stat'ed again (twice), and with EPCACHE_DEEP each one.
 * If the entry moved meanwhile: stat it, list it again, read what is new or
 * changed, stat it, and stat each distribution read before (twice the
 * first time), at most EPCACHE_MAX_SCANS rounds in all.
 *
 * A cache file is read only when it is owned by the effective uid the
 * process started with: a process that changes its effective uid without
 * exec gets correct answers, uncached. */
int epcache_query(const struct epcache_options *o, const char *path_entry,
		  struct epcache_view *view, struct epcache_status *status);

/* Removes epcache's own files (cache files, temporaries) from the cache
 * directory the options select; leaves the directory, and anything in it
 * that epcache did not make or that another uid owns. *removed (optional)
 * counts them. 0 (also when there is no cache directory), or a negative
 * errno (the directory exists but cannot be trusted or read: -EPERM, ...). */
int epcache_clear(const struct epcache_options *o, size_t *removed);

/* The library's version, EPCACHE_VERSION. */
const char *epcache_version(void);

#endif
