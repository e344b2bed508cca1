/* scan.h: the view of one path entry (PROTOCOL.md section 3), read in rounds
 * that keep what earlier rounds read.
 *
 * The caller opens the path entry (a directory, links followed) and keeps the
 * descriptor; a round lists it and reads every candidate's entry_points.txt
 * relative to it (openat), so a path entry re-pointed in the middle of a
 * round cannot mix two directories. The caller stamps the entry around the
 * listing and the reads, and decides whether the round saw one state
 * (epcache.c, scan_round(); DESIGN.md section 3 has the argument):
 *
 *   ep_scan_list()    list the entry; keep what an earlier round read of each
 *                     name still listed, drop the lines of names now gone;
 *   ep_scan_read()    read each listed candidate not read yet;
 *   (the caller stamps the entry: the instant the view is claimed for)
 *   ep_scan_verify()  the second look, at what may have changed;
 *   ep_scan_keep()    after a round that saw a change: what the next needs;
 *   ep_scan_finish()  once, at the end: the view, sorted.
 *
 * Two modes, chosen per round by SCAN_RECHECK:
 * - without it (the settled fast path) a round lists and reads in one pass
 *   and records nothing: the caller has shown that nothing inside a
 *   distribution can change meanwhile and lets the entry's own stamp,
 *   taken before and after, catch the rest. The next round starts afresh;
 * - with it, each candidate read is recorded (the stamp fstat gave its
 *   entry_points.txt before the read, or the candidate's own stamp when it
 *   has none), a listed name found vanished marks the round `raced`, and
 *   the second look re-stats what may have changed since it was read:
 *   every candidate kept from an earlier round (its name may have been
 *   removed and re-added since, its directory renamed away and back) and
 *   every one whose stamp was not settled when it was read (an installation
 *   may still be writing it). A candidate is tied to its directory by a look
 *   at the directory followed by one at its entry_points.txt; a later look
 *   that finds the directory's stamp unchanged proves that the name held
 *   that directory, holding that file, all along in between, so no look has
 *   to fall inside the round's window. A changed candidate is marked
 *   unread, for the next round, which reads only those and the names new in
 *   its listing.
 * SCAN_DEEP implies SCAN_RECHECK, and the second look then re-stats every
 * candidate, taking the strict level's records (deep.h). */
#ifndef EPCACHE_SCAN_H
#define EPCACHE_SCAN_H
#include "deep.h"
#include "linebuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest entry_points.txt read. A bigger one counts as unreadable (so as
 * absent), as the protocol counts any unreadable file: a hostile or broken
 * file cannot make a query exhaust memory. Real files are a few KiB. */
#define SCAN_FILE_MAX (16u << 20)

/* Flags of ep_scan_list(). SCAN_RECHECK: record what is read, tell vanished
 * candidates apart, take the second look. SCAN_DEEP: also collect the strict
 * level's records (deep.h); implies SCAN_RECHECK. */
#define SCAN_DEEP    1u
#define SCAN_RECHECK 2u

struct scan_cand; /* one listed candidate and what is known of it (scan.c) */

/* What a query's rounds carry from one to the next. Initialise with
 * ep_scan_init(), free with ep_scan_release(). The fields are the module's;
 * callers read `raced`, `fresh`, `looked` and `ncands` only. */
struct scan {
	unsigned flags;		 /* of the current round */
	int64_t now_ns;		 /* the clock the caller read before this round */
	int64_t settle_ns;	 /* the too-new guard's window */
	struct linebuf lines;	 /* every line read, those of dropped candidates marked */
	struct scan_cand *cands; /* the current listing */
	size_t ncands;
	char *names;   /* the current listing's names, each NUL-terminated */
	bool sorted;   /* cands are in name order (after a merge) */
	bool recorded; /* the lines belong to cands (a SCAN_RECHECK round made them) */
	char *buf;     /* file contents, reused */
	size_t cap;
	struct deep_list deep; /* the last second look's records, with SCAN_DEEP */
	size_t fresh;	       /* candidates read by this round */
	size_t looked;	       /* candidates re-stat'ed by this round's ep_scan_verify() */
	bool raced;	       /* this round saw a change: the caller must go round again */
};

