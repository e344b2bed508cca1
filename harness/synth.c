/* synth.c: builds synthetic histories whose planted flaws are known, and
 * times the checker on them. Written apart from checker.c on purpose: the
 * candidates a query may answer are found here by their own code. */
#include "synth.h"
#include "rng.h"
#include "view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum spoil { SPOIL_NONE, SPOIL_STALE, SPOIL_TORN, SPOIL_MALFORMED };

struct sentry {
	size_t nlines; /* lines of every view of this entry */
	char pfx[24];  /* "P\t" */
	size_t plen;
	struct view *red; /* reduced projections, reduced mode only */
};

struct synth {
	struct synth_spec sp;
	struct history *h;
	struct rng rng;
	struct sentry *ent;
	size_t *order;	/* entries in the order their "P\t" prefixes sort */
	size_t *pick;	/* per entry, the state a query answers */
	size_t *lo;	/* per entry, the first state the query may have read */
	size_t *cursor; /* reduced merge: offset in each pick's projection */
	size_t *taken;	/* reduced merge: lines taken from each projection */
};

static void spec_defaults(struct synth_spec *sp)
{
	if (!sp->nentries)
		sp->nentries = 2;
	if (!sp->nstates)
		sp->nstates = 100;
	if (!sp->lines_min)
		sp->lines_min = 3;
	if (!sp->lines_max)
		sp->lines_max = sp->lines_min > 5 ? sp->lines_min : 5;
	if (sp->state_ns <= 0)
		sp->state_ns = 10 * 1000 * 1000;
	if (sp->transition_ns <= 0)
		sp->transition_ns = 20 * 1000;
	if (sp->query_ns <= 0)
		sp->query_ns = 2 * 1000 * 1000;
}

/* One view of entry e: line j belongs to distribution j % ndist, whose
 * version is ver[]. Names are short on purpose: a million answers are held
 * in memory at once. */
static int make_view(size_t e, size_t nlines, const size_t *ver, size_t ndist, struct view *out)
{
	struct linebuf lb;
	int rc = 0;

	linebuf_init(&lb);
	for (size_t j = 0; j < nlines && !rc; j++) {
		char line[96];
		const char *p = line;
		size_t d = j % ndist;
		size_t len = (size_t)snprintf(line, sizeof(line), "d%zu-%zu\tg%zu\t%zun%zu\t%zu", d,
					      ver[d], j % 2, e, j, ver[d]);

		rc = linebuf_add_fields(&lb, 1, &p, &len);
	}
	if (!rc)
		rc = linebuf_to_view(&lb, out);
	linebuf_release(&lb);
	return rc;
}

static int make_states(struct synth *s, size_t e)
{
	struct sentry *se = &s->ent[e];
	size_t ndist = (se->nlines + 1) / 2, *ver;
	int64_t base = s->h->t0_ns;
	/* Entries change at different instants, as independent trees do. */
	int64_t off = (int64_t)e * s->sp.state_ns / (int64_t)s->sp.nentries;
	int rc = 0;

	ver = calloc(ndist, sizeof(*ver));
	if (!ver)
		return -ENOMEM;
	for (size_t k = 0; k < s->sp.nstates && !rc; k++) {
		struct view v;

		view_init(&v);
		if (k)
			ver[(k - 1) % ndist] = k;
		rc = make_view(e, se->nlines, ver, ndist, &v);
		if (rc)
			break;
		if (!k) {
			rc = history_begin(s->h, e, base, &v, "initial");
		} else {
			int64_t before = base + (int64_t)k * s->sp.state_ns + off;
			char label[64];

			snprintf(label, sizeof(label), "upgrade d%zu to %zu", (k - 1) % ndist, k);
			rc = history_transition(s->h, e, before, before + s->sp.transition_ns, &v,
						label);
		}
		view_release(&v);
	}
	free(ver);
	if (rc || !s->sp.reduced)
		return rc;
	se->red = calloc(s->sp.nstates, sizeof(*se->red));
	if (!se->red)
		return -ENOMEM;
	for (size_t k = 0; k < s->sp.nstates; k++)
		view_init(&se->red[k]);
	for (size_t k = 0; k < s->sp.nstates && !rc; k++)
		rc = view_reduce(&s->h->entries[e].states[k].view, &se->red[k]);
	return rc;
}

/* The first state whose window reaches a, and one past the last that began
 * by b: the states a query over [a, b] may have read. */
