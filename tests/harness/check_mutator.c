/* check_mutator.c: every mutation on a real sandbox, with a history set up
 * as harness/run.c prepare() does: the states each operation records (their
 * views are what the oracle sees, their windows are ordered), and each
 * operation's own promise (what is visible in between, mtimes, inodes,
 * links, what damage and the cache operations may and may not touch), the
 * seeded random choice, and the errors. */
#include "fixture.h"
#include "history.h"
#include "mutator.h"
#include "oracle.h"
#include "sandbox.h"
#include "treehash.h"
#include "view.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEED 11
#define NS   1000000000LL

/* ---- the world: sandbox, history, mutator ---- */

/* Two directory entries (d0 behind a symlink), a missing one and a file. */
static const struct fixture_spec spec = {
    .entries = 2, .dists = 6, .missing = 1, .files = 1, .symlinks = 1};

struct world {
	struct sandbox sb;
	struct history h;
	struct mutator m;
	char *cache; /* the cache root under the sandbox's modes */
};

static void world_make(struct world *w, const char *label, const struct fixture_spec *fx,
		       uint64_t seed)
{
	const char **paths;
	int rc;

	rc = sandbox_create(&w->sb, scratch, label);
	ck_assert_msg(rc == 0, "sandbox_create: %s", strerror(-rc));
	rc = sandbox_populate(&w->sb, fx, seed);
	ck_assert_msg(rc == 0, "sandbox_populate: %s", strerror(-rc));
	paths = calloc(w->sb.nentries, sizeof(*paths));
	ck_assert_ptr_nonnull(paths);
	for (size_t i = 0; i < w->sb.nentries; i++)
		paths[i] = w->sb.entries[i].path;
	ck_assert_int_eq(history_init(&w->h, w->sb.nentries, paths), 0);
	free(paths);
	rc = mutator_init(&w->m, &w->sb, &w->h, NULL, seed);
	ck_assert_msg(rc == 0, "mutator_init: %s", w->m.err);
	/* The first state of every entry, as prepare() records it. */
	for (size_t e = 0; e < w->sb.nentries; e++) {
		struct view v;

		view_init(&v);
		ck_assert_int_eq(oracle_scan(w->sb.entries[e].path, &v), 0);
		ck_assert_int_eq(history_begin(&w->h, e, clock_now_ns(), &v, "fixture"), 0);
		view_release(&v);
	}
	w->cache = sandbox_cache_root(&w->sb);
	ck_assert_ptr_nonnull(w->cache);
	ck_assert_int_eq(mutator_set_cache_root(&w->m, w->cache), 0);
}

static void world_free(struct world *w)
{
	mutator_release(&w->m);
	history_release(&w->h);
	ck_assert_int_eq(sandbox_release(&w->sb, false, false, false, NULL), 0);
	free(w->cache);
}

/* The path entry index of directory entry d. */
static size_t ent(const struct world *w, size_t d)
{
	return w->sb.dir_entry[d];
}

static struct step mkstep(enum step_kind kind, int entry)
{
	struct step st;

	memset(&st, 0, sizeof(st));
	st.kind = kind;
	st.entry = entry;
	st.style = STYLE_ATOMIC;
	st.home = st.xdg = ENV_KEEP;
	return st;
}

static void scan(const struct world *w, size_t e, struct view *v)
{
	view_init(v);
	ck_assert_int_eq(oracle_scan(w->sb.entries[e].path, v), 0);
}

static bool view_eq(const struct view *a, const struct view *b)
{
	return a->len == b->len && (a->len == 0 || !memcmp(a->text, b->text, a->len));
}

/* The lines of v whose D is dist (with keep) or is not (without), as text. */
static char *lines_of(const struct view *v, const char *dist, bool keep)
{
	char *s = NULL;
	size_t len = 0, dl = strlen(dist);
	FILE *f = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(f);
	for (const char *l = v->text; l && l < v->text + v->len;) {
		const char *nl = memchr(l, '\n', (size_t)(v->text + v->len - l));
		bool mine = !strncmp(l, dist, dl) && l[dl] == '\t';

		if (mine == keep)
			fwrite(l, 1, (size_t)(nl - l) + 1, f);
		l = nl + 1;
	}
	fclose(f);
	return s;
}

