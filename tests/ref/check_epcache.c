/* check_epcache.c: the query through the public API: hits and misses, the
 * too-new guard on an injected clock, the strict level, every way a cache
 * file or directory can be unusable (each must fall back to the scan and
 * still answer right), tidiness, privileges and threads. */
#include "epcache.h"
#include "cachefile.h"
#include "hash.h"
#include "path.h"
#include "stamp.h"
#include "testutil.h"

#include <pthread.h>
#include <sys/time.h>

static struct tu_clock g_clk;
static char *g_dir;   /* scratch */
static char *g_sp;    /* a path entry */
static char *g_cache; /* $XDG_CACHE_HOME/epcache */

#define SEC 1000000000LL

static void setup(void)
{
	g_dir = tu_scratch();
	g_sp = tu_fmt("%s/sp", g_dir);
	g_cache = tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME"));
	tu_mkdir(g_sp);
	tu_dist(g_sp, "a-1.0.dist-info", "[console_scripts]\na = a:main\n");
	tu_dist(g_sp, "b-2.0.egg-info", "[g]\nb=1\n# c\nb=1\n");
	/* Far enough ahead that everything just made counts as settled. */
	g_clk.now_ns = tu_realtime() + 10 * SEC;
}

static void teardown(void)
{
	tu_rmrf(g_dir);
	free(g_dir), free(g_sp), free(g_cache);
}

static const char VIEW[] = "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
			   "b-2.0.egg-info\tg\tb\t1\n"
			   "b-2.0.egg-info\tg\tb\t1\n";

static struct epcache_options opts(unsigned flags)
{
	struct epcache_options o;

	epcache_options_init(&o);
	o.flags = flags;
	o.clock = tu_clock_read;
	o.clock_ctx = &g_clk;
	return o;
}

/* The answer for path, as a string the test owns. */
static char *query_o(const struct epcache_options *o, const char *path, struct epcache_status *st)
{
	struct epcache_status dummy;
	struct epcache_view v;
	char *s;

	epcache_view_init(&v);
	ck_assert_int_eq(epcache_query(o, path, &v, st ? st : &dummy), 0);
	s = strndup(v.text ? v.text : "", v.len);
	ck_assert_ptr_nonnull(s);
	epcache_view_release(&v);
	return s;
}

static char *query(unsigned flags, const char *path, struct epcache_status *st)
{
	struct epcache_options o = opts(flags);

	return query_o(&o, path, st);
}

/* The answer must be right and say so; returns the status. */
static struct epcache_status expect(unsigned flags, const char *path, const char *want,
				    enum epcache_outcome outcome)
{
	struct epcache_status st;
	char *got = query(flags, path, &st);

	ck_assert_str_eq(got, want);
	ck_assert_msg(st.outcome == outcome, "outcome %d, want %d (lookup %s, reason %s)",
		      st.outcome, outcome, st.lookup ? st.lookup : "-",
		      st.reason ? st.reason : "-");
	free(got);
	return st;
}

