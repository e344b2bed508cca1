/* check_report.c: results.json (every field, read back with jansson and
 * validated against harness/results.schema.json), bytes that are not
 * printable ASCII, the atomic write and its failures, the human summary
 * and the counts. Run from the repository root (the schema and the
 * validator are found relative to it). */
#include "checker.h"
#include "report.h"
#include "run.h"
#include "treehash.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY	  65534
#define PYTHON	  "/usr/bin/python3"
#define SCHEMA	  "harness/results.schema.json"
#define VALIDATOR "tests/integration/validate_results.py"

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

/* ---- a run with one scenario of each status ---- */

struct fake_run {
	struct scen_result r[5];
	struct report_run rr;
};

static void add_example(struct verdict *v, enum check_id id, int64_t query, const char *detail)
{
	struct check_example ex = {
	    .query = query,
	    .worker = query >= 0 ? 3 : -1,
	    .start_ns = 1500000000,
	    .end_ns = 2250000000,
	    .entry = query >= 0 ? 1 : -1,
	    .kind = (char *)(query >= 0 ? "stale" : "grew"),
	    .states = query >= 0 ? (char *)"state 2 [0.1 s, 0.2 s]: install x" : NULL,
	    .diff = query >= 0 ? (char *)"-0\tx-1.0.dist-info\tg\tn\tv\n+\ttab\n" : NULL,
	    .detail = (char *)detail,
	};

	ck_assert_int_eq(verdict_add(v, id, &ex, 5), 0);
}

/* Strings that must come out as valid JSON: a byte >= 0x80 (invalid UTF-8
 * on its own), control bytes, an escape sequence, a quote, TAB and LF. */
#define NASTY	   "bad\xff\xc3(\x01\x1b[31m\"q\"\tt\nl"
#define NASTY_JSON "bad\\xff\\xc3(\\x01\\x1b[31m\"q\"\tt\nl"

