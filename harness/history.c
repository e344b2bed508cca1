/* history.c: the append side of a scenario's history. */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int history_init(struct history *h, size_t nentries, const char *const *paths)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->t0_ns = clock_now_ns();
	h->entries = calloc(nentries ? nentries : 1, sizeof(*h->entries));
	if (!h->entries)
		return -ENOMEM;
	h->nentries = nentries;
	for (size_t i = 0; i < nentries; i++) {
		h->entries[i].path = strdup(paths[i]);
		if (!h->entries[i].path)
			return -ENOMEM;
	}
	return 0;
}

void history_release(struct history *h)
{
	for (size_t i = 0; i < h->nentries; i++) {
		struct hentry *e = &h->entries[i];

		for (size_t k = 0; k < e->nstates; k++) {
			view_release(&e->states[k].view);
			free(e->states[k].label);
		}
		free(e->states);
		free(e->path);
	}
	free(h->entries);
	for (size_t i = 0; i < h->nqueries; i++) {
		free(h->queries[i].out);
		free(h->queries[i].err);
		free(h->queries[i].events);
	}
	free(h->queries);
	free(h->tidy);
	pthread_mutex_destroy(&h->lock);
	memset(h, 0, sizeof(*h));
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p = realloc(*arr, ncap * size);

	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int push_state(struct hentry *e, int64_t from_ns, struct view *view, const char *label)
{
	struct hstate *s;
	int rc = grow((void **)&e->states, &e->cap, e->nstates, sizeof(*e->states));

	if (rc)
		return rc;
	s = &e->states[e->nstates];
	s->label = strdup(label ? label : "");
	if (!s->label)
		return -ENOMEM;
	s->from_ns = from_ns;
	s->until_ns = HIST_FOREVER;
	s->view = *view;
	view_init(view);
	e->nstates++;
	return 0;
}

int history_begin(struct history *h, size_t e, int64_t from_ns, struct view *view,
		  const char *label)
{
	int rc;

	pthread_mutex_lock(&h->lock);
	rc = push_state(&h->entries[e], from_ns, view, label);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int history_transition(struct history *h, size_t e, int64_t before_ns, int64_t after_ns,
		       struct view *view, const char *label)
{
	struct hentry *ent = &h->entries[e];
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	if (ent->nstates) {
		struct hstate *cur = &ent->states[ent->nstates - 1];

		if (cur->view.hash == view->hash && cur->view.len == view->len &&
		    (view->len == 0 || memcmp(cur->view.text, view->text, view->len) == 0)) {
			view_release(view);
			goto out;
		}
		cur->until_ns = after_ns;
	}
	rc = push_state(ent, before_ns, view, label);
out:
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int history_add_query(struct history *h, struct hquery *q)
{
	int rc;

	pthread_mutex_lock(&h->lock);
	rc = grow((void **)&h->queries, &h->qcap, h->nqueries, sizeof(*h->queries));
	if (rc == 0) {
		q->id = (uint32_t)h->nqueries;
		h->queries[h->nqueries++] = *q;
		rc = (int)q->id;
		q->out = q->err = q->events = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	return rc;
}

int history_add_tidy(struct history *h, const struct tidy_sample *s)
{
	int rc;

	pthread_mutex_lock(&h->lock);
	rc = grow((void **)&h->tidy, &h->tcap, h->ntidy, sizeof(*h->tidy));
	if (rc == 0)
		h->tidy[h->ntidy++] = *s;
	pthread_mutex_unlock(&h->lock);
	return rc;
}

const struct hstate *history_current(const struct history *h, size_t e)
{
	const struct hentry *ent = &h->entries[e];

	return ent->nstates ? &ent->states[ent->nstates - 1] : NULL;
}
