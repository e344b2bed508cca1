/* run.c: one scenario, from an empty scratch directory to a verdict. */
#include "run.h"
#include "history.h"
#include "mutator.h"
#include "oracle.h"
#include "sandbox.h"
#include "spawn.h"
#include "treehash.h"
#include "watch.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OUT_CAP	     (64u << 20)
#define ERR_CAP	     8192
#define MAX_EXAMPLES 5

const char *const event_kind_names[EVENT_KIND_COUNT] = {
    "hit", "miss", "scan", "write", "write-skip", "error", "malformed",
};

/* Events are counted, never judged: a line that is not a known event is
 * counted as malformed and that is all. */
static void count_events(struct scen_result *r, const struct history *h)
{
	for (size_t i = 0; i < h->nqueries; i++) {
		const char *p = h->queries[i].events, *end = p ? p + h->queries[i].events_len : p;

		while (p && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			json_t *j = json_loadb(p, len, 0, NULL);
			const char *ev = j ? json_string_value(json_object_get(j, "ev")) : NULL;
			int k = EV_MALFORMED;

			for (int e = 0; ev && e < EV_MALFORMED; e++)
				if (!strcmp(ev, event_kind_names[e]))
					k = e;
			r->events[k]++;
			r->any_events = true;
			json_decref(j);
			p += len + 1;
		}
	}
}

const char *scen_status_name(enum scen_status s)
{
	static const char *const names[] = {"pass", "fail", "skip", "error"};

	return names[s];
}

__attribute__((format(printf, 1, 2))) static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void sleep_until(int64_t t, volatile sig_atomic_t *stop)
{
	for (;;) {
		int64_t now = clock_now_ns(), left = t - now;
		struct timespec ts;

		if (left <= 0 || (stop && *stop))
			return;
		if (left > 100000000)
			left = 100000000; /* wake up to notice an interrupt */
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		nanosleep(&ts, NULL);
	}
}

/* ---- the timeline: mutations during a herd or a stream ---- */

struct timeline {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, stopping;
	int64_t t0;
	const struct step *st;
	struct mutator *m;
	int rc;
	char err[600];
};

static void timeline_release_cb(void *ctx, int64_t t)
{
	struct timeline *tl = ctx;

	pthread_mutex_lock(&tl->mu);
	if (!tl->started) {
		tl->started = true;
		tl->t0 = t;
		pthread_cond_broadcast(&tl->cv);
	}
	pthread_mutex_unlock(&tl->mu);
}

/* Repeating mutations stop when the herd or stream ends; one-shot ones
 * always run, so a scenario does the same thing whatever the timing. */
static void *timeline_main(void *arg)
{
	struct timeline *tl = arg;
	size_t n = tl->st->nduring;
	int64_t *due = calloc(n ? n : 1, sizeof(*due));
	bool *done = calloc(n ? n : 1, sizeof(*done));

	if (!due || !done) {
		tl->rc = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&tl->mu);
	while (!tl->started && !tl->stopping)
		pthread_cond_wait(&tl->cv, &tl->mu);
	if (!tl->started) {
		/* The herd never released (it failed): nothing is owed. */
		pthread_mutex_unlock(&tl->mu);
		goto out;
	}
	pthread_mutex_unlock(&tl->mu);
	for (size_t i = 0; i < n; i++)
		due[i] = tl->t0 + (int64_t)tl->st->during[i].at_ms * 1000000;
	for (;;) {
		size_t next = n;
		bool stopping;

		pthread_mutex_lock(&tl->mu);
		stopping = tl->stopping;
		pthread_mutex_unlock(&tl->mu);
		for (size_t i = 0; i < n; i++) {
			if (done[i] || (stopping && tl->st->during[i].every_ms))
				continue;
			if (next == n || due[i] < due[next])
				next = i;
		}
		if (next == n)
			break;
		/* Sleep until it is due, or until told to stop (repeating ones
		 * then drop out on the next pass). */
		pthread_mutex_lock(&tl->mu);
		while (!tl->stopping || !tl->st->during[next].every_ms) {
			int64_t now = clock_now_ns();
			struct timespec ts;

			if (now >= due[next])
				break;
			ts.tv_sec = due[next] / 1000000000;
			ts.tv_nsec = due[next] % 1000000000;
			pthread_cond_timedwait(&tl->cv, &tl->mu, &ts);
		}
		stopping = tl->stopping;
		pthread_mutex_unlock(&tl->mu);
		if (stopping && tl->st->during[next].every_ms)
			continue;
		int rc = mutator_apply(tl->m, tl->st->during[next].step);

		if (rc) {
			tl->rc = rc;
			snprintf(tl->err, sizeof(tl->err), "%d:%d: %s",
				 tl->st->during[next].step->line, tl->st->during[next].step->col,
				 tl->m->err);
			break;
		}
		if (tl->st->during[next].every_ms) {
			int64_t every = (int64_t)tl->st->during[next].every_ms * 1000000;
			int64_t now = clock_now_ns();

			due[next] += every;
			if (due[next] < now)
				due[next] = now; /* behind: go on at once, keep no backlog */
		} else {
			done[next] = true;
		}
	}
out:
	free(due);
	free(done);
	return NULL;
}

