/* stamp.c: stamps, their comparison, and the too-new guard. */
#include "stamp.h"
#include "flaw.h"

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * STAMP_NS_PER_SEC + ts->tv_nsec;
}

void ep_stamp_from_stat(struct stamp *s, const struct stat *st)
{
	s->dev = (uint64_t)st->st_dev;
	s->ino = (uint64_t)st->st_ino;
	s->mtime_ns = ts_ns(&st->st_mtim);
	s->ctime_ns = ts_ns(&st->st_ctim);
}

bool ep_stamp_equal(const struct stamp *a, const struct stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns;
}

/* Floor division, so that -0.5 s lands in second -1 as the filesystem would. */
static int64_t whole_seconds(int64_t ns)
{
	int64_t s = ns / STAMP_NS_PER_SEC;

	return (ns % STAMP_NS_PER_SEC < 0) ? s - 1 : s;
}

bool ep_stamp_matches(const struct stamp *recorded, const struct stamp *seen)
{
	if (FLAWED(FLAW_MTIME_ONLY_KEY)) /* flaw: a replaced entry with the same mtime matches */
		return recorded->mtime_ns == seen->mtime_ns;
	if (FLAWED(FLAW_WHOLE_SECOND_KEY)) /* flaw: two states in one second share a key */
		return recorded->dev == seen->dev && recorded->ino == seen->ino &&
		       whole_seconds(recorded->mtime_ns) == whole_seconds(seen->mtime_ns) &&
		       whole_seconds(recorded->ctime_ns) == whole_seconds(seen->ctime_ns);
	if (FLAWED(FLAW_FORWARD_ONLY)) /* flaw: an mtime that went backwards looks fresh */
		return recorded->dev == seen->dev && recorded->ino == seen->ino &&
		       seen->mtime_ns <= recorded->mtime_ns;
	/* Equality, not order: any difference in either direction is a change. */
	return ep_stamp_equal(recorded, seen);
}

static int64_t settle_wait_one(int64_t t, int64_t now_ns, int64_t settle_ns)
{
	/* A timestamp ahead of the clock waits the whole window: it tells nothing
	 * about when a later change in its granule would become visible. */
	if (t > now_ns)
		return settle_ns > 0 ? settle_ns : 1;
	if (now_ns - t >= settle_ns)
		return 0;
	return settle_ns - (now_ns - t);
}

int64_t ep_stamp_settle_wait(const struct stamp *s, int64_t now_ns, int64_t settle_ns)
{
	int64_t a = settle_wait_one(s->mtime_ns, now_ns, settle_ns);
	int64_t b = settle_wait_one(s->ctime_ns, now_ns, settle_ns);
	int64_t w = a > b ? a : b;

	return w > settle_ns && settle_ns > 0 ? settle_ns : w;
}

bool ep_stamp_settled(const struct stamp *s, int64_t now_ns, int64_t settle_ns)
{
	if (FLAWED(FLAW_NO_GUARD)) /* flaw: whatever was just scanned is cached as final */
		return true;
	/* The ctime counts as much as the mtime: a change that set the mtime
	 * back (touch -d) still moved the ctime to now. */
	return settle_wait_one(s->mtime_ns, now_ns, settle_ns) == 0 &&
	       settle_wait_one(s->ctime_ns, now_ns, settle_ns) == 0;
}
