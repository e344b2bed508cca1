/* report.c: results.json (jansson) and the human summary. */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *check_status_name(enum check_status s)
{
	static const char *const names[] = {"not-run", "pass", "fail", "reported"};

	return names[s];
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* jansson refuses invalid UTF-8; answers and paths are bytes. Escape what
 * is not printable ASCII so every report can be written. */
static json_t *bytes_string(const char *s)
{
	json_t *j;
	char *buf;
	size_t n = 0, len;

	if (!s)
		return json_null();
	len = strlen(s);
	buf = malloc(len * 4 + 1);
	if (!buf)
		return json_null();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t')) {
			static const char hex[] = "0123456789abcdef";

			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n] = '\0';
	j = json_string(buf);
	free(buf);
	return j ? j : json_null();
}

static json_t *example_json(const struct check_example *ex)
{
	json_t *o = json_object();

	json_object_set_new(o, "query", ex->query >= 0 ? json_integer(ex->query) : json_null());
	json_object_set_new(o, "worker", ex->worker >= 0 ? json_integer(ex->worker) : json_null());
	if (ex->query >= 0)
		json_object_set_new(
		    o, "interval_s",
		    json_pack("[f,f]", (double)ex->start_ns / 1e9, (double)ex->end_ns / 1e9));
	else
		json_object_set_new(o, "interval_s", json_null());
	json_object_set_new(o, "entry", ex->entry >= 0 ? json_integer(ex->entry) : json_null());
	json_object_set_new(o, "kind", bytes_string(ex->kind ? ex->kind : ""));
	json_object_set_new(o, "states", bytes_string(ex->states));
	json_object_set_new(o, "diff", bytes_string(ex->diff));
	json_object_set_new(o, "detail", bytes_string(ex->detail));
	return o;
}

static json_t *scenario_json(const struct scen_result *r)
{
	const struct check_figures *f = &r->verdict.fig;
	json_t *o = json_object(), *checks = json_array(), *fig;

	/* A name is a file name, bytes like a path: json_string() refuses one
	 * that is not UTF-8, and the required "name" would go missing. */
	json_object_set_new(o, "name", bytes_string(r->name));
	json_object_set_new(o, "path", bytes_string(r->path));
	json_object_set_new(o, "status", json_string(scen_status_name(r->status)));
	json_object_set_new(o, "reason", bytes_string(r->reason));
	json_object_set_new(o, "seed", json_integer((json_int_t)r->seed));
	json_object_set_new(o, "duration_s", json_real(r->duration_s));
	fig = json_pack(
	    "{s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:f,s:f,s:f},s:o,s:o,s:I}", "queries",
	    (json_int_t)f->queries, "answered", (json_int_t)f->answered, "scans",
	    f->scans_known ? json_integer((json_int_t)f->scanned) : json_null(), "warm_queries",
	    (json_int_t)f->warm, "warm_scans", (json_int_t)f->warm_scanned, "stale",
	    (json_int_t)f->stale, "torn", (json_int_t)f->torn, "states", (json_int_t)r->states,
	    "mutations", (json_int_t)r->mutations, "latency_ms", "p50", f->latency_p50_ms, "p99",
	    f->latency_p99_ms, "max", f->latency_max_ms, "release_skew_ms",
	    r->herds ? json_real(r->skew_p50_ms) : json_null(), "release_skew_max_ms",
	    r->herds ? json_real(r->skew_max_ms) : json_null(), "herds", (json_int_t)r->herds);
	if (fig) {
		json_t *ev = json_null();

		if (r->any_events) {
			ev = json_object();
			for (int k = 0; k < EVENT_KIND_COUNT; k++)
				json_object_set_new(ev, event_kind_names[k],
						    json_integer((json_int_t)r->events[k]));
		}
		json_object_set_new(fig, "events", ev);
	}
	json_object_set_new(o, "figures", fig ? fig : json_object());
	for (int i = 0; i < CHECK_COUNT; i++) {
		const struct check_outcome *c = &r->verdict.checks[i];
		json_t *ex = json_array();

		for (size_t k = 0; k < c->nexamples; k++)
			json_array_append_new(ex, example_json(&c->examples[k]));
		json_array_append_new(checks,
				      json_pack("{s:s,s:s,s:s,s:b,s:I,s:o,s:o}", "id",
						check_id_name(i), "title", check_title(i), "status",
						check_status_name(c->status), "deciding",
						(r->deciding & CHECK_BIT(i)) != 0, "violations",
						(json_int_t)c->violations, "note",
						bytes_string(c->note), "examples", ex));
	}
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "watch", str_or_null(r->watch_method));
	json_object_set_new(o, "unattributed_opens",
			    json_integer((json_int_t)r->unattributed_opens));
	json_object_set_new(o, "replay", bytes_string(r->replay));
	json_object_set_new(o, "kept", bytes_string(r->kept_at));
	return o;
}

