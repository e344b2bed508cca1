/* checker.c: judges a history against I1..I5 (PROTOCOL.md section 5), and the
 * verdict's bookkeeping: statuses, counted violations, bounded examples and
 * notes. */
#include "checker.h"
#include "hash.h"
#include "view.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#define DEFAULT_EXAMPLES 5
#define SEARCH_CAP	 100000 /* nodes of one reduced-answer search */
#define DIFF_LINES	 20
#define TEXT_CAP	 4096 /* bytes of one example string */
#define STATES_SHOWN	 6
#define LABEL_CAP	 120
#define QUOTE_CAP	 160
#define NO_STATE	 SIZE_MAX

static const char *const check_names[CHECK_COUNT] = {"I1", "I2", "I3", "I4",
						     "I5", "I6", "I7", "I8"};
static const char *const check_titles[CHECK_COUNT] = {
    "fresh", "answers", "never waits", "caches", "tidy", "owner", "distrust", "harmless"};

const char *check_id_name(enum check_id id)
{
	return (unsigned)id < CHECK_COUNT ? check_names[id] : "I?";
}

const char *check_title(enum check_id id)
{
	return (unsigned)id < CHECK_COUNT ? check_titles[id] : "?";
}

int check_id_parse(const char *s)
{
	for (int i = 0; s && i < CHECK_COUNT; i++) {
		if (strcasecmp(s, check_names[i]) == 0 || strcmp(s, check_titles[i]) == 0)
			return i;
	}
	return -1;
}

/* ---- verdict bookkeeping ---- */

static void example_release(struct check_example *ex)
{
	free(ex->kind);
	free(ex->states);
	free(ex->diff);
	free(ex->detail);
}

void verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < CHECK_COUNT; i++)
		v->checks[i].status = CHECK_NOT_RUN;
}

void verdict_release(struct verdict *v)
{
	for (int i = 0; i < CHECK_COUNT; i++) {
		struct check_outcome *c = &v->checks[i];

		for (size_t k = 0; k < c->nexamples; k++)
			example_release(&c->examples[k]);
		free(c->examples);
		free(c->note);
	}
	verdict_init(v);
}

void verdict_exercised(struct verdict *v, enum check_id id)
{
	struct check_outcome *c = &v->checks[id];

	if (c->status == CHECK_NOT_RUN)
		c->status = c->violations ? CHECK_REPORTED : CHECK_PASS;
}