static char *cache_file_of(const char *path)
{
	char name[PATH_CACHE_NAME_SIZE];

	ep_path_cache_name(path, name);
	return tu_fmt("%s/%s", g_cache, name);
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* ---- events ---- */

struct evlog {
	char buf[1024];
};

static void on_event(void *ctx, const char *ev, const char *reason)
{
	struct evlog *l = ctx;
	size_t n = strlen(l->buf);

	snprintf(l->buf + n, sizeof(l->buf) - n, "%s%s%s;", ev, reason ? ":" : "",
		 reason ? reason : "");
}

/* ---- basics ---- */

START_TEST(miss_then_hit)
{
	struct epcache_options o = opts(0);
	struct evlog log = {""};
	struct epcache_status st;
	char *v;

	o.event = on_event;
	o.event_ctx = &log;
	v = query_o(&o, g_sp, &st);
	ck_assert_str_eq(v, VIEW);
	free(v);
	ck_assert_int_eq(st.outcome, EPCACHE_WRITTEN);
	ck_assert_int_eq(st.entry_type, EPCACHE_ENTRY_DIR);
	ck_assert_uint_eq(st.scans, 1);
	ck_assert_str_eq(log.buf, "miss:no cache file;scan;write;");
	log.buf[0] = '\0';
	v = query_o(&o, g_sp, &st);
	ck_assert_str_eq(v, VIEW);
	free(v);
	ck_assert_int_eq(st.outcome, EPCACHE_HIT);
	ck_assert_uint_eq(st.scans, 0);
	ck_assert_ptr_null(st.lookup);
	ck_assert_str_eq(log.buf, "hit;");
	ck_assert_int_eq(tu_count(g_cache, "ep-"), 1);
	ck_assert_int_eq(tu_count(g_cache, "\\."), 0);
}
END_TEST

START_TEST(files_and_directories_are_private)
{
	struct stat st;
	char *f = cache_file_of(g_sp);

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_int_eq(stat(g_cache, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(getenv("XDG_CACHE_HOME"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_nlink, 1);
	free(f);
}
END_TEST

START_TEST(view_iteration)
{
	struct epcache_options o = opts(0);
	struct epcache_status st;
	struct epcache_view v;
	struct epcache_entry e;
	size_t pos = 0, n = 0;

	epcache_view_init(&v);
	for (int round = 0; round < 2; round++) { /* from a scan, then from the cache */
		ck_assert_int_eq(epcache_query(&o, g_sp, &v, &st), 0);
		ck_assert_uint_eq(v.count, 3);
		pos = n = 0;
		while (epcache_view_next(&v, &pos, &e)) {
			if (n == 0) {
				ck_assert(e.dist_len == 15 &&
					  !memcmp(e.dist, "a-1.0.dist-info", 15));
				ck_assert(e.group_len == 15 &&
					  !memcmp(e.group, "console_scripts", 15));
				ck_assert(e.name_len == 1 && e.name[0] == 'a');
				ck_assert(e.value_len == 6 && !memcmp(e.value, "a:main", 6));
			}
			n++;
		}
		ck_assert_uint_eq(n, 3);
	}
	epcache_view_release(&v);
	ck_assert_int_eq(epcache_view_next(&v, &pos, &e), 0);
}
END_TEST

START_TEST(no_cache_flag_touches_nothing)
{
	struct epcache_status st = expect(EPCACHE_NO_CACHE, g_sp, VIEW, EPCACHE_NOT_CACHED);

	ck_assert_str_eq(st.reason, "cache disabled");
	ck_assert(!exists(getenv("XDG_CACHE_HOME")));
}
END_TEST

START_TEST(empty_and_missing_entries)
{
	char *empty = tu_fmt("%s/empty", g_dir), *missing = tu_fmt("%s/missing", g_dir);
	struct epcache_status st;

	tu_mkdir(empty);
	expect(0, empty, "", EPCACHE_WRITTEN);
	expect(0, empty, "", EPCACHE_HIT);
	st = expect(0, missing, "", EPCACHE_NOT_CACHED);
	ck_assert_str_eq(st.reason, "path entry missing");
	ck_assert_int_eq(st.entry_type, EPCACHE_ENTRY_MISSING);
	free(empty);
	free(missing);
}
END_TEST

START_TEST(bad_arguments)
{
	struct epcache_options o = opts(0);
	struct epcache_status st;
	struct epcache_view v;

	epcache_view_init(&v);
	ck_assert_int_eq(epcache_query(NULL, g_sp, &v, &st), -EINVAL);
	ck_assert_int_eq(epcache_query(&o, NULL, &v, &st), -EINVAL);
	ck_assert_int_eq(epcache_query(&o, g_sp, NULL, &st), -EINVAL);
	ck_assert_int_eq(epcache_query(&o, g_sp, &v, NULL), -EINVAL);
	ck_assert_int_eq(epcache_clear(NULL, NULL), -EINVAL);
	ck_assert_str_eq(epcache_version(), EPCACHE_VERSION);
}
END_TEST

/* ---- invalidation ---- */

START_TEST(stamp_changes_invalidate)
{
	char *old = tu_fmt("%s/b-2.0.egg-info", g_sp), *moved = tu_fmt("%s/moved", g_dir);
	struct timespec ts[2];
	struct stat st;
	struct epcache_status s;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	/* A new distribution: the entry's mtime moves. */
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=3\n");
	s = expect(0, g_sp,
		   "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "c-1.dist-info\tg\tc\t3\n",
		   EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "stale");
	/* Removed again, and the mtime set back exactly: the ctime still moved. */
	ck_assert_int_eq(stat(g_sp, &st), 0);
	tu_rmrf(tu_fmt("%s/c-1.dist-info", g_sp));
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, g_sp, ts, 0), 0);
	s = expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "stale");
	/* The entry replaced by another directory (a new inode). */
	ck_assert_int_eq(rename(g_sp, moved), 0);
	ck_assert_int_eq(mkdir(g_sp, 0755), 0);
	tu_dist(g_sp, "z-1.dist-info", "[g]\nz=1\n");
	s = expect(0, g_sp, "z-1.dist-info\tg\tz\t1\n", EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "stale");
	expect(0, g_sp, "z-1.dist-info\tg\tz\t1\n", EPCACHE_HIT);
	free(old);
	free(moved);
}
END_TEST

/* The entry a symlink re-pointed to another directory: the target's stamp
 * is the key, so the change is seen. */
START_TEST(repointed_symlink_entry)
{
	char *link = tu_fmt("%s/link", g_dir), *other = tu_fmt("%s/other", g_dir);
	char *tmp = tu_fmt("%s/link.new", g_dir);

	tu_mkdir(other);
	tu_dist(other, "o-1.dist-info", "[g]\no=1\n");
	ck_assert_int_eq(symlink(g_sp, link), 0);
	expect(0, link, VIEW, EPCACHE_WRITTEN);
	expect(0, link, VIEW, EPCACHE_HIT);
	ck_assert_int_eq(symlink(other, tmp), 0);
	ck_assert_int_eq(rename(tmp, link), 0);
	expect(0, link, "o-1.dist-info\tg\to\t1\n", EPCACHE_WRITTEN);
	free(link), free(other), free(tmp);
}
END_TEST

/* ---- the too-new guard, on the injected clock ---- */

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * SEC + t->tv_nsec;
}

START_TEST(guard_too_new_is_served_not_written)
{
	struct stat st;
	struct epcache_status s;

	ck_assert_int_eq(stat(g_sp, &st), 0);
	g_clk.now_ns = ns_of(&st.st_ctim) + SEC; /* 1 s after the last change, window 2 s */
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "too new");
	ck_assert(!exists(g_cache) || tu_count(g_cache, "") == 0);
	g_clk.now_ns = ns_of(&st.st_ctim) + 2 * SEC + 1;
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	expect(0, g_sp, VIEW, EPCACHE_HIT);
}
END_TEST

START_TEST(guard_timestamp_ahead_of_clock)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, 0}};
	struct epcache_status s;

	g_clk.now_ns = tu_realtime() + 5 * SEC;
	ts[1].tv_sec = (time_t)(g_clk.now_ns / SEC) + 3600; /* mtime an hour ahead */
	ck_assert_int_eq(utimensat(AT_FDCWD, g_sp, ts, 0), 0);
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "too new");
	/* With no window at all, a timestamp ahead of the clock still is not cached. */
	struct epcache_options o = opts(0);
	o.settle_ns = 0;
	free(query_o(&o, g_sp, &s));
	ck_assert_int_eq(s.outcome, EPCACHE_NOT_CACHED);
}
END_TEST

START_TEST(guard_ctime_counts_when_mtime_is_old)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {946684800, 0}}; /* mtime: year 2000 */
	struct epcache_status s;
	struct stat st;

	ck_assert_int_eq(utimensat(AT_FDCWD, g_sp, ts, 0), 0);
	ck_assert_int_eq(stat(g_sp, &st), 0);
	g_clk.now_ns = ns_of(&st.st_ctim) + SEC / 2;
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "too new");
	g_clk.now_ns = ns_of(&st.st_ctim) + 3 * SEC;
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
}
END_TEST

/* The clock is read with the pre-scan stamp: a clock that jumps forward
 * during the scan (a long scan) must not make a young entry cacheable. */
