/* check_fixture.c: the fixture generator is deterministic, upgrades are
 * visible, names are unique, every entry_points.txt is well-formed (so that
 * importlib.metadata agrees with the protocol on it) and trees are built
 * as promised. */
#include "fixture.h"
#include "oracle.h"
#include "view.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Check records every passing ck_assert (a write each): the loops below
 * make hundreds of thousands of checks, so they fail loudly but pass
 * silently. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg("requirement failed: %s", #cond);                             \
	} while (0)

/* Made in main() before the suite forks its tests (see check_oracle.c). */
static void make(uint64_t seed, uint64_t index, unsigned version, int force, struct fixture_dist *d)
{
	int rc = fixture_dist_make(seed, index, version, force, d);

	if (rc)
		ck_abort_msg("fixture_dist_make(%llu, %llu, %u, %d): %s", (unsigned long long)seed,
			     (unsigned long long)index, version, force, strerror(-rc));
}

static int dist_equal(const struct fixture_dist *a, const struct fixture_dist *b)
{
	if (strcmp(a->project, b->project) || strcmp(a->version, b->version) ||
	    strcmp(a->dirname, b->dirname) || a->nfiles != b->nfiles ||
	    a->has_entry_points != b->has_entry_points)
		return 0;
	for (size_t i = 0; i < a->nfiles; i++)
		if (strcmp(a->files[i].name, b->files[i].name) ||
		    a->files[i].len != b->files[i].len ||
		    memcmp(a->files[i].data, b->files[i].data, a->files[i].len))
			return 0;
	return 1;
}

/* The entries of d's entry_points.txt as the protocol reads them, in file
 * order, each "\tG\tN\tV" (D left empty). */
static void parse_entries(const struct fixture_dist *d, struct linebuf *lb)
{
	const struct fixture_file *f = fixture_dist_file(d, "entry_points.txt");

	linebuf_init(lb);
	if (f)
		REQUIRE(oracle_parse("", 0, f->data, f->len, lb) == 0);
}

/* Length of "\tG\tN" in an entry line. */
static size_t group_name_len(const char *line, size_t len)
{
	size_t tabs = 0;

	for (size_t i = 0; i < len; i++)
		if (line[i] == '\t' && ++tabs == 3)
			return i;
	ck_abort_msg("entry line without three TABs");
	return 0;
}

START_TEST(test_determinism)
{
	static const uint64_t seeds[] = {0, 1, 0xfeedfaceULL};
	size_t differ = 0;

	for (size_t s = 0; s < 3; s++)
		for (uint64_t i = 0; i < 150; i++)
			for (unsigned v = 0; v < 3; v++)
				for (int force = 0; force < 2; force++) {
					struct fixture_dist a, b;

					make(seeds[s], i, v, force, &a);
					make(seeds[s], i, v, force, &b);
					if (!(dist_equal(&a, &b)))
						ck_abort_msg("(%zu, %llu, %u) differs", s,
							     (unsigned long long)i, v);
					fixture_dist_release(&a);
					fixture_dist_release(&b);
				}
	/* And the seed matters. */
	for (uint64_t i = 0; i < 100; i++) {
		struct fixture_dist a, b;

		make(1, i, 0, 0, &a);
		make(2, i, 0, 0, &b);
		differ += strcmp(a.dirname, b.dirname) != 0;
		fixture_dist_release(&a);
		fixture_dist_release(&b);
	}
	REQUIRE(differ >= 95);
}
END_TEST

