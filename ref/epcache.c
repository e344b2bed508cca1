/* epcache.c: the public API. A query looks the cache up, else scans (again
 * while the entry moves), decides whether the scan may be cached, and writes
 * it. The reasoning behind each step is in DESIGN.md. */
#include "epcache.h"
#include "cachedir.h"
#include "cachefile.h"
#include "deep.h"
#include "flaw.h"
#include "path.h"
#include "scan.h"
#include "stamp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CACHEDIR_READ_MAX == CACHEFILE_MAX, "one size cap for cache files");

/* Reasons used in more than one place (the full list is in epcache.h). */
static const char R_DISABLED[] = "cache disabled";
static const char R_NO_DIR[] = "no cache directory";
static const char R_MISSING[] = "path entry missing";
static const char R_NOT_DIR[] = "path entry not a directory";
static const char R_UNREADABLE[] = "path entry unreadable";
static const char R_DAMAGED[] = "damaged cache file";
static const char R_TOO_NEW[] = "too new";

struct query {
	const struct epcache_options *o;
	struct epcache_status *st;
	char *path; /* absolute, owned */
	char name[PATH_CACHE_NAME_SIZE];
	char base[PATH_MAX];
	int base_rc; /* ep_cachedir_base()'s result: 0 when base is usable */
	bool deep;
	struct scan_result scan; /* the answer */
	struct stamp pre;	 /* the entry's stamp before that scan: the key */
	int64_t now;		 /* the clock read with pre */
	bool stable;		 /* the scan saw one state of the entry */
	struct cachedir wdir;	 /* where a write goes (opened before the scan by two variants) */
	struct cachedir_tmp tmp; /* the temporary being written (made early by leak-tmp) */
	int lock_fd;		 /* the blocking-lock variant's lock */
};

void epcache_options_init(struct epcache_options *o)
{
	memset(o, 0, sizeof(*o));
	o->settle_ns = EPCACHE_SETTLE_DEFAULT_NS;
}

const char *epcache_version(void)
{
	return EPCACHE_VERSION;
}

void epcache_view_init(struct epcache_view *v)
{
	v->text = NULL;
	v->len = 0;
	v->count = 0;
	v->priv = NULL;
}

void epcache_view_release(struct epcache_view *v)
{
	free(v->priv);
	epcache_view_init(v);
}

/* Takes ownership of storage, of which text is a part. */
static void view_adopt(struct epcache_view *v, void *storage, const char *text, size_t len,
		       size_t count)
{
	epcache_view_release(v);
	if (!count) {
		free(storage);
		return;
	}
	v->priv = storage;
	v->text = text;
	v->len = len;
	v->count = count;
}

static const char *field(const char **p, const char *end, size_t *len)
{
	const char *start = *p, *tab = memchr(start, '\t', (size_t)(end - start));
	const char *stop = tab ? tab : end;

	*len = (size_t)(stop - start);
	*p = tab ? tab + 1 : end;
	return start;
}

int epcache_view_next(const struct epcache_view *v, size_t *pos, struct epcache_entry *e)
{
	const char *p, *lf, *end;

	if (!v->text || *pos >= v->len)
		return 0;
	p = v->text + *pos;
	end = v->text + v->len;
	lf = memchr(p, '\n', (size_t)(end - p));
	if (!lf)
		lf = end;
	e->dist = field(&p, lf, &e->dist_len);
	e->group = field(&p, lf, &e->group_len);
	e->name = field(&p, lf, &e->name_len);
	/* The value is the rest of the line: it holds no TAB by construction. */
	e->value = p;
	e->value_len = (size_t)(lf - p);
	*pos = (size_t)(lf - v->text) + (lf < end);
	return 1;
}

static void emit(const struct query *q, const char *ev, const char *reason)
{
	if (q->o->event)
		q->o->event(q->o->event_ctx, ev, reason);
}