static size_t count_of(const struct view *v, const char *dist)
{
	char *s = lines_of(v, dist, true);
	size_t n = 0;

	for (const char *p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* The text of v as a string (views are not NUL-terminated). */
static char *text_of(const struct view *v)
{
	char *s = malloc(v->len + 1);

	ck_assert_ptr_nonnull(s);
	if (v->len)
		memcpy(s, v->text, v->len);
	s[v->len] = '\0';
	return s;
}

/* The states of every entry before an operation, to compare after it. */
struct mark {
	size_t n[16];
	int64_t t0;
	uint64_t ops;
};

static void mark_take(const struct world *w, struct mark *mk)
{
	ck_assert_uint_le(w->sb.nentries, 16);
	for (size_t e = 0; e < w->sb.nentries; e++)
		mk->n[e] = w->h.entries[e].nstates;
	mk->ops = w->m.ops;
	mk->t0 = clock_now_ns();
}

/* What every operation promises about the history: the new states of each
 * entry were made during the operation, each may be current from before
 * the call that made it until the call that replaced it (from <= the
 * previous state's until), consecutive states differ, and the last state
 * is exactly what the oracle sees now, for every entry. */
static void check_states(const struct world *w, const struct mark *mk)
{
	int64_t t1 = clock_now_ns();

	for (size_t e = 0; e < w->sb.nentries; e++) {
		const struct hentry *he = &w->h.entries[e];
		struct view now;

		ck_assert_uint_ge(he->nstates, mk->n[e]);
		for (size_t k = mk->n[e] ? mk->n[e] : 1; k < he->nstates; k++) {
			const struct hstate *prev = &he->states[k - 1], *s = &he->states[k];

			ck_assert_msg(s->from_ns >= mk->t0 && s->from_ns <= t1,
				      "entry %zu state %zu made outside the operation", e, k);
			ck_assert_msg(s->from_ns <= prev->until_ns,
				      "entry %zu state %zu: from after the previous state's until",
				      e, k);
			ck_assert_msg(prev->until_ns >= prev->from_ns && prev->until_ns <= t1,
				      "entry %zu state %zu: until outside the operation", e, k - 1);
			ck_assert(s->from_ns >= prev->from_ns);
			ck_assert_msg(!view_eq(&prev->view, &s->view),
				      "entry %zu state %zu repeats the previous view", e, k);
			ck_assert(s->label && s->label[0]);
		}
		ck_assert(he->states[he->nstates - 1].until_ns == HIST_FOREVER);
		scan(w, e, &now);
		ck_assert_msg(view_eq(&now, &he->states[he->nstates - 1].view),
			      "entry %zu: the last state is not what the oracle sees", e);
		view_release(&now);
	}
}

static void apply_ok(struct world *w, const struct step *st)
{
	struct mark mk;
	int rc;

	mark_take(w, &mk);
	rc = mutator_apply(&w->m, st);
	ck_assert_msg(rc == 0, "%s: %s", step_kind_name(st->kind), w->m.err);
	ck_assert_str_eq(w->m.err, "");
	ck_assert_uint_eq(w->m.ops, mk.ops + 1);
	check_states(w, &mk);
}

/* The new states of path entry e since mk. */
static size_t new_states(const struct world *w, const struct mark *mk, size_t e)
{
	return w->h.entries[e].nstates - mk->n[e];
}

static const struct hstate *state(const struct world *w, size_t e, size_t k)
{
	ck_assert_uint_lt(k, w->h.entries[e].nstates);
	return &w->h.entries[e].states[k];
}

static bool exists_in(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

static size_t dir_size(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* The model's distribution names of directory entry d, one string. */
static char *names_of(const struct world *w, size_t d)
{
	const struct mlist *l = &w->m.ents[d].dists;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s\n", l->v[i].dirname);
	fclose(f);
	return s;
}

/* The one name in the model of d that is not in old (a snapshot of it). */
static const char *added(const struct world *w, size_t d, const char *old)
{
	const struct mlist *l = &w->m.ents[d].dists;
	const char *found = NULL;

	for (size_t i = 0; i < l->n; i++) {
		char line[PATH_MAX];

		pathf(line, "%s\n", l->v[i].dirname);
		if (!strstr(old, line)) {
			ck_assert_msg(!found, "two distributions added: %s, %s", found,
				      l->v[i].dirname);
			found = l->v[i].dirname;
		}
	}
	return found;
}

static bool in_model(const struct world *w, size_t d, const char *name)
{
	const struct mlist *l = &w->m.ents[d].dists;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].dirname, name))
			return true;
	return false;
}

static struct timespec mtime_of(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	return st.st_mtim;
}

static bool ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* ---- the model ---- */

START_TEST(test_init)
{
	struct world w;

	world_make(&w, "init", &spec, SEED);
	/* The model is what the fixture put there. */
	for (size_t d = 0; d < w.sb.ndirs; d++) {
		const struct mlist *l = &w.m.ents[d].dists;
		const char *dir = w.sb.entries[ent(&w, d)].dir;

		ck_assert_uint_eq(l->n, (size_t)spec.dists);
		for (size_t i = 0; i < l->n; i++) {
			char p[PATH_MAX];

			ck_assert_msg(exists_in(dir, l->v[i].dirname), "%s not in %s",
				      l->v[i].dirname, dir);
			pathf(p, "%s/entry_points.txt", l->v[i].dirname);
			ck_assert_int_eq(exists_in(dir, p), l->v[i].has_ep);
			ck_assert_uint_eq(l->v[i].version, 0);
			ck_assert_uint_eq(l->v[i].edits, 0);
		}
		ck_assert(!w.m.ents[d].has_other);
	}
	ck_assert_int_eq(mutator_last_change(&w.m), 0);
	ck_assert_uint_eq(w.m.ops, 0);
	ck_assert_int_eq(w.m.window_ns, NS);
	world_free(&w);
}
END_TEST

/* ---- install, uninstall, upgrade ---- */

START_TEST(test_install_atomic)
{
	struct world w;
	struct mark mk;
	struct view v0, v1;

	world_make(&w, "install", &spec, SEED);
	/* On a plain directory entry and on the one behind a symlink. */
	for (size_t d = 0; d < 2; d++) {
		size_t e = ent(&w, d);
		struct step st = mkstep(STEP_INSTALL, (int)d);
		char *old = names_of(&w, d), *rest, *before;
		const char *name;

		scan(&w, e, &v0);
		mark_take(&w, &mk);
		apply_ok(&w, &st);
		/* Exactly one new state: all of it at once. */
		ck_assert_uint_eq(new_states(&w, &mk, e), 1);
		for (size_t o = 0; o < w.sb.nentries; o++)
			if (o != e)
				ck_assert_uint_eq(new_states(&w, &mk, o), 0);
		name = added(&w, d, old);
		ck_assert_ptr_nonnull(name);
		ck_assert(exists_in(w.sb.entries[e].dir, name));
		scan(&w, e, &v1);
		/* One more distribution, with entry points; nothing else moved. */
		ck_assert_uint_gt(count_of(&v1, name), 0);
		rest = lines_of(&v1, name, false);
		before = text_of(&v0);
		ck_assert_str_eq(rest, before);
		ck_assert_uint_eq(v1.nlines, v0.nlines + count_of(&v1, name));
		free(rest);
		free(before);
		free(old);
		view_release(&v0);
		view_release(&v1);
	}
	/* Nothing is left in the staging area. */
	ck_assert_uint_eq(dir_size(w.sb.stage), 0);
	ck_assert_int_gt(mutator_last_change(&w.m), 0);
	ck_assert_int_le(mutator_last_change(&w.m), clock_now_ns());
	world_free(&w);
}
END_TEST

struct bg_apply {
	struct world *w;
	const struct step *st;
	int rc;
	int done;
};

static void *bg_main(void *arg)
{
	struct bg_apply *b = arg;

	b->rc = mutator_apply(&b->w->m, b->st);
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

START_TEST(test_install_installer)
{
	struct world w;
	struct mark mk;
	struct view v0, v1, now;
	struct step st = mkstep(STEP_INSTALL, 1);
	struct fixture_dist fd;
	struct bg_apply bg = {.w = &w, .st = &st};
	pthread_t th;
	char dir[PATH_MAX], ep[PATH_MAX], *rest, *before;
	bool seen_dir = false, seen_empty = false;
	int64_t took;
	size_t e;

	world_make(&w, "installer", &spec, SEED);
	e = ent(&w, 1);
	st.style = STYLE_INSTALLER;
	/* The distribution it will install: the next index of the entry. */
	ck_assert_int_eq(fixture_dist_make(SEED, w.m.ents[1].next_index, 0, 1, &fd), 0);
	pathf(dir, "%s/%s", w.sb.entries[e].dir, fd.dirname);
	pathf(ep, "%s/entry_points.txt", dir);
	scan(&w, e, &v0);
	mark_take(&w, &mk);
	ck_assert_int_eq(pthread_create(&th, NULL, bg_main, &bg), 0);
	/* Watch from outside, as a reader would: the directory appears and
	 * for a while shows nothing at all. */
	while (!__atomic_load_n(&bg.done, __ATOMIC_SEQ_CST)) {
		struct stat sd, se;

		if (stat(dir, &sd) == 0) {
			seen_dir = true;
			scan(&w, e, &now);
			if (view_eq(&now, &v0) && (stat(ep, &se) < 0 || se.st_size == 0))
				seen_empty = true;
			view_release(&now);
		}
		sleep_ms(2);
	}
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	took = clock_now_ns() - mk.t0;
	ck_assert_msg(bg.rc == 0, "installer install: %s", w.m.err);
	ck_assert(seen_dir);
	ck_assert_msg(seen_empty, "never saw the directory showing nothing");
	check_states(&w, &mk);
	/* Then its entry points, the rest unchanged. */
	scan(&w, e, &v1);
	ck_assert_uint_gt(count_of(&v1, fd.dirname), 0);
	rest = lines_of(&v1, fd.dirname, false);
	before = text_of(&v0);
	ck_assert_str_eq(rest, before);
	free(rest);
	free(before);
	/* Every file of the distribution, whole. */
	for (size_t i = 0; i < fd.nfiles; i++) {
		char p[PATH_MAX];
		struct stat sf;

		pathf(p, "%s/%s", dir, fd.files[i].name);
		ck_assert_msg(stat(p, &sf) == 0, "%s missing", p);
		ck_assert_int_eq(sf.st_size, (off_t)fd.files[i].len);
	}
	/* Spread over the install window, and done within it: the last
	 * file is due at 8/10 of the window times n/(n+1). */
	ck_assert_msg(took >= w.m.window_ns / 2 && took < w.m.window_ns + w.m.window_ns / 4,
		      "installer install took %.3f s", (double)took / 1e9);
	/* The entry points appeared well after the directory did. */
	ck_assert_uint_ge(new_states(&w, &mk, e), 1);
	ck_assert_int_ge(state(&w, e, mk.n[e])->from_ns,
			 mk.t0 + w.m.window_ns * 8 / 10 / (int64_t)(fd.nfiles + 1));
	ck_assert_int_le(state(&w, e, w.h.entries[e].nstates - 1)->from_ns, mk.t0 + w.m.window_ns);
	fixture_dist_release(&fd);
	view_release(&v0);
	view_release(&v1);
	world_free(&w);
}
END_TEST

START_TEST(test_uninstall)
{
	static const enum install_style styles[] = {STYLE_ATOMIC, STYLE_INSTALLER};
	struct world w;
	struct step ins = mkstep(STEP_INSTALL, 1);
	size_t e;

	world_make(&w, "uninstall", &spec, SEED);
	e = ent(&w, 1);
	/* Distributions with entry points to remove, so removal shows. */
	apply_ok(&w, &ins);
	apply_ok(&w, &ins);
	for (size_t k = 0; k < 2; k++) {
		struct step st = mkstep(STEP_UNINSTALL, 1);
		struct view v0, v1;
		struct mark mk;
		char *old = names_of(&w, 1), *want, *got, gone[PATH_MAX] = "";

		st.style = styles[k];
		scan(&w, e, &v0);
		mark_take(&w, &mk);
		apply_ok(&w, &st);
		/* Exactly one distribution left the model and the directory. */
		for (const char *p = old; *p;) {
			const char *nl = strchr(p, '\n');
			char name[PATH_MAX];

			pathf(name, "%.*s", (int)(nl - p), p);
			if (!in_model(&w, 1, name)) {
				ck_assert_msg(!gone[0], "two removed: %s, %s", gone, name);
				pathf(gone, "%s", name);
			}
			p = nl + 1;
		}
		ck_assert_str_ne(gone, "");
		ck_assert(!exists_in(w.sb.entries[e].dir, gone));
		ck_assert_uint_eq(w.m.ents[1].dists.n, (size_t)spec.dists + 1 - k);
		/* It had entry points (those are preferred), and exactly its
		 * lines went, in one visible step. */
		ck_assert_uint_gt(count_of(&v0, gone), 0);
		scan(&w, e, &v1);
		want = lines_of(&v0, gone, false);
		got = text_of(&v1);
		ck_assert_str_eq(got, want);
		ck_assert_uint_eq(new_states(&w, &mk, e), 1);
		free(got);
		free(want);
		free(old);
		view_release(&v0);
		view_release(&v1);
	}
	ck_assert_uint_eq(dir_size(w.sb.stage), 0);
	world_free(&w);
}
END_TEST

START_TEST(test_uninstall_empty)
{
	struct world w;
	struct step st = mkstep(STEP_UNINSTALL, 1);
	struct fixture_spec small = spec;

	/* With nothing left to remove, the step installs: the scenario goes on. */
	small.dists = 2;
	world_make(&w, "unempty", &small, SEED);
	while (w.m.ents[1].dists.n)
		apply_ok(&w, &st);
	ck_assert_uint_eq(count_dists(w.sb.entries[ent(&w, 1)].dir), 0);
	apply_ok(&w, &st);
	ck_assert_uint_eq(w.m.ents[1].dists.n, 1);
	world_free(&w);
}
END_TEST

START_TEST(test_upgrade)
{
	struct world w;
	struct step ins = mkstep(STEP_INSTALL, 1), st = mkstep(STEP_UPGRADE, 1);
	struct mark mk;
	char *old;
	const char *newname;
	char oldname[PATH_MAX] = "";
	bool both = false;
	size_t e;

	world_make(&w, "upgrade", &spec, SEED);
	e = ent(&w, 1);
	apply_ok(&w, &ins);
	old = names_of(&w, 1);
	mark_take(&w, &mk);
	apply_ok(&w, &st);
	newname = added(&w, 1, old);
	ck_assert_ptr_nonnull(newname);
	/* The old version left: the one name of old no longer in the model. */
	for (const char *p = old; *p;) {
		const char *nl = strchr(p, '\n');
		char name[PATH_MAX];

		pathf(name, "%.*s", (int)(nl - p), p);
		if (!in_model(&w, 1, name)) {
			ck_assert_str_eq(oldname, "");
			pathf(oldname, "%s", name);
		}
		p = nl + 1;
	}
	ck_assert_str_ne(oldname, "");
	ck_assert(!exists_in(w.sb.entries[e].dir, oldname));
	ck_assert(exists_in(w.sb.entries[e].dir, newname));
	/* The same project at its next version. */
	{
		const struct mlist *l = &w.m.ents[1].dists;

		for (size_t i = 0; i < l->n; i++)
			if (!strcmp(l->v[i].dirname, newname))
				ck_assert_uint_eq(l->v[i].version, 1);
	}
	/* In between, a reader may see both versions: a state says so. */
	for (size_t k = mk.n[e]; k < w.h.entries[e].nstates; k++) {
		const struct view *v = &state(&w, e, k)->view;

		if (count_of(v, oldname) && count_of(v, newname)) {
			both = true;
			ck_assert_uint_lt(k, w.h.entries[e].nstates - 1);
		}
	}
	ck_assert_msg(both, "no state with both %s and %s", oldname, newname);
	ck_assert_uint_eq(count_of(&state(&w, e, w.h.entries[e].nstates - 1)->view, oldname), 0);
	free(old);
	world_free(&w);
}
END_TEST

/* ---- timestamps ---- */

START_TEST(test_branch_switch)
{
	struct world w;
	struct step st = mkstep(STEP_BRANCH_SWITCH, 1);
	struct view v0, v1, v;
	struct timespec m0, m1;
	const char *dir;
	size_t e;

	world_make(&w, "branch", &spec, SEED);
	e = ent(&w, 1);
	dir = w.sb.entries[e].dir;
	scan(&w, e, &v0);
	m0 = mtime_of(dir);
	apply_ok(&w, &st);
	/* The other branch: different content, an EARLIER mtime. */
	m1 = mtime_of(dir);
	scan(&w, e, &v1);
	ck_assert(!view_eq(&v0, &v1));
	ck_assert_msg(m1.tv_sec < m0.tv_sec, "mtime %lld not before %lld", (long long)m1.tv_sec,
		      (long long)m0.tv_sec);
	ck_assert(w.m.ents[1].has_other);
	/* And back: the first branch's content and its exact mtime. */
	apply_ok(&w, &st);
	scan(&w, e, &v);
	ck_assert(view_eq(&v, &v0));
	ck_assert(ts_eq(mtime_of(dir), m0));
	view_release(&v);
	/* Again: the second branch as it was. */
	apply_ok(&w, &st);
	scan(&w, e, &v);
	ck_assert(view_eq(&v, &v1));
	ck_assert(ts_eq(mtime_of(dir), m1));
	view_release(&v);
	view_release(&v0);
	view_release(&v1);
	world_free(&w);
}
END_TEST

START_TEST(test_branch_switch_after_uninstall)
{
	struct world w;
	struct step sw = mkstep(STEP_BRANCH_SWITCH, 1), un = mkstep(STEP_UNINSTALL, 1);
	struct view v0, v;
	struct timespec m0;
	size_t e, shared = 0;
	const struct mentry *me;

	world_make(&w, "branchun", &spec, SEED);
	e = ent(&w, 1);
	scan(&w, e, &v0);
	m0 = mtime_of(w.sb.entries[e].dir);
	apply_ok(&w, &sw);
	/* Distributions both branches have: this seed must give some, or the
	 * test shows nothing. */
	me = &w.m.ents[1];
	for (size_t i = 0; i < me->dists.n; i++)
		for (size_t j = 0; j < me->other.n; j++)
			shared += !strcmp(me->dists.v[i].dirname, me->other.v[j].dirname);
	ck_assert_uint_gt(shared, 0);
	/* This branch drops everything, the shared ones included... */
	while (w.m.ents[1].dists.n)
		apply_ok(&w, &un);
	/* ...and switching back brings the first branch back whole. */
	apply_ok(&w, &sw);
	scan(&w, e, &v);
	ck_assert(view_eq(&v, &v0));
	ck_assert(ts_eq(mtime_of(w.sb.entries[e].dir), m0));
	view_release(&v);
	view_release(&v0);
	world_free(&w);
}
END_TEST

START_TEST(test_branch_switch_after_upgrade)
{
	struct world w;
	struct step sw = mkstep(STEP_BRANCH_SWITCH, 1), up = mkstep(STEP_UPGRADE, 1);
	struct view v0, v;
	size_t e;

	world_make(&w, "branchup", &spec, SEED);
	e = ent(&w, 1);
	scan(&w, e, &v0);
	apply_ok(&w, &sw);
	for (int i = 0; i < 8; i++)
		apply_ok(&w, &up);
	apply_ok(&w, &sw);
	scan(&w, e, &v);
	ck_assert(view_eq(&v, &v0));
	view_release(&v);
	view_release(&v0);
	world_free(&w);
}
END_TEST

START_TEST(test_mtime_restore)
{
	struct world w;
	struct step ins = mkstep(STEP_INSTALL, 1), st = mkstep(STEP_MTIME_RESTORE, 1);
	struct view v0, v1;
	struct stat s0, s1;
	char *names0, *names1;
	size_t e;

	world_make(&w, "mtime", &spec, SEED);
	e = ent(&w, 1);
	apply_ok(&w, &ins);
	/* The ctime clock is coarse (a jiffy): make sure it moves. */
	sleep_ms(20);
	for (int round = 0; round < 3; round++) {
		scan(&w, e, &v0);
		names0 = names_of(&w, 1);
		ck_assert(stat(w.sb.entries[e].dir, &s0) == 0);
		apply_ok(&w, &st);
		ck_assert(stat(w.sb.entries[e].dir, &s1) == 0);
		scan(&w, e, &v1);
		names1 = names_of(&w, 1);
		/* Same mtime to the nanosecond, other content, other ctime. */
		ck_assert(ts_eq(s1.st_mtim, s0.st_mtim));
		ck_assert(!ts_eq(s1.st_ctim, s0.st_ctim));
		ck_assert_str_ne(names0, names1);
		ck_assert(!view_eq(&v0, &v1));
		free(names0);
		free(names1);
		view_release(&v0);
		view_release(&v1);
		sleep_ms(10);
	}
	world_free(&w);
}
END_TEST

START_TEST(test_future_entry)
{
	static const long offsets[] = {3600, -86400, 1000000};
	struct world w;
	size_t e;

	world_make(&w, "future", &spec, SEED);
	e = ent(&w, 1);
	for (size_t i = 0; i < 3; i++) {
		struct step st = mkstep(STEP_FUTURE_MTIME, 1);
		struct timespec now, mt;
		struct view v0, v1;

		st.target = FUTURE_ENTRY;
		st.offset_s = offsets[i];
		scan(&w, e, &v0);
		apply_ok(&w, &st);
		clock_gettime(CLOCK_REALTIME, &now);
		mt = mtime_of(w.sb.entries[e].dir);
		ck_assert_msg(llabs((long long)(mt.tv_sec - (now.tv_sec + offsets[i]))) <= 5,
			      "offset %ld: mtime %lld, now %lld", offsets[i], (long long)mt.tv_sec,
			      (long long)now.tv_sec);
		/* It changed the content first (a new distribution). */
		scan(&w, e, &v1);
		ck_assert_uint_gt(v1.nlines, v0.nlines);
		view_release(&v0);
		view_release(&v1);
	}
	world_free(&w);
}
END_TEST

/* ---- relocation ---- */

START_TEST(test_relocate_rename)
{
	struct world w;
	struct step st = mkstep(STEP_RELOCATE, 1);
	struct stat s0, s1;
	struct view v0, v1;
	char *old, *rest, *before;
	const char *name;
	size_t e;

	world_make(&w, "rename", &spec, SEED);
	e = ent(&w, 1);
	st.how = RELOCATE_RENAME;
	ck_assert(stat(w.sb.entries[e].dir, &s0) == 0);
	scan(&w, e, &v0);
	old = names_of(&w, 1);
	apply_ok(&w, &st);
	ck_assert(stat(w.sb.entries[e].dir, &s1) == 0);
	/* Another directory in its place, the same mtime. */
	ck_assert_uint_ne(s1.st_ino, s0.st_ino);
	ck_assert(ts_eq(s1.st_mtim, s0.st_mtim));
	/* The same distributions and one more. */
	name = added(&w, 1, old);
	ck_assert_ptr_nonnull(name);
	scan(&w, e, &v1);
	rest = lines_of(&v1, name, false);
	before = text_of(&v0);
	ck_assert_str_eq(rest, before);
	ck_assert_uint_gt(count_of(&v1, name), 0);
	/* The old directory went away. */
	ck_assert_uint_eq(dir_size(w.sb.stage), 0);
	free(rest);
	free(before);
	free(old);
	view_release(&v0);
	view_release(&v1);

	/* The entry behind a symlink is renamed the same way: the link
	 * stays, its directory is replaced. */
	e = ent(&w, 0);
	st.entry = 0;
	ck_assert(stat(w.sb.entries[e].dir, &s0) == 0);
	apply_ok(&w, &st);
	ck_assert(stat(w.sb.entries[e].dir, &s1) == 0);
	ck_assert_uint_ne(s1.st_ino, s0.st_ino);
	ck_assert(ts_eq(s1.st_mtim, s0.st_mtim));
	world_free(&w);
}
END_TEST

START_TEST(test_relocate_symlink)
{
	struct world w;
	struct step st = mkstep(STEP_RELOCATE, 0);
	struct timespec m0;
	struct view v0, v1;
	char t0[PATH_MAX], t1[PATH_MAX], *old;
	const char *name;
	ssize_t n;
	size_t e;

	world_make(&w, "symlink", &spec, SEED);
	e = ent(&w, 0);
	ck_assert_int_eq(w.sb.entries[e].kind, ENTRY_LINK);
	st.how = RELOCATE_SYMLINK;
	n = readlink(w.sb.entries[e].path, t0, sizeof(t0) - 1);
	ck_assert_int_gt(n, 0);
	t0[n] = '\0';
	m0 = mtime_of(w.sb.entries[e].path);
	scan(&w, e, &v0);
	old = names_of(&w, 0);
	apply_ok(&w, &st);
	/* Re-pointed at a new directory with the same mtime. */
	n = readlink(w.sb.entries[e].path, t1, sizeof(t1) - 1);
	ck_assert_int_gt(n, 0);
	t1[n] = '\0';
	ck_assert_str_ne(t1, t0);
	ck_assert_str_eq(t1, w.sb.entries[e].dir);
	ck_assert(ts_eq(mtime_of(t1), m0));
	name = added(&w, 0, old);
	ck_assert_ptr_nonnull(name);
	scan(&w, e, &v1);
	ck_assert_uint_gt(count_of(&v1, name), 0);
	ck_assert_uint_eq(v1.nlines, v0.nlines + count_of(&v1, name));
	/* No temporary link left beside it. */
	{
		DIR *d = opendir(w.sb.site);
		struct dirent *de;

		while ((de = readdir(d)))
			ck_assert_msg(strncmp(de->d_name, ".link", 5), "left %s", de->d_name);
		closedir(d);
	}
	free(old);
	view_release(&v0);
	view_release(&v1);

	/* From the seed, only the symlinked entry can be chosen. */
	st.entry = -1;
	for (int i = 0; i < 3; i++) {
		struct mark mk;

		mark_take(&w, &mk);
		apply_ok(&w, &st);
		ck_assert_uint_eq(new_states(&w, &mk, e), 1);
		ck_assert_uint_eq(new_states(&w, &mk, ent(&w, 1)), 0);
	}
	world_free(&w);
}
END_TEST

/* ---- in-place edit ---- */

START_TEST(test_edit)
{
	struct world w;
	struct step ins = mkstep(STEP_INSTALL, 1), st = mkstep(STEP_EDIT, 1);
	struct mark mk;
	struct view v0;
	struct timespec m0;
	const struct mdist *edited = NULL;
	unsigned edits[64] = {0};
	char *before, *after, *rest0, *rest1, dist[PATH_MAX];
	size_t e;

	world_make(&w, "edit", &spec, SEED);
	e = ent(&w, 1);
	apply_ok(&w, &ins);
	ck_assert_uint_le(w.m.ents[1].dists.n, 64);
	for (size_t i = 0; i < w.m.ents[1].dists.n; i++)
		edits[i] = w.m.ents[1].dists.v[i].edits;
	scan(&w, e, &v0);
	m0 = mtime_of(w.sb.entries[e].dir);
	mark_take(&w, &mk);
	apply_ok(&w, &st);
	for (size_t i = 0; i < w.m.ents[1].dists.n; i++)
		if (w.m.ents[1].dists.v[i].edits != edits[i]) {
			ck_assert_ptr_null(edited);
			edited = &w.m.ents[1].dists.v[i];
		}
	ck_assert_ptr_nonnull(edited);
	ck_assert_uint_eq(edited->edits, 1);
	pathf(dist, "%s", edited->dirname);
	/* First a state where it shows nothing (truncated)... */
	ck_assert_uint_ge(new_states(&w, &mk, e), 2);
	{
		char *got = text_of(&state(&w, e, mk.n[e])->view);
		char *want = lines_of(&v0, dist, false);

		ck_assert_str_eq(got, want);
		free(got);
		free(want);
	}
	/* ...then new content, everything else as it was... */
	before = lines_of(&v0, dist, true);
	after = lines_of(&state(&w, e, w.h.entries[e].nstates - 1)->view, dist, true);
	ck_assert_str_ne(after, "");
	ck_assert_str_ne(before, after);
	rest0 = lines_of(&v0, dist, false);
	rest1 = lines_of(&state(&w, e, w.h.entries[e].nstates - 1)->view, dist, false);
	ck_assert_str_eq(rest0, rest1);
	/* ...and no stamp of the path entry moved. */
	ck_assert(ts_eq(mtime_of(w.sb.entries[e].dir), m0));
	free(before);
	free(after);
	free(rest0);
	free(rest1);
	/* More edits: each gives new content, and neither the entry's mtime
	 * nor any metadata directory's moves (in place means in place). */
	{
		const struct mlist *l = &w.m.ents[1].dists;
		struct timespec dm[64];
		char p[PATH_MAX];

		for (size_t i = 0; i < l->n; i++) {
			pathf(p, "%s/%s", w.sb.entries[e].dir, l->v[i].dirname);
			dm[i] = mtime_of(p);
		}
		for (int k = 0; k < 3; k++) {
			mark_take(&w, &mk);
			apply_ok(&w, &st);
			ck_assert_uint_ge(new_states(&w, &mk, e), 2);
		}
		for (size_t i = 0; i < l->n; i++) {
			pathf(p, "%s/%s", w.sb.entries[e].dir, l->v[i].dirname);
			ck_assert(ts_eq(mtime_of(p), dm[i]));
		}
		ck_assert(ts_eq(mtime_of(w.sb.entries[e].dir), m0));
	}
	view_release(&v0);
	world_free(&w);
}
END_TEST

START_TEST(test_edit_nothing_to_edit)
{
	struct world w;
	struct step un = mkstep(STEP_UNINSTALL, 1), st = mkstep(STEP_EDIT, 1);
	struct fixture_spec small = spec;
	struct mark mk;

	small.dists = 2;
	world_make(&w, "noedit", &small, SEED);
	while (w.m.ents[1].dists.n)
		apply_ok(&w, &un);
	mark_take(&w, &mk);
	ck_assert_int_eq(mutator_apply(&w.m, &st), -ENOENT);
	ck_assert_ptr_nonnull(strstr(w.m.err, "no distribution with entry points"));
	ck_assert_uint_eq(w.m.ops, mk.ops + 1);
	for (size_t i = 0; i < w.sb.nentries; i++)
		ck_assert_uint_eq(new_states(&w, &mk, i), 0);
	world_free(&w);
}
END_TEST

/* ---- the cache tree ---- */

/* What the tests plant in the cache tree, as an implementation would. */
struct planted {
	const char *rel;
	size_t len;
};

static const struct planted planted[] = {
    {"ep/a.cache", 300},
    {"ep/sub/b.cache", 5000},
    {"top.cache", 100},
    {"empty.cache", 0},
};
#define NPLANTED (sizeof(planted) / sizeof(*planted))

static void content_of(size_t k, char *buf)
{
	for (size_t i = 0; i < planted[k].len; i++)
		buf[i] = (char)('a' + (i * 7 + k) % 26);
}

static void plant(struct world *w)
{
	char p[PATH_MAX], q[PATH_MAX], buf[8192];

	pathf(p, "%s/ep", w->cache);
	ck_assert(mkdir(p, 0755) == 0);
	pathf(p, "%s/ep/sub", w->cache);
	ck_assert(mkdir(p, 0755) == 0);
	for (size_t k = 0; k < NPLANTED; k++) {
		int fd;

		pathf(p, "%s/%s", w->cache, planted[k].rel);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ck_assert_int_ge(fd, 0);
		content_of(k, buf);
		ck_assert(write(fd, buf, planted[k].len) == (ssize_t)planted[k].len);
		close(fd);
	}
	/* A hard link to a decoy, as damage plants one: never written through. */
	pathf(p, "%s/decoy5", w->sb.decoy);
	pathf(q, "%s/decoylink", w->cache);
	ck_assert(link(p, q) == 0);
}

static size_t read_all(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, cap);
	close(fd);
	ck_assert_int_ge(n, 0);
	return (size_t)n;
}

/* The decoys, bystanders and the planted decoy link: what nothing the
 * mutator does to a cache may change. */
struct untouchable {
	struct tree_snap decoys, home;
};

static bool bystanders_only(void *ctx, const char *rel)
{
	(void)ctx;
	/* Under home/: keep .cache and the bystanders, skip the rest. */
	return strcmp(rel, ".cache") && strncmp(rel, ".cache/bystander", 16) &&
	       strcmp(rel, ".cache/.bystander");
}

static void untouchable_take(const struct world *w, struct untouchable *u)
{
	ck_assert_int_eq(tree_snap_take(w->sb.decoy, NULL, NULL, &u->decoys), 0);
	ck_assert_int_eq(tree_snap_take(w->sb.home, bystanders_only, NULL, &u->home), 0);
	ck_assert_uint_eq(u->decoys.n, 16);
	ck_assert_uint_eq(u->home.n, 4);
}

/* Decoys and bystanders exactly as they were (the cache root itself may
 * change, the caller says: skip_root). */
static void untouchable_check(const struct world *w, struct untouchable *u, bool skip_root)
{
	struct untouchable now;
	struct tree_change *c;
	size_t n;

	untouchable_take(w, &now);
	ck_assert_int_eq(tree_snap_diff(&u->decoys, &now.decoys, &c, &n), 0);
	ck_assert_msg(n == 0, "decoy %s %s", n ? c[0].rel : "", n ? c[0].what : "");
	tree_changes_free(c, n);
	ck_assert_int_eq(tree_snap_diff(&u->home, &now.home, &c, &n), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(skip_root && !strcmp(c[i].rel, ".cache"), "bystander %s %s", c[i].rel,
			      c[i].what);
	tree_changes_free(c, n);
	for (size_t i = 0; i < 16; i++) {
		char p[PATH_MAX], buf[128], want[128];
		size_t len;

		pathf(p, "%s/decoy%zu", w->sb.decoy, i);
		len = read_all(p, buf, sizeof(buf) - 1);
		buf[len] = '\0';
		snprintf(want, sizeof(want), "decoy %zu: must never change\n", i);
		ck_assert_str_eq(buf, want);
	}
	tree_snap_release(&now.decoys);
	tree_snap_release(&now.home);
	tree_snap_release(&u->decoys);
	tree_snap_release(&u->home);
}

static ino_t decoy_ino(const struct world *w, size_t i)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, "%s/decoy%zu", w->sb.decoy, i);
	ck_assert(stat(p, &st) == 0);
	return st.st_ino;
}