static int64_t jumping_clock(void *ctx)
{
	struct tu_clock *c = ctx;
	int64_t now = c->now_ns;

	c->now_ns += 100 * SEC; /* every later reading is far in the future */
	return now;
}

START_TEST(guard_uses_clock_from_before_the_scan)
{
	struct epcache_options o = opts(0);
	struct epcache_status s;
	struct stat st;

	ck_assert_int_eq(stat(g_sp, &st), 0);
	g_clk.now_ns = ns_of(&st.st_ctim) + SEC / 2;
	o.clock = jumping_clock;
	free(query_o(&o, g_sp, &s));
	ck_assert_int_eq(s.outcome, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "too new");
}
END_TEST

/* Strict level: the guard covers each distribution's stamps too. */
START_TEST(guard_covers_deep_records)
{
	char *f = tu_fmt("%s/a-1.0.dist-info/entry_points.txt", g_sp);
	struct epcache_options o = opts(EPCACHE_DEEP);
	struct stat est, fst;
	struct epcache_status s;
	FILE *fp;

	usleep(50000);
	fp = fopen(f, "a"); /* in place: the entry's stamp does not move */
	fputs("x = x:y\n", fp);
	fclose(fp);
	ck_assert_int_eq(stat(g_sp, &est), 0);
	ck_assert_int_eq(stat(f, &fst), 0);
	ck_assert(ns_of(&fst.st_ctim) - ns_of(&est.st_ctim) >= 40000000LL);
	o.settle_ns = 30000000LL; /* 30 ms */
	g_clk.now_ns = ns_of(&fst.st_ctim) + 20000000LL;
	free(query_o(&o, g_sp, &s));
	ck_assert_int_eq(s.outcome, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "too new");
	o.flags = 0; /* the default level does not look inside: it writes */
	free(query_o(&o, g_sp, &s));
	ck_assert_int_eq(s.outcome, EPCACHE_WRITTEN);
	free(f);
}
END_TEST

/* ---- the second look (scan.c): taken unless the entry is settled ---- */

struct editor {
	const char *file;
	volatile int stop;
};

/* Rewrites an entry_points.txt in place, over and over, as an in-place edit
 * or an installer inside its window would: the path entry's stamp never
 * moves, only the file's. */
static void *edit(void *arg)
{
	struct editor *e = arg;
	int fd = open(e->file, O_WRONLY | O_CLOEXEC);

	for (unsigned i = 0; fd >= 0 && !e->stop; i++)
		if (pwrite(fd, i % 2 ? "[g]\nx=1\n" : "[g]\nx=2\n", 8, 0) != 8)
			break;
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Up to n queries without the cache, stopping at the first that scanned
 * more than once (its second look saw the edit); returns how many it made. */
static unsigned query_until_rescan(const struct epcache_options *o, unsigned n, bool *rescanned)
{
	*rescanned = false;
	for (unsigned i = 1; i <= n; i++) {
		struct epcache_status s;

		free(query_o(o, g_sp, &s));
		if (s.scans > 1) {
			*rescanned = true;
			return i;
		}
	}
	return n;
}

/* A path entry of 100 distributions, one of them edited in place meanwhile
 * (the scan's window is wide enough to see the edits often). */
static void start_editor(struct editor *e, pthread_t *t)
{
	char name[64];

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "pkg%03d-1.0.dist-info", i);
		tu_dist(g_sp, name, "[console_scripts]\nx = y:z\n");
	}
	tu_dist(g_sp, "edited-1.dist-info", "[g]\nx=0\n");
	e->file = tu_fmt("%s/edited-1.dist-info/entry_points.txt", g_sp);
	e->stop = 0;
	ck_assert_int_eq(pthread_create(t, NULL, edit, e), 0);
}

/* Too new: an installer may still be writing, so every file is looked at
 * twice and a scan that saw an edit is redone. Settled: nothing inside a
 * distribution may change at the default level (PROTOCOL.md section 6), so
 * no second look is taken, and the same edits go unseen: one scan each, in
 * many more queries than it took to see one while too new. */
START_TEST(second_look_only_while_too_new)
{
	struct epcache_options o = opts(EPCACHE_NO_CACHE);
	struct editor e;
	struct stat st;
	pthread_t t;
	unsigned n;
	bool rescanned;

	start_editor(&e, &t);
	ck_assert_int_eq(stat(g_sp, &st), 0);
	g_clk.now_ns = ns_of(&st.st_ctim) + SEC / 2;
	n = query_until_rescan(&o, 20000, &rescanned);
	ck_assert_msg(rescanned, "too new: no rescan in %u queries", n);
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	n = n * 10 < 300 ? 300 : n * 10;
	n = query_until_rescan(&o, n, &rescanned);
	ck_assert_msg(!rescanned, "settled: rescanned after %u queries", n);
	e.stop = 1;
	pthread_join(t, NULL);
}
END_TEST

/* The strict level looks twice even when settled: in-place edits may come
 * at any time. */
START_TEST(second_look_always_at_strict_level)
{
	struct epcache_options o = opts(EPCACHE_NO_CACHE | EPCACHE_DEEP);
	struct editor e;
	pthread_t t;
	unsigned n;
	bool rescanned;

	start_editor(&e, &t);
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	n = query_until_rescan(&o, 20000, &rescanned);
	ck_assert_msg(rescanned, "deep, settled: no rescan in %u queries", n);
	e.stop = 1;
	pthread_join(t, NULL);
}
END_TEST

/* ---- the strict level ---- */

START_TEST(deep_sees_in_place_edit)
{
	char *f = tu_fmt("%s/b-2.0.egg-info/entry_points.txt", g_sp);
	const char *edited = "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
			     "b-2.0.egg-info\tg\tb\t2\n";
	struct epcache_status s;

	expect(EPCACHE_DEEP, g_sp, VIEW, EPCACHE_WRITTEN);
	expect(EPCACHE_DEEP, g_sp, VIEW, EPCACHE_HIT);
	expect(0, g_sp, VIEW, EPCACHE_HIT); /* a deep file serves a default query */
	tu_writes(f, "[g]\nb=2\n");	    /* in place: same inode, entry unchanged */
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	/* The default level does not see it: that is the strict level's job. */
	expect(0, g_sp, VIEW, EPCACHE_HIT);
	s = expect(EPCACHE_DEEP, g_sp, edited, EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "stale (deep)");
	expect(EPCACHE_DEEP, g_sp, edited, EPCACHE_HIT);
	free(f);
}
END_TEST