START_TEST(test_upgrade)
{
	for (uint64_t i = 0; i < 400; i++) {
		struct fixture_dist d[4];
		struct linebuf lb[4];

		for (unsigned v = 0; v < 4; v++) {
			make(11, i, v, 1, &d[v]);
			parse_entries(&d[v], &lb[v]);
			REQUIRE(lb[v].n >= 1);
		}
		for (unsigned v = 1; v < 4; v++) {
			const struct fixture_dist *a = &d[v - 1], *b = &d[v];
			size_t changed = 0;

			REQUIRE(strcmp(a->project, b->project) == 0);
			REQUIRE(strcmp(a->version, b->version) != 0);
			REQUIRE(strcmp(a->dirname, b->dirname) != 0);
			/* Same groups and names in the same order; some
			 * value moved, so even a reduced view sees it. */
			REQUIRE(lb[v - 1].n == lb[v].n);
			for (size_t k = 0; k < lb[v].n; k++) {
				const char *x = lb[v - 1].lines[k], *y = lb[v].lines[k];
				size_t xl = lb[v - 1].lens[k], yl = lb[v].lens[k];
				size_t gx = group_name_len(x, xl), gy = group_name_len(y, yl);

				REQUIRE(gx == gy && !memcmp(x, y, gx));
				changed += xl != yl || memcmp(x, y, xl);
			}
			if (!(changed > 0))
				ck_abort_msg("index %llu: version %u changes no value",
					     (unsigned long long)i, v);
		}
		/* Versions never share a directory name. */
		REQUIRE(strcmp(d[0].dirname, d[2].dirname) != 0);
		REQUIRE(strcmp(d[0].dirname, d[3].dirname) != 0);
		REQUIRE(strcmp(d[1].dirname, d[3].dirname) != 0);
		for (unsigned v = 0; v < 4; v++) {
			linebuf_release(&lb[v]);
			fixture_dist_release(&d[v]);
		}
	}
}
END_TEST

START_TEST(test_entry_points_share)
{
	const size_t n = 3000;
	size_t with = 0, eggs = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct fixture_dist d, f;
		int upgraded_has;

		make(21, i, 0, 0, &d);
		make(21, i, 0, 1, &f);
		REQUIRE(!d.has_entry_points == !fixture_dist_file(&d, "entry_points.txt"));
		REQUIRE(f.has_entry_points && fixture_dist_file(&f, "entry_points.txt"));
		REQUIRE(strcmp(d.dirname, f.dirname) == 0);
		with += d.has_entry_points != 0;
		eggs += strstr(d.dirname, ".egg-info") != NULL;
		REQUIRE(fixture_dist_file(&d, "no-such-file") == NULL);
		/* Whether a distribution has entry points does not change on
		 * upgrade. */
		{
			struct fixture_dist u;

			make(21, i, 1, 0, &u);
			upgraded_has = u.has_entry_points;
			fixture_dist_release(&u);
		}
		REQUIRE(upgraded_has == d.has_entry_points);
		fixture_dist_release(&d);
		fixture_dist_release(&f);
	}
	/* About 35% and 5%: bounds at about four standard deviations. */
	if (!(with > n * 30 / 100 && with < n * 40 / 100))
		ck_abort_msg("%zu of %zu have entry points", with, n);
	if (!(eggs > n * 3 / 100 && eggs < n * 7 / 100))
		ck_abort_msg("%zu of %zu are egg-info", eggs, n);
}
END_TEST

