/* main.c: the cachetorture command: run scenarios against an implementation,
 * validate scenario files, print the oracle's view, generate fixtures. */
#include "fixture.h"
#include "oracle.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "words.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_PASS	 0
#define EXIT_FAIL	 1
#define EXIT_USAGE	 2
#define EXIT_ENV	 3
#define EXIT_INTERRUPTED 130

/* The one piece of mutable global state: raised by a signal. */
static volatile sig_atomic_t stop_flag;
static int stop_pipe[2] = {-1, -1};

static const char usage_text[] =
    "usage: cachetorture run --impl CMD [--scenario FILE|DIR]... [options]\n"
    "       cachetorture check FILE|DIR...\n"
    "       cachetorture view PATH...\n"
    "       cachetorture gen [--seed N] [--first N] --dists N DIR\n"
    "\n"
    "run: torture the implementation CMD (split into words like a shell would,\n"
    "without a shell) with the scenarios given (default: ./scenarios).\n"
    "  --impl CMD           the implementation; path entries are appended to its words\n"
    "  --scenario FILE|DIR  a scenario file, or every *.json in a directory (repeatable)\n"
    "  --seed N             use seed N instead of each scenario's own\n"
    "  --repeat K           run every scenario's rounds K times over\n"
    "  --workers N          every herd and stream uses N workers\n"
    "  --level seed|strict  strict also runs the strict-level scenarios (default seed)\n"
    "  --view full|reduced  reduced: the implementation answers distinct G<TAB>N<TAB>V lines\n"
    "  --out DIR            write DIR/results.json\n"
    "  --workdir DIR        scratch directories go here (default $TMPDIR, else /tmp)\n"
    "  --settle-ms MS       the settle time of scenarios that set none (default 2200)\n"
    "  --keep               keep every scratch directory\n"
    "  --no-keep-failed     remove a failed scenario's scratch directory too\n"
    "                       (by default it is kept, renamed *.failed)\n"
    "check: load scenario files and report the first error of each.\n"
    "view: print the answer a conforming implementation gives for PATH...\n"
    "gen: write a site-packages tree of N distributions into DIR.\n"
    "\n"
    "Relative paths among CMD's words are made absolute: queries run elsewhere.\n"
    "exit status: 0 every scenario passed or was skipped with a reason; 1 a check\n"
    "failed; 2 bad usage or a bad scenario file; 3 the environment failed (a\n"
    "scenario could not be run: results are incomplete); 130 interrupted.\n";

static void on_signal(int sig)
{
	char c = (char)sig;

	stop_flag = 1;
	if (stop_pipe[1] >= 0 && write(stop_pipe[1], &c, 1) < 0) {
		/* nothing more a handler can do */
	}
}

/* Woken by a signal: every worker is the leader of its own process group;
 * kill the groups of all our children so a herd parked or running ends now
 * and the runner can clean up. */
static void *interrupt_main(void *arg)
{
	char c;

	(void)arg;
	while (read(stop_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	for (int pass = 0; pass < 20 && stop_flag; pass++) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		pid_t self = getpid();

		if (!d)
			break;
		while ((de = readdir(d)) != NULL) {
			char path[300], buf[512], *p;
			long ppid;
			pid_t pid;
			int fd;
			ssize_t n;

			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			p = strrchr(buf, ')');
			if (!p || sscanf(p + 2, "%*c %ld", &ppid) != 1 || ppid != self)
				continue;
			pid = (pid_t)strtol(de->d_name, NULL, 10);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		closedir(d);
		usleep(50000);
	}
	return NULL;
}

static int install_signals(void)
{
	struct sigaction sa;
	pthread_t th;

	if (pipe2(stop_pipe, O_CLOEXEC) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (pthread_create(&th, NULL, interrupt_main, NULL) != 0)
		return -EAGAIN;
	pthread_detach(th);
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s[0] || s[0] == '-')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cachetorture: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see cachetorture --help)\n");
	exit(EXIT_USAGE);
}

/* Path lists: a file stays, a directory contributes its *.json. */
struct paths {
	char **v;
	size_t n, cap;
};

static void paths_add(struct paths *p, char *s)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		if (!p->v) {
			fprintf(stderr, "cachetorture: out of memory\n");
			exit(EXIT_ENV);
		}
	}
	p->v[p->n++] = s;
}

