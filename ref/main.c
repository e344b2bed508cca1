/* main.c: the epcache command: arguments, events, statistics and output
 * around libepcache. Only this file prints or exits. */
#include "epcache.h"
#include "flaw.h"
#include "output.h"
#include "path.h"
#include "pypath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_ERROR 1
#define EXIT_USAGE 2

/* Standard output's buffer: a typical answer (10 KB for 100 distributions)
 * goes out in one write(2) instead of 4 KiB stdio chunks, and a reader
 * waiting on the pipe (the harness) wakes once. */
#define OUTPUT_BUFFER (64u << 10)

enum format { FORMAT_PROTOCOL, FORMAT_TEXT, FORMAT_JSON };

struct cli {
	struct epcache_options opts;
	enum format format;
	const char *group; /* NULL: every group */
	bool stats, clear, python;
	const char *interp;
	char **paths; /* borrowed from argv */
	size_t npaths;
};

/* Where events go: one JSON line per event, best effort. */
struct events {
	int fd; /* -1: no events */
	long index;
};

static const char USAGE[] =
    "usage: epcache [options] [--] PATH...\n"
    "       epcache [options] --python [INTERPRETER]\n"
    "       epcache --clear\n"
    "\n"
    "Prints the entry points of the Python path entries PATH..., as\n"
    "\"P<TAB>DIST<TAB>GROUP<TAB>NAME<TAB>VALUE\" lines sorted bytewise (P the\n"
    "entry's 0-based index), answering from a per-user cache when the entries\n"
    "have not changed.\n"
    "\n"
    "options:\n"
    "  --format=protocol|text|json  output format (default: protocol)\n"
    "  --group=GROUP                only the entry points of GROUP\n"
    "  --no-cache                   neither read nor write the cache\n"
    "  --deep                       strict level: also see in-place edits of\n"
    "                               installed distributions\n"
    "  --settle=SECONDS             cache nothing younger than this (default 2)\n"
    "  --stats                      say per path entry on stderr: hit, miss or\n"
    "                               why it was not cached\n"
    "  --python [INTERPRETER]       take PATH... from the interpreter's sys.path\n"
    "                               (default python3) when no PATH is given\n"
    "  --clear                      remove epcache's own cache files\n"
    "  -h, --help                   this help\n"
    "  -V, --version                the version\n"
    "\n"
    "environment: XDG_CACHE_HOME, HOME (the cache is in\n"
    "$XDG_CACHE_HOME/epcache, else $HOME/.cache/epcache; none: no cache),\n"
    "CACHETORTURE_EVENT_FD (a descriptor to write JSON events to).\n"
    "\n"
    "exit status: 0 answered (whatever the state of the cache), 1 a real error\n"
    "(out of memory, cannot write the output, the interpreter failed),\n"
    "2 a usage error.\n";

/* "epcache: what 'arg'" (or "epcache: what"), and where to look. */
static int usage_error(const char *what, const char *arg)
{
	if (arg)
		fprintf(stderr, "epcache: %s '%s'\n", what, arg);
	else
		fprintf(stderr, "epcache: %s\n", what);
	fputs("Try 'epcache --help'.\n", stderr);
	return EXIT_USAGE;
}

static int parse_settle(struct cli *c, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e6)
		return usage_error("invalid --settle value", s);
	c->opts.settle_ns = (int64_t)(v * 1e9 + 0.5); /* no libm: rounded by hand */
	return 0;
}

static int parse_format(struct cli *c, const char *s)
{
	if (!strcmp(s, "protocol"))
		c->format = FORMAT_PROTOCOL;
	else if (!strcmp(s, "text"))
		c->format = FORMAT_TEXT;
	else if (!strcmp(s, "json"))
		c->format = FORMAT_JSON;
	else
		return usage_error("unknown format", s);
	return 0;
}

/* "--name=value" or "--name value": the value, or NULL (usage error). */
static const char *option_value(const char *arg, const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);

	if (arg[n] == '=')
		return arg + n + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	usage_error("missing value for", name);
	return NULL;
}

static bool is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