static int timeline_start(struct timeline *tl, const struct step *st, struct mutator *m)
{
	pthread_condattr_t ca;

	memset(tl, 0, sizeof(*tl));
	tl->st = st;
	tl->m = m;
	pthread_mutex_init(&tl->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tl->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&tl->th, NULL, timeline_main, tl) != 0)
		return -EAGAIN;
	return 0;
}

static int timeline_finish(struct timeline *tl)
{
	pthread_mutex_lock(&tl->mu);
	tl->stopping = true;
	pthread_cond_broadcast(&tl->cv);
	pthread_mutex_unlock(&tl->mu);
	pthread_join(tl->th, NULL);
	pthread_cond_destroy(&tl->cv);
	pthread_mutex_destroy(&tl->mu);
	return tl->rc;
}

/* ---- I8: what must not change ---- */

struct i8ctx {
	const struct sandbox *sb;
};

/* Every cache tree the sandbox can give an implementation, relative to
 * root; the ancestors an implementation may create on the way (mkdir -p
 * under a missing HOME) are tolerated separately. */
static const char *const cache_roots[] = {"home/.cache", "absent-xdg", "absent-home/.cache", NULL};
static const char *const root_ancestors[] = {"absent-home", NULL};

static bool under(const char *rel, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(rel, dir, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

static bool is_bystander_rel(const char *rel)
{
	for (const char *const *b = sandbox_bystanders(); *b; b++)
		if (!strcmp(rel, *b))
			return true;
	return false;
}

static bool i8_skip(void *ctx, const char *rel)
{
	(void)ctx;
	if (under(rel, "site") || under(rel, "stage"))
		return true;
	if (is_bystander_rel(rel))
		return false;
	for (const char *const *r = cache_roots; *r; r++)
		if (under(rel, *r)) {
			/* Keep descending toward the bystanders inside it. */
			for (const char *const *b = sandbox_bystanders(); *b; b++)
				if (under(*b, rel))
					return false;
			return true;
		}
	return false;
}

static bool i8_tolerated(const char *rel)
{
	for (const char *const *a = root_ancestors; *a; a++)
		if (!strcmp(rel, *a))
			return true;
	for (const char *const *r = cache_roots; *r; r++)
		if (!strcmp(rel, *r))
			return true;
	return false;
}

static int i8_report(struct verdict *v, const char *rel, const char *what, const char *when)
{
	struct check_example ex = {.query = -1, .worker = -1, .entry = -1};
	char kind[64];
	int rc;

	snprintf(kind, sizeof(kind), "%s", what);
	ex.kind = kind;
	ex.detail = xasprintf("%s %s%s", rel, what, when ? when : "");
	rc = verdict_add(v, CHECK_I8, &ex, MAX_EXAMPLES);
	free(ex.detail);
	return rc;
}

/* ---- attribution of entry_points.txt opens (I4) ---- */

struct qkey {
	int pid;
	int64_t start;
	size_t q;
};

static int qkey_cmp(const void *a, const void *b)
{
	const struct qkey *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

/* The query of process pid that had started by ts, latest first. */
static ssize_t find_query(const struct qkey *k, size_t n, int pid, int64_t ts)
{
	size_t lo = 0, hi = n;
	ssize_t best = -1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (k[mid].pid < pid || (k[mid].pid == pid && k[mid].start <= ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && k[lo - 1].pid == pid)
		best = (ssize_t)k[lo - 1].q;
	return best;
}

static uint64_t attribute_opens(struct history *h, struct watch *w)
{
	size_t nev, nq = h->nqueries;
	const struct open_event *ev = watch_opens(w, &nev);
	struct qkey *k = calloc(nq ? nq : 1, sizeof(*k));
	uint64_t lost = 0;

	for (size_t i = 0; i < nq; i++)
		h->queries[i].scans = 0;
	if (!k)
		return nev;
	for (size_t i = 0; i < nq; i++)
		k[i] = (struct qkey){h->queries[i].pid, h->queries[i].start_ns, i};
	qsort(k, nq, sizeof(*k), qkey_cmp);
	for (size_t i = 0; i < nev; i++) {
		ssize_t q = -1;

		if (ev[i].pid > 0) {
			q = find_query(k, nq, ev[i].pid, ev[i].ts_ns);
			if (q < 0 && ev[i].pgid > 0)
				q = find_query(k, nq, ev[i].pgid, ev[i].ts_ns);
			if (q >= 0)
				h->queries[q].scans++;
			else
				lost++;
		} else {
			/* inotify: no pid; blame every query running then. */
			bool any = false;

			for (size_t j = 0; j < nq; j++)
				if (h->queries[j].start_ns <= ev[i].ts_ns &&
				    ev[i].ts_ns <= h->queries[j].end_ns + 5000000) {
					h->queries[j].scans++;
					any = true;
				}
			lost += !any;
		}
	}
	free(k);
	return lost;
}

/* ---- running ---- */

struct runner {
	const struct run_opts *o;
	const struct scenario *sc;
	struct scen_result *r;
	struct sandbox sb;
	struct history h;
	struct mutator m;
	struct watch *w;
	char **envp;
	char **argv;
	struct spawn_config cfg;
	int64_t still_since; /* the tree has not changed since */
	double *skews;
	size_t nskews, skcap;
	bool mutator_ready;
	char *count_prefix; /* tidy_sample: the cache root relative to the sandbox */
	char err[1024];
};

__attribute__((format(printf, 3, 4))) static int set_error(struct runner *x, int rc,
							   const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
	len = strlen(x->err);
	if (rc < 0 && !strstr(x->err, strerror(-rc)))
		snprintf(x->err + len, sizeof(x->err) - len, ": %s", strerror(-rc));
	return rc ? rc : -EIO;
}

static int refresh_env(struct runner *x)
{
	char *root;
	int rc;

	sandbox_env_free(x->envp);
	x->envp = NULL;
	rc = sandbox_env(&x->sb, &x->envp);
	if (rc)
		return set_error(x, rc, "environment");
	x->cfg.envp = x->envp;
	root = sandbox_cache_root(&x->sb);
	rc = mutator_set_cache_root(&x->m, root);
	free(root);
	return rc;
}

static int workers_for(const struct runner *x, const struct step *st)
{
	if (x->o->workers > 0)
		return x->o->workers;
	return st->workers > 0 ? st->workers : x->sc->workers;
}

static int push_skew(struct runner *x, double ms)
{
	if (x->nskews == x->skcap) {
		size_t cap = x->skcap ? x->skcap * 2 : 16;
		double *n = realloc(x->skews, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		x->skews = n;
		x->skcap = cap;
	}
	x->skews[x->nskews++] = ms;
	return 0;
}

static int spawn_error(struct runner *x, int rc, const struct step *st)
{
	if (rc == -ENOENT || rc == -EACCES || rc == -ENOEXEC)
		return set_error(x, rc, "cannot execute the implementation '%s'", x->argv[0]);
	return set_error(x, rc, "%s:%d:%d: %s", x->sc->path, st->line, st->col, "starting queries");
}

/* Queries with nothing else going on: the path entries must come out of
 * them exactly as they went in (I8). */
static int query_step_guarded(struct runner *x, const struct step *st, const struct spawn_tag *tag)
{
	struct tree_snap before, after;
	struct tree_change *ch = NULL;
	size_t nch = 0;
	int rc = tree_snap_take(x->sb.site, NULL, NULL, &before);

	if (rc)
		return set_error(x, rc, "hashing %s", x->sb.site);
	for (int i = 0; i < (st->count > 0 ? st->count : 1) && rc >= 0; i++) {
		if (x->o->stop && *x->o->stop)
			break;
		rc = spawn_one(&x->h, &x->cfg, tag);
		if (rc < 0)
			rc = spawn_error(x, rc, st);
	}
	if (rc >= 0)
		rc = tree_snap_take(x->sb.site, NULL, NULL, &after);
	if (rc >= 0) {
		rc = tree_snap_diff(&before, &after, &ch, &nch);
		for (size_t i = 0; rc == 0 && i < nch; i++) {
			char *rel = xasprintf("site/%s", ch[i].rel);

			rc = i8_report(&x->r->verdict, rel ? rel : ch[i].rel, ch[i].what,
				       " inside the path entries, during queries");
			free(rel);
		}
		tree_changes_free(ch, nch);
		tree_snap_release(&after);
	}
	tree_snap_release(&before);
	return rc < 0 ? rc : 0;
}

static int run_step(struct runner *x, const struct step *st, uint32_t round, uint32_t idx)
{
	struct spawn_tag tag = {.round = round, .step = idx, .flags = st->warm ? HQ_WARM : 0};
	struct timeline tl;
	int rc = 0;

	switch (st->kind) {
	case STEP_HERD:
	case STEP_STREAM: {
		struct herd_result hr = {0};
		size_t n = (size_t)workers_for(x, st);

		if (st->nduring && (rc = timeline_start(&tl, st, &x->m)))
			return set_error(x, rc, "starting the mutation timeline");
		if (st->kind == STEP_HERD)
			rc = spawn_herd(&x->h, &x->cfg, n, &tag,
					st->nduring ? timeline_release_cb : NULL, &tl, &hr);
		else
			rc = spawn_stream(&x->h, &x->cfg, n, (int64_t)st->ms * 1000000, &tag,
					  st->nduring ? timeline_release_cb : NULL, &tl);
		if (st->nduring) {
			int trc = timeline_finish(&tl);

			if (trc && !rc)
				return set_error(x, trc, "%s:%s", x->sc->path, tl.err);
		}
		if (rc)
			return spawn_error(x, rc, st);
		if (st->kind == STEP_HERD && hr.started &&
		    push_skew(x, (double)(hr.release_last_ns - hr.release_first_ns) / 1e6))
			return -ENOMEM;
		return 0;
	}
	case STEP_QUERY:
		return query_step_guarded(x, st, &tag);
	case STEP_SETTLE: {
		int64_t last = mutator_last_change(&x->m);

		if (last < x->still_since)
			last = x->still_since;
		/* The scenario's own settle time, else the harness's. */
		int settle = x->sc->settle_ms > 0 ? x->sc->settle_ms : x->o->settle_ms;

		sleep_until(last + (int64_t)settle * 1000000, x->o->stop);
		return 0;
	}
	case STEP_SLEEP:
		sleep_until(clock_now_ns() + (int64_t)st->ms * 1000000, x->o->stop);
		return 0;
	default:
		break;
	}
	rc = mutator_apply(&x->m, st);
	if (rc)
		return set_error(x, rc, "%s:%d:%d: %s", x->sc->path, st->line, st->col, x->m.err);
	if (st->kind == STEP_ENV || st->kind == STEP_RANDOM)
		rc = refresh_env(x);
	return rc;
}

static bool tidy_skip(void *ctx, const char *rel)
{
	struct runner *x = ctx;
	char *full = xasprintf("%s/%s", x->count_prefix, rel);
	bool skip = full && is_bystander_rel(full);

	free(full);
	return skip;
}

/* I5: the cache tree's size at the end of a round, bystanders left out. */
static int tidy_sample(struct runner *x, uint32_t round)
{
	struct tidy_sample s = {.at_ns = clock_now_ns(), .round = round};
	char *root = sandbox_cache_root(&x->sb);
	size_t rl = strlen(x->sb.root);
	int rc;

	if (!root)
		return 0;
	x->count_prefix =
	    strncmp(root, x->sb.root, rl) == 0 && root[rl] == '/' ? root + rl + 1 : root;
	rc = tree_count(root, tidy_skip, x, &s.files, &s.dirs, &s.bytes);
	free(root);
	x->count_prefix = NULL;
	return rc ? rc : history_add_tidy(&x->h, &s);
}

static const char *unmet_requirement(const struct run_opts *o, const struct scenario *sc)
{
	if (sc->level == LEVEL_STRICT && o->level == LEVEL_SEED)
		return "strict-level scenario: run with --level strict (and an implementation that "
		       "meets it) to include it";
	if ((sc->requires & REQ_ROOT) && geteuid() != 0)
		return "needs root";
	if (sc->requires & (REQ_MOUNT_NS | REQ_LOOP | REQ_OTHER_UID))
		return "needs mount namespaces, loop devices or another uid: this harness version "
		       "does not provide them yet";
	if (sc->fs)
		return "needs its own filesystem: this harness version does not mount filesystems "
		       "yet";
	return NULL;
}

/* A command line that re-runs this scenario alone with the same seed. */
static char *replay_line(const struct run_opts *o, const struct scenario *sc, uint64_t seed)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s run --impl '", o->self);
	for (const char *p = o->impl_str; *p; p++)
		if (*p == '\'')
			fputs("'\\''", f); /* close, escaped quote, reopen */
		else
			fputc(*p, f);
	fprintf(f, "' --scenario %s --seed %llu --level %s --view %s", sc->path,
		(unsigned long long)seed, o->level == LEVEL_STRICT ? "strict" : "seed",
		o->reduced ? "reduced" : "full");
	if (o->repeat > 1)
		fprintf(f, " --repeat %d", o->repeat);
	if (o->workers > 0)
		fprintf(f, " --workers %d", o->workers);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static char *failure_summary(const struct verdict *v)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	bool first = true;

	if (!f)
		return NULL;
	for (int i = 0; i < CHECK_COUNT; i++) {
		const struct check_outcome *c = &v->checks[i];

		if (c->status != CHECK_FAIL)
			continue;
		fprintf(f, "%s%s %s: %llu violation%s", first ? "" : "; ", check_id_name(i),
			check_title(i), (unsigned long long)c->violations,
			c->violations == 1 ? "" : "s");
		if (c->nexamples && c->examples[0].kind)
			fprintf(f, " (%s)", c->examples[0].kind);
		first = false;
	}
	fclose(f);
	return s;
}

static int prepare(struct runner *x)
{
	const struct scenario *sc = x->sc;
	size_t nimpl = 0;
	const char **paths;
	int rc;

	rc = sandbox_create(&x->sb, x->o->workdir, sc->name);
	if (rc)
		return set_error(x, rc, "cannot create a scratch directory under %s",
				 x->o->workdir);
	x->sb.home_mode = sc->home;
	x->sb.xdg_mode = sc->xdg;
	rc = sandbox_populate(&x->sb, &sc->fixture, x->r->seed);
	if (rc)
		return set_error(x, rc, "building the fixture");
	paths = calloc(x->sb.nentries ? x->sb.nentries : 1, sizeof(*paths));
	if (!paths)
		return -ENOMEM;
	for (size_t i = 0; i < x->sb.nentries; i++)
		paths[i] = x->sb.entries[i].path;
	rc = history_init(&x->h, x->sb.nentries, paths);
	free(paths);
	if (rc)
		return set_error(x, rc, "history");
	rc = watch_open(&x->w);
	if (rc) {
		x->w = NULL;
		x->r->watch_method = xasprintf("none (%s): I4 not measured", strerror(-rc));
	} else {
		x->r->watch_method = strdup(watch_method(x->w));
		watch_add_quiet(x->w, x->sb.root);
		watch_add_quiet(x->w, x->sb.home);
		watch_add_quiet(x->w, x->sb.tmp);
		watch_add_quiet(x->w, x->sb.cwd);
	}
	rc = mutator_init(&x->m, &x->sb, &x->h, x->w, x->r->seed);
	x->mutator_ready = true;
	if (rc)
		return set_error(x, rc, "%s", x->m.err);
	for (size_t e = 0; e < x->sb.nentries; e++) {
		struct view v;

		view_init(&v);
		rc = oracle_scan(x->sb.entries[e].path, &v);
		if (rc == 0)
			rc = history_begin(&x->h, e, clock_now_ns(), &v, "fixture");
		view_release(&v);
		if (rc)
			return set_error(x, rc, "scanning the fixture");
	}
	x->still_since = clock_now_ns();
	for (char *const *p = x->o->impl; *p; p++)
		nimpl++;
	x->argv = calloc(nimpl + x->sb.nentries + 1, sizeof(*x->argv));
	if (!x->argv)
		return -ENOMEM;
	for (size_t i = 0; i < nimpl; i++)
		x->argv[i] = x->o->impl[i];
	for (size_t i = 0; i < x->sb.nentries; i++)
		x->argv[nimpl + i] = x->sb.entries[i].path;
	x->cfg.argv = x->argv;
	x->cfg.cwd = x->sb.cwd;
	x->cfg.bound_ns = (int64_t)sc->bound_ms * 1000000;
	x->cfg.out_cap = OUT_CAP;
	x->cfg.err_cap = ERR_CAP;
	x->cfg.event_fd = true;
	return refresh_env(x);
}

static int play(struct runner *x)
{
	const struct scenario *sc = x->sc;
	int rounds = sc->rounds * (x->o->repeat > 0 ? x->o->repeat : 1);
	int rc = 0;

	for (int r = 0; r < rounds && rc == 0; r++) {
		for (size_t i = 0; i < sc->nsteps && rc == 0; i++) {
			if (x->o->stop && *x->o->stop)
				return -EINTR;
			rc = run_step(x, &sc->steps[i], (uint32_t)r, (uint32_t)i);
		}
		if (rc == 0 && (sc->checks & CHECK_BIT(CHECK_I5)))
			rc = tidy_sample(x, (uint32_t)r);
	}
	if (x->o->stop && *x->o->stop)
		return -EINTR;
	return rc;
}

static int judge(struct runner *x, struct tree_snap *before)
{
	struct checker_opts co = {
	    .reduced = x->o->reduced,
	    .bound_ns = (int64_t)x->sc->bound_ms * 1000000,
	    .deciding = x->sc->checks,
	    .max_examples = MAX_EXAMPLES,
	    .scans_known = x->w != NULL,
	};
	struct tree_snap after;
	struct tree_change *ch = NULL;
	size_t nch = 0, nq;
	const struct quiet_event *qe;
	int rc;

	if (x->w) {
		watch_stop(x->w);
		x->r->unattributed_opens = attribute_opens(&x->h, x->w);
		if (watch_lost(x->w))
			co.scans_known = false;
	}
	rc = checker_run(&x->h, &co, &x->r->verdict);
	if (rc)
		return set_error(x, rc, "checking");
	if (!co.scans_known && x->w) {
		free(x->r->verdict.checks[CHECK_I4].note);
		x->r->verdict.checks[CHECK_I4].note = xasprintf(
		    "not measured: %llu watch events lost", (unsigned long long)watch_lost(x->w));
	}
	/* I8: the sandbox outside the cache trees, before and after. */
	verdict_exercised(&x->r->verdict, CHECK_I8);
	rc = tree_snap_take(x->sb.root, i8_skip, x, &after);
	if (rc)
		return set_error(x, rc, "hashing %s", x->sb.root);
	rc = tree_snap_diff(before, &after, &ch, &nch);
	for (size_t i = 0; rc == 0 && i < nch; i++)
		if (!i8_tolerated(ch[i].rel))
			rc = i8_report(&x->r->verdict, ch[i].rel, ch[i].what, NULL);
	/* What came and went: seen by the quiet watch, gone from the hash. */
	qe = x->w ? watch_quiet_events(x->w, &nq) : NULL;
	for (size_t i = 0; rc == 0 && qe && i < nq; i++) {
		const char *rel = qe[i].path + strlen(x->sb.root);
		bool known = false;

		rel += *rel == '/';
		if (i8_skip(x, rel) || i8_tolerated(rel))
			continue;
		for (size_t j = 0; j < nch && !known; j++)
			known = !strcmp(ch[j].rel, rel);
		for (size_t j = 0; j < i && !known; j++)
			known = !strcmp(qe[j].path, qe[i].path);
		if (!known)
			rc = i8_report(&x->r->verdict, rel, "touched",
				       " (transient: undone before the end)");
	}
	tree_changes_free(ch, nch);
	tree_snap_release(&after);
	return rc;
}

int run_scenario(const struct run_opts *o, const struct scenario *sc, struct scen_result *r)
{
	struct runner x;
	struct tree_snap before = {0};
	int64_t t0 = clock_now_ns();
	const char *unmet;
	bool failed = false;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	verdict_init(&r->verdict);
	x.o = o;
	x.sc = sc;
	x.r = r;
	r->name = strdup(sc->name);
	r->path = strdup(sc->path);
	r->seed = o->seed_given ? o->seed : sc->seed;
	r->deciding = sc->checks;
	r->replay = replay_line(o, sc, r->seed);
	unmet = unmet_requirement(o, sc);
	if (unmet) {
		r->status = SCEN_SKIP;
		r->reason = strdup(unmet);
		return 0;
	}
	rc = prepare(&x);
	if (rc == 0 && (rc = tree_snap_take(x.sb.root, i8_skip, &x, &before)))
		set_error(&x, rc, "hashing %s", x.sb.root);
	if (rc == 0 && x.w && (rc = watch_start(x.w)))
		set_error(&x, rc, "starting the watch");
	if (rc == 0)
		rc = play(&x);
	if (rc == 0)
		rc = judge(&x, &before);
	else if (x.w)
		watch_stop(x.w);
	if (rc == -EINTR) {
		r->status = SCEN_ERROR;
		r->reason = strdup("interrupted");
	} else if (rc) {
		r->status = SCEN_ERROR;
		r->reason = strdup(x.err[0] ? x.err : strerror(-rc));
	} else {
		failed = !verdict_finish(&r->verdict, sc->checks);
		r->status = failed ? SCEN_FAIL : SCEN_PASS;
		if (failed)
			r->reason = failure_summary(&r->verdict);
	}
	r->herds = x.nskews;
	if (x.nskews) {
		qsort(x.skews, x.nskews, sizeof(*x.skews), cmp_double);
		r->skew_p50_ms = x.skews[x.nskews / 2];
		r->skew_max_ms = x.skews[x.nskews - 1];
	}
	r->mutations = x.m.ops;
	count_events(r, &x.h);
	for (size_t e = 0; e < x.h.nentries; e++)
		r->states += x.h.entries[e].nstates;
	tree_snap_release(&before);
	if (x.w)
		watch_free(x.w);
	if (x.mutator_ready)
		mutator_release(&x.m);
	history_release(&x.h);
	sandbox_env_free(x.envp);
	free(x.argv);
	free(x.skews);
	/* An interrupted run leaves nothing behind: its tree is no evidence of
	 * anything, and the user asked it to stop. */
	sandbox_release(&x.sb, o->keep, o->keep_failed && rc != -EINTR,
			failed || r->status == SCEN_ERROR, &r->kept_at);
	r->duration_s = (double)(clock_now_ns() - t0) / 1e9;
	return rc == -EINTR ? -EINTR : 0;
}

void scen_result_release(struct scen_result *r)
{
	verdict_release(&r->verdict);
	free(r->name);
	free(r->path);
	free(r->reason);
	free(r->watch_method);
	free(r->replay);
	free(r->kept_at);
	memset(r, 0, sizeof(*r));
}