START_TEST(deep_sees_new_file_in_old_directory)
{
	char *f = tu_fmt("%s/c-1.dist-info/entry_points.txt", g_sp);
	struct epcache_status s;

	tu_dist(g_sp, "c-1.dist-info", NULL);
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	expect(EPCACHE_DEEP, g_sp, VIEW, EPCACHE_WRITTEN);
	tu_writes(f, "[g]\nc=1\n");
	s = expect(EPCACHE_DEEP, g_sp,
		   "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "c-1.dist-info\tg\tc\t1\n",
		   EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "stale (deep)");
	free(f);
}
END_TEST

START_TEST(deep_sees_repaired_broken_link)
{
	char *link = tu_fmt("%s/l-1.dist-info", g_sp), *target = tu_fmt("%s/target", g_dir);

	ck_assert_int_eq(symlink(target, link), 0);
	expect(EPCACHE_DEEP, g_sp, VIEW, EPCACHE_WRITTEN);
	tu_dist(g_dir, "target", "[g]\nl=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	expect(EPCACHE_DEEP, g_sp,
	       "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
	       "b-2.0.egg-info\tg\tb\t1\n"
	       "b-2.0.egg-info\tg\tb\t1\n"
	       "l-1.dist-info\tg\tl\t1\n",
	       EPCACHE_WRITTEN);
	free(link), free(target);
}
END_TEST

START_TEST(deep_needs_deep_file)
{
	struct epcache_status s;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	s = expect(EPCACHE_DEEP, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "shallow cache file");
	expect(EPCACHE_DEEP, g_sp, VIEW, EPCACHE_HIT);
}
END_TEST

/* ---- a cache file that cannot be used: fall back, answer right ---- */

static void damage_file(const char *f, int how)
{
	size_t len;
	char *b = tu_read(f, &len);

	ck_assert_ptr_nonnull(b);
	switch (how) {
	case 0: /* truncated inside the header */
		len = 40;
		break;
	case 1: /* truncated inside the body */
		len -= 20;
		break;
	case 2: /* truncated by one byte */
		len -= 1;
		break;
	case 3: /* empty */
		len = 0;
		break;
	case 4: /* zeroed */
		memset(b, 0, len);
		break;
	case 5: /* a bit flipped in the stamp */
		b[20] ^= 1;
		break;
	case 6: /* a bit flipped in the body */
		b[len - 20] ^= 0x10;
		break;
	case 7: /* a bit flipped in the checksum */
		b[len - 1] ^= 0x80;
		break;
	case 8: /* another version */
		b[8] = 9;
		break;
	}
	tu_write(f, b, len);
	free(b);
}

START_TEST(damaged_file_falls_back_and_is_replaced)
{
	char *f = cache_file_of(g_sp);
	struct epcache_status s;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	damage_file(f, _i);
	s = expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "damaged cache file");
	expect(0, g_sp, VIEW, EPCACHE_HIT);
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-"), 0);
	free(f);
}
END_TEST

/* A file of ours for another path under this path's name: a hash collision
 * or a copied file. The stored path settles it. */
START_TEST(other_path_is_a_miss)
{
	char *other = tu_fmt("%s/other", g_dir), *f = cache_file_of(g_sp),
	     *fo = cache_file_of(other);
	struct epcache_status s;

	tu_mkdir(other);
	tu_dist(other, "o-1.dist-info", "[g]\no=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	expect(0, other, "o-1.dist-info\tg\to\t1\n", EPCACHE_WRITTEN);
	ck_assert_int_eq(rename(fo, f), 0);
	s = expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "other path");
	free(other), free(f), free(fo);
}
END_TEST

/* Something at the cache file's name that we must not read: the scan
 * answers, and nothing gets written (a planted directory). */
static void expect_distrusted(const char *lookup)
{
	struct epcache_status s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);

	ck_assert_str_eq(s.lookup, lookup);
	ck_assert_str_eq(s.reason, "cache file not ours");
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-"), 0);
}

/* Something at the cache file's name that we must not read, but may
 * replace: the rename swaps the name, whatever it named stays intact
 * elsewhere, and the next query hits our own file. */
static void expect_replaced(const char *f, const char *lookup)
{
	struct epcache_status s = expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	struct stat st;

	ck_assert_str_eq(s.lookup, lookup);
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-"), 0);
	ck_assert_int_eq(lstat(f, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_uid, geteuid());
	ck_assert_int_eq(st.st_nlink, 1);
	ck_assert_int_eq(st.st_mode & 077, 0);
	expect(0, g_sp, VIEW, EPCACHE_HIT);
}

/* A planted file with a plausible, wrong answer in it: well-formed, for this
 * path, with the entry's current stamp. Trusting it would change the answer. */
static const char WRONG[] = "planted-1.dist-info\tconsole_scripts\tevil\tevil:main\n";

static void plant_wrong_answer(const char *f)
{
	struct cachefile cf = {0};
	struct stat st;
	char *buf;
	size_t len;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN); /* makes the directory */
	ck_assert_int_eq(stat(g_sp, &st), 0);
	ep_stamp_from_stat(&cf.stamp, &st);
	cf.path = g_sp;
	cf.path_len = strlen(g_sp);
	cf.body = WRONG;
	cf.body_len = strlen(WRONG);
	cf.body_count = 1;
	ck_assert_int_eq(ep_cachefile_encode(&cf, &buf, &len), 0);
	unlink(f);
	tu_write(f, buf, len);
	chmod(f, 0600);
	free(buf);
}

/* A cache file left by epcache 1.0 (format version 1, an XXH64 checksum)
 * holding a wrong answer for this very stamp: refused by its version (a
 * miss), never misread, and replaced by a file of this version. */