/* Which damage file k shows, or -1 when it shows none. */
static int damage_seen(const struct world *w, size_t k)
{
	char p[PATH_MAX], was[8192], now[16384];
	struct stat st;
	size_t len, flipped = 0;

	pathf(p, "%s/%s", w->cache, planted[k].rel);
	ck_assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	for (size_t i = 0; i < 16; i++)
		if (st.st_ino == decoy_ino(w, i))
			return DAMAGE_HARDLINK;
	ck_assert_uint_eq(st.st_nlink, 1);
	content_of(k, was);
	len = read_all(p, now, sizeof(now));
	if (len < planted[k].len && !memcmp(now, was, len))
		return DAMAGE_TRUNCATE;
	if (len == planted[k].len && len) {
		bool zero = true;

		for (size_t i = 0; i < len; i++) {
			zero &= now[i] == 0;
			flipped += (size_t)__builtin_popcount((unsigned char)(now[i] ^ was[i]));
		}
		if (zero)
			return DAMAGE_ZERO;
		if (flipped == 1)
			return DAMAGE_BITFLIP;
	}
	if (len != planted[k].len || memcmp(now, was, len))
		return DAMAGE_GARBAGE;
	return -1;
}

START_TEST(test_damage)
{
	const enum damage_kind kind = (enum damage_kind)_i;
	struct world w;
	struct step st = mkstep(STEP_DAMAGE, 0);
	struct untouchable u;
	struct fixture_spec small = spec;
	struct mark mk;
	char p[PATH_MAX];
	struct stat st5;

	small.dists = 1;
	world_make(&w, "damage", &small, SEED + (uint64_t)_i);
	plant(&w);
	untouchable_take(&w, &u);
	st.damage = kind;
	mark_take(&w, &mk);
	apply_ok(&w, &st);
	/* Damage is the cache's business, not the path entries'. */
	for (size_t e = 0; e < w.sb.nentries; e++)
		ck_assert_uint_eq(new_states(&w, &mk, e), 0);
	for (size_t k = 0; k < NPLANTED; k++) {
		int seen = damage_seen(&w, k);

		if (planted[k].len == 0 && kind != DAMAGE_GARBAGE && kind != DAMAGE_HARDLINK &&
		    kind != DAMAGE_MIXED) {
			/* Nothing to truncate, zero or flip in an empty file. */
			ck_assert_int_eq(seen, -1);
			continue;
		}
		if (kind == DAMAGE_MIXED) {
			ck_assert_msg(seen >= 0 || planted[k].len == 0, "%s undamaged",
				      planted[k].rel);
			continue;
		}
		ck_assert_msg(seen == (int)kind, "%s: damage %d seen as %d", planted[k].rel, kind,
			      seen);
	}
	/* The planted decoy link was never written through, nor replaced. */
	pathf(p, "%s/decoylink", w.cache);
	ck_assert(lstat(p, &st5) == 0);
	ck_assert_uint_eq(st5.st_ino, decoy_ino(&w, 5));
	untouchable_check(&w, &u, false);
	/* Again: what hard-link damage left is a decoy now, and is spared. */
	untouchable_take(&w, &u);
	apply_ok(&w, &st);
	untouchable_check(&w, &u, false);
	world_free(&w);
}
END_TEST