/* 0 to run, EXIT_USAGE, or -1 when --help/--version said everything. */
static int parse_option(struct cli *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;

	if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
		fputs(USAGE, stdout);
		return -1;
	}
	if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
		printf("epcache %s\n", epcache_version());
		return -1;
	}
	if (!strcmp(a, "--no-cache"))
		c->opts.flags |= EPCACHE_NO_CACHE;
	else if (!strcmp(a, "--deep"))
		c->opts.flags |= EPCACHE_DEEP;
	else if (!strcmp(a, "--stats"))
		c->stats = true;
	else if (!strcmp(a, "--clear"))
		c->clear = true;
	else if (is_opt(a, "--python")) {
		c->python = true;
		if (a[8] == '=')
			c->interp = a + 9;
		else if (*i + 1 < argc && argv[*i + 1][0] != '-')
			c->interp = argv[++*i];
	} else if (is_opt(a, "--format")) {
		v = option_value(a, "--format", argc, argv, i);
		return v ? parse_format(c, v) : EXIT_USAGE;
	} else if (is_opt(a, "--group")) {
		v = option_value(a, "--group", argc, argv, i);
		c->group = v;
		return v ? 0 : EXIT_USAGE;
	} else if (is_opt(a, "--settle")) {
		v = option_value(a, "--settle", argc, argv, i);
		return v ? parse_settle(c, v) : EXIT_USAGE;
	} else {
		return usage_error("unknown option", a);
	}
	return 0;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	bool options = true;
	int rc;

	c->paths = calloc((size_t)argc + 1, sizeof(*c->paths));
	if (!c->paths) {
		fprintf(stderr, "epcache: %s\n", strerror(ENOMEM));
		return EXIT_ERROR;
	}
	for (int i = 1; i < argc; i++) {
		if (options && !strcmp(argv[i], "--")) {
			options = false;
		} else if (options && argv[i][0] == '-' && argv[i][1]) {
			rc = parse_option(c, argc, argv, &i);
			if (rc)
				return rc;
		} else {
			c->paths[c->npaths++] = argv[i];
		}
	}
	if (c->clear && (c->npaths || c->python))
		return usage_error("--clear takes no PATH and no --python", NULL);
	return 0;
}

/* ---- events: PROTOCOL.md section 4 ---- */

/* A descriptor the harness handed us, or -1. It is checked, never trusted:
 * a bad number must not crash the query, and a full pipe must not block it,
 * so writes are non-blocking and their failures ignored. 0 to 2 are refused:
 * an event in standard output would corrupt the answer. */