static int expand_scenarios(const char *arg, struct paths *out)
{
	struct stat st;

	if (stat(arg, &st) < 0) {
		fprintf(stderr, "cachetorture: cannot open '%s': %s\n", arg, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		char **list;
		size_t n;
		int rc = scenario_list_dir(arg, &list, &n);

		if (rc) {
			fprintf(stderr, "cachetorture: cannot read '%s': %s\n", arg, strerror(-rc));
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "cachetorture: no *.json scenario in '%s'\n", arg);
			scenario_list_free(list, n);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			paths_add(out, strdup(list[i]));
		scenario_list_free(list, n);
		return 0;
	}
	paths_add(out, strdup(arg));
	return 0;
}

static char *absolute(const char *p)
{
	char cwd[PATH_MAX], *s;

	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(p);
	if (asprintf(&s, "%s/%s", cwd, p) < 0)
		return NULL;
	return s;
}

/* argv[0] must be runnable before anything starts: a typo is a usage
 * error, not twenty scenario errors. */
static int resolve_impl(char **words)
{
	char *w0 = words[0];

	if (strchr(w0, '/')) {
		char *abs = absolute(w0);

		if (!abs || access(abs, X_OK) < 0) {
			fprintf(stderr, "cachetorture: --impl: cannot execute '%s': %s\n", w0,
				strerror(abs ? errno : ENOMEM));
			free(abs);
			return -1;
		}
		words[0] = abs;
		free(w0);
	} else {
		const char *path = getenv("PATH");
		bool found = false;

		if (!path)
			path = "/usr/local/bin:/usr/bin:/bin";
		for (const char *dir = path; !found; dir++) {
			const char *end = strchr(dir, ':');
			int len = end ? (int)(end - dir) : (int)strlen(dir);
			char *cand;

			if (asprintf(&cand, "%.*s/%s", len ? len : 1, len ? dir : ".", w0) < 0)
				break;
			found = access(cand, X_OK) == 0;
			free(cand);
			if (!end)
				break;
			dir = end;
		}
		if (!found) {
			fprintf(stderr, "cachetorture: --impl: '%s' not found in PATH\n", w0);
			return -1;
		}
	}
	/* Other words naming files relative to here (a script) are made
	 * absolute too: queries run in their own working directory. */
	for (size_t i = 1; words[i]; i++) {
		if (words[i][0] == '/' || words[i][0] == '-' || !strchr(words[i], '/') ||
		    access(words[i], F_OK) < 0)
			continue;
		char *abs = absolute(words[i]);

		if (abs) {
			free(words[i]);
			words[i] = abs;
		}
	}
	return 0;
}

static void iso_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmd_run(int argc, char **argv, const char *prog)
{
	static const struct option longopts[] = {
	    {"impl", required_argument, NULL, 'i'},    {"scenario", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, 'S'},    {"repeat", required_argument, NULL, 'r'},
	    {"workers", required_argument, NULL, 'w'}, {"level", required_argument, NULL, 'l'},
	    {"view", required_argument, NULL, 'v'},    {"out", required_argument, NULL, 'o'},
	    {"workdir", required_argument, NULL, 'd'}, {"settle-ms", required_argument, NULL, 'T'},
	    {"keep", no_argument, NULL, 'k'},	       {"no-keep-failed", no_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	struct run_opts o = {
	    .repeat = 1, .level = LEVEL_SEED, .keep_failed = true, .settle_ms = 2200};
	struct paths args = {0}, files = {0};
	const char *impl = NULL, *out = NULL;
	char **words = NULL, *json_path = NULL;
	struct scenario *sc = NULL;
	struct scen_result *res = NULL;
	struct report_run rr;
	size_t nwords, where, ran = 0, p, f, s, e;
	int64_t t0;
	int c, status = EXIT_PASS, rc;
	uint64_t v;
	bool bad = false;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			impl = optarg;
			break;
		case 's':
			paths_add(&args, optarg);
			break;
		case 'S':
			if (parse_u64(optarg, (1ULL << 53), &v))
				die_usage("--seed: '%s' is not a number between 0 and 2^53",
					  optarg);
			o.seed = v;
			o.seed_given = true;
			break;
		case 'r':
			if (parse_u64(optarg, 10000, &v) || v == 0)
				die_usage("--repeat: '%s' is not a number between 1 and 10000",
					  optarg);
			o.repeat = (int)v;
			break;
		case 'w':
			if (parse_u64(optarg, 1024, &v) || v == 0)
				die_usage("--workers: '%s' is not a number between 1 and 1024",
					  optarg);
			o.workers = (int)v;
			break;
		case 'l':
			if (!strcmp(optarg, "seed"))
				o.level = LEVEL_SEED;
			else if (!strcmp(optarg, "strict"))
				o.level = LEVEL_STRICT;
			else
				die_usage("--level: '%s' is not seed or strict", optarg);
			break;
		case 'v':
			if (!strcmp(optarg, "full") || !strcmp(optarg, "reduced"))
				o.reduced = optarg[0] == 'r';
			else
				die_usage("--view: '%s' is not full or reduced", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			o.workdir = optarg;
			break;
		case 'T':
			if (parse_u64(optarg, 600000, &v))
				die_usage("--settle-ms: '%s' is not a number of milliseconds",
					  optarg);
			o.settle_ms = (int)v;
			break;
		case 'k':
			o.keep = true;
			break;
		case 'K':
			o.keep_failed = false;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_PASS;
		default:
			fprintf(stderr, "(see cachetorture --help)\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		die_usage("run: unexpected argument '%s'", argv[optind]);
	if (!impl)
		die_usage("%s", "run: --impl is required");
	rc = words_split(impl, &words, &nwords, &where);
	if (rc == -EINVAL) {
		fprintf(stderr,
			"cachetorture: --impl: unterminated quote or escape at offset %zu\n",
			where);
		status = EXIT_USAGE;
		goto out;
	}
	if (rc || nwords == 0) {
		fprintf(stderr, "cachetorture: --impl: %s\n", rc ? strerror(-rc) : "empty command");
		status = EXIT_USAGE;
		goto out;
	}
	if (resolve_impl(words) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if (!o.workdir) {
		const char *t = getenv("TMPDIR");

		o.workdir = t && t[0] == '/' ? t : "/tmp";
	}
	if (args.n == 0)
		paths_add(&args, "scenarios");
	for (size_t i = 0; i < args.n; i++)
		if (expand_scenarios(args.v[i], &files) < 0)
			bad = true;
	/* Every file is loaded before anything runs: a bad one costs nothing. */
	sc = calloc(files.n ? files.n : 1, sizeof(*sc));
	res = calloc(files.n ? files.n : 1, sizeof(*res));
	if (!sc || !res) {
		fprintf(stderr, "cachetorture: out of memory\n");
		status = EXIT_ENV;
		goto out;
	}
	for (size_t i = 0; i < files.n; i++) {
		struct scenario_error err;

		if (scenario_load(files.v[i], &sc[i], &err) < 0) {
			fprintf(stderr, "cachetorture: %s\n", err.text);
			bad = true;
		}
	}
	if (bad) {
		status = EXIT_USAGE;
		goto out;
	}
	o.impl = words;
	o.impl_str = impl;
	o.self = prog;
	o.stop = &stop_flag;
	json_object_seed(0); /* before any thread: jansson's hash seed */
	/* The scratch trees' modes must not depend on the caller's umask: a
	 * 077 umask would make them unusable to queries of another uid. */
	umask(022);
	{
		/* Every worker of a herd holds three or four pipes: a herd of a few
		 * hundred needs more than the default 1024 descriptors. */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (install_signals() < 0) {
		fprintf(stderr, "cachetorture: cannot install signal handlers\n");
		status = EXIT_ENV;
		goto out;
	}
	t0 = (int64_t)time(NULL);
	memset(&rr, 0, sizeof(rr));
	iso_now(rr.started, sizeof(rr.started));
	for (size_t i = 0; i < files.n && !stop_flag; i++) {
		fprintf(stderr, "cachetorture: %s ...\n", sc[i].name);
		rc = run_scenario(&o, &sc[i], &res[i]);
		ran++;
		if (res[i].status == SCEN_ERROR)
			fprintf(stderr, "cachetorture: %s: %s\n", sc[i].name,
				res[i].reason ? res[i].reason : "error");
		if (rc == -EINTR)
			break;
	}
	rr.impl = impl;
	rr.seed_given = o.seed_given;
	rr.seed = o.seed;
	rr.level = o.level;
	rr.reduced = o.reduced;
	rr.duration_s = (double)((int64_t)time(NULL) - t0);
	rr.results = res;
	rr.n = ran;
	if (out) {
		rc = report_write_json(&rr, out);
		if (rc) {
			fprintf(stderr, "cachetorture: cannot write %s/results.json: %s\n", out,
				strerror(-rc));
			status = EXIT_ENV;
		} else if (asprintf(&json_path, "%s/results.json", out) < 0) {
			json_path = NULL;
		}
	}
	report_print_summary(&rr, stdout, json_path);
	report_counts(&rr, &p, &f, &s, &e);
	if (stop_flag)
		status = EXIT_INTERRUPTED;
	else if (e || status == EXIT_ENV)
		status = EXIT_ENV;
	else if (f)
		status = EXIT_FAIL;
out:
	for (size_t i = 0; i < files.n; i++) {
		if (sc)
			scenario_release(&sc[i]);
		if (res && i < ran)
			scen_result_release(&res[i]);
		free(files.v[i]);
	}
	free(sc);
	free(res);
	free(files.v);
	free(args.v);
	free(json_path);
	words_free(words);
	return status;
}

static int cmd_check(int argc, char **argv)
{
	struct paths files = {0};
	int status = EXIT_PASS;

	if (argc < 2)
		die_usage("%s", "check: give scenario files or directories");
	for (int i = 1; i < argc; i++)
		if (expand_scenarios(argv[i], &files) < 0)
			status = EXIT_USAGE;
	for (size_t i = 0; i < files.n; i++) {
		struct scenario sc;
		struct scenario_error err;

		if (scenario_load(files.v[i], &sc, &err) < 0) {
			fprintf(stderr, "cachetorture: %s\n", err.text);
			status = EXIT_USAGE;
		} else {
			printf("%s: ok (%zu steps)\n", files.v[i], sc.nsteps);
			scenario_release(&sc);
		}
		free(files.v[i]);
	}
	free(files.v);
	return status;
}

static int cmd_view(int argc, char **argv)
{
	char *out = NULL;
	size_t len = 0;
	int rc;

	if (argc < 2)
		die_usage("%s", "view: give path entries");
	rc = oracle_answer((const char *const *)argv + 1, (size_t)argc - 1, &out, &len);
	if (rc) {
		fprintf(stderr, "cachetorture: view: %s\n", strerror(-rc));
		return EXIT_ENV;
	}
	if (len && fwrite(out, 1, len, stdout) != len)
		rc = -EIO;
	free(out);
	return rc || fflush(stdout) ? EXIT_ENV : EXIT_PASS;
}

static int cmd_gen(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"seed", required_argument, NULL, 's'},
	    {"first", required_argument, NULL, 'f'},
	    {"dists", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t seed = 1, first = 0, n = 0;
	bool have_n = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		uint64_t *slot = c == 's' ? &seed : c == 'f' ? &first : c == 'n' ? &n : NULL;

		if (!slot) {
			fprintf(stderr, "(see cachetorture --help)\n");
			return EXIT_USAGE;
		}
		if (parse_u64(optarg, 1000000000, slot))
			die_usage("gen: '%s' is not a number", optarg);
		have_n |= c == 'n';
	}
	if (!have_n || optind + 1 != argc)
		die_usage("%s", "gen: usage: gen [--seed N] [--first N] --dists N DIR");
	rc = fixture_tree_build(argv[optind], seed, first, (size_t)n);
	if (rc) {
		fprintf(stderr, "cachetorture: gen: %s: %s\n", argv[optind], strerror(-rc));
		return EXIT_ENV;
	}
	return EXIT_PASS;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("cachetorture %s (protocol %d)\n", CT_VERSION, CT_PROTOCOL_VERSION);
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, argv[0]);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "view"))
		return cmd_view(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gen"))
		return cmd_gen(argc - 1, argv + 1);
	fprintf(stderr, "cachetorture: unknown command '%s'\n(see cachetorture --help)\n", argv[1]);
	return EXIT_USAGE;
}