START_TEST(test_chmod_cache)
{
	static const unsigned modes[] = {0555, 0, 0750};
	struct world w;
	struct fixture_spec small = spec;
	struct untouchable u;

	small.dists = 1;
	world_make(&w, "chmod", &small, SEED);
	plant(&w);
	for (size_t i = 0; i < 3; i++) {
		struct step st = mkstep(STEP_CHMOD_CACHE, 0);
		static const char *const dirs[] = {"", "/ep", "/ep/sub"};
		char p[PATH_MAX];
		struct stat s;

		st.mode = modes[i];
		untouchable_take(&w, &u);
		apply_ok(&w, &st);
		/* Every directory of the cache tree, the root too... */
		for (size_t k = 0; k < 3; k++) {
			pathf(p, "%s%s", w.cache, dirs[k]);
			ck_assert(stat(p, &s) == 0);
			ck_assert_uint_eq(s.st_mode & 07777, modes[i]);
		}
		/* ...files untouched, the bystanders' directory too. */
		pathf(p, "%s/top.cache", w.cache);
		ck_assert(stat(p, &s) == 0);
		ck_assert_uint_eq(s.st_mode & 07777, 0644);
		pathf(p, "%s/bystander", w.cache);
		ck_assert(stat(p, &s) == 0);
		ck_assert_uint_eq(s.st_mode & 07777, 0700);
		untouchable_check(&w, &u, true);
	}
	world_free(&w);
}
END_TEST