static void window(const struct hentry *ent, int64_t a, int64_t b, size_t *lo, size_t *hi)
{
	size_t k = 0;

	while (k < ent->nstates && ent->states[k].until_ns < a)
		k++;
	*lo = k;
	while (k < ent->nstates && ent->states[k].from_ns <= b)
		k++;
	*hi = k;
}

/* Binary-search form of window() for long histories. */
static void window_fast(const struct hentry *ent, int64_t a, int64_t b, size_t *lo, size_t *hi)
{
	size_t l = 0, r = ent->nstates;

	if (ent->nstates < 16) {
		window(ent, a, b, lo, hi);
		return;
	}
	while (l < r) {
		size_t m = l + (r - l) / 2;

		if (ent->states[m].until_ns < a)
			l = m + 1;
		else
			r = m;
	}
	*lo = l;
	r = ent->nstates;
	while (l < r) {
		size_t m = l + (r - l) / 2;

		if (ent->states[m].from_ns <= b)
			l = m + 1;
		else
			r = m;
	}
	*hi = l;
}

static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return (size_t)(nl - p) + 1;
}

/* Appends the view's lines, each after pfx, leaving out line `skip`
 * (SIZE_MAX: none). */
static char *put_lines(char *w, const struct view *v, const char *pfx, size_t plen, size_t skip)
{
	const char *p = v->text, *end = p ? p + v->len : NULL;

	for (size_t j = 0; p && p < end; j++) {
		size_t n = line_len(p, end);

		if (j != skip) {
			memcpy(w, pfx, plen);
			memcpy(w + plen, p, n);
			w += plen + n;
		}
		p += n;
	}
	return w;
}

/* Full answer: the picked views in the order of their prefixes. */
static char *answer_full(struct synth *s, size_t torn_e, size_t skip, size_t *len)
{
	size_t total = 0;
	char *buf, *w;

	for (size_t e = 0; e < s->sp.nentries; e++) {
		const struct view *v = &s->h->entries[e].states[s->pick[e]].view;

		total += v->len + v->nlines * s->ent[e].plen;
	}
	buf = malloc(total ? total : 1);
	if (!buf)
		return NULL;
	w = buf;
	for (size_t i = 0; i < s->sp.nentries; i++) {
		size_t e = s->order[i];
		const struct view *v = &s->h->entries[e].states[s->pick[e]].view;

		w = put_lines(w, v, s->ent[e].pfx, s->ent[e].plen, e == torn_e ? skip : SIZE_MAX);
	}
	*len = (size_t)(w - buf);
	return buf;
}

/* Reduced answer: a merge of the picked projections, distinct. */
static char *answer_reduced(struct synth *s, size_t torn_e, size_t skip, size_t *len)
{
	size_t total = 0, n = s->sp.nentries, prevlen = 0;
	const char *prev = NULL;
	char *buf, *w;

	for (size_t e = 0; e < n; e++) {
		total += s->ent[e].red[s->pick[e]].len;
		s->cursor[e] = 0;
		s->taken[e] = 0;
	}
	buf = malloc(total ? total : 1);
	if (!buf)
		return NULL;
	w = buf;
	for (;;) {
		size_t best = SIZE_MAX, bestlen = 0;

		for (size_t e = 0; e < n; e++) {
			const struct view *r = &s->ent[e].red[s->pick[e]];
			const char *p;
			size_t l;

			if (s->cursor[e] >= r->len)
				continue;
			p = r->text + s->cursor[e];
			l = line_len(p, r->text + r->len) - 1;
			if (best == SIZE_MAX ||
			    view_line_cmp(p, l,
					  s->ent[best].red[s->pick[best]].text + s->cursor[best],
					  bestlen) < 0) {
				best = e;
				bestlen = l;
			}
		}
		if (best == SIZE_MAX)
			break;
		const char *p = s->ent[best].red[s->pick[best]].text + s->cursor[best];
		size_t j = s->taken[best]++;

		s->cursor[best] += bestlen + 1;
		if (best == torn_e && j == skip)
			continue;
		if (prev && prevlen == bestlen && memcmp(prev, p, bestlen) == 0)
			continue;
		memcpy(w, p, bestlen + 1);
		prev = w;
		prevlen = bestlen;
		w += bestlen + 1;
	}
	*len = (size_t)(w - buf);
	return buf;
}

/* Breaks the answer's form; every way here is malformed whatever the
 * content. The answer holds at least one line. */