START_TEST(old_version_is_a_miss_and_rewritten)
{
	char *f = cache_file_of(g_sp), *b;
	struct epcache_status s;
	size_t len;
	uint64_t h;

	plant_wrong_answer(f);
	b = tu_read(f, &len);
	ck_assert_ptr_nonnull(b);
	b[8] = 1; /* version 1, little-endian u32 at offset 8 */
	h = ep_hash_xxh64(b, len - 8, 0);
	for (int i = 0; i < 8; i++)
		b[len - 8 + i] = (char)(h >> (8 * i));
	tu_write(f, b, len);
	chmod(f, 0600);
	free(b);
	s = expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_str_eq(s.lookup, "damaged cache file");
	b = tu_read(f, &len);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b[8], CACHEFILE_VERSION);
	free(b);
	expect(0, g_sp, VIEW, EPCACHE_HIT);
	free(f);
}
END_TEST

/* The control: the same planted file, trusted, is believed. */
START_TEST(planted_file_is_believed_when_trusted)
{
	char *f = cache_file_of(g_sp);

	plant_wrong_answer(f);
	expect(0, g_sp, WRONG, EPCACHE_HIT);
	free(f);
}
END_TEST

START_TEST(foreign_owner_not_trusted)
{
	char *f = cache_file_of(g_sp);

	if (!tu_is_root())
		TU_SKIP("needs root to chown a file to uid 65534");
	plant_wrong_answer(f);
	ck_assert_int_eq(chown(f, 65534, 65534), 0);
	/* Not believed, and replaced: a file left by sudo must not stop the
	 * user's runs from caching again (I6). */
	expect_replaced(f, "cache file not owned by you");
	free(f);
}
END_TEST

START_TEST(group_or_world_writable_not_trusted)
{
	char *f = cache_file_of(g_sp);

	plant_wrong_answer(f);
	ck_assert_int_eq(chmod(f, _i ? 0602 : 0620), 0);
	expect_replaced(f, "cache file group or world writable");
	free(f);
}
END_TEST

START_TEST(symlink_not_followed_nor_written_through)
{
	char *f = cache_file_of(g_sp), *target = tu_fmt("%s/target", g_dir);
	char *before, *after;
	size_t before_len = 0, after_len = 0;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_int_eq(rename(f, target), 0); /* a valid cache file, behind a link */
	ck_assert_int_eq(symlink(target, f), 0);
	before = tu_read(target, &before_len);
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=1\n"); /* a new answer to write */
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	struct epcache_status s;
	free(query(0, g_sp, &s));
	ck_assert_str_eq(s.lookup, "cache file is a symbolic link");
	ck_assert_int_eq(s.outcome, EPCACHE_WRITTEN);
	after = tu_read(target, &after_len); /* the link was replaced, not followed */
	ck_assert(before_len == after_len && !memcmp(before, after, after_len));
	free(before), free(after), free(target), free(f);
}
END_TEST

START_TEST(fifo_does_not_block)
{
	char *f = cache_file_of(g_sp);

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_int_eq(unlink(f), 0);
	ck_assert_int_eq(mkfifo(f, 0600), 0);
	expect_replaced(f, "cache file not a regular file");
	free(f);
}
END_TEST

START_TEST(hard_link_not_trusted_nor_written_through)
{
	char *f = cache_file_of(g_sp), *other = tu_fmt("%s/precious", g_dir);
	size_t before_len = 0, after_len = 0;
	char *before, *after;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_int_eq(link(f, other), 0);
	before = tu_read(other, &before_len);
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=1\n"); /* make the next query want to write */
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	struct epcache_status s;
	free(query(0, g_sp, &s));
	ck_assert_str_eq(s.lookup, "cache file hard-linked");
	ck_assert_int_eq(s.outcome, EPCACHE_WRITTEN); /* the name replaced, the other link intact */
	after = tu_read(other, &after_len);
	ck_assert(before_len == after_len && !memcmp(before, after, after_len));
	free(before), free(after), free(other), free(f);
}
END_TEST

START_TEST(planted_directory)
{
	char *f = cache_file_of(g_sp);

	tu_mkdir(getenv("XDG_CACHE_HOME"));
	tu_mkdir(g_cache);
	chmod(g_cache, 0700);
	tu_mkdir(f);
	expect_distrusted("cache file not a regular file");
	ck_assert_int_eq(rmdir(f), 0);
	free(f);
}
END_TEST

/* ---- the cache directory itself ---- */

/* Nothing is ever written through a planted link; reads need no trust in
 * the directory (files are checked one by one), writes do. */
START_TEST(cache_directory_symlink)
{
	char *elsewhere = tu_fmt("%s/elsewhere", g_dir);
	struct epcache_status s;

	tu_mkdir(getenv("XDG_CACHE_HOME"));
	tu_mkdir(elsewhere);
	chmod(elsewhere, 0700);
	ck_assert_int_eq(symlink(elsewhere, g_cache), 0);
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.lookup, "no cache file");
	ck_assert_str_eq(s.reason, "cannot create cache directory");
	ck_assert_int_eq(tu_count(elsewhere, ""), 0);
	free(elsewhere);
}
END_TEST

/* A directory left group-writable: what is in it is still checked file by
 * file (and ours here, so it answers), but nothing more is written there. */
START_TEST(cache_directory_group_writable)
{
	struct epcache_status s;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_int_eq(chmod(g_cache, 0770), 0);
	expect(0, g_sp, VIEW, EPCACHE_HIT);
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	s = expect(0, g_sp,
		   "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "c-1.dist-info\tg\tc\t1\n",
		   EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.lookup, "stale");
	ck_assert_str_eq(s.reason, "cache directory group or world writable");
	ck_assert_int_eq(tu_count(g_cache, ""), 1);
}
END_TEST

START_TEST(cache_directory_foreign)
{
	struct epcache_status s;

	if (!tu_is_root())
		TU_SKIP("needs root to chown a directory to uid 65534");
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_int_eq(chown(g_cache, 65534, 65534), 0);
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	s = expect(0, g_sp,
		   "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "c-1.dist-info\tg\tc\t1\n",
		   EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "cache directory not owned by you");
	ck_assert_int_eq(tu_count(g_cache, ""), 1);
}
END_TEST