START_TEST(test_future_cache)
{
	struct world w;
	struct fixture_spec small = spec;
	struct step st = mkstep(STEP_FUTURE_MTIME, 0);
	struct untouchable u;
	struct timespec now;
	struct mark mk;
	static const char *const paths[] = {
	    "", "/ep", "/ep/sub", "/ep/a.cache", "/ep/sub/b.cache", "/top.cache", "/empty.cache"};
	char p[PATH_MAX];

	small.dists = 1;
	world_make(&w, "futurecache", &small, SEED);
	plant(&w); /* decoylink: a decoy damage linked in, not the cache's */
	untouchable_take(&w, &u);
	st.target = FUTURE_CACHE;
	st.offset_s = 7200;
	mark_take(&w, &mk);
	apply_ok(&w, &st);
	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t e = 0; e < w.sb.nentries; e++)
		ck_assert_uint_eq(new_states(&w, &mk, e), 0);
	/* Everything of the implementation's, directories too, is set ahead... */
	for (size_t k = 0; k < sizeof(paths) / sizeof(*paths); k++) {
		struct stat s;

		pathf(p, "%s%s", w.cache, paths[k]);
		ck_assert(lstat(p, &s) == 0);
		ck_assert_msg(llabs((long long)(s.st_mtim.tv_sec - now.tv_sec - 7200)) <= 5,
			      "%s: mtime %lld, want about %lld", p, (long long)s.st_mtim.tv_sec,
			      (long long)now.tv_sec + 7200);
	}
	/* ...and no decoy, no bystander changed, not even its mtime. */
	untouchable_check(&w, &u, true);
	world_free(&w);
}
END_TEST