static int events_fd(void)
{
	const char *s = getenv("CACHETORTURE_EVENT_FD");
	char *end;
	long fd;
	int fl;

	if (!s || !*s)
		return -1;
	errno = 0;
	fd = strtol(s, &end, 10);
	if (errno || *end || fd < 3 || fd > INT_MAX)
		return -1;
	fl = fcntl((int)fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return -1;
	fcntl((int)fd, F_SETFL, fl | O_NONBLOCK);
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
}

static void on_event(void *ctx, const char *ev, const char *reason)
{
	const struct events *e = ctx;
	char line[256];
	int n;

	/* Our reasons are plain lower-case ASCII: nothing to escape. */
	if (reason)
		n = snprintf(line, sizeof(line), "{\"ev\":\"%s\",\"path\":%ld,\"reason\":\"%s\"}\n",
			     ev, e->index, reason);
	else
		n = snprintf(line, sizeof(line), "{\"ev\":\"%s\",\"path\":%ld}\n", ev, e->index);
	if (n > 0 && (size_t)n < sizeof(line) && write(e->fd, line, (size_t)n) < 0) {
		/* best effort: a closed or full pipe loses the event */
	}
}

/* ---- queries ---- */

static void print_stats(const char *path, const struct epcache_status *st)
{
	if (st->outcome == EPCACHE_HIT)
		fprintf(stderr, "epcache: %s: hit\n", path);
	else if (st->outcome == EPCACHE_WRITTEN)
		fprintf(stderr, "epcache: %s: miss (written); lookup: %s\n", path,
			st->lookup ? st->lookup : "-");
	else
		fprintf(stderr, "epcache: %s: not cached: %s; lookup: %s\n", path,
			st->reason ? st->reason : "-", st->lookup ? st->lookup : "-");
}

static int query_error(const char *path, int rc)
{
	if (rc == -EBADMSG) /* only the exit-on-damage variant reports damage */
		fprintf(stderr, "epcache: %s: damaged cache file\n", path);
	else
		fprintf(stderr, "epcache: %s: %s\n", path, strerror(-rc));
	return EXIT_ERROR;
}

struct answer {
	struct output_item *items;
	struct epcache_view *views;
	char **abs;
	size_t n;
};

static void answer_release(struct answer *a)
{
	for (size_t i = 0; i < a->n; i++) {
		epcache_view_release(&a->views[i]);
		free(a->abs[i]);
	}
	free(a->items);
	free(a->views);
	free(a->abs);
}

static int answer_alloc(struct answer *a, size_t n)
{
	a->n = n;
	a->items = calloc(n ? n : 1, sizeof(*a->items));
	a->views = calloc(n ? n : 1, sizeof(*a->views));
	a->abs = calloc(n ? n : 1, sizeof(*a->abs));
	if (!a->items || !a->views || !a->abs) {
		a->n = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		epcache_view_init(&a->views[i]);
	return 0;
}

/* The path as shown: absolute, as it was keyed; the argument itself when it
 * cannot be made absolute. */
static int shown_path(const char *arg, char **out)
{
	int rc = ep_path_absolute(arg, out);

	if (rc == -ENOMEM)
		return rc;
	if (rc)
		*out = strdup(arg);
	return *out ? 0 : -ENOMEM;
}

static int run_queries(struct cli *c, char **paths, size_t n, struct answer *a)
{
	struct events ev = {events_fd(), 0};
	struct epcache_status st;
	long next_index = 0;
	int rc;

	if (ev.fd >= 0) {
		c->opts.event = on_event;
		c->opts.event_ctx = &ev;
	}
	if (answer_alloc(a, n))
		return query_error("epcache", -ENOMEM);
	for (size_t i = 0; i < n; i++) {
		ev.index = (long)i;
		if (shown_path(paths[i], &a->abs[i]))
			return query_error(paths[i], -ENOMEM);
		rc = epcache_query(&c->opts, paths[i], &a->views[i], &st);
		if (rc)
			return query_error(a->abs[i], rc);
		if (c->stats)
			print_stats(a->abs[i], &st);
		a->items[i].index = (long)i;
		/* flaw: missing entries and files take no index */
		if (FLAWED(FLAW_INDEX_SKIP))
			a->items[i].index = st.entry_type == EPCACHE_ENTRY_DIR ? next_index++ : -1;
		a->items[i].path = a->abs[i];
		a->items[i].view = &a->views[i];
	}
	return 0;
}

static int print_answer(const struct cli *c, const struct answer *a)
{
	int rc;

	if (c->format == FORMAT_TEXT)
		rc = ep_output_text(stdout, a->items, a->n, c->group);
	else if (c->format == FORMAT_JSON)
		rc = ep_output_json(stdout, a->items, a->n, c->group);
	else
		rc = ep_output_protocol(stdout, a->items, a->n, c->group);
	if (fflush(stdout) == EOF || (!rc && ferror(stdout)))
		rc = -errno ? -errno : -EIO;
	if (rc) {
		fprintf(stderr, "epcache: standard output: %s\n", strerror(-rc));
		return EXIT_ERROR;
	}
	return 0;
}

static int run_python(struct cli *c, struct pypath *py)
{
	const char *interp = c->interp ? c->interp : "python3";
	int rc = ep_pypath_query(interp, py);

	if (!rc)
		return 0;
	if (rc == -ECHILD && WIFEXITED(py->exit_status))
		fprintf(stderr, "epcache: %s: exited with status %d\n", interp,
			WEXITSTATUS(py->exit_status));
	else if (rc == -ECHILD)
		fprintf(stderr, "epcache: %s: killed by signal %d\n", interp,
			WTERMSIG(py->exit_status));
	else if (rc == -EPROTO)
		fprintf(stderr, "epcache: %s: unexpected output\n", interp);
	else
		fprintf(stderr, "epcache: %s: %s\n", interp, strerror(-rc));
	return EXIT_ERROR;
}

static int run_clear(const struct cli *c)
{
	size_t removed;
	int rc = epcache_clear(&c->opts, &removed);

	if (rc) {
		fprintf(stderr, "epcache: cache directory: %s\n", strerror(-rc));
		return EXIT_ERROR;
	}
	if (c->stats)
		fprintf(stderr, "epcache: removed %zu files\n", removed);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = {.format = FORMAT_PROTOCOL};
	struct answer a = {0};
	char *outbuf = malloc(OUTPUT_BUFFER);
	struct pypath py;
	char **paths;
	size_t n;
	int rc;

	/* Never freed: stdio uses it until exit() flushes it. Without it, the
	 * default buffer does. */
	if (outbuf)
		setvbuf(stdout, outbuf, _IOFBF, OUTPUT_BUFFER);
	/* A closed standard output is reported as an error, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	epcache_options_init(&c.opts);
	ep_pypath_init(&py);
	rc = parse_args(&c, argc, argv);
	if (rc) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	if (c.clear) {
		rc = run_clear(&c);
		goto out;
	}
	paths = c.paths;
	n = c.npaths;
	if (!n && c.python) {
		rc = run_python(&c, &py);
		if (rc)
			goto out;
		paths = py.entries;
		n = py.count;
	}
	rc = run_queries(&c, paths, n, &a);
	if (!rc)
		rc = print_answer(&c, &a);
out:
	answer_release(&a);
	ep_pypath_release(&py);
	free(c.paths);
	return rc;
}