static void fake_run_make(struct fake_run *f)
{
	struct scen_result *r;

	memset(f, 0, sizeof(*f));
	r = f->r;
	for (int i = 0; i < 5; i++)
		verdict_init(&r[i].verdict);

	/* 0: passed, every figure set, events seen, two herds. */
	r[0].name = strdup("alpha");
	r[0].path = strdup("scenarios/alpha.json");
	r[0].status = SCEN_PASS;
	r[0].seed = 5;
	r[0].duration_s = 1.5;
	r[0].deciding = CHECK_BIT(CHECK_I1) | CHECK_BIT(CHECK_I2);
	verdict_exercised(&r[0].verdict, CHECK_I1);
	verdict_exercised(&r[0].verdict, CHECK_I2);
	add_example(&r[0].verdict, CHECK_I5, -1, "cache tree grew from 3 to 4 files");
	r[0].verdict.fig = (struct check_figures){.queries = 10,
						  .answered = 10,
						  .scanned = 3,
						  .warm = 2,
						  .warm_scanned = 0,
						  .latency_p50_ms = 1.25,
						  .latency_p99_ms = 4.0,
						  .latency_max_ms = 4.5,
						  .scans_known = true};
	verdict_finish(&r[0].verdict, r[0].deciding);
	r[0].herds = 2;
	r[0].skew_p50_ms = 0.2;
	r[0].skew_max_ms = 0.4;
	r[0].mutations = 7;
	r[0].states = 12;
	r[0].unattributed_opens = 1;
	r[0].events[EV_HIT] = 4;
	r[0].events[EV_MALFORMED] = 1;
	r[0].any_events = true;
	r[0].watch_method = strdup("fanotify");
	r[0].replay = strdup("cachetorture run --impl 'epcache' --scenario scenarios/alpha.json");

	/* 1: failed, with examples, bytes everywhere, an I4 note saying it
	 * never caches, its tree kept. */
	r[1].name = strdup("be\xfft\x01"
			   "a");
	r[1].path = strdup("scenarios/" NASTY ".json");
	r[1].status = SCEN_FAIL;
	r[1].reason = strdup("I1 fresh: 2 violations (stale)");
	r[1].seed = 9007199254740992ULL; /* 2^53, the largest --seed */
	r[1].duration_s = 2.0;
	r[1].deciding = CHECK_BIT(CHECK_I1);
	add_example(&r[1].verdict, CHECK_I1, 17, NASTY);
	add_example(&r[1].verdict, CHECK_I1, -1, NULL);
	r[1].verdict.checks[CHECK_I4].note =
	    strdup("never caches: every one of the 4 warm queries read entry_points.txt");
	verdict_exercised(&r[1].verdict, CHECK_I4);
	r[1].verdict.fig.queries = 4;
	r[1].verdict.fig.stale = 2;
	verdict_finish(&r[1].verdict, r[1].deciding);
	r[1].watch_method = strdup("inotify");
	r[1].replay = strdup("cachetorture run --impl 'x' --scenario beta.json --seed 9");
	r[1].kept_at = strdup("/tmp/cachetorture-beta-XXXXXX.failed");

	/* 2: skipped. */
	r[2].name = strdup("gamma");
	r[2].path = strdup("scenarios/gamma.json");
	r[2].status = SCEN_SKIP;
	r[2].reason = strdup("needs root");
	r[2].seed = 1;

	/* 3: an error, its tree kept. */
	r[3].name = strdup("delta");
	r[3].path = strdup("scenarios/delta.json");
	r[3].status = SCEN_ERROR;
	r[3].reason = strdup("cannot execute the implementation 'nope': No such file or directory");
	r[3].seed = 2;
	r[3].replay = strdup("cachetorture run --impl 'nope' --scenario scenarios/delta.json");
	r[3].kept_at = strdup("/tmp/cachetorture-delta-XXXXXX.failed");

	/* 4: passed, but its I4 note says it never caches. */
	r[4].name = strdup("epsilon");
	r[4].path = strdup("scenarios/epsilon.json");
	r[4].status = SCEN_PASS;
	r[4].seed = 3;
	r[4].verdict.checks[CHECK_I4].note = strdup("never caches: 2 of 2");
	r[4].verdict.checks[CHECK_I4].status = CHECK_REPORTED;
	r[4].verdict.checks[CHECK_I4].violations = 2;

	f->rr.impl = "epcache --deep \xfe";
	f->rr.seed_given = true;
	f->rr.seed = 99;
	f->rr.level = LEVEL_STRICT;
	f->rr.reduced = true;
	f->rr.duration_s = 12.5;
	snprintf(f->rr.started, sizeof(f->rr.started), "2024-01-02T03:04:05Z");
	f->rr.results = f->r;
	f->rr.n = 5;
}

static void fake_run_free(struct fake_run *f)
{
	for (int i = 0; i < 5; i++)
		scen_result_release(&f->r[i]);
}

/* ---- reading results.json back ---- */

static json_t *load(const char *dir)
{
	char p[PATH_MAX];
	json_error_t err;
	json_t *j;

	pathf(p, "%s/results.json", dir);
	j = json_load_file(p, 0, &err);
	ck_assert_msg(j != NULL, "%s:%d: %s", p, err.line, err.text);
	return j;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

static json_int_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static double real(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_number(v), "\"%s\" is not a number", key);
	return json_number_value(v);
}

static void is_null(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(v && json_is_null(v), "\"%s\" is not null", key);
}

/* The check with id in a scenario's "checks". */
static json_t *check_of(json_t *scen, const char *id)
{
	json_t *checks = json_object_get(scen, "checks"), *c;
	size_t i;

	ck_assert(json_is_array(checks));
	for (i = 0; i < json_array_size(checks); i++) {
		c = json_array_get(checks, i);
		if (!strcmp(str(c, "id"), id))
			return c;
	}
	ck_abort_msg("no check %s", id);
	return NULL;
}