static int malform(struct synth *s, char **bufp, size_t *len)
{
	char *buf = *bufp;
	size_t l1 = line_len(buf, buf + *len);
	unsigned kind = (unsigned)rng_below(&s->rng, 5);

	if (kind == 2 && l1 == *len)
		kind = 0; /* one line cannot be out of order */
	switch (kind) {
	case 0: /* no final LF */
		(*len)--;
		break;
	case 1: /* a NUL byte in the first line */
		buf[rng_below(&s->rng, l1 - 1 ? l1 - 1 : 1)] = '\0';
		break;
	case 2: { /* the first two lines swapped: they differ, so out of order */
		size_t l2 = line_len(buf + l1, buf + *len);
		char *tmp = malloc(l1 + l2);

		if (!tmp)
			return -ENOMEM;
		memcpy(tmp, buf + l1, l2);
		memcpy(tmp + l2, buf, l1);
		memcpy(buf, tmp, l1 + l2);
		free(tmp);
		break;
	}
	case 3: { /* a TAB made a space: one field short */
		char *t = memchr(buf, '\t', l1);

		if (t)
			*t = ' ';
		else
			(*len)--;
		break;
	}
	default:
		if (!s->sp.reduced) { /* an index that is not a number */
			buf[0] = 'x';
		} else { /* the first line repeated */
			char *n = realloc(buf, *len + l1);

			if (!n)
				return -ENOMEM;
			buf = *bufp = n;
			memmove(buf + 2 * l1, buf + l1, *len - l1);
			memcpy(buf + l1, buf, l1);
			*len += l1;
		}
	}
	return 0;
}

static enum spoil draw_spoil(struct synth *s)
{
	double u = (double)rng_below(&s->rng, 1u << 30) / (double)(1u << 30);

	if (u < s->sp.stale)
		return SPOIL_STALE;
	if (u < s->sp.stale + s->sp.torn)
		return SPOIL_TORN;
	if (u < s->sp.stale + s->sp.torn + s->sp.malformed)
		return SPOIL_MALFORMED;
	return SPOIL_NONE;
}

static int make_query(struct synth *s, uint32_t i, struct synth_planted *pl)
{
	const struct history *h = s->h;
	int64_t span = (int64_t)(s->sp.nstates + 1) * s->sp.state_ns;
	int64_t start = h->t0_ns + (int64_t)rng_below(&s->rng, (uint64_t)span);
	int64_t end = start + (int64_t)rng_below(&s->rng, (uint64_t)s->sp.query_ns + 1);
	enum spoil sp = draw_spoil(s);
	size_t torn_e = SIZE_MAX, skip = SIZE_MAX, n = s->sp.nentries;
	struct hquery q;
	int rc;

	for (size_t e = 0; e < n; e++) {
		size_t lo, hi;

		window_fast(&h->entries[e], start, end, &lo, &hi);
		s->pick[e] = lo + rng_below(&s->rng, hi - lo);
		s->lo[e] = lo;
	}
	if (sp == SPOIL_STALE) {
		size_t e0 = rng_below(&s->rng, n), e = SIZE_MAX;

		/* Just before the first candidate: replaced before the query
		 * started. An early query may have nothing earlier to answer. */
		for (size_t j = 0; j < n && e == SIZE_MAX; j++) {
			if (s->lo[(e0 + j) % n] > 0)
				e = (e0 + j) % n;
		}
		if (e == SIZE_MAX) {
			sp = SPOIL_NONE;
		} else {
			s->pick[e] = s->lo[e] - 1;
			pl->stale++;
		}
	} else if (sp == SPOIL_TORN) {
		torn_e = rng_below(&s->rng, n);
		skip = rng_below(&s->rng, s->ent[torn_e].nlines);
		pl->torn++;
	}
	memset(&q, 0, sizeof(q));
	q.worker = i % 16;
	q.pid = (int)(1000 + i);
	q.start_ns = start;
	q.end_ns = end;
	q.scans = -1;
	if (s->sp.reduced)
		q.out = answer_reduced(s, torn_e, skip, &q.out_len);
	else
		q.out = answer_full(s, torn_e, skip, &q.out_len);
	if (!q.out)
		return -ENOMEM;
	if (sp == SPOIL_MALFORMED) {
		rc = malform(s, &q.out, &q.out_len);
		if (rc) {
			free(q.out);
			return rc;
		}
		pl->malformed++;
	}
	rc = history_add_query(s->h, &q);
	if (rc < 0) {
		free(q.out);
		return rc;
	}
	return 0;
}