void report_counts(const struct report_run *rr, size_t *passed, size_t *failed, size_t *skipped,
		   size_t *errors)
{
	*passed = *failed = *skipped = *errors = 0;
	for (size_t i = 0; i < rr->n; i++) {
		switch (rr->results[i].status) {
		case SCEN_PASS:
			(*passed)++;
			break;
		case SCEN_FAIL:
			(*failed)++;
			break;
		case SCEN_SKIP:
			(*skipped)++;
			break;
		case SCEN_ERROR:
			(*errors)++;
			break;
		}
	}
}

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	/* Skip a leading '/' only: p + 1 is past the terminator of "". */
	for (char *s = p + (p[0] == '/'); *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}

int report_write_json(const struct report_run *rr, const char *dir)
{
	json_t *root = json_object(), *list = json_array();
	struct utsname u;
	size_t p, f, s, e;
	char *path = NULL, *tmp = NULL;
	int rc, fd = -1;

	for (size_t i = 0; i < rr->n; i++)
		json_array_append_new(list, scenario_json(&rr->results[i]));
	report_counts(rr, &p, &f, &s, &e);
	uname(&u);
	json_object_set_new(root, "harness_version", json_string(CT_VERSION));
	json_object_set_new(root, "protocol_version", json_integer(CT_PROTOCOL_VERSION));
	json_object_set_new(root, "impl", bytes_string(rr->impl));
	json_object_set_new(root, "seed",
			    rr->seed_given ? json_integer((json_int_t)rr->seed) : json_null());
	json_object_set_new(root, "level",
			    json_string(rr->level == LEVEL_STRICT ? "strict" : "seed"));
	json_object_set_new(root, "view", json_string(rr->reduced ? "reduced" : "full"));
	json_object_set_new(root, "started", json_string(rr->started));
	json_object_set_new(root, "duration_s", json_real(rr->duration_s));
	json_object_set_new(root, "machine",
			    json_pack("{s:s,s:s,s:s,s:i,s:i}", "kernel", u.release, "sysname",
				      u.sysname, "arch", u.machine, "cpus",
				      (int)sysconf(_SC_NPROCESSORS_ONLN), "euid", (int)geteuid()));
	json_object_set_new(root, "summary",
			    json_pack("{s:I,s:I,s:I,s:I}", "passed", (json_int_t)p, "failed",
				      (json_int_t)f, "skipped", (json_int_t)s, "errors",
				      (json_int_t)e));
	json_object_set_new(root, "scenarios", list);

	rc = mkdir_p(dir);
	if (rc)
		goto out;
	if (asprintf(&path, "%s/results.json", dir) < 0) {
		path = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if (asprintf(&tmp, "%s/.results.json.XXXXXX", dir) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		goto out;
	}
	/* mkostemp makes a new file or fails: in a shared --out directory a
	 * link planted at a predictable temporary name is never written
	 * through. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) < 0) {
		rc = -errno;
		goto out;
	}
	if (json_dumpfd(root, fd, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
	    write(fd, "\n", 1) != 1) {
		rc = -EIO;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		rc = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(path);
	json_decref(root);
	return rc;
}

void report_print_summary(const struct report_run *rr, FILE *out, const char *json_path)
{
	size_t p, f, s, e;
	bool never_caches = false;

	fprintf(out, "cachetorture %s: %s (level %s, view %s)\n", CT_VERSION, rr->impl,
		rr->level == LEVEL_STRICT ? "strict" : "seed", rr->reduced ? "reduced" : "full");
	for (size_t i = 0; i < rr->n; i++) {
		const struct scen_result *r = &rr->results[i];
		const struct check_figures *fg = &r->verdict.fig;
		const char *i4 = r->verdict.checks[CHECK_I4].note;

		if (r->status == SCEN_SKIP || r->status == SCEN_ERROR) {
			fprintf(out, "  %-5s %-18s %s\n", r->status == SCEN_SKIP ? "skip" : "ERROR",
				r->name, r->reason ? r->reason : "");
			continue;
		}
		fprintf(out, "  %-5s %-18s %6.1f s %6llu queries",
			r->status == SCEN_PASS ? "pass" : "FAIL", r->name, r->duration_s,
			(unsigned long long)fg->queries);
		if (fg->scans_known)
			fprintf(out, " %6llu scanned", (unsigned long long)fg->scanned);
		fprintf(out, "  p99 %7.1f ms", fg->latency_p99_ms);
		if (r->herds)
			fprintf(out, "  skew %.2f ms", r->skew_p50_ms);
		fputc('\n', out);
		if (r->status == SCEN_FAIL && r->reason)
			fprintf(out, "        %s\n", r->reason);
		if (i4 && strncmp(i4, "never caches", 12) == 0)
			never_caches = true;
	}
	report_counts(rr, &p, &f, &s, &e);
	if (never_caches)
		fprintf(out,
			"note: I4 caches: this implementation never caches: every warm query read "
			"entry_points.txt\n");
	for (size_t i = 0; i < rr->n; i++)
		if (rr->results[i].status == SCEN_FAIL || rr->results[i].status == SCEN_ERROR)
			fprintf(out, "replay %s: %s\n", rr->results[i].name,
				rr->results[i].replay ? rr->results[i].replay : "");
	fprintf(out, "passed %zu, failed %zu, skipped %zu, errors %zu in %.1f s", p, f, s, e,
		rr->duration_s);
	if (json_path)
		fprintf(out, "; results: %s", json_path);
	fputc('\n', out);
}