START_TEST(test_clear_cache)
{
	struct world w;
	struct fixture_spec small = spec;
	struct step st = mkstep(STEP_CLEAR_CACHE, 0);
	struct untouchable u;
	char p[PATH_MAX];
	struct stat s;

	small.dists = 1;
	world_make(&w, "clear", &small, SEED);
	plant(&w);
	/* What else an implementation may leave: a symlink, a FIFO. */
	pathf(p, "%s/ep/lock", w.cache);
	ck_assert(symlink("12345", p) == 0);
	pathf(p, "%s/ep/sub/fifo", w.cache);
	ck_assert(mkfifo(p, 0600) == 0);
	untouchable_take(&w, &u);
	apply_ok(&w, &st);
	/* The root stays, holding the bystanders and nothing else. */
	ck_assert(stat(w.cache, &s) == 0 && S_ISDIR(s.st_mode));
	ck_assert_uint_eq(dir_size(w.cache), 2);
	ck_assert(exists_in(w.cache, "bystander"));
	ck_assert(exists_in(w.cache, ".bystander"));
	ck_assert(exists_in(w.cache, "bystander/notes.txt"));
	untouchable_check(&w, &u, true);
	/* An empty cache: nothing to do. */
	apply_ok(&w, &st);
	ck_assert_uint_eq(dir_size(w.cache), 2);
	world_free(&w);
}
END_TEST

