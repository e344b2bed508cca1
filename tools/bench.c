/* tools/bench.c: the figures of BENCH.md, each measured beside its floor in
 * the same run and reported as a ratio. Speed is measured here, never
 * asserted in tests.
 *
 * usage: ctbench [--quick] [--only ref|harness|checker] [--dir DIR] [--python PATH]
 *                [--epcache PATH]
 * Prints a Markdown table on stdout. */
#include "epcache.h"
#include "checker.h"
#include "fixture.h"
#include "history.h"
#include "spawn.h"
#include "synth.h"
#include "treehash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct bench {
	const char *dir;
	const char *python;
	const char *epcache;
	bool quick;
	const char *only; /* NULL: every section */
	int failures;	  /* figures that could not be measured */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double median_us(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return (double)v[n / 2] / 1000.0;
}

static void row(const char *figure, double value_us, const char *floor_name, double floor_us,
		const char *target, bool met)
{
	printf("| %s | %.1f µs | %s %.1f µs | %.2f× | %s | %s |\n", figure, value_us, floor_name,
	       floor_us, floor_us > 0 ? value_us / floor_us : 0.0, target, met ? "yes" : "**no**");
}

/* The floor of a hit: what any cache must do at least, stat the entry and
 * read one file of the cache file's size. */
static int64_t hit_floor(const char *entry, const char *cachefile, char *buf, size_t size)
{
	struct stat st;
	int64_t t = now_ns();
	int fd;

	stat(entry, &st);
	fd = open(cachefile, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, size) < 0)
			perror("read");
		close(fd);
	}
	return now_ns() - t;
}

/* The floor of a scan: list the entry and read every entry_points.txt,
 * without parsing, sorting or caching. */
static int64_t scan_floor(const char *entry, char *buf, size_t size)
{
	int64_t t = now_ns();
	int dfd = open(entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		char path[512];
		size_t len = strlen(de->d_name);
		int fd;

		if (len < 10 || (strcmp(de->d_name + len - 10, ".dist-info") &&
				 strcmp(de->d_name + len - 9, ".egg-info")))
			continue;
		snprintf(path, sizeof(path), "%s/entry_points.txt", de->d_name);
		fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while (read(fd, buf, size) > 0)
			;
		close(fd);
	}
	if (d)
		closedir(d);
	return now_ns() - t;
}

static int64_t query_once(const struct epcache_options *o, const char *entry)
{
	struct epcache_view v;
	struct epcache_status st;
	int64_t t;

	epcache_view_init(&v);
	t = now_ns();
	if (epcache_query(o, entry, &v, &st) < 0)
		return -1;
	t = now_ns() - t;
	epcache_view_release(&v);
	return t;
}

/* The one cache file epcache made under cache/epcache. */
static char *find_cache_file(const char *cache, off_t *size)
{
	char dir[4200], *best = NULL;
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/epcache", cache);
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.' || asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			continue;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (!best || st.st_size > *size)) {
			free(best);
			best = p;
			*size = st.st_size;
		} else {
			free(p);
		}
	}
	if (d)
		closedir(d);
	return best;
}

struct refsizes {
	double warm1000_us;
};