START_TEST(cache_base_is_a_file)
{
	struct epcache_status s;

	tu_writes(getenv("XDG_CACHE_HOME"), "not a directory");
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "cannot create cache directory");
}
END_TEST

/* ---- environment (XDG rules) ---- */

START_TEST(xdg_rules)
{
	char *home = strdup(getenv("HOME"));
	struct epcache_status s;

	/* Empty and relative XDG_CACHE_HOME are ignored: $HOME/.cache is used. */
	setenv("XDG_CACHE_HOME", "", 1);
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert(exists(tu_fmt("%s/.cache/epcache", home)));
	setenv("XDG_CACHE_HOME", "relative/cache", 1);
	expect(0, g_sp, VIEW, EPCACHE_HIT);
	ck_assert(!exists("relative"));
	/* No usable HOME either: no cache, still an answer. */
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.lookup, "no cache directory");
	ck_assert_str_eq(s.reason, "no cache directory");
	setenv("HOME", "", 1);
	expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	setenv("HOME", "home", 1);
	expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	/* HOME a file. */
	setenv("HOME", tu_fmt("%s/a-1.0.dist-info/entry_points.txt", g_sp), 1);
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "cannot create cache directory");
	/* The cache_dir option overrides the environment. */
	struct epcache_options o = opts(0);
	o.cache_dir = tu_fmt("%s/override", g_dir);
	free(query_o(&o, g_sp, &s));
	ck_assert_int_eq(s.outcome, EPCACHE_WRITTEN);
	ck_assert(exists(tu_fmt("%s/override/epcache", g_dir)));
	free(home);
}
END_TEST

/* The base is created when missing, but not its missing parents: those would
 * lie outside the cache tree, which the cache must not touch. */
START_TEST(missing_base_is_created_0700)
{
	struct epcache_status s;
	struct stat st;

	setenv("XDG_CACHE_HOME", tu_fmt("%s/newcache", g_dir), 1);
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert_int_eq(stat(tu_fmt("%s/newcache", g_dir), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(tu_fmt("%s/newcache/epcache", g_dir), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	setenv("XDG_CACHE_HOME", tu_fmt("%s/x/y/z", g_dir), 1);
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "cannot create cache directory");
	ck_assert(!exists(tu_fmt("%s/x", g_dir)));
	setenv("XDG_CACHE_HOME", tu_fmt("%s/trailing/", g_dir), 1);
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	ck_assert(exists(tu_fmt("%s/trailing/epcache", g_dir)));
}
END_TEST

/* ---- privileges: the sudo rule ---- */

START_TEST(sudo_base_owned_by_user)
{
	char *base = getenv("XDG_CACHE_HOME");
	struct epcache_status s;

	if (!tu_is_root())
		TU_SKIP("needs root to act as a privileged user in another uid's tree");
	tu_mkdir(base);
	ck_assert_int_eq(chown(base, 65534, 65534), 0);
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "cache directory not owned by you");
	ck_assert_int_eq(tu_count(base, ""), 0);
}
END_TEST

START_TEST(sudo_missing_base_parent_owned_by_user)
{
	char *home = getenv("HOME");
	struct epcache_status s;

	if (!tu_is_root())
		TU_SKIP("needs root to act as a privileged user in another uid's tree");
	unsetenv("XDG_CACHE_HOME"); /* $HOME/.cache, missing; $HOME owned by the user */
	ck_assert_int_eq(chown(home, 65534, 65534), 0);
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "cache directory not owned by you");
	ck_assert_int_eq(tu_count(home, ""), 0);
	/* The user's own later run still caches. */
}
END_TEST

/* As uid 65534 in a tree it owns, with the epcache directory made 0500:
 * unwritable for real (root would write anyway). */
