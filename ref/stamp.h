/* stamp.h: what identifies one state of a file or directory, and the
 * too-new guard that decides whether that state may be cached.
 *
 * A stamp is (st_dev, st_ino, mtime ns, ctime ns) from a stat that follows
 * symbolic links. Stamps are compared for equality, never for direction:
 * timestamps may move backwards (a branch switch, a restored backup, touch -d)
 * and may lie in the future, so "newer" means nothing; "different" means the
 * state changed. dev and ino catch a replaced or re-pointed entry whose
 * timestamps happen to agree; ctime catches changes that restore the mtime
 * (touch -d, cp -p, tar), because nothing in user space can set the ctime. */
#ifndef EPCACHE_STAMP_H
#define EPCACHE_STAMP_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct stamp {
	uint64_t dev;
	uint64_t ino;
	int64_t mtime_ns;
	int64_t ctime_ns;
};

#define STAMP_NS_PER_SEC 1000000000LL

/* Fills s from a stat result. */
void ep_stamp_from_stat(struct stamp *s, const struct stat *st);
/* True when a and b are the same state, field by field (used between two
 * observations made by this process, e.g. before and after a scan). */
bool ep_stamp_equal(const struct stamp *a, const struct stamp *b);
/* True when `seen`, observed now, proves the state `recorded` in a cache file
 * is still current. In the reference this is ep_stamp_equal(); the key flaws
 * (ref/flaw.h) weaken it here and only here. */
bool ep_stamp_matches(const struct stamp *recorded, const struct stamp *seen);
/* The too-new guard: true when both the mtime and the ctime of s lie at
 * least settle_ns before now_ns (and so not ahead of it). A state younger
 * than that may still change within the same timestamp granule (up to 1 s),
 * or belong to an installation still being written (the 1 s install window
 * of PROTOCOL.md section 6); a timestamp ahead of the clock says nothing
 * about when the next change will be seen. Either way it is not cached. */
bool ep_stamp_settled(const struct stamp *s, int64_t now_ns, int64_t settle_ns);
/* ns until s would be settled (0 if it already is), at most settle_ns. */
int64_t ep_stamp_settle_wait(const struct stamp *s, int64_t now_ns, int64_t settle_ns);

#endif