static void bench_ref(struct bench *b, size_t n, struct refsizes *rs)
{
	char site[2048], cache[2048], label[128], *cf;
	struct epcache_options o, deep;
	size_t iters = n <= 10 ? 20000 : n <= 100 ? 5000 : n <= 1000 ? 1000 : 150;
	int64_t *fig, *flo;
	char *buf;
	off_t size = 0;
	double warm, floor_hit, cold, floor_scan, dwarm;

	if (b->quick)
		iters = iters / 10 + 10;
	snprintf(site, sizeof(site), "%s/site-%zu", b->dir, n);
	snprintf(cache, sizeof(cache), "%s/cache-%zu", b->dir, n);
	mkdir(cache, 0700);
	if (fixture_tree_build(site, 1, 0, n) < 0) {
		fprintf(stderr, "ctbench: cannot build %s\n", site);
		b->failures++;
		return;
	}
	epcache_options_init(&o);
	o.cache_dir = cache;
	o.settle_ns = 0; /* the tree was just made: let it be cached at once */
	deep = o;
	deep.flags = EPCACHE_DEEP;
	fig = calloc(iters, sizeof(*fig));
	flo = calloc(iters, sizeof(*flo));
	buf = malloc(1 << 20);
	if (!fig || !flo || !buf)
		exit(1);

	query_once(&o, site); /* writes the cache */
	cf = find_cache_file(cache, &size);
	if (!cf) {
		fprintf(stderr, "ctbench: no cache file under %s\n", cache);
		b->failures++;
		goto out;
	}
	/* Interleaved, so both see the same machine. */
	for (size_t i = 0; i < iters; i++) {
		fig[i] = query_once(&o, site);
		flo[i] = hit_floor(site, cf, buf, (size_t)size);
	}
	warm = median_us(fig, iters);
	floor_hit = median_us(flo, iters);
	snprintf(label, sizeof(label), "warm hit, %zu dists (cache file %lld B)", n,
		 (long long)size);
	row(label, warm, "stat + read", floor_hit, "≤ 1.5×", warm <= 1.5 * floor_hit);
	if (n == 1000)
		rs->warm1000_us = warm;

	size_t citers = iters / 10 + 5;

	for (size_t i = 0; i < citers; i++) {
		struct epcache_options nc = o;

		nc.flags = EPCACHE_NO_CACHE;
		fig[i] = query_once(&nc, site);
		flo[i] = scan_floor(site, buf, 1 << 20);
	}
	cold = median_us(fig, citers);
	floor_scan = median_us(flo, citers);
	snprintf(label, sizeof(label), "cold scan, %zu dists", n);
	row(label, cold, "readdir + read", floor_scan, "≤ 1.3×", cold <= 1.3 * floor_scan);

	query_once(&deep, site); /* rewrites it with deep records */
	for (size_t i = 0; i < iters; i++) {
		fig[i] = query_once(&deep, site);
		flo[i] = query_once(&o, site);
	}
	dwarm = median_us(fig, iters);
	warm = median_us(flo, iters);
	printf("| --deep warm hit, %zu dists | %.1f µs | plain warm hit %.1f µs | %.2f× | "
	       "cost: %.3f µs per distribution | - |\n",
	       n, dwarm, warm, dwarm / warm, n ? (dwarm - warm) / (double)n : 0.0);
out:
	free(cf);
	free(fig);
	free(flo);
	free(buf);
}

/* importlib.metadata.entry_points() at 1000 distributions, timed inside one
 * Python process; its in-process caches are cleared before each call so
 * every call costs what a tool pays at start-up. */
static double importlib_us(struct bench *b, const char *site)
{
	static const char script[] = "import importlib.metadata as m, sys, time\n"
				     "sys.path[:] = [sys.argv[1]]\n"
				     "def clear():\n"
				     "    for f in (getattr(m.FastPath, '__new__', None), "
				     "getattr(m.FastPath, 'lookup', None)):\n"
				     "        c = getattr(f, 'cache_clear', None)\n"
				     "        c and c()\n"
				     "ts = []\n"
				     "for i in range(int(sys.argv[2])):\n"
				     "    clear(); t = time.perf_counter_ns(); eps = "
				     "m.entry_points(); ts.append(time.perf_counter_ns() - t)\n"
				     "ts.sort(); print(ts[len(ts) // 2] / 1000.0)\n";
	char cmd[4096], out[64];
	FILE *p;
	double us = -1;

	snprintf(cmd, sizeof(cmd), "%s -I -c \"$CTB_SCRIPT\" %s %d", b->python, site,
		 b->quick ? 5 : 30);
	setenv("CTB_SCRIPT", script, 1);
	p = popen(cmd, "r");
	if (p && fgets(out, sizeof(out), p))
		us = strtod(out, NULL);
	if (p)
		pclose(p);
	return us;
}

static void bench_harness(struct bench *b)
{
	char site[2048], home[2048], envhome[2100], envxdg[2200];
	char *argv[] = {(char *)b->epcache, site, NULL};
	char *envp[] = {envhome, envxdg, "LC_ALL=C", "PATH=/usr/bin:/bin", NULL};
	struct spawn_config cfg = {
	    .argv = argv,
	    .envp = envp,
	    .cwd = b->dir,
	    .bound_ns = 10000000000LL,
	    .out_cap = 64u << 20,
	    .err_cap = 8192,
	};
	struct spawn_tag tag = {0};
	struct history h;
	const char *paths[] = {site};
	int herds = b->quick ? 5 : 30, iters = b->quick ? 50 : 400;
	int64_t *skew = calloc((size_t)herds, sizeof(int64_t));
	int64_t *one = calloc((size_t)iters, sizeof(int64_t)),
		*bare = calloc((size_t)iters, sizeof(int64_t));

	snprintf(site, sizeof(site), "%s/site-100", b->dir);
	snprintf(home, sizeof(home), "%s/home", b->dir);
	mkdir(home, 0700);
	snprintf(envhome, sizeof(envhome), "HOME=%s", home);
	snprintf(envxdg, sizeof(envxdg), "XDG_CACHE_HOME=%s/.cache", home);
	history_init(&h, 1, paths);
	spawn_one(&h, &cfg, &tag); /* warm the cache, the page cache and the binary */
	for (int i = 0; i < herds; i++) {
		struct herd_result hr = {0};

		if (spawn_herd(&h, &cfg, 64, &tag, NULL, NULL, &hr) < 0) {
			b->failures++;
			break;
		}
		skew[i] = hr.release_last_ns - hr.release_first_ns;
	}
	for (int i = 0; i < iters; i++) {
		int64_t t = now_ns();

		spawn_one(&h, &cfg, &tag);
		one[i] = now_ns() - t;
		bare[i] = spawn_bare(&cfg);
	}
	double s50 = median_us(skew, (size_t)herds) / 1000.0;

	printf("| release skew, herd of 64 (p50 of %d herds) | %.3f ms | - | - | ≤ 2 ms | %s |\n",
	       herds, s50, s50 <= 2.0 ? "yes" : "**no**");
	double o = median_us(one, (size_t)iters), f = median_us(bare, (size_t)iters);

	row("harness cost of one query (epcache, warm)", o, "bare clone/exec/wait", f, "≤ 1.10×",
	    o <= 1.10 * f);
	history_release(&h);
	free(skew);
	free(one);
	free(bare);
}