/* 0 valid, 1 invalid, 77 when the validator cannot run (the reason on
 * stderr). */
static int validate(const char *file)
{
	pid_t pid;
	int status;

	if (access(SCHEMA, R_OK) || access(VALIDATOR, R_OK)) {
		fprintf(stderr,
			"check_report: skip schema validation: run from the repository "
			"root (%s, %s not found)\n",
			SCHEMA, VALIDATOR);
		return 77;
	}
	if (access(PYTHON, X_OK) || system(PYTHON " -c 'import jsonschema' 2>/dev/null") != 0) {
		fprintf(stderr,
			"check_report: skip schema validation: %s has no jsonschema "
			"(apt-get install python3-jsonschema)\n",
			PYTHON);
		return 77;
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(PYTHON, PYTHON, VALIDATOR, SCHEMA, file, (char *)NULL);
		_exit(127);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* ---- results.json ---- */

START_TEST(test_json_fields)
{
	struct fake_run f;
	struct utsname u;
	char dir[PATH_MAX], p[PATH_MAX];
	json_t *j, *s, *m, *fig, *c, *ex, *ev;
	struct stat st;

	fake_run_make(&f);
	/* A fresh directory, parents created. */
	pathf(dir, "%s/fields/a/b/c", scratch);
	ck_assert_int_eq(report_write_json(&f.rr, dir), 0);
	ck_assert(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	ck_assert_uint_eq(dir_size(dir), 1); /* results.json, no temporary */
	pathf(p, "%s/results.json", dir);
	ck_assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	j = load(dir);

	ck_assert_str_eq(str(j, "harness_version"), CT_VERSION);
	ck_assert_int_eq(num(j, "protocol_version"), CT_PROTOCOL_VERSION);
	ck_assert_str_eq(str(j, "impl"), "epcache --deep \\xfe");
	ck_assert_int_eq(num(j, "seed"), 99);
	ck_assert_str_eq(str(j, "level"), "strict");
	ck_assert_str_eq(str(j, "view"), "reduced");
	ck_assert_str_eq(str(j, "started"), "2024-01-02T03:04:05Z");
	ck_assert(real(j, "duration_s") == 12.5);
	m = json_object_get(j, "machine");
	ck_assert(uname(&u) == 0);
	ck_assert_str_eq(str(m, "kernel"), u.release);
	ck_assert_str_eq(str(m, "sysname"), u.sysname);
	ck_assert_str_eq(str(m, "arch"), u.machine);
	ck_assert_int_ge(num(m, "cpus"), 1);
	ck_assert_int_eq(num(m, "euid"), (json_int_t)geteuid());
	s = json_object_get(j, "summary");
	ck_assert_int_eq(num(s, "passed"), 2);
	ck_assert_int_eq(num(s, "failed"), 1);
	ck_assert_int_eq(num(s, "skipped"), 1);
	ck_assert_int_eq(num(s, "errors"), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "scenarios")), 5);

	/* The passed scenario: its figures, events and herds. */
	s = json_array_get(json_object_get(j, "scenarios"), 0);
	ck_assert_str_eq(str(s, "name"), "alpha");
	ck_assert_str_eq(str(s, "path"), "scenarios/alpha.json");
	ck_assert_str_eq(str(s, "status"), "pass");
	is_null(s, "reason");
	ck_assert_int_eq(num(s, "seed"), 5);
	ck_assert(real(s, "duration_s") == 1.5);
	ck_assert_str_eq(str(s, "watch"), "fanotify");
	ck_assert_int_eq(num(s, "unattributed_opens"), 1);
	ck_assert_str_eq(str(s, "replay"), f.r[0].replay);
	is_null(s, "kept");
	fig = json_object_get(s, "figures");
	ck_assert_int_eq(num(fig, "queries"), 10);
	ck_assert_int_eq(num(fig, "answered"), 10);
	ck_assert_int_eq(num(fig, "scans"), 3);
	ck_assert_int_eq(num(fig, "warm_queries"), 2);
	ck_assert_int_eq(num(fig, "warm_scans"), 0);
	ck_assert_int_eq(num(fig, "stale"), 0);
	ck_assert_int_eq(num(fig, "states"), 12);
	ck_assert_int_eq(num(fig, "mutations"), 7);
	ck_assert_int_eq(num(fig, "herds"), 2);
	ck_assert(real(fig, "release_skew_ms") == 0.2);
	ck_assert(real(fig, "release_skew_max_ms") == 0.4);
	ck_assert(real(json_object_get(fig, "latency_ms"), "p50") == 1.25);
	ck_assert(real(json_object_get(fig, "latency_ms"), "p99") == 4.0);
	ck_assert(real(json_object_get(fig, "latency_ms"), "max") == 4.5);
	ev = json_object_get(fig, "events");
	ck_assert_uint_eq(json_object_size(ev), EVENT_KIND_COUNT);
	ck_assert_int_eq(num(ev, "hit"), 4);
	ck_assert_int_eq(num(ev, "write-skip"), 0);
	ck_assert_int_eq(num(ev, "malformed"), 1);
	/* Every check, in order, with its status and whether it decides. */
	ck_assert_uint_eq(json_array_size(json_object_get(s, "checks")), CHECK_COUNT);
	for (int i = 0; i < CHECK_COUNT; i++) {
		c = json_array_get(json_object_get(s, "checks"), (size_t)i);
		ck_assert_str_eq(str(c, "id"), check_id_name(i));
		ck_assert_str_eq(str(c, "title"), check_title(i));
		ck_assert(json_is_boolean(json_object_get(c, "deciding")));
		ck_assert_int_eq(json_is_true(json_object_get(c, "deciding")), i <= CHECK_I2);
	}
	ck_assert_str_eq(str(check_of(s, "I1"), "status"), "pass");
	ck_assert_str_eq(str(check_of(s, "I3"), "status"), "not-run");
	c = check_of(s, "I5");
	ck_assert_str_eq(str(c, "status"), "reported");
	ck_assert_int_eq(num(c, "violations"), 1);
	ex = json_array_get(json_object_get(c, "examples"), 0);
	is_null(ex, "query");
	is_null(ex, "worker");
	is_null(ex, "interval_s");
	is_null(ex, "entry");
	ck_assert_str_eq(str(ex, "kind"), "grew");
	is_null(ex, "states");
	is_null(ex, "diff");
	ck_assert_str_eq(str(ex, "detail"), "cache tree grew from 3 to 4 files");

	/* The failed one: bytes escaped, examples whole. */
	s = json_array_get(json_object_get(j, "scenarios"), 1);
	ck_assert_str_eq(str(s, "name"), "be\\xfft\\x01a");
	ck_assert_str_eq(str(s, "path"), "scenarios/" NASTY_JSON ".json");
	ck_assert_str_eq(str(s, "status"), "fail");
	ck_assert_str_eq(str(s, "reason"), "I1 fresh: 2 violations (stale)");
	ck_assert_int_eq(num(s, "seed"), 9007199254740992LL);
	ck_assert_str_eq(str(s, "kept"), "/tmp/cachetorture-beta-XXXXXX.failed");
	fig = json_object_get(s, "figures");
	is_null(fig, "scans"); /* not measured */
	is_null(fig, "release_skew_ms");
	is_null(fig, "release_skew_max_ms");
	is_null(fig, "events");
	ck_assert_int_eq(num(fig, "stale"), 2);
	c = check_of(s, "I1");
	ck_assert_str_eq(str(c, "status"), "fail");
	ck_assert(json_is_true(json_object_get(c, "deciding")));
	ck_assert_int_eq(num(c, "violations"), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(c, "examples")), 2);
	ex = json_array_get(json_object_get(c, "examples"), 0);
	ck_assert_int_eq(num(ex, "query"), 17);
	ck_assert_int_eq(num(ex, "worker"), 3);
	ck_assert_int_eq(num(ex, "entry"), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(ex, "interval_s")), 2);
	ck_assert(json_real_value(json_array_get(json_object_get(ex, "interval_s"), 0)) == 1.5);
	ck_assert(json_real_value(json_array_get(json_object_get(ex, "interval_s"), 1)) == 2.25);
	ck_assert_str_eq(str(ex, "kind"), "stale");
	ck_assert_str_eq(str(ex, "diff"), "-0\tx-1.0.dist-info\tg\tn\tv\n+\ttab\n");
	ck_assert_str_eq(str(ex, "detail"), NASTY_JSON);
	ex = json_array_get(json_object_get(c, "examples"), 1);
	is_null(ex, "detail");
	ck_assert_str_eq(str(check_of(s, "I4"), "note"),
			 "never caches: every one of the 4 warm queries read entry_points.txt");
	is_null(check_of(s, "I2"), "note");

	/* Skipped and errored: their reasons. */
	s = json_array_get(json_object_get(j, "scenarios"), 2);
	ck_assert_str_eq(str(s, "status"), "skip");
	ck_assert_str_eq(str(s, "reason"), "needs root");
	is_null(s, "watch");
	is_null(s, "replay");
	s = json_array_get(json_object_get(j, "scenarios"), 3);
	ck_assert_str_eq(str(s, "status"), "error");
	ck_assert_str_eq(str(s, "reason"), f.r[3].reason);
	json_decref(j);

	/* And the whole file satisfies the schema. */
	{
		int v = validate(p);

		ck_assert_msg(v == 0 || v == 77, "%s does not validate (stderr has why)", p);
	}
	fake_run_free(&f);
}
END_TEST

