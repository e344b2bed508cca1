/* check_scenario.c: the scenario loader (scenario.c) and its position index
 * (jsonpos.c). Bad files are data: fixtures/scenarios/bad/<case>.json beside
 * <case>.err, the exact message after "<path>:"; good files are asserted
 * field by field. Fixtures are found under $CT_FIXTURES (default "fixtures"),
 * shipped scenarios and their README under $CT_SCENARIOS (default
 * "scenarios"): run from the repository's root. */
#include "checker.h"
#include "jsonpos.h"
#include "scenario.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Listed in main() before the suite runs, so that each bad case is a test of
 * its own (a loop test) and a failure names its file. */
static char **bad_paths;
static size_t nbad;

static const char *fixtures_dir(void)
{
	const char *d = getenv("CT_FIXTURES");

	return d && *d ? d : "fixtures";
}

static const char *scenarios_dir(void)
{
	const char *d = getenv("CT_SCENARIOS");

	return d && *d ? d : "scenarios";
}

static char *path_join(const char *a, const char *b)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", a, b), 0);
	return p;
}

static char *fixture(const char *rel)
{
	char *dir = path_join(fixtures_dir(), "scenarios");
	char *p = path_join(dir, rel);

	free(dir);
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	do {
		if (cap - n < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(nb);
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void spill(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static char *tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char *t;

	ck_assert_int_ge(asprintf(&t, "%s/check_scenario.XXXXXX", base && *base ? base : "/tmp"),
			 0);
	ck_assert_ptr_nonnull(mkdtemp(t));
	return t;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void tmpdir_remove(char *t)
{
	ck_assert_int_eq(nftw(t, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(t);
}

/* Loads a fixture that must load. */
static void load_good(const char *rel, struct scenario *sc)
{
	struct scenario_error e;
	char *p = fixture(rel);
	int rc = scenario_load(p, sc, &e);

	ck_assert_msg(rc == 0, "%s: %d %s", p, rc, e.text);
	ck_assert_str_eq(sc->path, p);
	free(p);
}

static void assert_released(const struct scenario *sc)
{
	ck_assert_ptr_null(sc->path);
	ck_assert_ptr_null(sc->name);
	ck_assert_ptr_null(sc->description);
	ck_assert_ptr_null(sc->fs);
	ck_assert_ptr_null(sc->steps);
	ck_assert_uint_eq(sc->nsteps, 0);
}

/* The fields a step has whatever its kind, at their defaults except kind. */
static void assert_step_defaults(const struct step *st, enum step_kind kind)
{
	ck_assert_int_eq(st->kind, kind);
	ck_assert_int_eq(st->workers, 0);
	ck_assert_int_eq(st->count, 1);
	ck_assert(!st->warm);
	ck_assert_ptr_null(st->during);
	ck_assert_uint_eq(st->nduring, 0);
	ck_assert_int_eq(st->entry, -1);
	ck_assert_int_eq(st->style, STYLE_ATOMIC);
	ck_assert_int_eq(st->target, FUTURE_ENTRY);
	ck_assert_int_eq(st->offset_s, 3600);
	ck_assert_int_eq(st->damage, DAMAGE_MIXED);
	ck_assert_int_eq(st->home, ENV_KEEP);
	ck_assert_int_eq(st->xdg, ENV_KEEP);
	if (kind != STEP_RANDOM) {
		ck_assert_ptr_null(st->ops);
		ck_assert_uint_eq(st->nops, 0);
	}
}

/* --- bad files --------------------------------------------------------- */

static char *err_path_of(const char *json)
{
	size_t n = strlen(json);
	char *p;

	ck_assert(n > 5 && !strcmp(json + n - 5, ".json"));
	ck_assert_int_ge(asprintf(&p, "%.*s.err", (int)(n - 5), json), 0);
	return p;
}

START_TEST(test_bad_case)
{
	const char *json = bad_paths[_i];
	char *errp = err_path_of(json), *expect = slurp(errp, NULL), *want;
	struct scenario_error e;
	struct scenario sc;
	int line = -1, col = -1, rc;

	expect[strcspn(expect, "\n")] = '\0';
	ck_assert_int_ge(asprintf(&want, "%s:%s", json, expect), 0);
	memset(&sc, 0xA5, sizeof(sc)); /* the loader must not care what was there */
	rc = scenario_load(json, &sc, &e);
	ck_assert_msg(rc == -EINVAL, "%s: %d (%s)", json, rc, e.text);
	ck_assert_str_eq(e.text, want);
	ck_assert_int_eq(sscanf(expect, "%d:%d:", &line, &col), 2);
	ck_assert_int_eq(e.line, line);
	ck_assert_int_eq(e.col, col);
	assert_released(&sc);
	scenario_release(&sc); /* harmless a second time */
	free(want);
	free(expect);
	free(errp);
}
END_TEST

/* Every case has its message and every message its case; enough of them. */
START_TEST(test_bad_complete)
{
	char *dir = fixture("bad"), **all;
	size_t n, nerr = 0;
	struct dirent *de;
	DIR *d;

	ck_assert_uint_ge(nbad, 25);
	ck_assert_int_eq(scenario_list_dir(dir, &all, &n), 0);
	ck_assert_uint_eq(n, nbad);
	for (size_t i = 0; i < nbad; i++) {
		char *errp = err_path_of(bad_paths[i]);

		ck_assert_msg(access(errp, R_OK) == 0, "%s has no .err", bad_paths[i]);
		free(errp);
	}
	scenario_list_free(all, n);
	/* and no .err without its .json */
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		nerr += len > 4 && !strcmp(de->d_name + len - 4, ".err");
	}
	closedir(d);
	ck_assert_uint_eq(nerr, nbad);
	free(dir);
}
END_TEST

START_TEST(test_missing_file)
{
	struct scenario_error e;
	struct scenario sc;

	ck_assert_int_eq(scenario_load("fixtures/does/not/exist.json", &sc, &e), -ENOENT);
	ck_assert_str_eq(e.text, "fixtures/does/not/exist.json: No such file or directory");
	ck_assert_int_eq(e.line, 0);
	ck_assert_int_eq(e.col, 0);
	assert_released(&sc);
	/* err is optional */
	ck_assert_int_eq(scenario_load("fixtures/does/not/exist.json", &sc, NULL), -ENOENT);
}
END_TEST

START_TEST(test_directory)
{
	char *t = tmpdir_make(), *want;
	struct scenario_error e;
	struct scenario sc;

	ck_assert_int_eq(scenario_load(t, &sc, &e), -EISDIR);
	ck_assert_int_ge(asprintf(&want, "%s: Is a directory", t), 0);
	ck_assert_str_eq(e.text, want);
	free(want);
	tmpdir_remove(t);
}
END_TEST

/* A valid scenario padded with spaces to exactly len bytes. */
static char *padded_scenario(size_t len)
{
	static const char head[] =
	    "{\"description\": \"padded\", \"steps\": [{\"do\": \"query\"}], "
	    "\"checks\": [\"I2\"]";
	char *s = malloc(len);

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, ' ', len - sizeof(head));
	s[len - 1] = '}';
	return s;
}

/* Generated rather than committed: 2 MiB is refused, exactly 1 MiB loads. */
START_TEST(test_size_cap)
{
	char *t = tmpdir_make(), *big = path_join(t, "big.json"), *edge = path_join(t, "edge.json");
	char *s = padded_scenario(2u << 20), *want;
	struct scenario_error e;
	struct scenario sc;

	spill(big, s, 2u << 20);
	ck_assert_int_eq(scenario_load(big, &sc, &e), -EINVAL);
	ck_assert_int_ge(asprintf(&want, "%s: file too large (more than 1048576 bytes)", big), 0);
	ck_assert_str_eq(e.text, want);
	ck_assert_int_eq(e.line, 0);
	assert_released(&sc);
	free(s);

	s = padded_scenario(1u << 20);
	spill(edge, s, 1u << 20);
	ck_assert_msg(scenario_load(edge, &sc, &e) == 0, "%s", e.text);
	ck_assert_str_eq(sc.description, "padded");
	ck_assert_str_eq(sc.name, "edge");
	scenario_release(&sc);
	assert_released(&sc);

	free(s);
	free(want);
	free(big);
	free(edge);
	tmpdir_remove(t);
}
END_TEST

/* --- good files -------------------------------------------------------- */

START_TEST(test_minimal_defaults)
{
	struct scenario sc;

	load_good("good/minimal.json", &sc);
	ck_assert_str_eq(sc.name, "minimal");
	ck_assert_str_eq(sc.description,
			 "the least a scenario can say: everything else takes its default");
	ck_assert_int_eq(sc.level, LEVEL_SEED);
	ck_assert_uint_eq(sc.requires, 0);
	ck_assert_ptr_null(sc.fs);
	ck_assert_uint_eq(sc.seed, 1);
	ck_assert_int_eq(sc.fixture.entries, 1);
	ck_assert_int_eq(sc.fixture.dists, 50);
	ck_assert_int_eq(sc.fixture.missing, 0);
	ck_assert_int_eq(sc.fixture.files, 0);
	ck_assert_int_eq(sc.fixture.symlinks, 0);
	ck_assert_int_eq(sc.workers, 8);
	ck_assert_int_eq(sc.bound_ms, 5000);
	ck_assert_int_eq(sc.rounds, 1);
	ck_assert_int_eq(sc.settle_ms, 0);
	ck_assert_int_eq(sc.home, ENV_SANDBOX);
	ck_assert_int_eq(sc.xdg, ENV_SANDBOX);
	ck_assert_uint_eq(sc.nsteps, 1);
	assert_step_defaults(&sc.steps[0], STEP_QUERY);
	ck_assert_int_eq(sc.steps[0].line, 3);
	ck_assert_int_eq(sc.steps[0].col, 12);
	ck_assert_uint_eq(sc.checks, CHECK_BIT(CHECK_I2));
	scenario_release(&sc);
	assert_released(&sc);
}
END_TEST

START_TEST(test_full)
{
	struct scenario sc;
	const struct step *s, *d;

	load_good("good/full.json", &sc);
	ck_assert_str_eq(sc.name, "full");
	ck_assert_int_eq(sc.level, LEVEL_STRICT);
	ck_assert_uint_eq(sc.requires, REQ_ROOT | REQ_MOUNT_NS | REQ_LOOP | REQ_OTHER_UID);
	ck_assert_str_eq(sc.fs, "ext2-1s");
	ck_assert_uint_eq(sc.seed, 9007199254740992ULL);
	ck_assert_int_eq(sc.fixture.entries, 4);
	ck_assert_int_eq(sc.fixture.dists, 20000);
	ck_assert_int_eq(sc.fixture.missing, 2);
	ck_assert_int_eq(sc.fixture.files, 3);
	ck_assert_int_eq(sc.fixture.symlinks, 2);
	ck_assert_int_eq(sc.workers, 1024);
	ck_assert_int_eq(sc.bound_ms, 600000);
	ck_assert_int_eq(sc.rounds, 100000);
	ck_assert_int_eq(sc.settle_ms, 60000);
	ck_assert_int_eq(sc.home, ENV_RELATIVE);
	ck_assert_int_eq(sc.xdg, ENV_MISSING);
	ck_assert_uint_eq(sc.checks,
			  CHECK_BIT(CHECK_I1) | CHECK_BIT(CHECK_I4) | CHECK_BIT(CHECK_I8));
	ck_assert_uint_eq(sc.nsteps, 19);

	s = &sc.steps[0]; /* herd, with two timed mutations */
	ck_assert_int_eq(s->kind, STEP_HERD);
	ck_assert_int_eq(s->line, 15);
	ck_assert_int_eq(s->col, 3);
	ck_assert_int_eq(s->workers, 64);
	ck_assert(s->warm);
	ck_assert_uint_eq(s->nduring, 2);
	ck_assert_int_eq(s->during[0].at_ms, 5);
	ck_assert_int_eq(s->during[0].every_ms, 0);
	d = s->during[0].step;
	ck_assert_int_eq(d->kind, STEP_INSTALL);
	ck_assert_int_eq(d->style, STYLE_INSTALLER);
	ck_assert_int_eq(d->entry, 3);
	ck_assert_int_eq(d->line, 16);
	ck_assert_int_eq(d->col, 4);
	ck_assert_int_eq(s->during[1].at_ms, 600000);
	ck_assert_int_eq(s->during[1].every_ms, 1);
	d = s->during[1].step;
	ck_assert_int_eq(d->kind, STEP_UNINSTALL);
	ck_assert_int_eq(d->style, STYLE_ANY);
	ck_assert_int_eq(d->entry, -1);

	s = &sc.steps[1];
	ck_assert_int_eq(s->kind, STEP_QUERY);
	ck_assert_int_eq(s->count, 100000);
	ck_assert(s->warm);

	s = &sc.steps[2]; /* stream, a repeated random with weighted ops */
	ck_assert_int_eq(s->kind, STEP_STREAM);
	ck_assert_int_eq(s->ms, 600000);
	ck_assert_int_eq(s->workers, 1);
	ck_assert(!s->warm);
	ck_assert_uint_eq(s->nduring, 1);
	ck_assert_int_eq(s->during[0].at_ms, 0);
	ck_assert_int_eq(s->during[0].every_ms, 600000);
	d = s->during[0].step;
	ck_assert_int_eq(d->kind, STEP_RANDOM);
	ck_assert_uint_eq(d->nops, 3);
	ck_assert_uint_eq(d->ops[0].weight, 1000);
	ck_assert_int_eq(d->ops[0].step->kind, STEP_UPGRADE);
	ck_assert_int_eq(d->ops[0].step->entry, 0);
	ck_assert_int_eq(d->ops[0].step->style, STYLE_ATOMIC);
	ck_assert_uint_eq(d->ops[1].weight, 1);
	ck_assert_int_eq(d->ops[1].step->kind, STEP_BRANCH_SWITCH);
	ck_assert_int_eq(d->ops[1].step->entry, 1);
	ck_assert_uint_eq(d->ops[2].weight, 2);
	ck_assert_int_eq(d->ops[2].step->kind, STEP_ENV);
	ck_assert_int_eq(d->ops[2].step->home, ENV_UNSET);
	ck_assert_int_eq(d->ops[2].step->xdg, ENV_KEEP);
	ck_assert_int_eq(d->ops[2].step->line, 24);
	ck_assert_int_eq(d->ops[2].step->col, 5);

	s = &sc.steps[3];
	ck_assert_int_eq(s->kind, STEP_INSTALL);
	ck_assert_int_eq(s->style, STYLE_INSTALLER);
	ck_assert_int_eq(s->entry, 0);
	s = &sc.steps[4];
	ck_assert_int_eq(s->kind, STEP_UNINSTALL);
	ck_assert_int_eq(s->style, STYLE_ANY);
	ck_assert_int_eq(s->entry, 1);
	s = &sc.steps[5];
	ck_assert_int_eq(s->kind, STEP_UPGRADE);
	ck_assert_int_eq(s->style, STYLE_INSTALLER);
	ck_assert_int_eq(s->entry, 2);
	s = &sc.steps[6];
	ck_assert_int_eq(s->kind, STEP_BRANCH_SWITCH);
	ck_assert_int_eq(s->entry, 3);
	s = &sc.steps[7];
	ck_assert_int_eq(s->kind, STEP_MTIME_RESTORE);
	ck_assert_int_eq(s->entry, 2);
	ck_assert_int_eq(s->style, STYLE_INSTALLER);
	s = &sc.steps[8];
	ck_assert_int_eq(s->kind, STEP_RELOCATE);
	ck_assert_int_eq(s->how, RELOCATE_RENAME);
	ck_assert_int_eq(s->entry, 3);
	s = &sc.steps[9];
	ck_assert_int_eq(s->kind, STEP_RELOCATE);
	ck_assert_int_eq(s->how, RELOCATE_SYMLINK);
	ck_assert_int_eq(s->entry, 1);
	s = &sc.steps[10];
	ck_assert_int_eq(s->kind, STEP_FUTURE_MTIME);
	ck_assert_int_eq(s->target, FUTURE_CACHE);
	ck_assert_int_eq(s->offset_s, -1000000000L);
	ck_assert_int_eq(s->entry, 0);
	s = &sc.steps[11];
	ck_assert_int_eq(s->kind, STEP_EDIT);
	ck_assert_int_eq(s->entry, 3);
	s = &sc.steps[12];
	ck_assert_int_eq(s->kind, STEP_DAMAGE);
	ck_assert_int_eq(s->damage, DAMAGE_HARDLINK);
	s = &sc.steps[13];
	ck_assert_int_eq(s->kind, STEP_CHMOD_CACHE);
	ck_assert_uint_eq(s->mode, 0500);
	s = &sc.steps[14];
	ck_assert_int_eq(s->kind, STEP_ENV);
	ck_assert_int_eq(s->home, ENV_FILE);
	ck_assert_int_eq(s->xdg, ENV_EMPTY);
	s = &sc.steps[15];
	assert_step_defaults(s, STEP_CLEAR_CACHE);
	s = &sc.steps[16];
	ck_assert_int_eq(s->kind, STEP_RANDOM);
	ck_assert_uint_eq(s->nops, 2);
	ck_assert_uint_eq(s->ops[0].weight, 1);
	ck_assert_int_eq(s->ops[0].step->kind, STEP_DAMAGE);
	ck_assert_int_eq(s->ops[0].step->damage, DAMAGE_BITFLIP);
	ck_assert_uint_eq(s->ops[1].weight, 7);
	ck_assert_int_eq(s->ops[1].step->kind, STEP_CHMOD_CACHE);
	ck_assert_uint_eq(s->ops[1].step->mode, 07777);
	assert_step_defaults(&sc.steps[17], STEP_SETTLE);
	s = &sc.steps[18];
	ck_assert_int_eq(s->kind, STEP_SLEEP);
	ck_assert_int_eq(s->ms, 0);
	scenario_release(&sc);
	assert_released(&sc);
}
END_TEST

START_TEST(test_bare_steps)
{
	static const enum step_kind kinds[] = {
	    STEP_HERD,	  STEP_QUERY,	      STEP_STREAM,	  STEP_INSTALL,	 STEP_UNINSTALL,
	    STEP_UPGRADE, STEP_BRANCH_SWITCH, STEP_MTIME_RESTORE, STEP_RELOCATE, STEP_FUTURE_MTIME,
	    STEP_EDIT,	  STEP_DAMAGE,	      STEP_CHMOD_CACHE,	  STEP_ENV,	 STEP_CLEAR_CACHE,
	    STEP_RANDOM,  STEP_SETTLE,	      STEP_SLEEP,
	};
	struct scenario sc;

	load_good("good/bare-steps.json", &sc);
	ck_assert_uint_eq(sc.nsteps, STEP_KIND_COUNT);
	ck_assert_uint_eq(sc.checks, (1u << CHECK_COUNT) - 1);
	for (size_t i = 0; i < sc.nsteps; i++) {
		const struct step *s = &sc.steps[i];

		assert_step_defaults(s, kinds[i]);
		ck_assert_int_eq(s->line, 4 + (int)i);
		ck_assert_int_eq(s->col, 3);
	}
	ck_assert_int_eq(sc.steps[2].ms, 1);
	ck_assert_int_eq(sc.steps[8].how, RELOCATE_RENAME);
	ck_assert_uint_eq(sc.steps[12].mode, 0);
	ck_assert_uint_eq(sc.steps[15].nops, 1);
	ck_assert_uint_eq(sc.steps[15].ops[0].weight, 1);
	assert_step_defaults(sc.steps[15].ops[0].step, STEP_CLEAR_CACHE);
	ck_assert_int_eq(sc.steps[17].ms, 600000);
	scenario_release(&sc);
}
END_TEST

START_TEST(test_crlf)
{
	struct scenario sc;

	load_good("good/crlf.json", &sc);
	ck_assert_str_eq(sc.description,
			 "CRLF line ends and a BOM-free UTF-8 description: \xc3\xa9");
	ck_assert_int_eq(sc.steps[0].line, 3);
	ck_assert_int_eq(sc.steps[0].col, 12);
	scenario_release(&sc);
}
END_TEST

/* The README's complete example must load as it is printed. */
START_TEST(test_readme_example)
{
	char *readme = path_join(scenarios_dir(), "README.md"), *text = slurp(readme, NULL);
	char *t = tmpdir_make(), *p = path_join(t, "readme-example.json");
	const char *start = strstr(text, "```json\n"), *end;
	struct scenario_error e;
	struct scenario sc;

	ck_assert_ptr_nonnull(start);
	start += strlen("```json\n");
	end = strstr(start, "```");
	ck_assert_ptr_nonnull(end);
	spill(p, start, (size_t)(end - start));
	ck_assert_msg(scenario_load(p, &sc, &e) == 0, "%s", e.text);
	ck_assert_str_eq(sc.name, "readme-example");
	ck_assert_uint_eq(sc.seed, 42);
	ck_assert_int_eq(sc.fixture.entries, 2);
	ck_assert_int_eq(sc.fixture.dists, 200);
	ck_assert_int_eq(sc.fixture.missing, 1);
	ck_assert_int_eq(sc.workers, 32);
	ck_assert_int_eq(sc.rounds, 20);
	ck_assert_uint_eq(sc.nsteps, 5);
	ck_assert_int_eq(sc.steps[2].kind, STEP_HERD);
	ck_assert_uint_eq(sc.steps[2].nduring, 2);
	ck_assert_int_eq(sc.steps[2].during[0].step->style, STYLE_ANY);
	ck_assert_int_eq(sc.steps[2].during[1].step->entry, 1);
	ck_assert_int_eq(sc.steps[2].during[1].at_ms, 20);
	ck_assert_int_eq(sc.steps[2].during[1].every_ms, 50);
	ck_assert(sc.steps[4].warm);
	ck_assert_int_eq(sc.steps[4].count, 3);
	ck_assert_uint_eq(sc.checks, CHECK_BIT(CHECK_I1) | CHECK_BIT(CHECK_I2) |
					 CHECK_BIT(CHECK_I3) | CHECK_BIT(CHECK_I5) |
					 CHECK_BIT(CHECK_I8));
	scenario_release(&sc);
	free(p);
	tmpdir_remove(t);
	free(text);
	free(readme);
}
END_TEST

/* Every scenario the project ships loads (none yet is fine). */
START_TEST(test_shipped_scenarios)
{
	char **paths;
	size_t n;
	int rc = scenario_list_dir(scenarios_dir(), &paths, &n);

	ck_assert_msg(rc == 0 || rc == -ENOENT, "%s: %s", scenarios_dir(), strerror(-rc));
	for (size_t i = 0; i < n; i++) {
		struct scenario_error e;
		struct scenario sc;

		ck_assert_msg(scenario_load(paths[i], &sc, &e) == 0, "%s", e.text);
		scenario_release(&sc);
	}
	scenario_list_free(paths, n);
}
END_TEST

START_TEST(test_name)
{
	char *t = tmpdir_make(), *plain = path_join(t, "plain"), *dot = path_join(t, ".json");
	char *min = fixture("good/minimal.json"), *text;
	struct scenario sc;
	size_t len;

	text = slurp(min, &len);
	spill(plain, text, len);
	spill(dot, text, len);
	ck_assert_int_eq(scenario_load(plain, &sc, NULL), 0);
	ck_assert_str_eq(sc.name, "plain");
	scenario_release(&sc);
	ck_assert_int_eq(scenario_load(dot, &sc, NULL), 0);
	ck_assert_str_eq(sc.name, ".json"); /* nothing would be left */
	scenario_release(&sc);
	free(text);
	free(min);
	free(plain);
	free(dot);
	tmpdir_remove(t);
}
END_TEST

START_TEST(test_step_kinds)
{
	for (int k = 0; k < STEP_KIND_COUNT; k++) {
		const char *name = step_kind_name((enum step_kind)k);

		ck_assert_ptr_nonnull(name);
		for (int j = 0; j < k; j++)
			ck_assert_str_ne(name, step_kind_name((enum step_kind)j));
		ck_assert(step_is_mutation((enum step_kind)k) ==
			  (k >= STEP_INSTALL && k <= STEP_RANDOM));
	}
	ck_assert_str_eq(step_kind_name(STEP_BRANCH_SWITCH), "branch-switch");
	ck_assert_str_eq(step_kind_name(STEP_CHMOD_CACHE), "chmod-cache");
	ck_assert_ptr_null(step_kind_name(STEP_KIND_COUNT));
	step_free(NULL);
	scenario_release(NULL);
}
END_TEST

/* --- listing ----------------------------------------------------------- */

START_TEST(test_list_dir)
{
	static const char *const files[] = {"b.json", "a.json", "B.json", ".hidden.json",
					    "c.txt",  "json",	"x.jsonx"};
	char *t = tmpdir_make(), *p, **v;
	size_t n;

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		p = path_join(t, files[i]);
		spill(p, "{}", 2);
		free(p);
	}
	p = path_join(t, "dir.json");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	p = path_join(t, "dangling.json");
	ck_assert_int_eq(symlink("nowhere", p), 0);
	free(p);

	ck_assert_int_eq(scenario_list_dir(t, &v, &n), 0);
	ck_assert_uint_eq(n, 4);
	p = path_join(t, "B.json");
	ck_assert_str_eq(v[0], p);
	free(p);
	p = path_join(t, "a.json");
	ck_assert_str_eq(v[1], p);
	free(p);
	p = path_join(t, "b.json");
	ck_assert_str_eq(v[2], p);
	free(p);
	p = path_join(t, "dangling.json"); /* listed: loading it says what is wrong */
	ck_assert_str_eq(v[3], p);
	free(p);
	scenario_list_free(v, n);

	/* a trailing slash does not double */
	ck_assert_int_ge(asprintf(&p, "%s/", t), 0);
	ck_assert_int_eq(scenario_list_dir(p, &v, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_ptr_null(strstr(v[0], "//"));
	scenario_list_free(v, n);
	free(p);

	p = path_join(t, "dir.json");
	ck_assert_int_eq(scenario_list_dir(p, &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	scenario_list_free(v, n);
	free(p);

	p = path_join(t, "none");
	ck_assert_int_eq(scenario_list_dir(p, &v, &n), -ENOENT);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	free(p);
	tmpdir_remove(t);
}
END_TEST

START_TEST(test_list_good)
{
	char *dir = fixture("good"), **v;
	size_t n;

	ck_assert_int_eq(scenario_list_dir(dir, &v, &n), 0);
	ck_assert_uint_ge(n, 4);
	for (size_t i = 1; i < n; i++)
		ck_assert_int_lt(strcmp(v[i - 1], v[i]), 0);
	for (size_t i = 0; i < n; i++) {
		struct scenario_error e;
		struct scenario sc;

		ck_assert_msg(scenario_load(v[i], &sc, &e) == 0, "%s", e.text);
		scenario_release(&sc);
	}
	scenario_list_free(v, n);
	free(dir);
}
END_TEST

/* --- jsonpos ----------------------------------------------------------- */

static struct jsonpos *index_of(const char *text)
{
	struct jsonpos *p;
	int rc = jsonpos_index(text, strlen(text), &p, NULL, NULL);

	ck_assert_msg(rc == 0, "jsonpos_index: %d", rc);
	return p;
}

static void assert_at(const struct jsonpos *p, const char *path, bool key, int line, int col)
{
	int l = -1, c = -1, rc = jsonpos_lookup(p, path, key, &l, &c);

	ck_assert_msg(rc == 0, "%s: %d", path, rc);
	ck_assert_msg(l == line && c == col, "%s%s: %d:%d, want %d:%d", path, key ? " (key)" : "",
		      l, c, line, col);
}

START_TEST(test_jsonpos_keys_values)
{
	static const char text[] = "  {\n"
				   "\t\"a\": 1,\n"
				   "\t\"bb\" :  [true, null, {\"c\": -2.5e3}],\n"
				   "\t\"\": {}\n"
				   "}";
	struct jsonpos *p = index_of(text);
	size_t off, len;

	assert_at(p, "", false, 1, 3);
	assert_at(p, "", true, 1, 3);
	assert_at(p, "/a", true, 2, 2);
	assert_at(p, "/a", false, 2, 7);
	assert_at(p, "/bb", true, 3, 2);
	assert_at(p, "/bb", false, 3, 10);
	assert_at(p, "/bb/0", false, 3, 11);
	assert_at(p, "/bb/0", true, 3, 11); /* an item's "key" is the item */
	assert_at(p, "/bb/1", false, 3, 17);
	assert_at(p, "/bb/2", false, 3, 23);
	assert_at(p, "/bb/2/c", true, 3, 24);
	assert_at(p, "/bb/2/c", false, 3, 29);
	assert_at(p, "/", true, 4, 2); /* the empty key */
	assert_at(p, "/", false, 4, 6);

	jsonpos_span(p, jsonpos_member(p, 0, "bb", 2), &off, &len);
	ck_assert_int_eq((int)len, (int)strlen("[true, null, {\"c\": -2.5e3}]"));
	ck_assert(!strncmp(text + off, "[true", 5));
	jsonpos_span(p, jsonpos_item(p, jsonpos_member(p, 0, "bb", 2), 2), &off, &len);
	ck_assert(!strncmp(text + off, "{\"c\": -2.5e3}", len));
	jsonpos_span(p,
		     jsonpos_member(p, jsonpos_item(p, jsonpos_member(p, 0, "bb", 2), 2), "c", 1),
		     &off, &len);
	ck_assert(len == 6 && !strncmp(text + off, "-2.5e3", len));
	jsonpos_free(p);
}
END_TEST

START_TEST(test_jsonpos_missing)
{
	struct jsonpos *p = index_of("{\"a\": [1, 2], \"s\": \"x\"}");
	int l = 7, c = 7;
	size_t off = 1, len = 1;

	ck_assert_int_eq(jsonpos_lookup(p, "/b", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/a/2", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/a/01", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/a/-1", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/a/x", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/a/99999999999999999999", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/s/0", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/a/0/x", false, &l, &c), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "a", false, &l, &c), -EINVAL);
	ck_assert_int_eq(jsonpos_lookup(p, "/a~2", false, &l, &c), -EINVAL);
	ck_assert_int_eq(jsonpos_lookup(p, "/b/~", false, &l, &c), -EINVAL);
	ck_assert_int_eq(l, 7); /* untouched on failure */
	ck_assert_int_eq(c, 7);
	/* a walk past a missing node stays missing */
	ck_assert_int_eq(jsonpos_item(p, jsonpos_member(p, 0, "b", 1), 0), -1);
	ck_assert_int_eq(jsonpos_member(p, jsonpos_member(p, 0, "a", 1), "0", 1), -1);
	ck_assert_int_eq(jsonpos_item(p, 0, 0), -1);
	jsonpos_where(p, -1, false, &l, &c);
	ck_assert_int_eq(l, 0);
	ck_assert_int_eq(c, 0);
	jsonpos_span(p, -1, &off, &len);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, 0);
	jsonpos_free(p);
	jsonpos_free(NULL);
}
END_TEST

START_TEST(test_jsonpos_nested_arrays)
{
	struct jsonpos *p = index_of("[[], [[1], [2, [3]]], {}]\n");

	assert_at(p, "/0", false, 1, 2);
	assert_at(p, "/1", false, 1, 6);
	assert_at(p, "/1/0", false, 1, 7);
	assert_at(p, "/1/0/0", false, 1, 8);
	assert_at(p, "/1/1", false, 1, 12);
	assert_at(p, "/1/1/1", false, 1, 16);
	assert_at(p, "/1/1/1/0", false, 1, 17);
	assert_at(p, "/2", false, 1, 23);
	ck_assert_int_eq(jsonpos_lookup(p, "/0/0", false, &(int){0}, &(int){0}), -ENOENT);
	ck_assert_int_eq(jsonpos_lookup(p, "/3", false, &(int){0}, &(int){0}), -ENOENT);
	jsonpos_free(p);
}
END_TEST

/* Quotes, braces and brackets inside strings are text, not structure. */
START_TEST(test_jsonpos_strings)
{
	static const char text[] = "{\"k\\\"{[\": \"v}]\\\"\\\\\", \"a/b\": {\"m~n\": \"}\"},\n"
				   " \"n\": [\"[\", \"\\\\\"], \"z\": 0}";
	struct jsonpos *p = index_of(text);

	assert_at(p, "/k\"{[", true, 1, 2);
	assert_at(p, "/k\"{[", false, 1, 11);
	assert_at(p, "/a~1b", true, 1, 22);
	assert_at(p, "/a~1b/m~0n", true, 1, 30);
	assert_at(p, "/a~1b/m~0n", false, 1, 37);
	assert_at(p, "/n", true, 2, 2);
	assert_at(p, "/n/1", false, 2, 13);
	assert_at(p, "/z", false, 2, 25);
	ck_assert_int_eq(jsonpos_member(p, 0, "a/b", 3), jsonpos_member(p, 0, "a/b", 3));
	ck_assert_int_ge(jsonpos_member(p, 0, "a/b", 3), 0);
	ck_assert_int_eq(jsonpos_member(p, 0, "a~1b", 4), -1);
	jsonpos_free(p);
}
END_TEST

/* Keys are decoded as jansson decodes them, and columns count characters. */
START_TEST(test_jsonpos_unicode)
{
	static const char text[] = "{\"\\u00e9\\ud83d\\ude00\": 1, \"\xc3\xa9\xf0\x9f\x98\x80\": 2,"
				   " \"\\u0041\\/\\n\": [\"\xe2\x82\xac\", 3]}";
	struct jsonpos *p = index_of(text);

	/* the escaped and the raw spelling decode alike: the first one wins */
	assert_at(p, "/\xc3\xa9\xf0\x9f\x98\x80", true, 1, 2);
	assert_at(p, "/\xc3\xa9\xf0\x9f\x98\x80", false, 1, 24);
	ck_assert_int_eq(jsonpos_member(p, 0, "\xc3\xa9\xf0\x9f\x98\x80", 6), 1);
	/* the raw "é😀" is 4 characters wide with its quotes, "€" 3 */
	assert_at(p, "/A~1\n", true, 1, 36);
	assert_at(p, "/A~1\n/0", false, 1, 51);
	assert_at(p, "/A~1\n/1", false, 1, 56);
	jsonpos_free(p);
}
END_TEST

static char *nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 1);

	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < depth; i++) {
		s[i] = i % 2 ? '[' : '{';
		s[2 * depth - 1 - i] = i % 2 ? ']' : '}';
	}
	s[2 * depth] = '\0';
	return s;
}

START_TEST(test_jsonpos_depth)
{
	char *ok = malloc(JSONPOS_MAX_DEPTH * 8 + 1), *deep = malloc(JSONPOS_MAX_DEPTH * 8 + 16);
	struct jsonpos *p;
	int line = 0, col = 0;
	size_t n = 0, open;

	/* {"a":[{"a":[ ... []... ]}]}, JSONPOS_MAX_DEPTH levels, the innermost
	 * an empty array */
	for (int i = 0; i < JSONPOS_MAX_DEPTH; i++) {
		const char *o = i % 2 ? "[" : "{\"a\":";

		memcpy(ok + n, o, strlen(o));
		n += strlen(o);
	}
	open = n;
	for (int i = JSONPOS_MAX_DEPTH - 1; i >= 0; i--)
		ok[n++] = i % 2 ? ']' : '}';
	ok[n] = '\0';
	ck_assert_int_eq(jsonpos_index(ok, n, &p, NULL, NULL), 0);
	assert_at(p, "/a/0/a/0/a", false, 1, 18);
	jsonpos_free(p);

	/* one level more, on line 2: "[]" inside the innermost array */
	memcpy(deep, "\n  ", 3);
	memcpy(deep + 3, ok, open);
	memcpy(deep + 3 + open, "[]", 2);
	memcpy(deep + 5 + open, ok + open, n - open + 1);
	ck_assert_int_eq(jsonpos_index(deep, strlen(deep), &p, &line, &col), -E2BIG);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(col, 3 + (int)open);
	free(ok);
	free(deep);

	ok = nested(40);
	ck_assert_int_eq(jsonpos_index(ok, strlen(ok), &p, NULL, NULL),
			 -EINVAL); /* {[ is not JSON */
	free(ok);
}
END_TEST

START_TEST(test_jsonpos_scalars_and_empties)
{
	struct jsonpos *p = index_of("\n\n   42 ");

	assert_at(p, "", false, 3, 4);
	jsonpos_free(p);
	p = index_of("{}");
	ck_assert_int_eq(jsonpos_lookup(p, "/x", false, &(int){0}, &(int){0}), -ENOENT);
	jsonpos_free(p);
	p = index_of("[ ]");
	ck_assert_int_eq(jsonpos_item(p, 0, 0), -1);
	jsonpos_free(p);
	p = index_of("\"a\\\"b\"");
	assert_at(p, "", false, 1, 1);
	jsonpos_free(p);
}
END_TEST

/* Not a validator, but never out of bounds on what jansson would refuse. */
START_TEST(test_jsonpos_malformed)
{
	static const char *const bad[] = {
	    "",	     "   ",   "{",	   "[",	    "{\"a\"", "{\"a\":",  "{\"a\" 1}",
	    "[1,]",  "[1 2]", "1 2",	   "\"abc", "\"\\",   "\"\\u12",  "\"\\q\"",
	    "{1:2}", "[}",    "{\"a\":1]", "}",	    "]",      "{\"\\u00", "[\"\\ud800\\u",
	};
	struct jsonpos *p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int line = 0, col = 0;

		ck_assert_msg(jsonpos_index(bad[i], strlen(bad[i]), &p, &line, &col) == -EINVAL,
			      "%s", bad[i]);
		ck_assert_ptr_null(p);
		ck_assert_int_ge(line, 1);
		ck_assert_int_ge(col, 1);
	}
}
END_TEST

/* Linear: a long array is indexed at once and its last item found directly. */
START_TEST(test_jsonpos_large)
{
	const size_t items = 200000;
	char *s = malloc(items * 2 + 2);
	struct jsonpos *p;
	char path[32];
	size_t n = 0;

	s[n++] = '[';
	for (size_t i = 0; i < items; i++) {
		s[n++] = '0';
		s[n++] = i + 1 < items ? ',' : ']';
	}
	ck_assert_int_eq(jsonpos_index(s, n, &p, NULL, NULL), 0);
	snprintf(path, sizeof(path), "/%zu", items - 1);
	assert_at(p, path, false, 1, (int)(n - 1));
	ck_assert_int_eq(jsonpos_item(p, 0, items), -1);
	jsonpos_free(p);
	free(s);
}
END_TEST

static Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc;

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad_case, 0, (int)nbad);
	tcase_add_test(tc, test_bad_complete);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_size_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("good");
	tcase_add_test(tc, test_minimal_defaults);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_bare_steps);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_readme_example);
	tcase_add_test(tc, test_shipped_scenarios);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_step_kinds);
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_test(tc, test_list_dir);
	tcase_add_test(tc, test_list_good);
	suite_add_tcase(s, tc);

	tc = tcase_create("jsonpos");
	tcase_add_test(tc, test_jsonpos_keys_values);
	tcase_add_test(tc, test_jsonpos_missing);
	tcase_add_test(tc, test_jsonpos_nested_arrays);
	tcase_add_test(tc, test_jsonpos_strings);
	tcase_add_test(tc, test_jsonpos_unicode);
	tcase_add_test(tc, test_jsonpos_depth);
	tcase_add_test(tc, test_jsonpos_scalars_and_empties);
	tcase_add_test(tc, test_jsonpos_malformed);
	tcase_add_test(tc, test_jsonpos_large);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char **all = NULL, *dir;
	size_t nall = 0;
	SRunner *sr;
	int failed, rc;

	/* not fixture(): Check's assertions only work inside a test */
	if (asprintf(&dir, "%s/scenarios/bad", fixtures_dir()) < 0)
		return 1;
	rc = scenario_list_dir(dir, &all, &nall);
	if (rc) {
		fprintf(stderr, "check_scenario: cannot list '%s': %s\n", dir, strerror(-rc));
		free(dir);
		return 1;
	}
	bad_paths = all;
	nbad = nall;
	sr = srunner_create(scenario_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	scenario_list_free(all, nall);
	free(dir);
	return failed ? 1 : 0;
}