static int dup_field(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int verdict_add(struct verdict *v, enum check_id id, const struct check_example *ex,
		size_t max_examples)
{
	struct check_outcome *c = &v->checks[id];
	struct check_example *arr, copy;
	size_t max = max_examples ? max_examples : DEFAULT_EXAMPLES;

	/* Counted first: an example we cannot keep is still a violation. The
	 * status is provisional until verdict_finish() knows the deciding set. */
	c->violations++;
	if (c->status == CHECK_NOT_RUN || c->status == CHECK_PASS)
		c->status = CHECK_REPORTED;
	if (!ex || c->nexamples >= max)
		return 0;
	memset(&copy, 0, sizeof(copy));
	copy.query = ex->query;
	copy.worker = ex->worker;
	copy.start_ns = ex->start_ns;
	copy.end_ns = ex->end_ns;
	copy.entry = ex->entry;
	if (dup_field(&copy.kind, ex->kind) || dup_field(&copy.states, ex->states) ||
	    dup_field(&copy.diff, ex->diff) || dup_field(&copy.detail, ex->detail))
		goto fail;
	arr = realloc(c->examples, (c->nexamples + 1) * sizeof(*arr));
	if (!arr)
		goto fail;
	c->examples = arr;
	c->examples[c->nexamples++] = copy;
	return 0;
fail:
	example_release(&copy);
	return -ENOMEM;
}

bool verdict_finish(struct verdict *v, unsigned deciding)
{
	bool passed = true;

	for (int i = 0; i < CHECK_COUNT; i++) {
		struct check_outcome *c = &v->checks[i];

		if (c->status == CHECK_NOT_RUN && !c->violations)
			continue;
		if (!c->violations) {
			c->status = CHECK_PASS;
		} else if (deciding & CHECK_BIT(i)) {
			c->status = CHECK_FAIL;
			passed = false;
		} else {
			c->status = CHECK_REPORTED;
		}
	}
	return passed;
}

/* ---- bounded strings for examples and notes ---- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom, full;
};

static void sb_init(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

/* Keeps at most TEXT_CAP bytes then " ...": an example must stay readable
 * whatever an implementation printed. */
static void sb_put(struct sbuf *b, const char *p, size_t n)
{
	bool cut = false;

	if (b->oom || b->full)
		return;
	if (b->len + n > TEXT_CAP) {
		n = TEXT_CAP - b->len;
		cut = true;
	}
	if (b->len + n + 5 > b->cap) {
		size_t cap = (b->len + n + 5) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	if (cut) {
		memcpy(b->s + b->len, " ...", 4);
		b->len += 4;
		b->full = true;
	}
	b->s[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Bytes as a C-like literal body: answers and labels are untrusted and may
 * hold control bytes that would garble a report. */
static void sb_quote(struct sbuf *b, const char *p, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\t')
			sb_puts(b, "\\t");
		else if (ch == '\n')
			sb_puts(b, "\\n");
		else if (ch == '\\' || ch == '"')
			sb_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			sb_printf(b, "\\x%02x", ch);
		else
			sb_put(b, p + i, 1);
	}
	if (n > max)
		sb_puts(b, "...");
}

/* The string, NULL when empty; *rc = -ENOMEM when it could not be built. */
static char *sb_take(struct sbuf *b, int *rc)
{
	char *s = b->s;

	if (b->oom) {
		free(s);
		*rc = -ENOMEM;
		s = NULL;
	}
	sb_init(b);
	return s;
}

static int set_note(struct check_outcome *c, struct sbuf *b)
{
	int rc = 0;
	char *s = sb_take(b, &rc);

	if (rc)
		return rc;
	free(c->note);
	c->note = s;
	return 0;
}

/* ---- the judging context ---- */

struct sig {
	uint64_t w[2];
};

struct hslot {
	uint64_t hash;
	size_t state;
};

/* What is precomputed once per path entry. */
struct eidx {
	/* from_ns and until_ns both non-decreasing, as one mutator thread
	 * makes them: then the states a query may have seen are one run found
	 * by binary search. Otherwise every state is tried. */
	bool monotone;
	struct hslot *byhash; /* every state by view hash: stale and later lookups */
	struct view *red;     /* reduced projections (reduced mode) */
	struct sig *sig;      /* of red[k]: a cheap subset filter */
};

/* The lines of one path entry in the answer being judged: contiguous,
 * because a sorted answer keeps lines with the same "P\t" prefix together. */
struct seg {
	const char *begin, *end;
	size_t nlines;
	size_t plen; /* "P\t" */
	uint64_t stamp;
};

struct rline {
	const char *p;
	size_t len;
};

struct cand {
	size_t state;
	size_t bits; /* offset of its coverage bitset in ctx.words */
};

enum search_result { SEARCH_NONE, SEARCH_FOUND, SEARCH_CAPPED };

struct ctx {
	const struct history *h;
	const struct checker_opts *o;
	struct verdict *v;
	size_t max_ex;
	struct eidx *idx;
	struct seg *seg;
	uint64_t stamp;
	size_t unjudged_entries; /* entries with no recorded state */

	int64_t *lat;
	size_t nlat;
	uint64_t started, spawn_failed, undecided, warm_unknown;
	int64_t slowest;

	/* reduced-answer search, reused from query to query */
	struct rline *lines;
	size_t nlines, lcap;
	uint64_t *words;
	size_t nwords, wcap;
	struct cand *cands;
	size_t ncands, ccap;
	size_t *first, *count, *order, *choice;
	uint64_t *cur, *suffix;
	size_t scap; /* words in cur and suffix */
	size_t W;
	uint64_t lastmask;
	size_t nodes;
	size_t empty_entry; /* the entry left without a candidate */
	size_t empty_hi;    /* the end of the states it was searched in */
	struct sig sig;	    /* of the answer's lines, for the earlier search */

	/* The last wrong reduced answer and what explained it. A cache that
	 * stopped refreshing repeats one answer query after query, and the
	 * earlier search walks every state: this keeps that linear in the
	 * answers, not in answers times states. */
	struct {
		bool valid, stale;
		char *answer;
		size_t len, cap;
		size_t *choice; /* stale: the combination found */
		size_t entry;	/* torn: this entry had no state to offer... */
		size_t hi;	/* ...among [0, hi) */
	} memo;
};

/* Where text of n bytes ends; an empty view or answer has no text at all,
 * and arithmetic on a null pointer is undefined even by zero. */
static const char *text_end(const char *p, size_t n)
{
	return p ? p + n : NULL;
}

/* Freshness is linearizability of each entry's read. The harness cannot see
 * the instant a system call takes effect, only clock reads just before and
 * just after it, so a state is "possibly current" over [from_ns, until_ns]:
 * from the start of the call that made it to the end of the call that
 * replaced it (history.h). A query cannot be seen more precisely either:
 * [start_ns, end_ns] holds its whole life. An answer for an entry is fresh
 * when some state of that entry was possibly current at some instant of the
 * query: the two intervals meet. Both ends are inclusive, because equal
 * clock reads do not order the events they bracket. An answer that only an
 * earlier state explains (replaced before the query began) is stale, the
 * signature of a cache that was not invalidated; one that no state explains
 * is torn: a read of half an update, a mix of two, or damage. */
static bool meets(const struct hstate *s, int64_t a, int64_t b)
{
	return s->from_ns <= b && a <= s->until_ns;
}

static double rel_s(const struct ctx *c, int64_t t)
{
	return (double)(t - c->h->t0_ns) / 1e9;
}

static int hslot_cmp(const void *a, const void *b)
{
	const struct hslot *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->state > y->state) - (x->state < y->state);
}

/* Two bits of 128 per line: a projection whose signature has a bit the
 * answer's lacks holds a line the answer lacks. */
static void sig_add(struct sig *s, const char *p, size_t n)
{
	uint64_t h = hash64(p, n);

	s->w[(h >> 6) & 1] |= 1ull << (h & 63);
	s->w[(h >> 13) & 1] |= 1ull << ((h >> 7) & 63);
}

static void view_sig(const struct view *v, struct sig *s)
{
	const char *p = v->text, *end = text_end(v->text, v->len);

	s->w[0] = s->w[1] = 0;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		sig_add(s, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

/* The first k in [k, hi) whose signature fits in the answer's. */
static size_t sig_next(const struct sig *s, size_t k, size_t hi, const struct sig *answer)
{
	uint64_t o0 = ~answer->w[0], o1 = ~answer->w[1];

	/* Eight at a time with no branch inside, which vectorises: the
	 * earlier search runs this over every state begun so far. */
	while (k + 8 <= hi) {
		unsigned fits = 0;

		for (size_t i = 0; i < 8; i++)
			fits |= ((s[k + i].w[0] & o0) | (s[k + i].w[1] & o1)) == 0;
		if (fits)
			break;
		k += 8;
	}
	while (k < hi && ((s[k].w[0] & o0) | (s[k].w[1] & o1)))
		k++;
	return k;
}

static int index_entry(struct ctx *c, size_t e)
{
	const struct hentry *ent = &c->h->entries[e];
	struct eidx *x = &c->idx[e];

	x->monotone = true;
	for (size_t k = 1; k < ent->nstates; k++) {
		if (ent->states[k].from_ns < ent->states[k - 1].from_ns ||
		    ent->states[k].until_ns < ent->states[k - 1].until_ns)
			x->monotone = false;
	}
	if (!ent->nstates) {
		c->unjudged_entries++;
		return 0;
	}
	x->byhash = malloc(ent->nstates * sizeof(*x->byhash));
	if (!x->byhash)
		return -ENOMEM;
	for (size_t k = 0; k < ent->nstates; k++) {
		x->byhash[k].hash = ent->states[k].view.hash;
		x->byhash[k].state = k;
	}
	qsort(x->byhash, ent->nstates, sizeof(*x->byhash), hslot_cmp);
	if (!c->o->reduced)
		return 0;
	x->red = calloc(ent->nstates, sizeof(*x->red));
	x->sig = calloc(ent->nstates, sizeof(*x->sig));
	if (!x->red || !x->sig)
		return -ENOMEM;
	for (size_t k = 0; k < ent->nstates; k++)
		view_init(&x->red[k]);
	for (size_t k = 0; k < ent->nstates; k++) {
		/* An empty view projects to nothing; view_reduce() would do
		 * arithmetic on its null text. */
		int rc =
		    ent->states[k].view.len ? view_reduce(&ent->states[k].view, &x->red[k]) : 0;

		if (rc)
			return rc;
		view_sig(&x->red[k], &x->sig[k]);
	}
	return 0;
}

static void ctx_release(struct ctx *c)
{
	for (size_t e = 0; c->idx && e < c->h->nentries; e++) {
		struct eidx *x = &c->idx[e];

		if (x->red) {
			for (size_t k = 0; k < c->h->entries[e].nstates; k++)
				view_release(&x->red[k]);
		}
		free(x->red);
		free(x->sig);
		free(x->byhash);
	}
	free(c->idx);
	free(c->seg);
	free(c->lat);
	free(c->lines);
	free(c->words);
	free(c->cands);
	free(c->first);
	free(c->count);
	free(c->order);
	free(c->choice);
	free(c->cur);
	free(c->suffix);
	free(c->memo.answer);
	free(c->memo.choice);
}

static int ctx_init(struct ctx *c, const struct history *h, const struct checker_opts *o,
		    struct verdict *v)
{
	size_t n = h->nentries ? h->nentries : 1;

	memset(c, 0, sizeof(*c));
	c->h = h;
	c->o = o;
	c->v = v;
	c->max_ex = o->max_examples ? o->max_examples : DEFAULT_EXAMPLES;
	c->idx = calloc(n, sizeof(*c->idx));
	c->seg = calloc(n, sizeof(*c->seg));
	c->lat = malloc((h->nqueries ? h->nqueries : 1) * sizeof(*c->lat));
	c->first = calloc(n, sizeof(*c->first));
	c->count = calloc(n, sizeof(*c->count));
	c->order = calloc(n, sizeof(*c->order));
	c->choice = calloc(n, sizeof(*c->choice));
	c->memo.choice = calloc(n, sizeof(*c->memo.choice));
	if (!c->idx || !c->seg || !c->lat || !c->first || !c->count || !c->order || !c->choice ||
	    !c->memo.choice)
		return -ENOMEM;
	for (size_t e = 0; e < h->nentries; e++) {
		int rc = index_entry(c, e);

		if (rc)
			return rc;
	}
	return 0;
}

static bool want_example(const struct ctx *c, enum check_id id)
{
	return c->v->checks[id].nexamples < c->max_ex;
}

static void example_of(const struct ctx *c, const struct hquery *q, struct check_example *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->query = q->id;
	ex->worker = q->worker;
	ex->start_ns = q->start_ns - c->h->t0_ns;
	ex->end_ns = q->end_ns - c->h->t0_ns;
	ex->entry = -1;
}

/* Adds one violation with an example made of these strings (borrowed). */
static int add_example(struct ctx *c, enum check_id id, const struct hquery *q, int64_t entry,
		       const char *kind, char *states, char *diff, const char *detail)
{
	struct check_example ex;

	example_of(c, q, &ex);
	ex.entry = entry;
	ex.kind = (char *)kind;
	ex.states = states;
	ex.diff = diff;
	ex.detail = (char *)detail;
	return verdict_add(c->v, id, &ex, c->max_ex);
}

/* ---- state ranges ---- */

/* [*lo, *hi) holds every state of entry e that may meet [a, b]; callers
 * still test meets() because an entry that is not monotone gets them all. */
static void state_range(const struct ctx *c, size_t e, int64_t a, int64_t b, size_t *lo, size_t *hi)
{
	const struct hentry *ent = &c->h->entries[e];
	size_t l = 0, r = ent->nstates;

	if (!c->idx[e].monotone) {
		*lo = 0;
		*hi = ent->nstates;
		return;
	}
	while (l < r) {
		size_t m = l + (r - l) / 2;

		if (ent->states[m].from_ns > b)
			r = m;
		else
			l = m + 1;
	}
	*hi = l;
	l = 0;
	r = *hi;
	while (l < r) {
		size_t m = l + (r - l) / 2;

		if (ent->states[m].until_ns >= a)
			r = m;
		else
			l = m + 1;
	}
	*lo = l;
}

/* The state of entry e that was current at t (the latest one begun by then). */
static size_t state_at(const struct ctx *c, size_t e, int64_t t)
{
	const struct hentry *ent = &c->h->entries[e];
	size_t best = NO_STATE;

	if (c->idx[e].monotone) {
		size_t lo, hi;

		state_range(c, e, t, t, &lo, &hi);
		return hi ? hi - 1 : NO_STATE;
	}
	for (size_t k = 0; k < ent->nstates; k++) {
		if (ent->states[k].from_ns <= t &&
		    (best == NO_STATE || ent->states[k].from_ns >= ent->states[best].from_ns))
			best = k;
	}
	return best;
}

static void sb_state(struct sbuf *b, const struct ctx *c, size_t k, const struct hstate *s)
{
	const char *label = s->label ? s->label : "";

	sb_printf(b, "state %zu \"", k);
	sb_quote(b, label, strlen(label), LABEL_CAP);
	sb_printf(b, "\" [%.3f s, ", rel_s(c, s->from_ns));
	if (s->until_ns == HIST_FOREVER)
		sb_puts(b, "-]");
	else
		sb_printf(b, "%.3f s]", rel_s(c, s->until_ns));
}

/* The candidates of entry e for q, the last STATES_SHOWN of them. */
static void sb_candidates(struct sbuf *b, const struct ctx *c, size_t e, const struct hquery *q)
{
	const struct hentry *ent = &c->h->entries[e];
	size_t lo, hi, n = 0, skip, i = 0;

	state_range(c, e, q->start_ns, q->end_ns, &lo, &hi);
	for (size_t k = lo; k < hi; k++)
		n += meets(&ent->states[k], q->start_ns, q->end_ns);
	if (!n) {
		sb_printf(b, "no state of entry %zu was current during the query", e);
		return;
	}
	skip = n > STATES_SHOWN ? n - STATES_SHOWN : 0;
	if (skip)
		sb_printf(b, "%zu earlier candidates not shown; ", skip);
	for (size_t k = lo; k < hi; k++) {
		if (!meets(&ent->states[k], q->start_ns, q->end_ns) || i++ < skip)
			continue;
		if (i > skip + 1)
			sb_puts(b, "; ");
		sb_state(b, c, k, &ent->states[k]);
	}
}

/* view_diff, bounded. */
static char *bounded_diff(const char *want, size_t wlen, const char *got, size_t glen, int *rc)
{
	struct sbuf b;
	char *d;

	/* view_diff() computes want + want_len even when want is NULL, which
	 * is undefined (clang's UBSan stops on it): never give it NULL. */
	d = view_diff(want ? want : "", wlen, got ? got : "", glen, DIFF_LINES);

	if (!d) {
		*rc = -ENOMEM;
		return NULL;
	}
	if (strlen(d) <= TEXT_CAP)
		return d;
	sb_init(&b);
	sb_put(&b, d, strlen(d));
	free(d);
	return sb_take(&b, rc);
}

/* ---- I2: exit status and the answer's form ---- */

/* Parses "P": a decimal without leading zeros below nentries. False with a
 * reason otherwise. */
static bool parse_index(const char *p, size_t n, size_t nentries, size_t lineno, size_t *out,
			char *why, size_t whylen)
{
	uint64_t val = 0;
	bool digits = n > 0;
	struct sbuf b;
	int rc = 0;
	char *q;

	for (size_t i = 0; i < n && digits; i++) {
		digits = p[i] >= '0' && p[i] <= '9';
		/* Saturates far above any entry count. */
		if (val < UINT64_MAX / 16)
			val = val * 10 + (uint64_t)(p[i] - '0');
	}
	if (digits && !(n > 1 && p[0] == '0') && val < nentries) {
		*out = (size_t)val;
		return true;
	}
	sb_init(&b);
	sb_quote(&b, p, n, 20);
	q = sb_take(&b, &rc);
	if (!digits)
		snprintf(why, whylen, "line %zu: path index \"%s\" is not a decimal number", lineno,
			 q ? q : "");
	else if (n > 1 && p[0] == '0')
		snprintf(why, whylen, "line %zu: path index \"%s\" has a leading zero", lineno,
			 q ? q : "");
	else
		snprintf(why, whylen, "line %zu: path index %s out of range (%zu entries)", lineno,
			 q ? q : "", nentries);
	free(q);
	return false;
}

static size_t count_tabs(const char *p, size_t n)
{
	size_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += p[i] == '\t';
	return t;
}

/* Validates one full answer and records where each entry's lines are.
 * True when well-formed; otherwise why and *bad_line are set. */
static bool scan_full(struct ctx *c, const struct hquery *q, char *why, size_t whylen,
		      size_t *bad_line)
{
	const char *p = q->out, *end = text_end(q->out, q->out_len), *prev = NULL;
	size_t prevlen = 0, lineno = 0, cur = NO_STATE;

	c->stamp++;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *t[4];
		size_t len, idx;

		*bad_line = ++lineno;
		if (!nl) {
			snprintf(why, whylen, "line %zu: no final LF", lineno);
			return false;
		}
		len = (size_t)(nl - p);
		if (memchr(p, '\0', len)) {
			snprintf(why, whylen, "line %zu: NUL byte", lineno);
			return false;
		}
		t[0] = memchr(p, '\t', len);
		for (int i = 1; i < 4 && t[i - 1]; i++)
			t[i] = memchr(t[i - 1] + 1, '\t', (size_t)(nl - t[i - 1] - 1));
		if (!t[0] || !t[1] || !t[2] || !t[3] ||
		    memchr(t[3] + 1, '\t', (size_t)(nl - t[3] - 1))) {
			size_t nf = count_tabs(p, len) + 1;

			snprintf(why, whylen, "line %zu: %zu field%s, want 5", lineno, nf,
				 nf == 1 ? "" : "s");
			return false;
		}
		if (!parse_index(p, (size_t)(t[0] - p), c->h->nentries, lineno, &idx, why, whylen))
			return false;
		if (t[1] == t[0] + 1) {
			snprintf(why, whylen, "line %zu: empty distribution directory name",
				 lineno);
			return false;
		}
		if (t[3] == t[2] + 1) {
			snprintf(why, whylen, "line %zu: empty entry point name", lineno);
			return false;
		}
		if (prev && view_line_cmp(prev, prevlen, p, len) > 0) {
			snprintf(why, whylen, "line %zu: out of order after line %zu", lineno,
				 lineno - 1);
			return false;
		}
		if (idx != cur) {
			struct seg *s = &c->seg[idx];

			/* Cannot happen in a sorted answer; kept so that a
			 * broken sort check never splits an entry silently. */
			if (s->stamp == c->stamp) {
				snprintf(why, whylen, "line %zu: entry %zu split", lineno, idx);
				return false;
			}
			s->stamp = c->stamp;
			s->begin = p;
			s->nlines = 0;
			s->plen = (size_t)(t[0] - p) + 1;
			cur = idx;
		}
		c->seg[idx].nlines++;
		c->seg[idx].end = nl + 1;
		prev = p;
		prevlen = len;
		p = nl + 1;
	}
	return true;
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Validates one reduced answer (distinct sorted "G\tN\tV" lines) into
 * c->lines. 1 well-formed, 0 malformed (why set), -ENOMEM. */
static int scan_reduced(struct ctx *c, const struct hquery *q, char *why, size_t whylen,
			size_t *bad_line)
{
	const char *p = q->out, *end = text_end(q->out, q->out_len);
	size_t lineno = 0;

	c->nlines = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *t1, *t2;
		size_t len;

		*bad_line = ++lineno;
		if (!nl) {
			snprintf(why, whylen, "line %zu: no final LF", lineno);
			return 0;
		}
		len = (size_t)(nl - p);
		if (memchr(p, '\0', len)) {
			snprintf(why, whylen, "line %zu: NUL byte", lineno);
			return 0;
		}
		t1 = memchr(p, '\t', len);
		t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		if (!t2 || memchr(t2 + 1, '\t', (size_t)(nl - t2 - 1))) {
			size_t nf = count_tabs(p, len) + 1;

			snprintf(why, whylen, "line %zu: %zu field%s, want 3", lineno, nf,
				 nf == 1 ? "" : "s");
			return 0;
		}
		if (t2 == t1 + 1) {
			snprintf(why, whylen, "line %zu: empty entry point name", lineno);
			return 0;
		}
		if (c->nlines) {
			const struct rline *pr = &c->lines[c->nlines - 1];
			int cmp = view_line_cmp(pr->p, pr->len, p, len);

			if (cmp == 0) {
				snprintf(why, whylen, "line %zu: repeats line %zu", lineno,
					 lineno - 1);
				return 0;
			}
			if (cmp > 0) {
				snprintf(why, whylen, "line %zu: out of order after line %zu",
					 lineno, lineno - 1);
				return 0;
			}
		}
		if (grow((void **)&c->lines, &c->lcap, c->nlines + 1, sizeof(*c->lines)))
			return -ENOMEM;
		c->lines[c->nlines].p = p;
		c->lines[c->nlines].len = len;
		c->nlines++;
		p = nl + 1;
	}
	return 1;
}

/* The line-th line of the answer (1-based), for quoting. */
static void nth_line(const struct hquery *q, size_t line, const char **p, size_t *n)
{
	const char *s = q->out, *end = text_end(q->out, q->out_len);

	for (size_t i = 1; i < line && s < end; i++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		s = nl ? nl + 1 : end;
	}
	*p = s;
	*n = (size_t)(end - s);
	if (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (nl)
			*n = (size_t)(nl - s);
	}
}

/* First line of stderr, quoted, for the detail of an error exit. */
static void sb_stderr(struct sbuf *b, const struct hquery *q)
{
	size_t n;

	if (!q->err || !q->err_len) {
		sb_puts(b, "; stderr empty");
		return;
	}
	n = strcspn(q->err, "\n");
	if (n > q->err_len)
		n = q->err_len;
	sb_puts(b, "; stderr: \"");
	sb_quote(b, q->err, n, QUOTE_CAP);
	sb_puts(b, "\"");
}

static int add_i2(struct ctx *c, const struct hquery *q, const char *kind, size_t bad_line)
{
	struct sbuf b;
	int rc = 0;
	char *detail;

	if (!want_example(c, CHECK_I2))
		return verdict_add(c->v, CHECK_I2, NULL, c->max_ex);
	sb_init(&b);
	if (bad_line) {
		const char *p;
		size_t n;

		nth_line(q, bad_line, &p, &n);
		sb_printf(&b, "line %zu is \"", bad_line);
		sb_quote(&b, p, n, QUOTE_CAP);
		sb_puts(&b, "\"");
	} else if (q->flags & HQ_OUT_TRUNCATED) {
		sb_printf(&b, "stdout passed the harness's cap after %zu bytes", q->out_len);
	} else if (WIFEXITED(q->wstatus)) {
		sb_printf(&b, "exited with status %d", WEXITSTATUS(q->wstatus));
		sb_stderr(&b, q);
	} else if (WIFSIGNALED(q->wstatus)) {
		sb_printf(&b, "killed by signal %d%s", WTERMSIG(q->wstatus),
			  WCOREDUMP(q->wstatus) ? " (core dumped)" : "");
		sb_stderr(&b, q);
	} else {
		sb_printf(&b, "ended with wait status 0x%x", (unsigned)q->wstatus);
	}
	detail = sb_take(&b, &rc);
	if (!rc)
		rc = add_example(c, CHECK_I2, q, -1, kind, NULL, NULL, detail);
	free(detail);
	return rc;
}

/* ---- I1 on full answers ---- */

static size_t seg_len(const struct seg *s)
{
	if (!s->begin)
		return 0;
	return (size_t)(s->end - s->begin) - s->nlines * s->plen;
}

static uint64_t seg_hash(const struct seg *s)
{
	struct hash64 hs;
	const char *p = s->begin;

	hash64_init(&hs);
	if (!p)
		return hash64_final(&hs);
	while (p < s->end) {
		const char *nl = memchr(p, '\n', (size_t)(s->end - p));

		hash64_update(&hs, p + s->plen, (size_t)(nl + 1 - p) - s->plen);
		p = nl + 1;
	}
	return hash64_final(&hs);
}

/* The segment's lines with "P\t" removed equal the view. */
static bool seg_equals(const struct seg *s, const struct view *v)
{
	const char *p = s->begin, *w = v->text;

	if (v->nlines != s->nlines || v->len != seg_len(s))
		return false;
	if (!p)
		return true;
	while (p < s->end) {
		const char *nl = memchr(p, '\n', (size_t)(s->end - p));
		size_t n = (size_t)(nl + 1 - p) - s->plen;

		if (memcmp(p + s->plen, w, n) != 0)
			return false;
		w += n;
		p = nl + 1;
	}
	return true;
}

static bool seg_fits(const struct ctx *c, size_t e, const struct seg *s, const struct hquery *q)
{
	const struct hentry *ent = &c->h->entries[e];
	size_t lo, hi, same = 0, slen = seg_len(s);
	uint64_t hs = 0;

	state_range(c, e, q->start_ns, q->end_ns, &lo, &hi);
	for (size_t k = lo; k < hi; k++) {
		const struct hstate *st = &ent->states[k];

		same += meets(st, q->start_ns, q->end_ns) && st->view.len == slen &&
			st->view.nlines == s->nlines;
	}
	if (!same)
		return false;
	/* Usually one or two states survive the length test and a memcmp is
	 * cheaper than hashing; a long query over many states hashes once. */
	if (same > 2)
		hs = seg_hash(s);
	for (size_t k = lo; k < hi; k++) {
		const struct hstate *st = &ent->states[k];

		if (!meets(st, q->start_ns, q->end_ns) || (same > 2 && st->view.hash != hs))
			continue;
		if (seg_equals(s, &st->view))
			return true;
	}
	return false;
}

enum when { EARLIER, LATER };

/* The state of entry e with the segment's view that ended before q started
 * (the latest such) or began after q ended (the first such). */
static size_t find_equal(const struct ctx *c, size_t e, const struct seg *s, const struct hquery *q,
			 enum when when)
{
	const struct hentry *ent = &c->h->entries[e];
	const struct hslot *slots = c->idx[e].byhash;
	size_t l = 0, r = ent->nstates, best = NO_STATE;
	uint64_t hs = seg_hash(s);

	while (l < r) {
		size_t m = l + (r - l) / 2;

		if (slots[m].hash < hs)
			l = m + 1;
		else
			r = m;
	}
	for (; l < ent->nstates && slots[l].hash == hs; l++) {
		size_t k = slots[l].state;
		const struct hstate *st = &ent->states[k];
		bool ok = when == EARLIER ? st->until_ns < q->start_ns : st->from_ns > q->end_ns;

		if (!ok || !seg_equals(s, &st->view))
			continue;
		if (best == NO_STATE || (when == EARLIER ? k > best : k < best))
			best = k;
	}
	return best;
}

static int example_full(struct ctx *c, const struct hquery *q, size_t e, const struct seg *s,
			size_t matched, bool stale)
{
	const struct hentry *ent = &c->h->entries[e];
	size_t at = state_at(c, e, q->end_ns);
	struct sbuf b, d;
	char *states, *diff = NULL, *detail, *got = NULL;
	size_t glen = seg_len(s);
	int rc = 0;

	sb_init(&b);
	sb_init(&d);
	sb_candidates(&b, c, e, q);
	if (matched != NO_STATE) {
		sb_printf(&b, "; matched %s ", stale ? "earlier" : "later");
		sb_state(&b, c, matched, &ent->states[matched]);
	}
	states = sb_take(&b, &rc);
	if (stale) {
		sb_printf(&d,
			  "entry %zu answered state %zu, replaced at %.3f s, before the query "
			  "started at %.3f s",
			  e, matched, rel_s(c, ent->states[matched].until_ns),
			  rel_s(c, q->start_ns));
	} else if (matched != NO_STATE) {
		sb_printf(&d,
			  "entry %zu answered state %zu, current only from %.3f s, after the "
			  "query ended at %.3f s",
			  e, matched, rel_s(c, ent->states[matched].from_ns), rel_s(c, q->end_ns));
	} else {
		sb_printf(&d, "entry %zu answered %zu lines that match no state of the entry", e,
			  s->nlines);
	}
	detail = sb_take(&d, &rc);
	if (glen) {
		const char *p = s->begin;
		char *w;

		got = w = malloc(glen);
		if (!got)
			rc = -ENOMEM;
		while (got && p < s->end) {
			const char *nl = memchr(p, '\n', (size_t)(s->end - p));
			size_t n = (size_t)(nl + 1 - p) - s->plen;

			memcpy(w, p + s->plen, n);
			w += n;
			p = nl + 1;
		}
	}
	if (!rc) {
		const struct view *want = at != NO_STATE ? &ent->states[at].view : NULL;

		diff = bounded_diff(want ? want->text : NULL, want ? want->len : 0, got, glen, &rc);
	}
	if (!rc)
		rc = add_example(c, CHECK_I1, q, (int64_t)e, stale ? "stale" : "torn", states, diff,
				 detail);
	free(got);
	free(states);
	free(diff);
	free(detail);
	return rc;
}

/* Per PROTOCOL.md section 5, entries are judged one by one: each may have
 * been read at its own instant inside the query's interval, since an
 * implementation reads path entries one after another. */
static int judge_full(struct ctx *c, const struct hquery *q)
{
	size_t bad = NO_STATE, matched = NO_STATE;
	bool bad_torn = false;

	for (size_t e = 0; e < c->h->nentries; e++) {
		struct seg *s = &c->seg[e];
		size_t st;

		if (s->stamp != c->stamp) {
			s->stamp = c->stamp;
			s->begin = s->end = NULL;
			s->nlines = 0;
		}
		if (!c->h->entries[e].nstates || seg_fits(c, e, s, q))
			continue;
		st = find_equal(c, e, s, q, EARLIER);
		/* A torn entry outweighs a stale one: it says more about the
		 * implementation, and the query counts once. */
		if (bad == NO_STATE || (st == NO_STATE && !bad_torn)) {
			bad = e;
			bad_torn = st == NO_STATE;
			matched = bad_torn ? find_equal(c, e, s, q, LATER) : st;
		}
	}
	if (bad == NO_STATE)
		return 0;
	if (bad_torn)
		c->v->fig.torn++;
	else
		c->v->fig.stale++;
	if (!want_example(c, CHECK_I1))
		return verdict_add(c->v, CHECK_I1, NULL, c->max_ex);
	return example_full(c, q, bad, &c->seg[bad], matched, !bad_torn);
}

/* ---- I1 on reduced answers ----
 *
 * A reduced answer cannot say which entry a line came from, so it is
 * accepted when some choice of one state per entry, each current during
 * the query, has a union of projections equal to it (PROTOCOL.md section 2).
 * A state whose projection is not a subset of the answer can never be
 * chosen; among those left, a state whose lines are a subset of another
 * candidate's of the same entry is dominated (choosing the larger never
 * hurts a union that must cover the answer). What remains is a small exact
 * cover, searched depth-first with a node cap. */

static int words_reserve(struct ctx *c, size_t n)
{
	return grow((void **)&c->words, &c->wcap, c->nwords + n, sizeof(*c->words));
}

/* Marks in bits the answer's lines the projection holds; false when it
 * holds a line the answer lacks. Both sides are sorted and distinct. */
static bool subset_bits(const struct ctx *c, const struct view *red, uint64_t *bits)
{
	const char *p = red->text, *end = text_end(red->text, red->len);
	size_t i = 0;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		int cmp = -1;

		while (i < c->nlines &&
		       (cmp = view_line_cmp(c->lines[i].p, c->lines[i].len, p, n)) < 0)
			i++;
		if (cmp != 0)
			return false;
		bits[i / 64] |= 1ull << (i % 64);
		i++;
		p = nl + 1;
	}
	return true;
}

static bool bits_within(const uint64_t *a, const uint64_t *b, size_t W)
{
	for (size_t w = 0; w < W; w++) {
		if (a[w] & ~b[w])
			return false;
	}
	return true;
}

/* Keeps the undominated candidates of one entry, the latest state among
 * equal ones (so examples show current states where they can). */
static size_t prune_dominated(struct ctx *c, size_t first, size_t n)
{
	struct cand *cs = c->cands + first;
	size_t kept = 0;

	if (n < 2 || n > 512)
		return n;
	for (size_t i = 0; i < n; i++) {
		const uint64_t *bi = c->words + cs[i].bits;
		bool drop = false;

		for (size_t j = 0; j < n && !drop; j++) {
			const uint64_t *bj = c->words + cs[j].bits;

			if (i == j || !bits_within(bi, bj, c->W))
				continue;
			/* Equal sets: keep only the one with the highest index. */
			drop = !bits_within(bj, bi, c->W) || cs[j].state > cs[i].state;
		}
		if (!drop)
			cs[kept++] = cs[i];
	}
	return kept;
}

/* Appends the states of entry e in [lo, hi) that a combination could use:
 * current during q (or, for earlier, begun by its end) and with every line
 * in the answer. */
static int collect_range(struct ctx *c, size_t e, const struct hquery *q, bool earlier,
			 const struct sig *sig_answer, size_t lo, size_t hi)
{
	const struct hentry *ent = &c->h->entries[e];
	const struct eidx *x = &c->idx[e];

	for (size_t k = lo; k < hi; k++) {
		const struct hstate *st;
		uint64_t *bits;

		/* The earlier search walks every state begun so far; the
		 * signature, alone in its array, turns most away cheaply. */
		if (earlier) {
			k = sig_next(x->sig, k, hi, sig_answer);
			if (k == hi)
				break;
		}
		st = &ent->states[k];
		if (earlier ? st->from_ns > q->end_ns : !meets(st, q->start_ns, q->end_ns))
			continue;
		if (x->red[k].nlines > c->nlines)
			continue;
		if (words_reserve(c, c->W) ||
		    grow((void **)&c->cands, &c->ccap, c->ncands + 1, sizeof(*c->cands)))
			return -ENOMEM;
		bits = c->words + c->nwords;
		memset(bits, 0, c->W * sizeof(*bits));
		if (!subset_bits(c, &x->red[k], bits))
			continue;
		c->cands[c->ncands].state = k;
		c->cands[c->ncands].bits = c->nwords;
		c->ncands++;
		c->nwords += c->W;
	}
	return 0;
}

static int collect(struct ctx *c, const struct hquery *q, bool earlier,
		   const struct sig *sig_answer, bool *impossible)
{
	const struct history *h = c->h;
	int rc;

	c->ncands = 0;
	c->nwords = 0;
	c->empty_entry = NO_STATE;
	*impossible = false;
	for (size_t e = 0; e < h->nentries; e++) {
		const struct hentry *ent = &h->entries[e];
		size_t lo, hi;

		c->first[e] = c->ncands;
		c->count[e] = 0;
		if (!ent->nstates)
			continue;
		state_range(c, e, q->start_ns, q->end_ns, &lo, &hi);
		if (earlier)
			lo = 0;
		rc = collect_range(c, e, q, earlier, sig_answer, lo, hi);
		if (rc)
			return rc;
		c->count[e] = prune_dominated(c, c->first[e], c->ncands - c->first[e]);
		c->ncands = c->first[e] + c->count[e];
		if (!c->count[e]) {
			/* No choice for this entry: no combination at all. */
			c->empty_entry = e;
			c->empty_hi = hi;
			*impossible = true;
			return 0;
		}
	}
	return 0;
}

static enum search_result dfs(struct ctx *c, size_t level, size_t m)
{
	size_t W = c->W;
	uint64_t *cur = c->cur + level * W;
	const uint64_t *suf = c->suffix + level * W;
	bool full = true;

	if (++c->nodes > SEARCH_CAP)
		return SEARCH_CAPPED;
	for (size_t w = 0; w < W; w++) {
		uint64_t want = w == W - 1 ? c->lastmask : ~0ull;

		if ((cur[w] | suf[w]) != want)
			return SEARCH_NONE;
		full = full && cur[w] == want;
	}
	if (full) {
		for (size_t i = level; i < m; i++)
			c->choice[c->order[i]] = c->cands[c->first[c->order[i]]].state;
		return SEARCH_FOUND;
	}
	if (level == m)
		return SEARCH_NONE;
	size_t e = c->order[level];
	for (size_t j = 0; j < c->count[e]; j++) {
		const struct cand *cd = &c->cands[c->first[e] + j];
		const uint64_t *bits = c->words + cd->bits;
		uint64_t *next = cur + W;
		enum search_result r;

		for (size_t w = 0; w < W; w++)
			next[w] = cur[w] | bits[w];
		c->choice[e] = cd->state;
		r = dfs(c, level + 1, m);
		if (r != SEARCH_NONE)
			return r;
	}
	return SEARCH_NONE;
}

/* Looks for a combination (of current states, or with earlier ones too);
 * c->choice holds it when found. Returns an enum search_result or -ENOMEM. */
static int reduced_search(struct ctx *c, const struct hquery *q, bool earlier)
{
	const struct history *h = c->h;
	size_t m = 0, W;
	bool impossible;
	int rc;

	c->W = W = c->nlines ? (c->nlines + 63) / 64 : 1;
	c->lastmask = c->nlines % 64 ? (1ull << (c->nlines % 64)) - 1 : (c->nlines ? ~0ull : 0);
	rc = collect(c, q, earlier, &c->sig, &impossible);
	if (rc)
		return rc;
	if (impossible)
		return SEARCH_NONE;
	if ((h->nentries + 1) * W > c->scap) {
		size_t need = (h->nentries + 1) * W;
		uint64_t *cur = realloc(c->cur, need * sizeof(*cur));

		if (cur)
			c->cur = cur;
		uint64_t *suf = cur ? realloc(c->suffix, need * sizeof(*suf)) : NULL;
		if (!suf)
			return -ENOMEM;
		c->suffix = suf;
		c->scap = need;
	}
	/* Entries with one candidate are fixed: their union is the base. */
	memset(c->cur, 0, W * sizeof(uint64_t));
	for (size_t e = 0; e < h->nentries; e++) {
		if (!c->count[e])
			continue;
		if (c->count[e] == 1) {
			const uint64_t *bits = c->words + c->cands[c->first[e]].bits;

			for (size_t w = 0; w < W; w++)
				c->cur[w] |= bits[w];
			c->choice[e] = c->cands[c->first[e]].state;
			continue;
		}
		/* Fewest choices first: insertion sort, entries are few. */
		size_t i = m++;
		while (i > 0 && c->count[c->order[i - 1]] > c->count[e]) {
			c->order[i] = c->order[i - 1];
			i--;
		}
		c->order[i] = e;
	}
	/* suffix[i] = everything entries order[i..m) could still add. */
	memset(c->suffix + m * W, 0, W * sizeof(uint64_t));
	for (size_t i = m; i-- > 0;) {
		size_t e = c->order[i];

		memcpy(c->suffix + i * W, c->suffix + (i + 1) * W, W * sizeof(uint64_t));
		for (size_t j = 0; j < c->count[e]; j++) {
			const uint64_t *bits = c->words + c->cands[c->first[e] + j].bits;

			for (size_t w = 0; w < W; w++)
				c->suffix[i * W + w] |= bits[w];
		}
	}
	c->nodes = 0;
	return dfs(c, 0, m);
}

/* The union of the projections of the states current when q ended. */
static int union_at_end(const struct ctx *c, const struct hquery *q, struct view *out)
{
	struct linebuf lb;
	int rc = 0;

	linebuf_init(&lb);
	for (size_t e = 0; e < c->h->nentries && !rc; e++) {
		size_t k = state_at(c, e, q->end_ns);
		const struct view *r;
		const char *p;

		if (k == NO_STATE)
			continue;
		r = &c->idx[e].red[k];
		p = r->text;
		while (!rc && p && p < text_end(r->text, r->len)) {
			const char *nl = memchr(p, '\n', (size_t)(text_end(r->text, r->len) - p));
			size_t n = (size_t)(nl - p);

			rc = linebuf_add_fields(&lb, 1, &p, &n);
			p = nl + 1;
		}
	}
	if (!rc)
		rc = linebuf_to_view(&lb, out);
	linebuf_release(&lb);
	if (!rc)
		view_unique(out); /* distinct lines, as a reduced answer has them */
	return rc;
}

static int example_reduced(struct ctx *c, const struct hquery *q, bool stale, size_t empty)
{
	const struct history *h = c->h;
	struct sbuf b, d;
	struct view want;
	char *states, *diff = NULL, *detail;
	int64_t entry = -1;
	int rc = 0;

	sb_init(&b);
	sb_init(&d);
	for (size_t e = 0; e < h->nentries; e++) {
		if (e)
			sb_puts(&b, "; ");
		sb_printf(&b, "entry %zu: ", e);
		sb_candidates(&b, c, e, q);
	}
	if (stale) {
		size_t nearlier = 0;

		sb_puts(&b, "; matched with earlier");
		for (size_t e = 0; e < h->nentries; e++) {
			const struct hstate *st;

			if (!h->entries[e].nstates)
				continue;
			st = &h->entries[e].states[c->choice[e]];
			if (st->until_ns >= q->start_ns)
				continue;
			sb_printf(&b, " entry %zu ", e);
			sb_state(&b, c, c->choice[e], st);
			/* One entry behind: the example is about it. */
			entry = nearlier++ ? -1 : (int64_t)e;
		}
		sb_puts(&d, "the answer is the projection of states of which some had been "
			    "replaced before the query started");
	} else if (empty != NO_STATE) {
		entry = (int64_t)empty;
		sb_printf(&d,
			  "no state of entry %zu current during the query has all its lines "
			  "in the answer",
			  empty);
	} else {
		sb_puts(&d, "no combination of states current during the query projects to the "
			    "answer");
	}
	states = sb_take(&b, &rc);
	detail = sb_take(&d, &rc);
	view_init(&want);
	if (!rc)
		rc = union_at_end(c, q, &want);
	if (!rc)
		diff = bounded_diff(want.text, want.len, q->out, q->out_len, &rc);
	if (!rc)
		rc = add_example(c, CHECK_I1, q, entry, stale ? "stale" : "torn", states, diff,
				 detail);
	view_release(&want);
	free(states);
	free(diff);
	free(detail);
	return rc;
}

static bool memo_same(const struct ctx *c, const struct hquery *q)
{
	return c->memo.valid && c->memo.len == q->out_len &&
	       (!q->out_len || memcmp(c->memo.answer, q->out, q->out_len) == 0);
}

/* Whether the memo settles q, known to match no combination of current
 * states: 1 stale (c->choice set), 0 torn, -1 not settled. */
static int memo_lookup(struct ctx *c, const struct hquery *q)
{
	const struct history *h = c->h;

	if (!memo_same(c, q))
		return -1;
	if (c->memo.stale) {
		/* The combination is still there to be chosen: its states
		 * had all begun by the end of this query too. */
		for (size_t e = 0; e < h->nentries; e++) {
			if (h->entries[e].nstates &&
			    h->entries[e].states[c->memo.choice[e]].from_ns > q->end_ns)
				return -1;
		}
		memcpy(c->choice, c->memo.choice, h->nentries * sizeof(*c->choice));
		return 1;
	}
	/* Torn because one entry had nothing to offer among [0, hi): only the
	 * states begun since need a look. */
	size_t e = c->memo.entry, lo, hi;

	if (!c->idx[e].monotone)
		return -1;
	state_range(c, e, q->start_ns, q->end_ns, &lo, &hi);
	if (hi > c->memo.hi) {
		c->ncands = c->nwords = 0;
		c->W = c->nlines ? (c->nlines + 63) / 64 : 1;
		if (collect_range(c, e, q, true, &c->sig, c->memo.hi, hi) || c->ncands)
			return -1;
		c->memo.hi = hi;
	}
	c->empty_entry = e;
	return 0;
}

static int memo_store(struct ctx *c, const struct hquery *q, bool stale)
{
	if (grow((void **)&c->memo.answer, &c->memo.cap, q->out_len, 1))
		return -ENOMEM;
	if (q->out_len)
		memcpy(c->memo.answer, q->out, q->out_len);
	c->memo.len = q->out_len;
	c->memo.stale = stale;
	if (stale) {
		memcpy(c->memo.choice, c->choice, c->h->nentries * sizeof(*c->choice));
	} else {
		c->memo.entry = c->empty_entry;
		c->memo.hi = c->empty_hi;
	}
	/* A torn verdict without an empty entry (no cover found) is not
	 * remembered: nothing cheap would confirm it later. */
	c->memo.valid = stale || c->empty_entry != NO_STATE;
	return 0;
}

static int judge_reduced(struct ctx *c, const struct hquery *q)
{
	size_t empty;
	int r = reduced_search(c, q, false);
	bool stale;

	if (r < 0)
		return r;
	if (r == SEARCH_FOUND)
		return 0;
	if (r == SEARCH_CAPPED) {
		c->undecided++;
		return 0;
	}
	empty = c->empty_entry;
	c->sig.w[0] = c->sig.w[1] = 0;
	for (size_t i = 0; i < c->nlines; i++)
		sig_add(&c->sig, c->lines[i].p, c->lines[i].len);
	r = memo_lookup(c, q);
	if (r >= 0) {
		stale = r == 1;
	} else {
		r = reduced_search(c, q, true);
		if (r < 0)
			return r;
		/* A capped search for a stale combination leaves it torn: the
		 * answer is wrong either way, only its name is uncertain. */
		stale = r == SEARCH_FOUND;
		if (r != SEARCH_CAPPED && memo_store(c, q, stale))
			return -ENOMEM;
	}
	if (stale)
		c->v->fig.stale++;
	else
		c->v->fig.torn++;
	if (!want_example(c, CHECK_I1))
		return verdict_add(c->v, CHECK_I1, NULL, c->max_ex);
	return example_reduced(c, q, stale, stale ? NO_STATE : empty);
}

/* ---- one query ---- */

static int judge_answer(struct ctx *c, const struct hquery *q)
{
	char why[256], kind[300];
	size_t bad_line = 0;
	int ws = q->wstatus, ok;

	if (WIFEXITED(ws) && WEXITSTATUS(ws))
		snprintf(kind, sizeof(kind), "exit %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(kind, sizeof(kind), "signal %d", WTERMSIG(ws));
	else if (!WIFEXITED(ws))
		snprintf(kind, sizeof(kind), "status 0x%x", (unsigned)ws);
	else if (q->flags & HQ_OUT_TRUNCATED)
		snprintf(kind, sizeof(kind), "answer too large");
	else
		kind[0] = '\0';
	if (kind[0])
		return add_i2(c, q, kind, 0);
	if (c->o->reduced)
		ok = scan_reduced(c, q, why, sizeof(why), &bad_line);
	else
		ok = scan_full(c, q, why, sizeof(why), &bad_line);
	if (ok < 0)
		return ok;
	if (!ok) {
		snprintf(kind, sizeof(kind), "malformed: %s", why);
		return add_i2(c, q, kind, bad_line);
	}
	c->v->fig.answered++;
	return c->o->reduced ? judge_reduced(c, q) : judge_full(c, q);
}

static int judge_time(struct ctx *c, const struct hquery *q)
{
	int64_t took = q->end_ns - q->start_ns;
	char kind[96], detail[160];

	if (q->flags & HQ_TIMED_OUT) {
		if (!want_example(c, CHECK_I3))
			return verdict_add(c->v, CHECK_I3, NULL, c->max_ex);
		snprintf(detail, sizeof(detail), "killed after %.2f s, past the bound of %.2f s",
			 (double)took / 1e9, (double)c->o->bound_ns / 1e9);
		return add_example(c, CHECK_I3, q, -1, "timeout", NULL, NULL, detail);
	}
	c->lat[c->nlat++] = took;
	if (took > c->slowest)
		c->slowest = took;
	if (c->o->bound_ns <= 0 || took <= c->o->bound_ns)
		return 0;
	if (!want_example(c, CHECK_I3))
		return verdict_add(c->v, CHECK_I3, NULL, c->max_ex);
	snprintf(kind, sizeof(kind), "slow: %.2f s > bound %.2f s", (double)took / 1e9,
		 (double)c->o->bound_ns / 1e9);
	snprintf(detail, sizeof(detail), "the query took %.3f s; the bound is %.3f s",
		 (double)took / 1e9, (double)c->o->bound_ns / 1e9);
	return add_example(c, CHECK_I3, q, -1, kind, NULL, NULL, detail);
}

static int judge_scans(struct ctx *c, const struct hquery *q)
{
	struct check_figures *f = &c->v->fig;
	char detail[96];

	if (q->flags & HQ_WARM)
		f->warm++;
	if (!c->o->scans_known)
		return 0;
	if (q->scans > 0)
		f->scanned++;
	if (!(q->flags & HQ_WARM))
		return 0;
	if (q->scans < 0) {
		c->warm_unknown++;
		return 0;
	}
	if (q->scans == 0)
		return 0;
	f->warm_scanned++;
	if (!want_example(c, CHECK_I4))
		return verdict_add(c->v, CHECK_I4, NULL, c->max_ex);
	snprintf(detail, sizeof(detail), "warm query opened %" PRId32 " entry_points.txt",
		 q->scans);
	return add_example(c, CHECK_I4, q, -1, "scanned", NULL, NULL, detail);
}

static int judge_query(struct ctx *c, const struct hquery *q)
{
	int rc;

	c->v->fig.queries++;
	if (q->flags & HQ_SPAWN_FAILED) {
		c->spawn_failed++;
		return 0;
	}
	c->started++;
	rc = judge_scans(c, q);
	if (!rc)
		rc = judge_time(c, q);
	/* A query killed past the bound left no answer worth judging. */
	if (!rc && !(q->flags & HQ_TIMED_OUT))
		rc = judge_answer(c, q);
	return rc;
}

/* ---- after the queries ---- */

static int lat_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank, in integers so that 99 % of 200 is exactly rank 198: the
 * smallest latency that pct percent of the queries do not exceed. */
static double percentile_ms(const int64_t *sorted, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	if (!n)
		return 0;
	return (double)sorted[(rank ? rank : 1) - 1] / 1e6;
}

static int judge_tidy(struct ctx *c)
{
	const struct history *h = c->h;
	struct check_outcome *out = &c->v->checks[CHECK_I5];
	uint64_t base, most;
	struct sbuf b;
	int rc = 0;

	sb_init(&b);
	if (h->ntidy < 2) {
		sb_printf(&b, "needs two tidy samples, had %zu", h->ntidy);
		return set_note(out, &b);
	}
	base = most = h->tidy[0].files;
	for (size_t i = 1; i < h->ntidy && !rc; i++) {
		const struct tidy_sample *s = &h->tidy[i];
		struct check_example ex;
		char detail[200];

		if (s->files > most)
			most = s->files;
		if (s->files <= base)
			continue;
		if (!want_example(c, CHECK_I5)) {
			rc = verdict_add(c->v, CHECK_I5, NULL, c->max_ex);
			continue;
		}
		snprintf(detail, sizeof(detail),
			 "cache tree grew from %" PRIu64 " to %" PRIu64
			 " files between round %" PRIu32 " and round %" PRIu32,
			 base, s->files, h->tidy[0].round, s->round);
		memset(&ex, 0, sizeof(ex));
		ex.query = ex.worker = ex.entry = -1;
		ex.start_ns = h->tidy[0].at_ns - h->t0_ns;
		ex.end_ns = s->at_ns - h->t0_ns;
		ex.kind = "grew";
		ex.detail = detail;
		rc = verdict_add(c->v, CHECK_I5, &ex, c->max_ex);
	}
	if (rc)
		return rc;
	verdict_exercised(c->v, CHECK_I5);
	if (most > base)
		sb_printf(&b, "%" PRIu64 " files at first, up to %" PRIu64 " over %zu samples",
			  base, most, h->ntidy);
	else
		sb_printf(&b, "never above the first sample's %" PRIu64 " files over %zu samples",
			  base, h->ntidy);
	return set_note(out, &b);
}

static int write_notes(struct ctx *c)
{
	struct verdict *v = c->v;
	struct check_figures *f = &v->fig;
	struct sbuf b;
	int rc;

	sb_init(&b);
	sb_printf(&b, "%" PRIu64 " answers judged", f->answered);
	if (c->undecided)
		sb_printf(&b,
			  "; %" PRIu64 " undecided: the search for a combination of states "
			  "passed %d steps",
			  c->undecided, SEARCH_CAP);
	if (c->unjudged_entries)
		sb_printf(&b, "; %zu entries have no recorded state and were not judged",
			  c->unjudged_entries);
	rc = set_note(&v->checks[CHECK_I1], &b);
	if (rc)
		return rc;

	sb_printf(&b, "%" PRIu64 " of %" PRIu64 " started queries answered", f->answered,
		  c->started);
	if (c->spawn_failed)
		sb_printf(&b, "; %" PRIu64 " could not be started and were not judged",
			  c->spawn_failed);
	rc = set_note(&v->checks[CHECK_I2], &b);
	if (rc)
		return rc;

	if (c->o->bound_ns > 0)
		sb_printf(&b, "bound %.2f s; slowest finished query %.3f s",
			  (double)c->o->bound_ns / 1e9, (double)c->slowest / 1e9);
	else
		sb_printf(&b, "no bound set; slowest finished query %.3f s",
			  (double)c->slowest / 1e9);
	rc = set_note(&v->checks[CHECK_I3], &b);
	if (rc)
		return rc;

	if (!c->o->scans_known) {
		sb_puts(&b, "not measured");
	} else if (!f->warm) {
		sb_puts(&b, "no warm query");
	} else if (f->warm_scanned == f->warm) {
		sb_printf(&b,
			  "never caches: every one of the %" PRIu64
			  " warm queries read entry_points.txt",
			  f->warm);
	} else {
		sb_printf(&b,
			  "cached: %" PRIu64 " of %" PRIu64 " warm queries read no "
			  "entry_points.txt",
			  f->warm - f->warm_scanned - c->warm_unknown, f->warm);
		if (c->warm_unknown)
			sb_printf(&b, " (%" PRIu64 " not measured)", c->warm_unknown);
	}
	return set_note(&v->checks[CHECK_I4], &b);
}

int checker_run(const struct history *h, const struct checker_opts *o, struct verdict *v)
{
	struct check_figures *f = &v->fig;
	struct ctx c;
	int rc;

	rc = ctx_init(&c, h, o, v);
	for (size_t i = 0; !rc && i < h->nqueries; i++)
		rc = judge_query(&c, &h->queries[i]);
	if (rc)
		goto out;
	f->scans_known = o->scans_known;
	qsort(c.lat, c.nlat, sizeof(*c.lat), lat_cmp);
	f->latency_p50_ms = percentile_ms(c.lat, c.nlat, 50);
	f->latency_p99_ms = percentile_ms(c.lat, c.nlat, 99);
	f->latency_max_ms = c.nlat ? (double)c.lat[c.nlat - 1] / 1e6 : 0;
	if (c.started) {
		verdict_exercised(v, CHECK_I2);
		verdict_exercised(v, CHECK_I3);
	}
	/* I1 judges answers: with none well-formed, nothing was judged, and
	 * saying "pass" would claim freshness nobody observed. */
	if (f->answered)
		verdict_exercised(v, CHECK_I1);
	if (o->scans_known && f->warm)
		verdict_exercised(v, CHECK_I4);
	rc = judge_tidy(&c);
	if (!rc)
		rc = write_notes(&c);
	if (!rc)
		verdict_finish(v, o->deciding);
out:
	ctx_release(&c);
	return rc;
}