START_TEST(test_json_empty_run)
{
	struct report_run rr;
	char dir[PATH_MAX], p[PATH_MAX];
	json_t *j;
	int v;

	/* No scenario ran (an interrupt before the first): still a report. */
	memset(&rr, 0, sizeof(rr));
	rr.impl = "epcache";
	snprintf(rr.started, sizeof(rr.started), "2024-01-02T03:04:05Z");
	pathf(dir, "%s/empty", scratch);
	ck_assert_int_eq(report_write_json(&rr, dir), 0);
	j = load(dir);
	is_null(j, "seed");
	ck_assert_str_eq(str(j, "level"), "seed");
	ck_assert_str_eq(str(j, "view"), "full");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "scenarios")), 0);
	ck_assert_int_eq(num(json_object_get(j, "summary"), "passed"), 0);
	json_decref(j);
	pathf(p, "%s/results.json", dir);
	v = validate(p);
	ck_assert_msg(v == 0 || v == 77, "%s does not validate", p);
}
END_TEST

START_TEST(test_json_replace)
{
	struct fake_run f;
	char dir[PATH_MAX], p[PATH_MAX], victim[PATH_MAX], planted[PATH_MAX], buf[64];
	struct stat s0, s1;
	json_t *j;
	int fd;
	ssize_t n;

	fake_run_make(&f);
	pathf(dir, "%s/replace", scratch);
	ck_assert_int_eq(report_write_json(&f.rr, dir), 0);
	pathf(p, "%s/results.json", dir);
	ck_assert(stat(p, &s0) == 0);
	/* A link planted where a temporary file might go (the pid's name,
	 * as the code once used) is never written through. */
	pathf(victim, "%s/victim", scratch);
	fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert(write(fd, "precious\n", 9) == 9);
	close(fd);
	pathf(planted, "%s/.results.json.%d", dir, (int)getpid());
	ck_assert(symlink(victim, planted) == 0);
	/* A second run replaces the file by a rename: a new inode. */
	f.rr.n = 1;
	ck_assert_int_eq(report_write_json(&f.rr, dir), 0);
	ck_assert(lstat(p, &s1) == 0 && S_ISREG(s1.st_mode));
	ck_assert_uint_ne(s1.st_ino, s0.st_ino);
	j = load(dir);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "scenarios")), 1);
	json_decref(j);
	fd = open(victim, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, 9);
	ck_assert(!memcmp(buf, "precious\n", 9));
	ck_assert(unlink(planted) == 0);
	ck_assert_uint_eq(dir_size(dir), 1);
	fake_run_free(&f);
}
END_TEST

