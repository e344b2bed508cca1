/* scan.h: one scan of one path entry, the view of PROTOCOL.md section 3.
 *
 * The caller opens the path entry (a directory, links followed) and keeps the
 * descriptor; a scan lists it once and reads every candidate's
 * entry_points.txt relative to it (openat), so a path entry re-pointed in the
 * middle of the scan cannot mix two directories.
 *
 * A scan does not retry: it reports `raced` when the listing failed with
 * ENOENT, and, with SCAN_RECHECK, when a distribution directory it listed
 * had vanished before its entry_points.txt was read, or when an
 * entry_points.txt changed (appeared, went, or got another stamp) between
 * its read and a second look taken after all reads; the caller (epcache.c)
 * then scans again. Without `raced`, the view is the one of the instant
 * between the last read and the first second look (scan.c, verify()).
 * Without SCAN_RECHECK the scan only lists and reads: the caller has shown
 * that nothing inside a distribution can change meanwhile and lets the
 * path entry's own stamp, taken before and after, catch the rest
 * (DESIGN.md section 3, "when the second look is skipped"). */
#ifndef EPCACHE_SCAN_H
#define EPCACHE_SCAN_H
#include "deep.h"

#include <stdbool.h>
#include <stddef.h>

/* Largest entry_points.txt read. A bigger one counts as unreadable (so as
 * absent), as the protocol counts any unreadable file: a hostile or broken
 * file cannot make a query exhaust memory. Real files are a few KiB. */
#define SCAN_FILE_MAX (16u << 20)

#define SCAN_DEEP    1u /* also collect the strict level's records (deep.h); implies SCAN_RECHECK */
#define SCAN_RECHECK 2u /* tell vanished candidates apart and take the second look */

struct scan_result {
	char *text; /* owned: sorted "D\tG\tN\tV\n" lines, NULL when empty */
	size_t len;
	size_t count;
	struct deep_list deep; /* filled with SCAN_DEEP */
	bool raced;	       /* the scan saw a change: do it again */
};

void ep_scan_result_init(struct scan_result *r);
/* Frees what r holds and leaves it initialised. */
void ep_scan_result_release(struct scan_result *r);

/* Scans the directory open at dirfd (not closed, its offset not used) into
 * out, which must be initialised and is released first. Returns 0, or a
 * negative errno for a real error only: -ENOMEM, -EMFILE, -ENFILE, or an I/O
 * error listing the directory. Unreadable, missing, oversized or non-regular
 * entry_points.txt files, and candidates that are not directories, contribute
 * nothing and are not errors. */
int ep_scan_dir(int dirfd, unsigned flags, struct scan_result *out);

/* True when name (len bytes) is a candidate's: ends in .dist-info or
 * .egg-info, ASCII case-insensitive, with no TAB, LF or CR in it. */
bool ep_scan_is_candidate(const char *name, size_t len);

#endif