static int64_t clock_now(const struct query *q)
{
	struct timespec ts;

	if (q->o->clock)
		return q->o->clock(q->o->clock_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * STAMP_NS_PER_SEC + ts.tv_nsec;
}

static bool is_real_error(int err)
{
	return err == ENOMEM || err == EMFILE || err == ENFILE;
}

/* Why a path entry contributes nothing, from the errno of looking at it. */
static const char *entry_problem(struct query *q, int err)
{
	if (err == ENOTDIR) {
		q->st->entry_type = EPCACHE_ENTRY_OTHER;
		return R_NOT_DIR;
	}
	q->st->entry_type = EPCACHE_ENTRY_MISSING;
	return err == EACCES || err == EPERM ? R_UNREADABLE : R_MISSING;
}

/* ---- lookup: is there a cache file that still answers for this entry? ---- */

/* The entry's current stamp: the first stat of a hit, its linearization
 * point. The strict level keeps a descriptor: the deep records are checked
 * relative to the very directory this stamp describes. */
static int current_stamp(struct query *q, int *efd, struct stamp *s, const char **why)
{
	struct stat st;
	int rc;

	if (q->deep)
		*efd = open(q->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	rc = q->deep ? (*efd < 0 ? -1 : fstat(*efd, &st)) : stat(q->path, &st);
	if (rc < 0) {
		rc = errno;
		*why = entry_problem(q, rc);
		return is_real_error(rc) ? -rc : 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*why = entry_problem(q, ENOTDIR);
		return 1;
	}
	q->st->entry_type = EPCACHE_ENTRY_DIR;
	ep_stamp_from_stat(s, &st);
	return 0;
}

/* NULL when cf answers for the entry as it is now. */
static const char *check_fresh(const struct query *q, const struct cachefile *cf,
			       const struct stamp *cur, const struct stat *fst, int efd)
{
	size_t plen = strlen(q->path);

	/* The file name is a hash: the stored path settles who the file is for. */
	if (cf->path_len != plen || memcmp(cf->path, q->path, plen))
		return "other path";
	if (q->deep && !(cf->flags & CACHEFILE_DEEP))
		return "shallow cache file";
	if (FLAWED(FLAW_CACHE_MTIME)) { /* flaw: the file's own mtime, not the recorded stamp */
		if ((int64_t)fst->st_mtim.tv_sec * STAMP_NS_PER_SEC + fst->st_mtim.tv_nsec <
		    cur->mtime_ns)
			return "stale";
	} else if (!ep_stamp_matches(&cf->stamp, cur)) {
		return "stale";
	}
	/* Each record equal to its stat, taken after `cur`, proves that item was
	 * unchanged at cur's instant too: ctimes never repeat (DESIGN.md). */
	if (q->deep && ep_deep_validate(efd, cf->deep, cf->deep_len, cf->deep_count) != 1)
		return "stale (deep)";
	return NULL;
}

static int damage(const char **why)
{
	*why = R_DAMAGED;
	if (FLAWED(FLAW_EXIT_ON_DAMAGE)) /* flaw: a damaged cache stops the program */
		return -EBADMSG;
	return 0;
}

/* 1 on a hit (view filled), 0 on a miss (status->lookup says why), or a
 * negative errno for a real error. */
static int query_lookup(struct query *q, struct epcache_view *view)
{
	const char *why = NULL;
	struct cachefile cf;
	struct stamp cur;
	struct stat fst;
	char *buf = NULL;
	size_t len;
	int efd = -1, rc;

	rc = current_stamp(q, &efd, &cur, &why);
	if (rc) {
		rc = rc < 0 ? rc : 0; /* no directory: nothing cached for it */
		goto out;
	}
	if (q->base_rc) {
		why = R_NO_DIR;
		goto out;
	}
	rc = ep_cachedir_read(q->base, q->name, &buf, &len, &fst, &why);
	if (rc == -EBADMSG)
		rc = damage(&why);
	if (rc)
		goto out;
	if (ep_cachefile_decode(buf, len, &cf, NULL)) {
		rc = damage(&why);
		goto out;
	}
	why = check_fresh(q, &cf, &cur, &fst, efd);
	if (!why) {
		view_adopt(view, buf, cf.body, cf.body_len, cf.body_count);
		buf = NULL;
		rc = 1;
	}
out:
	/* A cache problem is a miss, never an error (the exit-on-damage variant
	 * keeps damage as an error; see damage()). */
	if (rc < 0 && !is_real_error(-rc) && !(FLAWED(FLAW_EXIT_ON_DAMAGE) && rc == -EBADMSG))
		rc = 0;
	q->st->lookup = rc == 1 ? NULL : why;
	free(buf);
	if (efd >= 0)
		close(efd);
	return rc;
}

/* ---- scan: the view of one state of the entry ---- */

/* What a round records and looks at again (scan.h, DESIGN.md section 3).
 * At the default level a file inside a distribution changes only within
 * the install window after the distribution's creation, which moved the
 * entry's stamp: once the pre-scan stamp is settled by the clock read with
 * it, every such window has closed, and a name renamed away during the
 * round moves the entry's stamp past the pre-scan one, which the stat after
 * the reads sees. Such a first round lists and reads in one pass and
 * records nothing: the fast path. A later round always records: what the
 * earlier ones read must be looked at again. The strict level always looks
 * twice: in-place edits come at any time. ep_stamp_settle_wait(), not
 * ep_stamp_settled(): the no-guard variant removes the guard, not this. */
static unsigned scan_flags(const struct query *q, unsigned round)
{
	if (q->deep)
		return SCAN_DEEP;
	if (round)
		return SCAN_RECHECK;
	return ep_stamp_settle_wait(&q->pre, q->now, q->o->settle_ns) ? SCAN_RECHECK : 0;
}

/* Opens the entry for a round: the clock, then the descriptor and its
 * stamp. 0, 2 when the entry cannot be scanned (empty view), <0 on error. */
static int open_entry(struct query *q, int *fd)
{
	struct stat st;
	int rc;

	/* The clock is read with the pre-scan stamp, not after the scan: a long
	 * scan that began just after a change may have read half-written files,
	 * and judging "settled" by a later clock would let it be cached. */
	q->now = clock_now(q);
	*fd = open(q->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) < 0) {
		rc = errno;
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		q->st->reason = entry_problem(q, rc);
		return is_real_error(rc) ? -rc : 2;
	}
	q->st->entry_type = EPCACHE_ENTRY_DIR;
	/* The key is the stamp from before the scan: a change during the scan
	 * then leaves the key older than the change, and the next query sees
	 * the difference (the seed's "record the observed mtime" rule). */
	ep_stamp_from_stat(&q->pre, &st);
	return 0;
}

/* The entry's stamp now, by path: 0, or 1 when it is gone or no longer a
 * directory (the next open says which). */
static int entry_stamp(const struct query *q, struct stamp *s)
{
	struct stat st;

	if (stat(q->path, &st) < 0 || !S_ISDIR(st.st_mode))
		return 1;
	ep_stamp_from_stat(s, &st);
	return 0;
}

/* The stamp a later round starts from: the clock, then the entry's stamp by
 * path, taken just before the listing (what the last round did after its
 * own stamp, the second look or ep_scan_keep(), takes time in which the
 * entry may move again). 0, or 1 when the path no longer names the
 * directory open at fd: the next round opens it again. */
static int restamp(struct query *q)
{
	struct stamp now;

	q->now = clock_now(q);
	if (entry_stamp(q, &now) || now.dev != q->pre.dev || now.ino != q->pre.ino)
		return 1;
	q->pre = now;
	return 0;
}

/* One round: list, read what is new, stamp the entry (the instant the view
 * is claimed for), take the second look. 1 when the round saw one state of
 * the entry, 0 when another must follow, 2 when the entry cannot be scanned
 * (empty view), <0 on error. Why: DESIGN.md section 3. */
static int scan_round(struct query *q, struct scan *sc, int *fd, unsigned round)
{
	struct stamp at;
	unsigned flags;
	int rc, gone;

	if (*fd >= 0 && restamp(q)) {
		close(*fd);
		*fd = -1;
	}
	if (*fd < 0) {
		rc = open_entry(q, fd);
		if (rc)
			return rc;
	}
	q->st->scans++;
	emit(q, "scan", NULL);
	flags = scan_flags(q, round);
	rc = ep_scan_list(sc, *fd, flags, q->now, q->o->settle_ns);
	if (!rc)
		rc = ep_scan_read(sc, *fd);
	if (rc)
		return rc;
	gone = entry_stamp(q, &at);
	if (FLAWED(FLAW_STAMP_AFTER_SCAN) &&
	    !gone) { /* flaw: the key and the clock from after the scan */
		q->pre = at;
		q->now = clock_now(q);
	}
	/* Equal stamps: the path names the directory listed, unchanged since
	 * before the listing, so the listing (and every name in it) holds at
	 * this instant. Else a change was seen: go round again, keeping what
	 * was read (a vanished name is `raced`, should its rename share a
	 * timestamp granule with the stamp before). */
	if (!gone && !sc->raced && ep_stamp_equal(&q->pre, &at)) {
		/* The second look, after that instant: each candidate it finds
		 * unchanged was as read at the instant too. */
		rc = ep_scan_verify(sc, *fd);
		if (rc || !sc->raced)
			return rc ? rc : 1;
	}
	/* What this round read is kept for the next (ep_scan_keep()). */
	rc = gone ? 0 : ep_scan_keep(sc, *fd);
	return rc < 0 ? rc : 0;
}

/* Rounds until one sees one state of the entry, at most EPCACHE_MAX_SCANS;
 * each lists the entry again and reads only what is new or changed, so the
 * window a change must hit shrinks to a listing and a few reads. If every
 * round saw a change, the last listing with the files read for it is
 * answered as it is and not cached: the one case where the answer may be a
 * view that never existed (DESIGN.md section 3 says exactly when). */
static int query_scan(struct query *q)
{
	struct scan sc;
	int fd = -1, rc = 0;

	ep_scan_init(&sc);
	q->stable = false;
	for (unsigned i = 0; i < EPCACHE_MAX_SCANS; i++) {
		rc = scan_round(q, &sc, &fd, i);
		/* A round that saw the entry move answers a mix of states: go
		 * round again. */
		if (rc != 0 || FLAWED(FLAW_NO_RESCAN)) /* flaw: the mix is answered */
			break;
	}
	if (fd >= 0)
		close(fd);
	q->stable = rc == 1;
	if (rc == 2) /* the entry cannot be scanned: an empty view */
		ep_scan_result_release(&q->scan);
	else if (rc >= 0)
		rc = ep_scan_finish(&sc, &q->scan);
	ep_scan_release(&sc);
	return rc < 0 ? rc : 0;
}

/* ---- store: may this scan be cached, and write it ---- */

static bool scan_settled(const struct query *q)
{
	struct deep_record r;
	size_t pos = 0;

	if (!ep_stamp_settled(&q->pre, q->now, q->o->settle_ns))
		return false;
	while (ep_deep_next(q->scan.deep.buf, q->scan.deep.len, &pos, &r) == 1)
		if (!ep_deep_record_settled(&r, q->now, q->o->settle_ns))
			return false;
	return true;
}

static int64_t settle_wait(const struct query *q)
{
	return ep_stamp_settle_wait(&q->pre, q->now, q->o->settle_ns);
}

/* NULL when the last scan may be written. */
static const char *store_decision(const struct query *q)
{
	if (q->st->entry_type != EPCACHE_ENTRY_DIR)
		return q->st->reason;
	if (q->o->flags & EPCACHE_NO_CACHE)
		return R_DISABLED;
	if (!q->stable)
		return "changed during scan";
	/* The too-new guard, judged by the clock read before the scan. */
	if (!scan_settled(q))
		return R_TOO_NEW;
	if (q->base_rc)
		return R_NO_DIR;
	return NULL;
}

static int encode(const struct query *q, char **buf, size_t *len)
{
	struct cachefile cf = {
	    .flags = q->deep ? CACHEFILE_DEEP : 0,
	    .stamp = q->pre,
	    .path = q->path,
	    .path_len = strlen(q->path),
	    .body = q->scan.text,
	    .body_len = q->scan.len,
	    .body_count = q->scan.count,
	    .deep = q->scan.deep.buf,
	    .deep_len = q->scan.deep.len,
	    .deep_count = q->scan.deep.count,
	};

	return ep_cachefile_encode(&cf, buf, len);
}

static const char *tmp_reason(int rc)
{
	if (rc == -ENOSPC || rc == -EDQUOT)
		return "cache directory full";
	if (rc == -EROFS)
		return "cache directory read-only";
	if (rc == -EACCES || rc == -EPERM)
		return "cache directory not writable";
	return "cache write failed";
}

/* Opens the cache directory for writing and makes the temporary, unless the
 * leak-tmp variant already did. */
static int prepare_write(struct query *q, const char **why)
{
	int rc;

	if (q->tmp.fd >= 0)
		return 0;
	if (q->wdir.fd < 0) {
		rc = ep_cachedir_create(&q->wdir, q->base, why);
		if (rc)
			return rc;
	}
	/* Writers are rare (one per change): they pay for removing what
	 * crashed writers left, bounded so that junk cannot make them slow. */
	ep_cachedir_sweep(&q->wdir, clock_now(q));
	rc = ep_cachedir_tmp_open(&q->wdir, q->name, &q->tmp);
	if (rc)
		*why = tmp_reason(rc);
	return rc;
}

/* 0 after writing or deciding not to (status says which), <0 on error. */
static int store(struct query *q)
{
	const char *why;
	char *buf = NULL;
	size_t len;
	int rc;

	why = store_decision(q);
	if (why)
		goto skip;
	rc = encode(q, &buf, &len);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		why = "view too large";
		goto skip;
	}
	rc = prepare_write(q, &why);
	if (!rc)
		rc = ep_cachedir_tmp_commit(&q->wdir, &q->tmp, q->name, buf, len, &why);
	free(buf);
	if (rc) {
		emit(q, rc == -EPERM ? "write-skip" : "error", why);
		q->st->reason = why;
		return 0;
	}
	q->st->outcome = EPCACHE_WRITTEN;
	emit(q, "write", NULL);
	return 0;
skip:
	emit(q, "write-skip", why);
	q->st->reason = why;
	return 0;
}