START_TEST(unwritable_cache_directory)
{
	pid_t pid;
	int st;

	if (!tu_is_root())
		TU_SKIP("needs root to become uid 65534 (root writes through 0500)");
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=1\n"); /* stale: a write is wanted */
	ck_assert_int_eq(tu_sh("chown -R 65534:65534 '%s' && chmod 0755 '%s' && chmod 0500 '%s'",
			       g_dir, g_dir, g_cache),
			 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct epcache_options o = opts(0);
		struct epcache_status s;
		struct epcache_view v;

		g_clk.now_ns = tu_realtime() + 10 * SEC;
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		epcache_view_init(&v);
		if (epcache_query(&o, g_sp, &v, &s) || v.count != 4)
			_exit(11);
		if (s.outcome != EPCACHE_NOT_CACHED ||
		    strcmp(s.reason, "cache directory not writable"))
			_exit(12);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-"), 0);
}
END_TEST

/* ---- tidiness ---- */

static void age(const char *path, int64_t seconds_ago)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = (time_t)(tu_realtime() / SEC - seconds_ago);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

START_TEST(stale_temporaries_swept_bounded)
{
	char *fresh, *foreign_dir;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	for (int i = 0; i < 20; i++) {
		char *t = tu_fmt("%s/.tmp-ep-0000000000000000-1-%016x", g_cache, i);

		tu_writes(t, "junk");
		age(t, 120);
		free(t);
	}
	fresh = tu_fmt("%s/.tmp-ep-0000000000000000-2-fresh", g_cache);
	tu_writes(fresh, "being written");
	foreign_dir = tu_fmt("%s/.tmp-a-directory", g_cache);
	tu_mkdir(foreign_dir);
	age(foreign_dir, 120);
	g_clk.now_ns = tu_realtime(); /* the sweep judges age by the injected clock */
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	free(query(0, g_sp, NULL)); /* a write: sweeps at most 8 */
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-ep-0000000000000000-1-"), 12);
	tu_dist(g_sp, "d-1.dist-info", "[g]\nd=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	free(query(0, g_sp, NULL));
	tu_dist(g_sp, "e-1.dist-info", "[g]\ne=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	free(query(0, g_sp, NULL));
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-ep-0000000000000000-1-"), 0);
	ck_assert(exists(fresh));	/* a live writer's temporary is kept */
	ck_assert(exists(foreign_dir)); /* not ours: kept */
	free(fresh);
	free(foreign_dir);
}
END_TEST

START_TEST(repeated_queries_do_not_grow)
{
	for (int i = 0; i < 20; i++) {
		free(query(0, g_sp, NULL));
		free(query(EPCACHE_DEEP, g_sp, NULL));
	}
	ck_assert_int_eq(tu_count(g_cache, ""), 1);
}
END_TEST

START_TEST(clear_removes_only_ours)
{
	char *planted = tu_fmt("%s/keep-me", g_cache),
	     *d = tu_fmt("%s/ep-00000000000000ff", g_cache);
	struct epcache_options o = opts(0);
	size_t removed;

	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	tu_writes(planted, "not ours");
	tu_mkdir(d);
	tu_writes(tu_fmt("%s/.tmp-x", g_cache), "x");
	ck_assert_int_eq(epcache_clear(&o, &removed), 0);
	ck_assert_uint_eq(removed, 2);
	ck_assert(exists(planted));
	ck_assert(exists(d));
	ck_assert_int_eq(tu_count(g_cache, ""), 2);
	unsetenv("HOME");
	unsetenv("XDG_CACHE_HOME");
	ck_assert_int_eq(epcache_clear(&o, &removed), 0); /* nothing to clear */
	free(planted);
	free(d);
}
END_TEST

/* ---- real filesystems that refuse: full, read-only ---- */

/* Mounts live below g_mntroot, made by the parent process: its unchecked
 * teardown unmounts them even when a test dies before its own teardown. */
static char *g_mntroot;
static char *g_mnt;

static void mounts_parent_setup(void)
{
	if (asprintf(&g_mntroot, "%s/epcache-mnt-XXXXXX", scratch_base()) < 0 ||
	    !mkdtemp(g_mntroot))
		abort();
}

static void mounts_parent_teardown(void)
{
	tu_umount_below(g_mntroot);
	tu_rmrf(g_mntroot);
	free(g_mntroot);
}

static void mount_setup(void)
{
	setup();
	g_mnt = NULL;
}

static void mount_teardown(void)
{
	if (g_mnt)
		tu_umount(g_mnt);
	teardown();
}

/* A filesystem mounted as the cache base; false when not root. */
static bool mount_base(const char *opts_str)
{
	if (!tu_is_root())
		return false;
	g_mnt = tu_fmt("%s/base-%ld", g_mntroot, (long)getpid());
	tu_mkdir(g_mnt);
	if (!tu_mount_tmpfs(g_mnt, opts_str)) {
		rmdir(g_mnt);
		free(g_mnt);
		g_mnt = NULL;
		return false;
	}
	chmod(g_mnt, 0700);
	setenv("XDG_CACHE_HOME", g_mnt, 1);
	free(g_cache);
	g_cache = tu_fmt("%s/epcache", g_mnt);
	return true;
}

START_TEST(full_filesystem)
{
	struct epcache_status s;
	char *filler, *want;

	if (!mount_base("size=64k,mode=0700"))
		TU_SKIP("needs root and tmpfs to mount a small filesystem");
	/* A view bigger than the whole filesystem: the write fails with ENOSPC. */
	for (int i = 0; i < 300; i++) {
		char name[64];

		snprintf(name, sizeof(name), "pkg-with-a-long-name-%03d-1.0.dist-info", i);
		tu_dist(g_sp, name,
			"[console_scripts]\nsome-command-name = some.module.path:main\n");
	}
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	tu_mkdir(g_cache);
	chmod(g_cache, 0700);
	filler = tu_fmt("%s/filler", g_mnt);
	tu_sh("dd if=/dev/zero of='%s' bs=4k count=100 2>/dev/null", filler);
	want = query(EPCACHE_NO_CACHE, g_sp, NULL);
	s = expect(0, g_sp, want, EPCACHE_NOT_CACHED);
	free(want);
	ck_assert_str_eq(s.reason, "cache directory full");
	ck_assert_int_eq(tu_count(g_cache, ""), 0); /* the temporary was removed */
	free(filler);
}
END_TEST

START_TEST(read_only_filesystem)
{
	struct epcache_status s;

	if (!mount_base("size=1m,mode=0700"))
		TU_SKIP("needs root and tmpfs to mount a read-only filesystem");
	expect(0, g_sp, VIEW, EPCACHE_WRITTEN);
	tu_dist(g_sp, "c-1.dist-info", "[g]\nc=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	ck_assert_int_eq(mount(NULL, g_mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	s = expect(0, g_sp,
		   "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "b-2.0.egg-info\tg\tb\t1\n"
		   "c-1.dist-info\tg\tc\t1\n",
		   EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.lookup, "stale");
	ck_assert_str_eq(s.reason, "cache directory read-only");
}
END_TEST

START_TEST(read_only_missing_cache_directory)
{
	struct epcache_status s;

	if (!mount_base("size=1m,mode=0700,ro"))
		TU_SKIP("needs root and tmpfs to mount a read-only filesystem");
	s = expect(0, g_sp, VIEW, EPCACHE_NOT_CACHED);
	ck_assert_str_eq(s.reason, "cannot create cache directory");
}
END_TEST

/* ---- threads ---- */

struct worker {
	const char *path;
	const char *want;
	int rounds;
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->rounds; i++) {
		struct epcache_options o = opts(i % 3 == 0 ? EPCACHE_DEEP : 0);
		struct epcache_status s;
		struct epcache_view v;

		epcache_view_init(&v);
		if (epcache_query(&o, w->path, &v, &s) || v.len != strlen(w->want) ||
		    (v.len && memcmp(v.text, w->want, v.len)))
			w->bad++;
		epcache_view_release(&v);
	}
	return NULL;
}

START_TEST(threads_at_once)
{
	char *other = tu_fmt("%s/other", g_dir), *empty = tu_fmt("%s/empty", g_dir);
	const char *other_view = "o-1.dist-info\tg\to\t1\n";
	struct worker w[8];
	pthread_t t[8];

	tu_mkdir(other);
	tu_mkdir(empty);
	tu_dist(other, "o-1.dist-info", "[g]\no=1\n");
	g_clk.now_ns = tu_realtime() + 10 * SEC;
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){i % 3 == 0   ? g_sp
				       : i % 3 == 1 ? other
						    : empty,
				       i % 3 == 0   ? VIEW
				       : i % 3 == 1 ? other_view
						    : "",
				       60, 0};
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].bad, 0);
	}
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-"), 0);
	ck_assert_int_eq(tu_count(g_cache, "ep-"), 3);
	free(other);
	free(empty);
}
END_TEST