static int prefix_cmp(const void *a, const void *b, void *arg)
{
	const struct sentry *ent = arg;
	const struct sentry *x = &ent[*(const size_t *)a], *y = &ent[*(const size_t *)b];

	return view_line_cmp(x->pfx, x->plen, y->pfx, y->plen);
}

static void synth_release(struct synth *s)
{
	for (size_t e = 0; s->ent && e < s->sp.nentries; e++) {
		if (!s->ent[e].red)
			continue;
		for (size_t k = 0; k < s->sp.nstates; k++)
			view_release(&s->ent[e].red[k]);
		free(s->ent[e].red);
	}
	free(s->ent);
	free(s->order);
	free(s->pick);
	free(s->lo);
	free(s->cursor);
	free(s->taken);
}

int synth_history(struct history *h, const struct synth_spec *spec, struct synth_planted *planted)
{
	struct synth_planted pl = {0, 0, 0};
	struct synth s;
	char **paths = NULL;
	size_t n;
	int rc = -ENOMEM;

	memset(&s, 0, sizeof(s));
	s.sp = *spec;
	spec_defaults(&s.sp);
	n = s.sp.nentries;
	memset(h, 0, sizeof(*h));
	if (s.sp.lines_min > s.sp.lines_max)
		return -EINVAL;
	s.h = h;
	rng_seed(&s.rng, s.sp.seed);
	paths = calloc(n, sizeof(*paths));
	s.ent = calloc(n, sizeof(*s.ent));
	s.order = calloc(n, sizeof(*s.order));
	s.pick = calloc(n, sizeof(*s.pick));
	s.lo = calloc(n, sizeof(*s.lo));
	s.cursor = calloc(n, sizeof(*s.cursor));
	s.taken = calloc(n, sizeof(*s.taken));
	if (!paths || !s.ent || !s.order || !s.pick || !s.lo || !s.cursor || !s.taken)
		goto out;
	for (size_t e = 0; e < n; e++) {
		if (asprintf(&paths[e], "/synth/entry%zu", e) < 0) {
			paths[e] = NULL;
			goto out;
		}
	}
	rc = history_init(h, n, (const char *const *)paths);
	if (rc)
		goto out;
	for (size_t e = 0; e < n && !rc; e++) {
		struct sentry *se = &s.ent[e];

		se->nlines =
		    s.sp.lines_min + rng_below(&s.rng, s.sp.lines_max - s.sp.lines_min + 1);
		se->plen = (size_t)snprintf(se->pfx, sizeof(se->pfx), "%zu\t", e);
		s.order[e] = e;
		rc = make_states(&s, e);
	}
	if (rc)
		goto out;
	/* Entry 10's lines sort before entry 2's: "1" "0" < "2". */
	qsort_r(s.order, n, sizeof(*s.order), prefix_cmp, s.ent);
	for (size_t i = 0; i < s.sp.nqueries && !rc; i++)
		rc = make_query(&s, (uint32_t)i, &pl);
out:
	for (size_t e = 0; paths && e < n; e++)
		free(paths[e]);
	free(paths);
	synth_release(&s);
	if (rc) {
		if (h->entries)
			history_release(h);
		memset(h, 0, sizeof(*h));
		return rc;
	}
	if (planted)
		*planted = pl;
	return 0;
}

static size_t history_bytes(const struct history *h)
{
	size_t bytes = h->qcap * sizeof(*h->queries) + h->nentries * sizeof(*h->entries);

	for (size_t i = 0; i < h->nqueries; i++)
		bytes += h->queries[i].out_len + h->queries[i].err_len;
	for (size_t e = 0; e < h->nentries; e++) {
		const struct hentry *ent = &h->entries[e];

		bytes += ent->cap * sizeof(*ent->states);
		for (size_t k = 0; k < ent->nstates; k++)
			bytes += ent->states[k].view.len + strlen(ent->states[k].label) + 1;
	}
	return bytes;
}

int synth_time_checker(const struct synth_spec *spec, const struct checker_opts *o,
		       struct verdict *v, struct synth_timing *t)
{
	struct history h;
	int64_t t0, t1, t2;
	int rc;

	memset(t, 0, sizeof(*t));
	t0 = clock_now_ns();
	rc = synth_history(&h, spec, &t->planted);
	if (rc)
		return rc;
	t1 = clock_now_ns();
	rc = checker_run(&h, o, v);
	t2 = clock_now_ns();
	t->build_s = (double)(t1 - t0) / 1e9;
	t->check_s = (double)(t2 - t1) / 1e9;
	t->history_bytes = history_bytes(&h);
	history_release(&h);
	return rc;
}