/* The blocking-lock variant: the lock every miss waits for. */
static void flaw_lock(struct query *q)
{
	const char *why;

	if (q->o->flags & EPCACHE_NO_CACHE || q->base_rc || q->lock_fd >= 0)
		return;
	if (q->wdir.fd < 0 && ep_cachedir_create(&q->wdir, q->base, &why))
		return;
	q->lock_fd =
	    openat(q->wdir.fd, CACHEDIR_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (q->lock_fd >= 0)
		while (flock(q->lock_fd, LOCK_EX) < 0 && errno == EINTR)
			;
}

/* The leak-tmp variant: the temporary made before the write decision. */
static void flaw_early_tmp(struct query *q)
{
	const char *why;

	if (q->o->flags & EPCACHE_NO_CACHE || q->base_rc || q->st->entry_type != EPCACHE_ENTRY_DIR)
		return;
	if (q->wdir.fd < 0 && ep_cachedir_create(&q->wdir, q->base, &why))
		return;
	ep_cachedir_tmp_open(&q->wdir, q->name, &q->tmp);
}

static int query_miss(struct query *q, struct epcache_view *view)
{
	bool waited = false;
	int rc;

again:
	if (FLAWED(FLAW_BLOCKING_LOCK)) /* flaw: a stopped lock holder makes every miss wait */
		flaw_lock(q);
	rc = query_scan(q);
	if (rc)
		return rc;
	if (FLAWED(FLAW_LEAK_TMP)) /* flaw: the temporary exists before we know we will write */
		flaw_early_tmp(q);
	if (FLAWED(FLAW_WAITS_TO_SETTLE) && !waited && store_decision(q) == R_TOO_NEW) {
		/* flaw: the query waits for the entry to settle instead of answering */
		int64_t w = settle_wait(q);
		struct timespec ts = {(time_t)(w / STAMP_NS_PER_SEC), (long)(w % STAMP_NS_PER_SEC)};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		waited = true;
		goto again;
	}
	rc = store(q);
	if (rc)
		return rc;
	view_adopt(view, q->scan.text, q->scan.text, q->scan.len, q->scan.count);
	q->scan.text = NULL;
	return 0;
}

/* ---- the query ---- */

static int query_init(struct query *q, const struct epcache_options *o, const char *path_entry,
		      struct epcache_status *st)
{
	memset(q, 0, sizeof(*q));
	q->o = o;
	q->st = st;
	q->deep = o->flags & EPCACHE_DEEP;
	q->tmp.fd = -1;
	q->lock_fd = -1;
	ep_scan_result_init(&q->scan);
	ep_cachedir_init(&q->wdir);
	st->outcome = EPCACHE_NOT_CACHED;
	st->entry_type = EPCACHE_ENTRY_MISSING;
	st->lookup = NULL;
	st->reason = NULL;
	st->scans = 0;
	q->base_rc = ep_cachedir_base(o->cache_dir, q->base, sizeof(q->base));
	return ep_path_absolute(path_entry, &q->path);
}

static void query_release(struct query *q)
{
	if (FLAWED(FLAW_LEAK_TMP)) /* flaw: an abandoned temporary stays */
		q->tmp.made = 0;
	ep_cachedir_tmp_abort(&q->tmp);
	if (q->lock_fd >= 0)
		close(q->lock_fd);
	ep_cachedir_release(&q->wdir);
	ep_scan_result_release(&q->scan);
	free(q->path);
}

/* The fail-without-home variant: no usable cache directory is an error. */
static int flaw_require_dir(struct query *q)
{
	const char *why;
	int rc;

	if (q->o->flags & EPCACHE_NO_CACHE)
		return 0;
	if (q->base_rc)
		return q->base_rc;
	rc = ep_cachedir_create(&q->wdir, q->base, &why);
	return rc == -EPERM ? 0 : rc; /* not ours is not "cannot be created" */
}

int epcache_query(const struct epcache_options *o, const char *path_entry,
		  struct epcache_view *view, struct epcache_status *status)
{
	struct query q;
	int rc;

	if (!o || !path_entry || !view || !status)
		return -EINVAL;
	epcache_view_release(view);
	rc = query_init(&q, o, path_entry, status);
	if (rc) {
		/* No absolute path (cwd removed, too long): nothing to scan. */
		status->lookup = status->reason = R_MISSING;
		emit(&q, "miss", R_MISSING);
		if (rc != -ENOMEM)
			rc = 0;
		goto out;
	}
	ep_path_cache_name(q.path, q.name);
	if (FLAWED(FLAW_FAIL_WITHOUT_HOME)) { /* flaw: no cache directory is an error */
		rc = flaw_require_dir(&q);
		if (rc)
			goto out;
	}
	if (o->flags & EPCACHE_NO_CACHE) {
		status->lookup = R_DISABLED;
	} else {
		rc = query_lookup(&q, view);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			status->outcome = EPCACHE_HIT;
			emit(&q, "hit", NULL);
			rc = 0;
			goto out;
		}
	}
	emit(&q, "miss", status->lookup);
	rc = query_miss(&q, view);
out:
	if (rc)
		epcache_view_release(view);
	query_release(&q);
	return rc;
}

int epcache_clear(const struct epcache_options *o, size_t *removed)
{
	char base[PATH_MAX];
	struct cachedir cd;
	int rc;

	if (removed)
		*removed = 0;
	if (!o)
		return -EINVAL;
	if (ep_cachedir_base(o->cache_dir, base, sizeof(base)))
		return 0;
	ep_cachedir_init(&cd);
	rc = ep_cachedir_open(&cd, base, NULL);
	if (rc == -ENOENT)
		rc = 0;
	else if (!rc)
		rc = ep_cachedir_clear(&cd, removed);
	ep_cachedir_release(&cd);
	return rc;
}