START_TEST(test_no_cache)
{
	static const enum step_kind kinds[] = {STEP_DAMAGE, STEP_CHMOD_CACHE, STEP_CLEAR_CACHE,
					       STEP_FUTURE_MTIME};
	struct world w;
	struct fixture_spec small = spec;
	struct tree_snap a, b;
	struct tree_change *c;
	char p[PATH_MAX];
	size_t n;

	small.dists = 1;
	world_make(&w, "nocache", &small, SEED);
	plant(&w);
	/* No cache root, one that does not exist, one that is a file: the
	 * cache operations have nothing to act on, and succeed. */
	pathf(p, "%s/absent", w.sb.root);
	for (int r = 0; r < 3; r++) {
		const char *root = r == 0 ? NULL : r == 1 ? p : w.sb.xdgfile;

		ck_assert_int_eq(mutator_set_cache_root(&w.m, root), 0);
		ck_assert_int_eq(tree_snap_take(w.sb.root, NULL, NULL, &a), 0);
		for (size_t k = 0; k < 4; k++) {
			struct step st = mkstep(kinds[k], 0);

			st.target = FUTURE_CACHE;
			st.offset_s = 99999;
			st.damage = DAMAGE_GARBAGE;
			apply_ok(&w, &st);
		}
		ck_assert_int_eq(tree_snap_take(w.sb.root, NULL, NULL, &b), 0);
		ck_assert_int_eq(tree_snap_diff(&a, &b, &c, &n), 0);
		ck_assert_msg(n == 0, "%s %s", n ? c[0].rel : "", n ? c[0].what : "");
		tree_changes_free(c, n);
		tree_snap_release(&a);
		tree_snap_release(&b);
	}
	world_free(&w);
}
END_TEST

/* ---- environment, random, errors ---- */

START_TEST(test_env)
{
	struct world w;
	struct step st = mkstep(STEP_ENV, 0);
	struct fixture_spec small = spec;
	int64_t last;

	small.dists = 1;
	world_make(&w, "env", &small, SEED);
	last = mutator_last_change(&w.m);
	st.home = ENV_EMPTY;
	apply_ok(&w, &st);
	ck_assert_int_eq(w.sb.home_mode, ENV_EMPTY);
	ck_assert_int_eq(w.sb.xdg_mode, ENV_SANDBOX);
	st.home = ENV_KEEP;
	st.xdg = ENV_FILE;
	apply_ok(&w, &st);
	ck_assert_int_eq(w.sb.home_mode, ENV_EMPTY);
	ck_assert_int_eq(w.sb.xdg_mode, ENV_FILE);
	st.home = ENV_MISSING;
	st.xdg = ENV_UNSET;
	apply_ok(&w, &st);
	ck_assert_int_eq(w.sb.home_mode, ENV_MISSING);
	ck_assert_int_eq(w.sb.xdg_mode, ENV_UNSET);
	/* The tree did not change: the settle clock is not reset. */
	ck_assert_int_eq(mutator_last_change(&w.m), last);
	world_free(&w);
}
END_TEST

/* The home modes 200 random steps choose, as letters. */
static void random_run(struct world *w, uint64_t seed, char *out)
{
	static const struct {
		unsigned weight;
		enum env_mode home;
		char letter;
	} table[] = {{1, ENV_EMPTY, 'e'}, {3, ENV_RELATIVE, 'r'}, {0, ENV_FILE, 'f'}};
	struct step envs[3], st = mkstep(STEP_RANDOM, -1);
	struct weighted_step ops[3];

	for (size_t i = 0; i < 3; i++) {
		envs[i] = mkstep(STEP_ENV, 0);
		envs[i].home = table[i].home;
		ops[i].weight = table[i].weight;
		ops[i].step = &envs[i];
	}
	st.ops = ops;
	st.nops = 3;
	mutator_release(&w->m);
	ck_assert_int_eq(mutator_init(&w->m, &w->sb, &w->h, NULL, seed), 0);
	for (int k = 0; k < 200; k++) {
		ck_assert_int_eq(mutator_apply(&w->m, &st), 0);
		out[k] = '?';
		for (size_t i = 0; i < 3; i++)
			if (w->sb.home_mode == table[i].home)
				out[k] = table[i].letter;
	}
	out[200] = '\0';
}