START_TEST(test_names)
{
	/* The directory name follows the installers' conventions and the
	 * core metadata names the project and version. */
	for (uint64_t i = 0; i < 2000; i++) {
		struct fixture_dist d;
		char want[512], field[600];
		int egg;
		size_t k = 0;

		make(31, i * 7919, i % 3, 0, &d);
		egg = strstr(d.dirname, ".egg-info") != NULL;
		for (const char *c = d.project; *c && k < 400; c++)
			want[k++] = *c == '-' || (*c == '.' && !egg) ? '_' : *c;
		snprintf(want + k, sizeof(want) - k, "-%s%s", d.version,
			 egg ? "-py3.11.egg-info" : ".dist-info");
		REQUIRE(strcmp(d.dirname, want) == 0);
		REQUIRE(d.version[0] >= '0' && d.version[0] <= '9');
		REQUIRE(strspn(d.version, "0123456789.rcbpostdev") == strlen(d.version));
		REQUIRE(strspn(d.project, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789-_.") == strlen(d.project));
		REQUIRE(strcmp(d.files[0].name, egg ? "PKG-INFO" : "METADATA") == 0);
		snprintf(field, sizeof(field), "\nName: %s\nVersion: %s\n", d.project, d.version);
		REQUIRE(memmem(d.files[0].data, d.files[0].len, field, strlen(field)));
		REQUIRE(fixture_dist_file(&d, "top_level.txt"));
		if (!egg) {
			REQUIRE(fixture_dist_file(&d, "WHEEL"));
			REQUIRE(fixture_dist_file(&d, "RECORD"));
			REQUIRE(fixture_dist_file(&d, "INSTALLER"));
		}
		fixture_dist_release(&d);
	}
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* No two indexes share a name, even ignoring case (a case-insensitive
 * file system would otherwise merge two distributions). */
static void check_unique(uint64_t seed, uint64_t first, size_t n)
{
	char **names = calloc(n, sizeof(*names));

	REQUIRE(names != NULL);
	for (size_t i = 0; i < n; i++) {
		struct fixture_dist d;
		size_t len;

		make(seed, first + i, 0, 0, &d);
		/* The normalised name has no '-': it ends at the version. */
		len = strcspn(d.dirname, "-");
		names[i] = strndup(d.dirname, len);
		REQUIRE(names[i] != NULL);
		for (size_t k = 0; k < len; k++)
			if (names[i][k] >= 'A' && names[i][k] <= 'Z')
				names[i][k] = (char)(names[i][k] - 'A' + 'a');
		/* An egg-info keeps dots that a wheel turns into '_'. */
		for (size_t k = 0; k < len; k++)
			if (names[i][k] == '.')
				names[i][k] = '_';
		fixture_dist_release(&d);
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (!(strcmp(names[i - 1], names[i])))
			ck_abort_msg("seed %llu: name %s twice", (unsigned long long)seed,
				     names[i]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

START_TEST(test_unique_names)
{
	check_unique(1, 0, 20000);
	check_unique(0xfeed, 0, 20000);
	check_unique(5, 1000000000ULL, 3000);
	check_unique(5, UINT64_MAX - 3000, 3000);
}
END_TEST

struct ep_stats {
	size_t files, entries, long_values, comments, blank, dashed, dotted, extras, module_only,
	    class_method, groups_hist[5], max_entries, non_console;
};

static int is_ws(char c)
{
	return c == ' ';
}

/* One entry_points.txt against the generator's promise: ASCII, no TAB, CR
 * or other control bytes, every line blank, a comment, a group, or
 * "name = value" with a non-empty name after a group. */
static void check_well_formed(const struct fixture_file *f, struct ep_stats *st)
{
	const char *p = f->data, *end = f->data + f->len;
	char groups_seen[4][64];
	size_t ngroups = 0, entries = 0, in_group = 0;
	char names[12][256];
	struct linebuf lb;

	REQUIRE(f->len > 0);
	REQUIRE(end[-1] == '\n');
	for (size_t i = 0; i < f->len; i++)
		if (!((f->data[i] >= 0x20 && f->data[i] < 0x7f) || f->data[i] == '\n'))
			ck_abort_msg("byte 0x%02x", (unsigned char)f->data[i]);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl, *eq;

		p = nl + 1;
		while (s < e && is_ws(*s))
			s++;
		while (e > s && is_ws(e[-1]))
			e--;
		if (s == e) {
			st->blank++;
			continue;
		}
		if (*s == '#') {
			st->comments++;
			continue;
		}
		if (*s == '[') {
			size_t len = (size_t)(e - s) - 2;

			REQUIRE(e[-1] == ']' && len > 0 && len < 64);
			REQUIRE(!memchr(s + 1, '[', len) && !memchr(s + 1, ']', len));
			REQUIRE(ngroups < 4);
			for (size_t g = 0; g < ngroups; g++)
				REQUIRE(strncmp(groups_seen[g], s + 1, len) || groups_seen[g][len]);
			memcpy(groups_seen[ngroups], s + 1, len);
			groups_seen[ngroups][len] = '\0';
			st->non_console += strcmp(groups_seen[ngroups], "console_scripts") != 0;
			ngroups++;
			in_group = 0;
			continue;
		}
		if (!(ngroups > 0))
			ck_abort_msg("entry before the first group");
		eq = memchr(s, '=', (size_t)(e - s));
		if (!(eq != NULL))
			ck_abort_msg("line without '='");
		{
			const char *ne = eq, *vs = eq + 1;
			size_t nlen;

			while (ne > s && is_ws(ne[-1]))
				ne--;
			while (vs < e && is_ws(*vs))
				vs++;
			nlen = (size_t)(ne - s);
			REQUIRE(nlen > 0 && nlen < 256 && vs < e);
			REQUIRE(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789-_.") >= nlen);
			REQUIRE(in_group < 12);
			for (size_t k = 0; k < in_group; k++)
				REQUIRE(strncmp(names[k], s, nlen) || names[k][nlen]);
			memcpy(names[in_group], s, nlen);
			names[in_group][nlen] = '\0';
			in_group++;
			if (in_group > st->max_entries)
				st->max_entries = in_group;
			st->dashed += memchr(s, '-', nlen) != NULL;
			st->dotted += memchr(s, '.', nlen) != NULL;
			st->long_values += e - vs >= 200;
			st->extras += memchr(vs, '[', (size_t)(e - vs)) != NULL;
			{
				const char *colon = memchr(vs, ':', (size_t)(e - vs));

				st->module_only += colon == NULL;
				st->class_method +=
				    colon && memchr(colon, '.', (size_t)(e - colon));
			}
		}
		entries++;
	}
	REQUIRE(ngroups >= 1 && ngroups <= 4);
	st->groups_hist[ngroups]++;
	st->files++;
	st->entries += entries;
	/* And the protocol reads exactly those entries. */
	linebuf_init(&lb);
	REQUIRE(oracle_parse("", 0, f->data, f->len, &lb) == 0);
	REQUIRE(lb.n == entries);
	linebuf_release(&lb);
}

START_TEST(test_well_formed)
{
	struct ep_stats st;

	memset(&st, 0, sizeof(st));
	for (uint64_t seed = 1; seed <= 3; seed++)
		for (uint64_t i = 0; i < 1500; i++) {
			struct fixture_dist d;

			make(seed, i, (unsigned)(i % 4), 1, &d);
			check_well_formed(fixture_dist_file(&d, "entry_points.txt"), &st);
			fixture_dist_release(&d);
		}
	/* The shapes the header promises all occur. */
	REQUIRE(st.files == 4500);
	for (int g = 1; g <= 4; g++)
		if (!(st.groups_hist[g] > 0))
			ck_abort_msg("no file with %d groups", g);
	REQUIRE(st.max_entries >= 8);
	REQUIRE(st.long_values > 0);
	REQUIRE(st.comments > 0);
	REQUIRE(st.blank > 0);
	REQUIRE(st.dashed > 0);
	REQUIRE(st.dotted > 0);
	REQUIRE(st.extras > 0);
	REQUIRE(st.module_only > 0);
	REQUIRE(st.class_method > 0);
	REQUIRE(st.non_console > 0);
}
END_TEST

static char *slurp_at(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert(fstat(fd, &sb) == 0);
	buf = malloc((size_t)sb.st_size + 1);
	ck_assert(buf != NULL);
	ck_assert(read(fd, buf, (size_t)sb.st_size) == sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

START_TEST(test_tree_build)
{
	const size_t n = 120;
	const uint64_t first = 100;
	char dir[PATH_MAX], p[PATH_MAX];
	size_t meta = 0, want_lines = 0, packages = 0;
	struct dirent *de;
	struct view v;
	DIR *dh;

	pathf(dir, "%s/tree", scratch);
	ck_assert_int_eq(fixture_tree_build(dir, 5, first, n), 0);
	for (size_t i = 0; i < n; i++) {
		struct fixture_dist d;
		struct linebuf lb;

		make(5, first + i, 0, 0, &d);
		for (size_t k = 0; k < d.nfiles; k++) {
			size_t len;
			char *got;

			pathf(p, "%s/%s/%s", dir, d.dirname, d.files[k].name);
			got = slurp_at(p, &len);
			ck_assert(len == d.files[k].len && !memcmp(got, d.files[k].data, len));
			free(got);
		}
		parse_entries(&d, &lb);
		want_lines += lb.n;
		linebuf_release(&lb);
		fixture_dist_release(&d);
	}
	dh = opendir(dir);
	ck_assert(dh != NULL);
	while ((de = readdir(dh))) {
		size_t l = strlen(de->d_name);

		if (l > 10 && (!strcmp(de->d_name + l - 10, ".dist-info") ||
			       !strcmp(de->d_name + l - 9, ".egg-info")))
			meta++;
		else if (de->d_name[0] != '.' && de->d_name[0] != '_' && !strchr(de->d_name, '.'))
			packages++;
	}
	closedir(dh);
	ck_assert_uint_eq(meta, n);
	ck_assert_uint_ge(packages, 8);
	static const char *const extras[] = {
	    "_distutils_hack/__init__.py", "distutils-precedence.pth", "__pycache__", "README.txt"};
	for (size_t k = 0; k < sizeof(extras) / sizeof(extras[0]); k++) {
		struct stat sb;

		pathf(p, "%s/%s", dir, extras[k]);
		ck_assert_msg(stat(p, &sb) == 0, "%s missing", extras[k]);
	}
	view_init(&v);
	ck_assert_int_eq(oracle_scan(dir, &v), 0);
	ck_assert_uint_eq(v.nlines, want_lines);
	ck_assert_uint_gt(v.nlines, 0);
	view_release(&v);

	/* The same distributions again: they exist. */
	ck_assert_int_eq(fixture_tree_build(dir, 5, first, n), -EEXIST);
	/* Other distributions into the same directory: fine. */
	ck_assert_int_eq(fixture_tree_build(dir, 5, first + n, 3), 0);
	/* Only extras. */
	pathf(p, "%s/empty-tree", scratch);
	ck_assert_int_eq(fixture_tree_build(p, 5, 0, 0), 0);
	pathf(p, "%s/no/such/parent", scratch);
	ck_assert_int_eq(fixture_tree_build(p, 5, 0, 3), -ENOENT);
	pathf(p, "%s/tree/README.txt", scratch);
	ck_assert_int_eq(fixture_tree_build(p, 5, 0, 3), -ENOTDIR);
}
END_TEST

START_TEST(test_dist_write)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct fixture_dist d;
	struct stat sb;
	int dfd;

	pathf(dir, "%s/write", scratch);
	ck_assert(mkdir(dir, 0755) == 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert(dfd >= 0);
	make(9, 4, 2, 1, &d);
	ck_assert_int_eq(fixture_dist_write(dfd, &d), 0);
	/* Written once: a second write fails and leaves the first alone. */
	ck_assert_int_eq(fixture_dist_write(dfd, &d), -EEXIST);
	for (size_t k = 0; k < d.nfiles; k++) {
		pathf(p, "%s/%s/%s", dir, d.dirname, d.files[k].name);
		ck_assert(stat(p, &sb) == 0 && (size_t)sb.st_size == d.files[k].len);
	}
	fixture_dist_release(&d);

	/* A symlink where the directory goes is not followed. */
	make(9, 5, 0, 1, &d);
	pathf(p, "%s/%s", dir, d.dirname);
	ck_assert(symlink("elsewhere", p) == 0);
	ck_assert_int_eq(fixture_dist_write(dfd, &d), -EEXIST);
	pathf(p, "%s/elsewhere", dir);
	ck_assert(lstat(p, &sb) < 0 && errno == ENOENT);
	fixture_dist_release(&d);

	/* A write that fails half-way removes what it made: the file size
	 * limit cuts METADATA short. */
	struct rlimit old, lim;

	make(9, 6, 0, 1, &d);
	ck_assert_uint_gt(d.files[0].len, 100);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 100;
	ck_assert(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	ck_assert_int_eq(fixture_dist_write(dfd, &d), -EFBIG);
	ck_assert(setrlimit(RLIMIT_FSIZE, &old) == 0);
	pathf(p, "%s/%s", dir, d.dirname);
	ck_assert_msg(lstat(p, &sb) < 0 && errno == ENOENT, "half-written %s left", p);
	ck_assert_int_eq(fixture_dist_write(dfd, &d), 0);
	fixture_dist_release(&d);
	close(dfd);
}
END_TEST

static Suite *fixture_suite(void)
{
	Suite *s = suite_create("fixture");
	TCase *tc = tcase_create("dist");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_determinism);
	tcase_add_test(tc, test_upgrade);
	tcase_add_test(tc, test_entry_points_share);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_unique_names);
	tcase_add_test(tc, test_well_formed);
	suite_add_tcase(s, tc);

	tc = tcase_create("tree");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tree_build);
	tcase_add_test(tc, test_dist_write);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_fixture", 0) < 0)
		return 2;
	return tu_run(fixture_suite(), "check_fixture");
}