/* In a child: write with a file size limit below the report's size. */
static int write_limited(const struct report_run *rr, const char *dir, rlim_t limit)
{
	struct rlimit rl = {.rlim_cur = limit, .rlim_max = limit};
	int rc;

	/* EFBIG from write() instead of being killed by SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 3;
	rc = report_write_json(rr, dir);
	return rc == -EIO ? 0 : rc == 0 ? 4 : 5;
}

START_TEST(test_json_write_fails)
{
	struct fake_run f;
	char dir[PATH_MAX], p[PATH_MAX], before[65536], after[65536];
	size_t nb, na;
	pid_t pid;
	int status, fd;

	/* A report already there, then a write that fails half-way (the file
	 * size limit): the old report stays whole, no temporary is left. */
	fake_run_make(&f);
	f.rr.n = 1;
	pathf(dir, "%s/fails", scratch);
	ck_assert_int_eq(report_write_json(&f.rr, dir), 0);
	pathf(p, "%s/results.json", dir);
	fd = open(p, O_RDONLY);
	nb = (size_t)read(fd, before, sizeof(before));
	close(fd);
	ck_assert_uint_gt(nb, 1000);
	f.rr.n = 5;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(write_limited(&f.rr, dir, 512));
	ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "limited write: child status %d",
		      WEXITSTATUS(status));
	fd = open(p, O_RDONLY);
	na = (size_t)read(fd, after, sizeof(after));
	close(fd);
	ck_assert_uint_eq(na, nb);
	ck_assert(!memcmp(before, after, nb));
	ck_assert_uint_eq(dir_size(dir), 1);
	fake_run_free(&f);
}
END_TEST