/* What a one-shot scan gives, and what a query answers. */
struct scan_result {
	char *text; /* owned: sorted "D\tG\tN\tV\n" lines, NULL when empty */
	size_t len;
	size_t count;
	struct deep_list deep; /* filled with SCAN_DEEP */
	bool raced;	       /* the scan saw a change: do it again */
};

void ep_scan_init(struct scan *s);
/* Frees what s holds and leaves it initialised. */
void ep_scan_release(struct scan *s);

/* Starts a round: lists the directory open at dirfd (not closed, its offset
 * not used). now_ns is the clock the caller read before the round, by which
 * a recorded stamp is judged settled (ep_stamp_settle_wait()) and settle_ns
 * the window. Without SCAN_RECHECK the candidates are read as they are listed
 * (ep_scan_read() then has nothing to do). Returns 0, or a negative errno for
 * a real error only: -ENOMEM, -EMFILE, -ENFILE, or an I/O error listing the
 * directory (which vanishing under the listing is not: that is `raced`). */
int ep_scan_list(struct scan *s, int dirfd, unsigned flags, int64_t now_ns, int64_t settle_ns);
/* Reads every listed candidate not read yet (or marked unread by a second
 * look) relative to dirfd; counts them in `fresh`. 0 or a negative errno, as
 * ep_scan_list(). Unreadable, missing, oversized or non-regular
 * entry_points.txt files, and candidates that are not directories, contribute
 * nothing and are not errors. */
int ep_scan_read(struct scan *s, int dirfd);
/* The second look (SCAN_RECHECK rounds; nothing otherwise), after the
 * caller's stamp: re-stats, relative to dirfd, each candidate that may have
 * changed since it was read (see above; every one with SCAN_DEEP), counts
 * them in `looked`, marks a changed one unread and sets `raced`. With
 * SCAN_DEEP the records replace s->deep. 0, -ENOMEM, or -ENAMETOOLONG never
 * (names were checked when listed). */
int ep_scan_verify(struct scan *s, int dirfd);
/* After a round that saw a change (SCAN_RECHECK rounds; nothing otherwise):
 * ties each candidate not tied yet to its directory (a look at the
 * directory, then at its entry_points.txt, relative to dirfd), so that the
 * next round can keep it with one stat; one found changed is marked unread.
 * Returns 0. */
int ep_scan_keep(struct scan *s, int dirfd);
/* The view of the current listing: the lines of every candidate, sorted,
 * into out (initialised; released first), with the deep records. s keeps
 * its listing but no lines: finish once, at the end. 0 or -ENOMEM. */
int ep_scan_finish(struct scan *s, struct scan_result *out);

/* One round, in one call: lists, reads, takes the second look when flags
 * ask for it (judging every stamp unsettled), finishes into out. `raced` as
 * in struct scan; a caller that wants one state still compares the entry's
 * stamps around it. For tests and tools. */
int ep_scan_dir(int dirfd, unsigned flags, struct scan_result *out);

void ep_scan_result_init(struct scan_result *r);
/* Frees what r holds and leaves it initialised. */
void ep_scan_result_release(struct scan_result *r);

/* True when name (len bytes) is a candidate's: ends in .dist-info or
 * .egg-info, ASCII case-insensitive, with no TAB, LF or CR in it. */
bool ep_scan_is_candidate(const char *name, size_t len);

/* The test seam: where a test may act between the phases of a round (change
 * the tree, count what was read). A weak reference that the library never
 * defines: outside a test that defines it, it is NULL and costs one test of
 * a constant per phase. Not part of the API (this header is not installed). */
enum scan_phase {
	SCAN_PHASE_LISTED = 1, /* after the listing (on the fast path, and the reads) */
	SCAN_PHASE_READ,       /* after the reads, before the caller's stamp */
	SCAN_PHASE_VERIFY,     /* after that stamp, before the second look */
	SCAN_PHASE_VERIFIED,   /* after the second look */
	SCAN_PHASE_KEPT,       /* after ep_scan_keep(), before the next round */
};
extern void ep_scan_hook(enum scan_phase phase, const struct scan *s) __attribute__((weak));

#endif