/* ---- freshness under concurrent atomic changes ---- */

struct flipper {
	const char *sp;
	volatile int stop;
	int flips;
};

/* Renames a complete distribution in and out, as an atomic installer does. */
static void *flip(void *arg)
{
	struct flipper *f = arg;
	char *in = tu_fmt("%s/c-1.dist-info", f->sp), *out = tu_fmt("%s/../c-1.dist-info", f->sp);

	while (!f->stop) {
		rename(out, in);
		rename(in, out);
		f->flips++;
	}
	free(in);
	free(out);
	return NULL;
}

START_TEST(answers_one_state_under_renames)
{
	const char *with_c = "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
			     "b-2.0.egg-info\tg\tb\t1\n"
			     "b-2.0.egg-info\tg\tb\t1\n"
			     "c-1.dist-info\tg\tc\t1\n";
	struct flipper f = {g_sp, 0, 0};
	struct epcache_options o = opts(0);
	pthread_t t;
	int hits = 0;

	tu_dist(g_dir, "c-1.dist-info", "[g]\nc=1\n");
	o.clock = NULL; /* the real clock, and no window: cache whatever is stable */
	o.settle_ns = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, flip, &f), 0);
	for (int i = 0; i < 400; i++) {
		struct epcache_status s;
		char *v = query_o(&o, g_sp, &s);

		ck_assert_msg(!strcmp(v, VIEW) || !strcmp(v, with_c), "torn answer: %s", v);
		hits += s.outcome == EPCACHE_HIT;
		free(v);
	}
	f.stop = 1;
	pthread_join(t, NULL);
	ck_assert_int_eq(tu_count(g_cache, "\\.tmp-"), 0);
	fprintf(stderr, "answers_one_state_under_renames: %d flips, %d hits\n", f.flips, hits);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("epcache");
	TCase *tcs[8];
	const char *names[8] = {"basics",      "guard", "deep",	  "distrust",
				"environment", "tidy",	"mounts", "concurrency"};
	SRunner *sr;
	int failed;

	for (int i = 0; i < 8; i++) {
		tcs[i] = tcase_create(names[i]);
		tcase_set_timeout(tcs[i], 60);
		if (i == 6)
			tcase_add_unchecked_fixture(tcs[i], mounts_parent_setup,
						    mounts_parent_teardown);
		tcase_add_checked_fixture(tcs[i], i == 6 ? mount_setup : setup,
					  i == 6 ? mount_teardown : teardown);
		suite_add_tcase(s, tcs[i]);
	}
	tcase_add_test(tcs[0], miss_then_hit);
	tcase_add_test(tcs[0], files_and_directories_are_private);
	tcase_add_test(tcs[0], view_iteration);
	tcase_add_test(tcs[0], no_cache_flag_touches_nothing);
	tcase_add_test(tcs[0], empty_and_missing_entries);
	tcase_add_test(tcs[0], bad_arguments);
	tcase_add_test(tcs[0], stamp_changes_invalidate);
	tcase_add_test(tcs[0], repointed_symlink_entry);
	tcase_add_test(tcs[1], guard_too_new_is_served_not_written);
	tcase_add_test(tcs[1], guard_timestamp_ahead_of_clock);
	tcase_add_test(tcs[1], guard_ctime_counts_when_mtime_is_old);
	tcase_add_test(tcs[1], guard_uses_clock_from_before_the_scan);
	tcase_add_test(tcs[1], guard_covers_deep_records);
	tcase_add_test(tcs[2], deep_sees_in_place_edit);
	tcase_add_test(tcs[2], deep_sees_new_file_in_old_directory);
	tcase_add_test(tcs[2], deep_sees_repaired_broken_link);
	tcase_add_test(tcs[2], deep_needs_deep_file);
	tcase_add_loop_test(tcs[3], damaged_file_falls_back_and_is_replaced, 0, 9);
	tcase_add_test(tcs[3], other_path_is_a_miss);
	tcase_add_test(tcs[3], planted_file_is_believed_when_trusted);
	tcase_add_test(tcs[3], old_version_is_a_miss_and_rewritten);
	tcase_add_test(tcs[3], foreign_owner_not_trusted);
	tcase_add_loop_test(tcs[3], group_or_world_writable_not_trusted, 0, 2);
	tcase_add_test(tcs[3], symlink_not_followed_nor_written_through);
	tcase_add_test(tcs[3], fifo_does_not_block);
	tcase_add_test(tcs[3], hard_link_not_trusted_nor_written_through);
	tcase_add_test(tcs[3], planted_directory);
	tcase_add_test(tcs[3], cache_directory_symlink);
	tcase_add_test(tcs[3], cache_directory_group_writable);
	tcase_add_test(tcs[3], cache_directory_foreign);
	tcase_add_test(tcs[3], cache_base_is_a_file);
	tcase_add_test(tcs[4], xdg_rules);
	tcase_add_test(tcs[4], missing_base_is_created_0700);
	tcase_add_test(tcs[4], sudo_base_owned_by_user);
	tcase_add_test(tcs[4], sudo_missing_base_parent_owned_by_user);
	tcase_add_test(tcs[4], unwritable_cache_directory);
	tcase_add_test(tcs[5], stale_temporaries_swept_bounded);
	tcase_add_test(tcs[5], repeated_queries_do_not_grow);
	tcase_add_test(tcs[5], clear_removes_only_ours);
	tcase_add_test(tcs[6], full_filesystem);
	tcase_add_test(tcs[6], read_only_filesystem);
	tcase_add_test(tcs[6], read_only_missing_cache_directory);
	tcase_add_test(tcs[7], threads_at_once);
	tcase_add_test(tcs[7], answers_one_state_under_renames);
	tcase_add_test(tcs[7], second_look_only_while_too_new);
	tcase_add_test(tcs[7], second_look_always_at_strict_level);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