static int write_as_nobody(const char *dir)
{
	struct report_run rr;
	char sub[PATH_MAX + 16];
	int rc;

	memset(&rr, 0, sizeof(rr));
	rr.impl = "x";
	rc = report_write_json(&rr, dir);
	if (rc != -EACCES)
		return 1;
	/* A directory it would have to create there: the same error. */
	snprintf(sub, sizeof(sub), "%.*s/sub/dir", PATH_MAX - 1, dir);
	return report_write_json(&rr, sub) == -EACCES ? 0 : 2;
}

START_TEST(test_json_unwritable)
{
	char dir[PATH_MAX];
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		fprintf(stderr, "check_report: skip unwritable: needs root to become uid %d\n",
			NOBODY);
		return;
	}
	pathf(dir, "%s/unwritable", scratch);
	ck_assert(mkdir(dir, 0755) == 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(77);
		_exit(write_as_nobody(dir));
	}
	ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		return;
	ck_assert_msg(WEXITSTATUS(status) == 0, "as uid %d: child status %d", NOBODY,
		      WEXITSTATUS(status));
	/* Nothing half-made in it. */
	ck_assert_uint_eq(dir_size(dir), 0);
}
END_TEST

START_TEST(test_json_bad_dirs)
{
	struct report_run rr;
	char dir[PATH_MAX];
	int fd;

	memset(&rr, 0, sizeof(rr));
	rr.impl = "x";
	/* "" names no directory (and must not be read past its end). */
	ck_assert_int_eq(report_write_json(&rr, ""), -ENOENT);
	/* A file where a directory should be. */
	pathf(dir, "%s/a-file", scratch);
	fd = open(dir, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(report_write_json(&rr, dir), -ENOTDIR);
	pathf(dir, "%s/a-file/below", scratch);
	ck_assert_int_eq(report_write_json(&rr, dir), -ENOTDIR);
	/* A relative directory works, and so does a trailing slash. */
	pathf(dir, "%s/slash/", scratch);
	ck_assert_int_eq(report_write_json(&rr, dir), 0);
	ck_assert_uint_eq(dir_size(dir), 1);
	{
		char cwd[PATH_MAX];

		ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
		ck_assert(chdir(scratch) == 0);
		ck_assert_int_eq(report_write_json(&rr, "rel/out"), 0);
		ck_assert(access("rel/out/results.json", F_OK) == 0);
		ck_assert(chdir(cwd) == 0);
	}
}
END_TEST

/* ---- the summary ---- */

static char *summary(const struct report_run *rr, const char *json_path)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(f);
	report_print_summary(rr, f, json_path);
	ck_assert_int_eq(fclose(f), 0);
	return s;
}