static void bench_checker(struct bench *b)
{
	struct synth_spec spec = {.nentries = 2,
				  .nstates = 2000,
				  .nqueries = b->quick ? 100000 : 1000000,
				  .seed = 1,
				  .lines_min = 5,
				  .lines_max = 20};
	struct checker_opts co = {.bound_ns = 10000000000LL, .max_examples = 5};
	struct synth_timing t;
	struct verdict v;

	verdict_init(&v);
	if (synth_time_checker(&spec, &co, &v, &t) < 0) {
		b->failures++;
		verdict_release(&v);
		return;
	}
	printf("| checker, history of %zu queries (%.0f MB) | %.2f s | - | - | ≤ 10 s | %s |\n",
	       spec.nqueries, (double)t.history_bytes / 1e6, t.check_s,
	       t.check_s <= 10 ? "yes" : "**no**");
	verdict_release(&v);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"quick", no_argument, NULL, 'q'},	       {"only", required_argument, NULL, 'o'},
	    {"dir", required_argument, NULL, 'd'},     {"python", required_argument, NULL, 'p'},
	    {"epcache", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0},
	};
	struct bench b = {.python = "/usr/bin/python3", .epcache = "build/epcache"};
	struct refsizes rs = {0};
	char tmpl[1024];
	const char *base = "/dev/shm";
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			b.quick = true;
			break;
		case 'o':
			b.only = optarg;
			break;
		case 'd':
			base = optarg;
			break;
		case 'p':
			b.python = optarg;
			break;
		case 'e':
			b.epcache = optarg;
			break;
		default:
			fprintf(stderr, "usage: ctbench [--quick] [--only ref|harness|checker] "
					"[--dir DIR] [--python PATH] "
					"[--epcache PATH]\n");
			return 2;
		}
	}
	if (access(base, W_OK) < 0)
		base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/ctbench-XXXXXX", base);
	if (!mkdtemp(tmpl)) {
		perror("ctbench: mkdtemp");
		return 1;
	}
	b.dir = tmpl;
	{
		char *abs = realpath(b.epcache, NULL);

		if (abs)
			b.epcache = abs;
	}
	printf("| figure | measured | floor (same run) | ratio | target | met |\n");
	printf("|---|---|---|---|---|---|\n");
	size_t sizes[] = {10, 100, 1000, 10000};

	bool ref = !b.only || !strcmp(b.only, "ref");

	for (size_t i = 0; ref && i < sizeof(sizes) / sizeof(*sizes); i++)
		bench_ref(&b, sizes[i], &rs);
	if (!ref) {
		/* the harness section queries a tree of 100 */
		char site[2048];

		snprintf(site, sizeof(site), "%s/site-100", b.dir);
		if (fixture_tree_build(site, 1, 0, 100) < 0)
			b.failures++;
	} else if (access(b.python, X_OK) == 0 && rs.warm1000_us > 0) {
		char site[2048];
		double us;

		snprintf(site, sizeof(site), "%s/site-1000", b.dir);
		us = importlib_us(&b, site);
		if (us > 0)
			printf("| warm hit vs importlib.metadata.entry_points(), 1000 dists | %.1f "
			       "µs | "
			       "importlib %.1f µs | %.0f× faster | ≥ 100× faster | %s |\n",
			       rs.warm1000_us, us, us / rs.warm1000_us,
			       us / rs.warm1000_us >= 100 ? "yes" : "**no**");
	} else {
		printf("| warm hit vs importlib.metadata | not measured: %s missing | - | - | ≥ "
		       "100× | - |\n",
		       b.python);
	}
	if (!b.only || !strcmp(b.only, "harness"))
		bench_harness(&b);
	if (!b.only || !strcmp(b.only, "checker"))
		bench_checker(&b);
	tree_remove(tmpl);
	return b.failures ? 1 : 0;
}