START_TEST(test_random)
{
	struct world w;
	struct fixture_spec small = spec;
	char a[201], b[201], c[201];
	size_t e = 0, r = 0;

	small.dists = 1;
	world_make(&w, "random", &small, SEED);
	random_run(&w, 77, a);
	random_run(&w, 77, b);
	random_run(&w, 78, c);
	/* The same seed chooses the same, another seed otherwise. */
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	/* By weight: never the weight-0 one, about three times as many r. */
	for (size_t k = 0; k < 200; k++) {
		ck_assert_msg(a[k] == 'e' || a[k] == 'r', "step %zu chose %c", k, a[k]);
		e += a[k] == 'e';
		r += a[k] == 'r';
	}
	ck_assert_msg(e >= 25 && e <= 80 && r >= 120, "%zu e, %zu r", e, r);
	world_free(&w);
}
END_TEST

START_TEST(test_random_real_op)
{
	struct world w;
	struct step ins = mkstep(STEP_INSTALL, 1), st = mkstep(STEP_RANDOM, -1);
	struct weighted_step op = {.weight = 5, .step = &ins};
	struct weighted_step none[2] = {{.weight = 0, .step = &ins}, {.weight = 0, .step = &ins}};
	struct mark mk;

	world_make(&w, "randop", &spec, SEED);
	st.ops = &op;
	st.nops = 1;
	/* A chosen mutation is applied and recorded like any other. */
	mark_take(&w, &mk);
	apply_ok(&w, &st);
	ck_assert_uint_eq(new_states(&w, &mk, ent(&w, 1)), 1);
	/* Nothing to choose from: an error, not a crash. */
	st.ops = none;
	st.nops = 2;
	ck_assert_int_eq(mutator_apply(&w.m, &st), -EINVAL);
	ck_assert_ptr_nonnull(strstr(w.m.err, "random"));
	st.nops = 0;
	ck_assert_int_eq(mutator_apply(&w.m, &st), -EINVAL);
	world_free(&w);
}
END_TEST

START_TEST(test_errors)
{
	static const enum step_kind not_mutations[] = {STEP_HERD, STEP_QUERY, STEP_STREAM,
						       STEP_SETTLE, STEP_SLEEP};
	struct world w;
	struct mark mk;
	struct step st;
	char p[PATH_MAX];

	world_make(&w, "errors", &spec, SEED);
	mark_take(&w, &mk);
	for (size_t i = 0; i < sizeof(not_mutations) / sizeof(*not_mutations); i++) {
		char want[64];

		st = mkstep(not_mutations[i], 0);
		ck_assert_int_eq(mutator_apply(&w.m, &st), -EINVAL);
		snprintf(want, sizeof(want), "%s is not a mutation: ", step_kind_name(st.kind));
		ck_assert_msg(!strncmp(w.m.err, want, strlen(want)), "err: %s", w.m.err);
	}
	/* Relocating a symlink on an entry that is not one. */
	st = mkstep(STEP_RELOCATE, 1);
	st.how = RELOCATE_SYMLINK;
	ck_assert_int_eq(mutator_apply(&w.m, &st), -EINVAL);
	snprintf(p, sizeof(p), "entry %zu is not a symlink: %s", ent(&w, 1), strerror(EINVAL));
	ck_assert_str_eq(w.m.err, p);
	/* An entry the sandbox does not have. */
	st = mkstep(STEP_INSTALL, 2);
	ck_assert_int_eq(mutator_apply(&w.m, &st), -EINVAL);
	ck_assert_ptr_nonnull(strstr(w.m.err, "entry 2"));
	st = mkstep(STEP_BRANCH_SWITCH, 1000);
	ck_assert_int_eq(mutator_apply(&w.m, &st), -EINVAL);
	/* Every failed call is counted, nothing was recorded. */
	ck_assert_uint_eq(w.m.ops, mk.ops + 5 + 3);
	for (size_t e = 0; e < w.sb.nentries; e++)
		ck_assert_uint_eq(new_states(&w, &mk, e), 0);

	/* The file system says no: -errno, and the message names the path. */
	ck_assert_int_eq(tree_remove(w.sb.stage), 0);
	st = mkstep(STEP_INSTALL, 1);
	ck_assert_int_eq(mutator_apply(&w.m, &st), -ENOENT);
	ck_assert_ptr_nonnull(strstr(w.m.err, "staging directory"));
	ck_assert_ptr_nonnull(strstr(w.m.err, strerror(ENOENT)));
	ck_assert(mkdir(w.sb.stage, 0755) == 0);
	ck_assert_int_eq(tree_remove(w.sb.entries[ent(&w, 1)].dir), 0);
	ck_assert_int_eq(mutator_apply(&w.m, &st), -ENOENT);
	ck_assert_ptr_nonnull(strstr(w.m.err, w.sb.entries[ent(&w, 1)].dir));
	st.style = STYLE_INSTALLER;
	ck_assert_int_eq(mutator_apply(&w.m, &st), -ENOENT);
	st = mkstep(STEP_RELOCATE, 1);
	st.how = RELOCATE_RENAME;
	ck_assert_int_eq(mutator_apply(&w.m, &st), -ENOENT);
	ck_assert_ptr_nonnull(strstr(w.m.err, "stat"));
	/* The message is reset by a call that succeeds (entry 1 is gone behind
	 * the mutator's back, so the history is not checked here). */
	st = mkstep(STEP_INSTALL, 0);
	ck_assert_int_eq(mutator_apply(&w.m, &st), 0);
	ck_assert_str_eq(w.m.err, "");
	world_free(&w);
}
END_TEST

static Suite *mutator_suite(void)
{
	Suite *s = suite_create("mutator");
	TCase *tc = tcase_create("entries");

	/* Generous for ASan; each test takes well under a second here. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_install_atomic);
	tcase_add_test(tc, test_install_installer);
	tcase_add_test(tc, test_uninstall);
	tcase_add_test(tc, test_uninstall_empty);
	tcase_add_test(tc, test_upgrade);
	tcase_add_test(tc, test_branch_switch);
	tcase_add_test(tc, test_branch_switch_after_uninstall);
	tcase_add_test(tc, test_branch_switch_after_upgrade);
	tcase_add_test(tc, test_mtime_restore);
	tcase_add_test(tc, test_future_entry);
	tcase_add_test(tc, test_relocate_rename);
	tcase_add_test(tc, test_relocate_symlink);
	tcase_add_test(tc, test_edit);
	tcase_add_test(tc, test_edit_nothing_to_edit);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_damage, DAMAGE_TRUNCATE, DAMAGE_MIXED + 1);
	tcase_add_test(tc, test_chmod_cache);
	tcase_add_test(tc, test_future_cache);
	tcase_add_test(tc, test_clear_cache);
	tcase_add_test(tc, test_no_cache);
	suite_add_tcase(s, tc);

	tc = tcase_create("control");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_random_real_op);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_mutator", 0) < 0)
		return 2;
	return tu_run(mutator_suite(), "check_mutator");
}