static size_t count_lines(const char *s, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);

	for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
		n += !strncmp(l, prefix, pl);
		if (!strchr(l, '\n'))
			break;
	}
	return n;
}

/* The line that starts with prefix, without its LF (static buffer). */
static const char *line_of(const char *s, const char *prefix)
{
	static char buf[1024];
	const char *l = strstr(s, prefix);

	ck_assert_msg(l && (l == s || l[-1] == '\n'), "no line starting '%s' in:\n%s", prefix, s);
	snprintf(buf, sizeof(buf), "%.*s", (int)(strchr(l, '\n') - l), l);
	return buf;
}

START_TEST(test_summary)
{
	struct fake_run f;
	char *s;
	const char *l;

	fake_run_make(&f);
	s = summary(&f.rr, "out/results.json");
	ck_assert_str_eq(line_of(s, "cachetorture "),
			 "cachetorture " CT_VERSION
			 ": epcache --deep \xfe (level strict, view reduced)");
	/* One line per scenario, in order, with what it is. */
	ck_assert_uint_eq(count_lines(s, "  pass  "), 2);
	ck_assert_uint_eq(count_lines(s, "  FAIL  "), 1);
	ck_assert_uint_eq(count_lines(s, "  skip  "), 1);
	ck_assert_uint_eq(count_lines(s, "  ERROR "), 1);
	ck_assert(strstr(s, "  pass  alpha") < strstr(s, "  FAIL  be") &&
		  strstr(s, "  FAIL  be") < strstr(s, "  skip  gamma") &&
		  strstr(s, "  skip  gamma") < strstr(s, "  ERROR delta") &&
		  strstr(s, "  ERROR delta") < strstr(s, "  pass  epsilon"));
	l = line_of(s, "  pass  alpha");
	ck_assert_msg(strstr(l, "1.5 s") && strstr(l, "10 queries") && strstr(l, "3 scanned") &&
			  strstr(l, "p99     4.0 ms") && strstr(l, "skew 0.20 ms"),
		      "%s", l);
	/* Not measured: no scanned figure; no herds: no skew. */
	l = line_of(s, "  FAIL  be");
	ck_assert(!strstr(l, "scanned") && !strstr(l, "skew"));
	/* The failure's account right below it. */
	ck_assert_ptr_nonnull(strstr(s, "\n        I1 fresh: 2 violations (stale)\n"));
	ck_assert(strstr(s, "  FAIL  be") < strstr(s, "        I1 fresh"));
	ck_assert_str_eq(line_of(s, "  skip  gamma"), "  skip  gamma              needs root");
	ck_assert_str_eq(line_of(s, "  ERROR delta"),
			 "  ERROR delta              "
			 "cannot execute "
			 "the implementation 'nope': No such file or directory");
	/* Never caching is said once, plainly. */
	ck_assert_uint_eq(count_lines(s, "note: I4 caches: this implementation never caches"), 1);
	/* Replay lines for what failed or errored, nothing else. */
	ck_assert_uint_eq(count_lines(s, "replay "), 2);
	ck_assert_str_eq(line_of(s, "replay be"),
			 "replay be\xfft\x01"
			 "a: cachetorture run --impl 'x' --scenario beta.json --seed 9");
	ck_assert_str_eq(line_of(s, "replay delta"), "replay delta: cachetorture run --impl 'nope' "
						     "--scenario scenarios/delta.json");
	/* The counts, last. */
	ck_assert_str_eq(
	    line_of(s, "passed "),
	    "passed 2, failed 1, skipped 1, errors 1 in 12.5 s; results: out/results.json");
	ck_assert(s[strlen(s) - 1] == '\n');
	ck_assert(strstr(s, "passed 2,") > strstr(s, "replay delta"));
	free(s);
	fake_run_free(&f);
}
END_TEST

START_TEST(test_summary_notes)
{
	struct fake_run f;
	char *s;

	fake_run_make(&f);
	/* Only a note that starts with "never caches" says so... */
	free(f.r[1].verdict.checks[CHECK_I4].note);
	f.r[1].verdict.checks[CHECK_I4].note =
	    strdup("cached after 2 queries; never caches is wrong");
	free(f.r[4].verdict.checks[CHECK_I4].note);
	f.r[4].verdict.checks[CHECK_I4].note = NULL;
	/* ...and not from a scenario that was skipped or errored. */
	f.r[2].verdict.checks[CHECK_I4].note = strdup("never caches: skipped anyway");
	s = summary(&f.rr, NULL);
	ck_assert_ptr_null(strstr(s, "never caches: every warm query"));
	/* No results path when there is no results.json. */
	ck_assert_str_eq(line_of(s, "passed "),
			 "passed 2, failed 1, skipped 1, errors 1 in 12.5 s");
	free(s);
	/* Nothing ran. */
	f.rr.n = 0;
	f.rr.level = LEVEL_SEED;
	f.rr.reduced = false;
	s = summary(&f.rr, NULL);
	ck_assert_str_eq(s, "cachetorture " CT_VERSION
			    ": epcache --deep \xfe (level seed, view full)\n"
			    "passed 0, failed 0, skipped 0, errors 0 in 12.5 s\n");
	free(s);
	f.rr.n = 5;
	fake_run_free(&f);
}
END_TEST

START_TEST(test_counts)
{
	struct fake_run f;
	size_t p = 9, fl = 9, sk = 9, e = 9;

	fake_run_make(&f);
	report_counts(&f.rr, &p, &fl, &sk, &e);
	ck_assert_uint_eq(p, 2);
	ck_assert_uint_eq(fl, 1);
	ck_assert_uint_eq(sk, 1);
	ck_assert_uint_eq(e, 1);
	f.rr.n = 1;
	report_counts(&f.rr, &p, &fl, &sk, &e);
	ck_assert_uint_eq(p + fl + sk + e, 1);
	f.rr.n = 0;
	report_counts(&f.rr, &p, &fl, &sk, &e);
	ck_assert_uint_eq(p + fl + sk + e, 0);
	f.rr.n = 5;
	fake_run_free(&f);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("json");

	/* The validator is Python: generous under ASan. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_json_fields);
	tcase_add_test(tc, test_json_empty_run);
	tcase_add_test(tc, test_json_replace);
	tcase_add_test(tc, test_json_write_fails);
	tcase_add_test(tc, test_json_unwritable);
	tcase_add_test(tc, test_json_bad_dirs);
	suite_add_tcase(s, tc);

	tc = tcase_create("summary");
	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_summary_notes);
	tcase_add_test(tc, test_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_report", 1) < 0)
		return 2;
	return tu_run(report_suite(), "check_report");
}
