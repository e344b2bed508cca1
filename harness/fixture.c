/* fixture.c: realistic site-packages distributions and trees, generated from
 * (seed, index, version) so that a seed replays every tree a scenario builds
 * and mutates. */
#include "fixture.h"
#include "rng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Project names are spelled in these words. Exactly 128, lower case letters
 * and digits starting with a letter, none equal to a prefix or namespace
 * below: project_make() relies on all three to keep names unique. */
static const char *const words[] = {
    "acme",    "widgets", "flask",    "login",	  "cache",   "tools",	"http",	   "client",
    "server",  "async",	  "data",     "frame",	  "yaml",    "json",	"lint",	   "runner",
    "cli",     "click",	  "color",    "term",	  "table",   "parse",	"graph",   "plot",
    "image",   "audio",	  "crypto",   "auth",	  "token",   "queue",	"task",	   "worker",
    "event",   "signal",  "stream",   "buffer",	  "socket",  "proxy",	"router",  "schema",
    "model",   "form",	  "field",    "orm",	  "sql",     "query",	"index",   "search",
    "text",    "markup",  "docs",     "build",	  "wheel",   "package", "config",  "settings",
    "env",     "secret",  "vault",    "cloud",	  "storage", "bucket",	"blob",	   "file",
    "path",    "glob",	  "watch",    "reload",	  "debug",   "trace",	"log",	   "metric",
    "stats",   "profile", "bench",    "mock",	  "faker",   "factory", "fixture", "spec",
    "check",   "valid",	  "attrs",    "struct",	  "record",  "tuple",	"dict",	   "tree",
    "node",    "edge",	  "mesh",     "grid",	  "geo",     "tile",	"point",   "shape",
    "vector",  "matrix",  "tensor",   "learn",	  "neural",  "train",	"serve",   "deploy",
    "shell",   "prompt",  "wizard",   "magic",	  "spark",   "flow",	"pipe",	   "batch",
    "chunk",   "split",	  "merge",    "diff",	  "patch",   "sync",	"mirror",  "zip",
    "archive", "jinja2",  "html5lib", "requests", "urllib3", "certifi", "idna",	   "chardet",
};

_Static_assert(ARRAY_SIZE(words) == 128, "project_name() encodes indexes in base 128");

/* Leading words that real projects share ("pytest-cov", "types-requests"). */
static const char *const prefixes[] = {"py",	 "python", "pytest", "flake8",
				       "django", "types",  "mkdocs"};
/* Dotted namespaces ("zope.interface", "jaraco.text"). */
static const char *const namespaces[] = {"zope",  "jaraco",	   "backports", "google",
					 "azure", "sphinxcontrib", "ruamel"};

/* Sub-modules of values; a changing entry walks this list one step per
 * version, so consecutive versions always differ. */
static const char *const subs[] = {"cli",     "__main__", "main",   "commands", "plugin", "ext",
				   "console", "scripts",  "app",    "hooks",	"_cli",	  "entry",
				   "core",    "api",	  "runner", "tool"};
static const char *const verbs[] = {"run",    "serve",	"admin",   "init",  "check", "build",
				    "export", "import", "migrate", "shell", "sync",  "lint"};
static const char *const funcs[] = {"main", "main",	   "main",	   "cli",  "run",
				    "app",  "entry_point", "console_main", "start"};
static const char *const classes[] = {"Command", "App",	  "Plugin",  "Builder", "Extension",
				      "Lexer",	 "Style", "Factory", "Runner",	"Exporter"};
static const char *const methods[] = {"run", "main", "load", "create", "invoke", "factory"};
static const char *const extras[] = {"cli", "color", "toml", "yaml",  "async",
				     "dev", "docs",  "test", "socks", "speedups"};

struct group_kind {
	const char *name;
	int scripts;   /* names are commands, values functions */
	unsigned more; /* percent chance of each further entry */
};

static const struct group_kind groups[] = {
    {"console_scripts", 1, 45},
    {"gui_scripts", 1, 25},
    {"pytest11", 0, 15},
    {"flake8.extension", 0, 55},
    {"sphinx.builders", 0, 45},
    {"distutils.commands", 0, 55},
    {"distutils.setup_keywords", 0, 55},
    {"paste.app_factory", 0, 20},
    {"paste.server_runner", 0, 20},
    {"setuptools.finalize_distribution_options", 0, 20},
    {"egg_info.writers", 0, 60},
    {"babel.extractors", 0, 40},
    {"pygments.lexers", 0, 65},
    {"pygments.styles", 0, 40},
    {"mkdocs.plugins", 0, 30},
    {"nbconvert.exporters", 0, 50},
    {"fsspec.specs", 0, 50},
    {"sqlalchemy.dialects", 0, 50},
    {"jupyter_client.kernel_provisioners", 0, 15},
    {"tox", 0, 10},
};

static const char *const licenses[] = {"MIT", "BSD-3-Clause",	  "Apache-2.0", "MIT",
				       "BSD", "GPL-3.0-or-later", "MPL-2.0",	"ISC"};
static const char *const first_names[] = {"Ada", "Grace",    "Guido",  "Linus",	  "Barbara",
					  "Ken", "Margaret", "Dennis", "Frances", "Tim"};
static const char *const last_names[] = {"Lovelace", "Hopper",	 "Rossum",  "Torvalds", "Liskov",
					 "Thompson", "Hamilton", "Ritchie", "Allen",	"Peters"};
static const char *const adjectives[] = {"fast",    "simple",	   "small", "friendly",
					 "typed",   "pure-Python", "async", "pluggable",
					 "minimal", "robust"};

/* Stream tags: what a derived rng is for. The project and its entry point
 * structure depend on (seed, index) only; the version's details on all
 * three, so an upgrade keeps the name and the groups. */
enum { TAG_PROJECT = 1, TAG_ENTRY_POINTS, TAG_VERSION, TAG_NAME_WORD };

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t derive(uint64_t seed, uint64_t tag, uint64_t a, uint64_t b)
{
	uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL * (tag + 1));

	h = mix64(h ^ mix64(a + 0x632be59bd9b4e019ULL));
	return mix64(h ^ mix64(b + 0x85157af5ULL));
}

static void rng_derive(struct rng *r, uint64_t seed, uint64_t tag, uint64_t a, uint64_t b)
{
	rng_seed(r, derive(seed, tag, a, b));
}

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
	return list[rng_below(r, n)];
}
#define PICK(r, list) pick((r), (list), ARRAY_SIZE(list))

/* A growable string; the first allocation failure sticks and is reported
 * once at the end, which keeps the generators free of error branches. */
struct sbuf {
	char *s;
	size_t len, cap;
	int err;
};

static void sb_init(struct sbuf *b)
{
	b->s = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

static void sb_release(struct sbuf *b)
{
	free(b->s);
	sb_init(b);
}

static int sb_reserve(struct sbuf *b, size_t extra)
{
	char *n;
	size_t cap;

	if (b->err)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	n = realloc(b->s, cap);
	if (!n) {
		b->err = 1;
		return -1;
	}
	b->s = n;
	b->cap = cap;
	return 0;
}

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (sb_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = 1;
		return;
	}
	if (sb_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Hands the string over (an empty one as "" rather than NULL). */
static char *sb_take(struct sbuf *b, size_t *len)
{
	char *s;

	if (!b->err && !b->s)
		sb_reserve(b, 0);
	if (b->err) {
		sb_release(b);
		return NULL;
	}
	b->s[b->len] = '\0';
	s = b->s;
	if (len)
		*len = b->len;
	sb_init(b);
	return s;
}

/* What stays the same across versions of one distribution. */
struct project {
	struct sbuf name;  /* "acme-widgets" */
	struct sbuf norm;  /* directory name part: "acme_widgets" */
	struct sbuf mod;   /* module root: "acme_widgets", "zope.interface" */
	struct sbuf top;   /* top-level package: "acme_widgets", "zope" */
	struct sbuf cmd;   /* command stem: "acme-widgets" */
	const char *word0; /* a word of the name, for commands and plugins */
	int egg;
	int has_ep;
	int vstyle; /* 0: x.y.z, 1: x.y, 2: calendar */
	unsigned major, minor, patch;
	const char *license;
	const char *author_first, *author_last;
	const char *adjective;
	unsigned nrequires;
	const char *requires[4];
	unsigned nclassifiers;
};

static void project_release(struct project *p)
{
	sb_release(&p->name);
	sb_release(&p->norm);
	sb_release(&p->mod);
	sb_release(&p->top);
	sb_release(&p->cmd);
}

static void put_word(struct sbuf *b, const char *w, int capital)
{
	if (capital && w[0] >= 'a' && w[0] <= 'z') {
		sb_putc(b, (char)(w[0] - 'a' + 'A'));
		sb_puts(b, w + 1);
	} else {
		sb_puts(b, w);
	}
}

/* The name encodes the index: word k is chosen by the k-th base-128 digit of
 * the index, shifted by a function of the digits below it and multiplied by
 * an odd (hence invertible mod 128) factor. The word sequence therefore
 * decodes back to the index, so two indexes never share a name, and
 * neighbouring indexes still look unrelated. The words stay separated by
 * '-', '.', '_' or a capital letter, and prefixes and namespaces come from
 * lists disjoint from words[], so the spelled name decodes too. */
static void project_name(struct project *p, struct rng *r, uint64_t seed, uint64_t index)
{
	unsigned digits[12];
	const char *w[12] = {NULL};
	size_t nd = 0, len, want;
	uint64_t x = index, below = 0, scale = 1;
	uint64_t mult = (mix64(seed ^ 0x5bd1e995ULL) % 64) * 2 + 1;
	unsigned style;

	do {
		digits[nd++] = (unsigned)(x % ARRAY_SIZE(words));
		x /= ARRAY_SIZE(words);
	} while (x);
	want = 1 + (size_t)rng_chance(r, 60, 100);
	want += want == 2 && rng_chance(r, 15, 100);
	len = nd > want ? nd : want;
	for (size_t k = 0; k < len; k++) {
		unsigned d = k < nd ? digits[k] : 0;
		uint64_t shift = derive(seed, TAG_NAME_WORD, k, below);

		w[k] = words[(mult * d + shift) % ARRAY_SIZE(words)];
		below += d * scale;
		scale *= ARRAY_SIZE(words);
	}
	p->word0 = w[0];

	style = (unsigned)rng_below(r, 100);
	if (style >= 62 && style < 76 && len > 2)
		style = 52; /* CamelCase of three words stops looking real */
	if (style < 76) {
		/* 0-41 lower-dash, 42-51 lower_underscore, 52-61
		 * Capital-Dash, 62-75 CamelCase */
		char sep = style < 42 ? '-' : style < 52 ? '_' : style < 62 ? '-' : 0;
		int capital = style >= 52;

		for (size_t k = 0; k < len; k++) {
			if (k && sep)
				sb_putc(&p->name, sep);
			put_word(&p->name, w[k], capital);
		}
	} else {
		/* 76-87 "pytest-cov", 88-99 "zope.interface" */
		int ns = style >= 88;

		sb_puts(&p->name, ns ? PICK(r, namespaces) : PICK(r, prefixes));
		sb_putc(&p->name, ns ? '.' : '-');
		for (size_t k = 0; k < len; k++) {
			if (k)
				sb_putc(&p->name, '-');
			sb_puts(&p->name, w[k]);
		}
	}
}

static void project_make(struct project *p, uint64_t seed, uint64_t index)
{
	struct rng r;
	const char *n;

	memset(p, 0, sizeof(*p));
	sb_init(&p->name);
	sb_init(&p->norm);
	sb_init(&p->mod);
	sb_init(&p->top);
	sb_init(&p->cmd);
	rng_derive(&r, seed, TAG_PROJECT, index, 0);
	project_name(p, &r, seed, index);
	p->egg = rng_chance(&r, 5, 100);
	p->has_ep = rng_chance(&r, 35, 100);

	n = p->name.s ? p->name.s : "";
	for (const char *c = n; *c; c++) {
		char lower = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;

		/* Wheels escape both '-' and '.'; setuptools' egg-info keeps
		 * the dots ("zope.interface-5.4.0-py3.11.egg-info"). */
		sb_putc(&p->norm, *c == '-' || (*c == '.' && !p->egg) ? '_' : *c);
		sb_putc(&p->mod, *c == '-' ? '_' : lower);
		sb_putc(&p->cmd, *c == '_' || *c == '.' ? '-' : lower);
	}
	n = p->mod.s ? p->mod.s : "";
	sb_putn(&p->top, n, strcspn(n, "."));

	unsigned v = (unsigned)rng_below(&r, 100);

	p->vstyle = v < 4 ? 2 : v < 19 ? 1 : 0;
	v = (unsigned)rng_below(&r, 100);
	p->major = v < 30 ? 0 : v < 60 ? 1 : v < 80 ? 2 : 3 + (unsigned)rng_below(&r, 7);
	p->minor = (unsigned)rng_below(&r, 25);
	p->patch = (unsigned)rng_below(&r, 10);
	if (p->vstyle == 2) {
		p->major = 2018 + (unsigned)rng_below(&r, 7);
		p->minor = 1 + (unsigned)rng_below(&r, 12);
		p->patch = 1 + (unsigned)rng_below(&r, 20);
	}
	p->license = PICK(&r, licenses);
	p->author_first = PICK(&r, first_names);
	p->author_last = PICK(&r, last_names);
	p->adjective = PICK(&r, adjectives);
	p->nrequires = (unsigned)rng_below(&r, 5);
	for (unsigned i = 0; i < p->nrequires; i++)
	p->requires[i] = PICK(&r, words);
	p->nclassifiers = 2 + (unsigned)rng_below(&r, 5);
}

static int project_failed(const struct project *p)
{
	return p->name.err || p->norm.err || p->mod.err || p->top.err || p->cmd.err;
}

/* Versions differ in their last number, so every version of a distribution
 * has its own directory name; pre- and post-release tags come and go. */
static void version_make(struct sbuf *b, const struct project *p, unsigned version, struct rng *vr)
{
	unsigned tag = (unsigned)rng_below(vr, 100);
	unsigned n = 1 + (unsigned)rng_below(vr, 3);

	if (p->vstyle == 1)
		sb_printf(b, "%u.%u", p->major, p->minor + version);
	else
		sb_printf(b, "%u.%u.%u", p->major, p->minor, p->patch + version);
	if (tag < 5)
		sb_printf(b, "rc%u", n);
	else if (tag < 7)
		sb_printf(b, "b%u", n);
	else if (tag < 9)
		sb_printf(b, ".post%u", n);
	else if (tag < 10)
		sb_printf(b, ".dev%u", n);
}

static void gen_command_name(struct sbuf *b, struct rng *r, const struct project *p, size_t entry)
{
	unsigned k = (unsigned)rng_below(r, 100);

	if (entry == 0 && k < 50) {
		sb_puts(b, p->cmd.s);
	} else if (entry == 0 && k < 80) {
		sb_puts(b, p->word0);
	} else if (k < 30) {
		sb_printf(b, "%s-%s", p->word0, PICK(r, verbs));
	} else if (k < 50) {
		sb_printf(b, "%s-%s", PICK(r, verbs), p->word0);
	} else if (k < 65) {
		sb_printf(b, "%s%u", p->word0, 2 + (unsigned)rng_below(r, 2));
	} else if (k < 75) {
		/* "pip3.11" */
		sb_printf(b, "%s3.%u", p->word0, 8 + (unsigned)rng_below(r, 5));
	} else if (k < 85) {
		sb_printf(b, "%s.%s", p->cmd.s, PICK(r, verbs));
	} else {
		sb_puts(b, PICK(r, verbs));
	}
}

static void gen_plugin_name(struct sbuf *b, struct rng *r, const struct project *p)
{
	unsigned k = (unsigned)rng_below(r, 100);

	if (k < 25) {
		sb_puts(b, p->top.s);
	} else if (k < 45) {
		sb_puts(b, PICK(r, words));
	} else if (k < 60) {
		sb_printf(b, "%s.%s", p->top.s, PICK(r, words));
	} else if (k < 75) {
		sb_printf(b, "%s-%s", PICK(r, words), PICK(r, words));
	} else if (k < 90) {
		/* flake8 registers error code prefixes: "ACM1", "W605" */
		const char *w = PICK(r, words);

		for (int i = 0; i < 3 && w[i]; i++)
			sb_putc(b, w[i] >= 'a' && w[i] <= 'z' ? (char)(w[i] - 'a' + 'A') : w[i]);
		sb_printf(b, "%u", (unsigned)rng_below(r, 1000));
	} else {
		sb_printf(b, "%s_%s", p->word0, PICK(r, verbs));
	}
}

/* The value of one entry. Only a "volatile" entry depends on the version:
 * its sub-module steps through subs[] by one per version. */
static void gen_value(struct sbuf *b, struct rng *r, const struct project *p,
		      const struct group_kind *g, int is_volatile, unsigned version)
{
	size_t start = b->len;
	unsigned base = (unsigned)rng_below(r, ARRAY_SIZE(subs));
	int with_sub = is_volatile || rng_chance(r, 70, 100);
	int long_value = rng_chance(r, 2, 100);
	unsigned k = (unsigned)rng_below(r, 100);
	int with_extras = rng_chance(r, 6, 100);

	sb_puts(b, p->mod.s);
	if (with_sub)
		sb_printf(b, ".%s", subs[(base + (is_volatile ? version : 0)) % ARRAY_SIZE(subs)]);
	if (long_value) {
		/* Generated and vendored code nests deep; values of 200+
		 * bytes exist and break fixed-size buffers. The loop runs on
		 * its own rng: its length depends on the version's sub-module,
		 * and r must make the same draws in every version. */
		struct rng lr;

		rng_seed(&lr, rng_next(r));
		while (b->len - start < 200 && !b->err)
			sb_printf(b, ".%s_%s", PICK(&lr, words), PICK(&lr, words));
	}
	if (g->scripts) {
		if (k < 80)
			sb_printf(b, ":%s", PICK(r, funcs));
		else
			sb_printf(b, ":%s.%s", PICK(r, classes), PICK(r, methods));
	} else if (k < 35) {
		/* module only, as pytest11 plugins are registered */
	} else if (k < 75) {
		sb_printf(b, ":%s", PICK(r, classes));
	} else if (k < 90) {
		sb_printf(b, ":%s.%s", PICK(r, classes), PICK(r, methods));
	} else {
		sb_printf(b, ":%s", PICK(r, funcs));
	}
	if (with_extras) {
		unsigned ne = 1 + (unsigned)rng_below(r, 3);
		unsigned first = (unsigned)rng_below(r, ARRAY_SIZE(extras));
		int spaced = rng_chance(r, 50, 100);

		sb_puts(b, rng_chance(r, 85, 100) ? " [" : "[");
		for (unsigned i = 0; i < ne; i++) {
			if (i)
				sb_puts(b, spaced ? ", " : ",");
			sb_puts(b, extras[(first + i) % ARRAY_SIZE(extras)]);
		}
		sb_putc(b, ']');
	}
}

static int name_taken(const struct sbuf *names, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].len == len && !memcmp(names[i].s, s, len))
			return 1;
	return 0;
}

/* entry_points.txt. Its structure comes from (seed, index) alone, so every
 * version has the same groups and names; only volatile values move. */
static void gen_entry_points(struct sbuf *b, struct sbuf *scripts, const struct project *p,
			     uint64_t seed, uint64_t index, unsigned version)
{
	struct rng r;
	size_t ngroups = 1, chosen[4];
	const char *sep;
	int blank_between, indent;

	rng_derive(&r, seed, TAG_ENTRY_POINTS, index, 0);
	while (ngroups < 4 && rng_chance(&r, ngroups == 1 ? 30 : 35, 100))
		ngroups++;
	for (size_t i = 0; i < ngroups; i++) {
		size_t gi;
		int dup;

		do {
			if (i == 0 && rng_chance(&r, 70, 100))
				gi = 0;
			else
				gi = (size_t)rng_below(&r, ARRAY_SIZE(groups));
			dup = 0;
			for (size_t j = 0; j < i; j++)
				dup |= chosen[j] == gi;
		} while (dup);
		chosen[i] = gi;
	}
	sep = rng_chance(&r, 85, 100) ? " = " : "=";
	blank_between = rng_chance(&r, 80, 100);
	indent = rng_chance(&r, 3, 100);
	if (rng_chance(&r, 6, 100))
		sb_puts(b, "# generated by setuptools, do not edit\n");
	for (size_t i = 0; i < ngroups; i++) {
		const struct group_kind *g = &groups[chosen[i]];
		struct sbuf names[12];
		size_t n = 1;

		while (n < 12 && rng_chance(&r, g->more, 100))
			n++;
		if (i && blank_between)
			sb_putc(b, '\n');
		if (rng_chance(&r, 3, 100))
			sb_printf(b, "# %s\n", g->scripts ? "commands" : "plugins");
		sb_printf(b, "[%s]\n", g->name);
		for (size_t e = 0; e < n; e++) {
			int tries = 0;

			sb_init(&names[e]);
			do {
				names[e].len = 0;
				if (g->scripts)
					gen_command_name(&names[e], &r, p, e);
				else
					gen_plugin_name(&names[e], &r, p);
			} while (!names[e].err && name_taken(names, e, names[e].s, names[e].len) &&
				 ++tries < 16);
			if (!names[e].err && name_taken(names, e, names[e].s, names[e].len)) {
				/* Nothing generated contains "cmd<digits>". */
				names[e].len = 0;
				sb_printf(&names[e], "%s-cmd%zu", p->top.s, e);
			}
			if (names[e].err) {
				b->err = 1;
				n = e + 1;
				break;
			}
			if (indent)
				sb_puts(b, "    ");
			sb_printf(b, "%s%s", names[e].s, sep);
			gen_value(b, &r, p, g, i == 0 && e == 0 ? 1 : rng_chance(&r, 25, 100),
				  version);
			if (rng_chance(&r, 2, 100))
				sb_putc(b, ' ');
			sb_putc(b, '\n');
			if (g->scripts && scripts) {
				sb_puts(scripts, names[e].s);
				sb_putc(scripts, '\n');
			}
		}
		for (size_t e = 0; e < n; e++)
			sb_release(&names[e]);
	}
}

static void gen_metadata(struct sbuf *b, const struct project *p, const char *version)
{
	static const char *const classifiers[] = {
	    "Programming Language :: Python :: 3",
	    "Operating System :: OS Independent",
	    "Development Status :: 5 - Production/Stable",
	    "Intended Audience :: Developers",
	    "Topic :: Software Development :: Libraries",
	    "Programming Language :: Python :: 3 :: Only",
	    "Typing :: Typed",
	};

	sb_puts(b, "Metadata-Version: 2.1\n");
	sb_printf(b, "Name: %s\n", p->name.s);
	sb_printf(b, "Version: %s\n", version);
	sb_printf(b, "Summary: A %s %s library for Python\n", p->adjective, p->word0);
	sb_printf(b, "Home-page: https://github.com/%s/%s\n", p->word0, p->cmd.s);
	sb_printf(b, "Author: %s %s\n", p->author_first, p->author_last);
	sb_printf(b, "Author-email: %s@example.org\n", p->author_first);
	sb_printf(b, "License: %s\n", p->license);
	for (unsigned i = 0; i < p->nclassifiers && i < ARRAY_SIZE(classifiers); i++)
		sb_printf(b, "Classifier: %s\n", classifiers[i]);
	sb_puts(b, "Requires-Python: >=3.8\n");
	for (unsigned i = 0; i < p->nrequires; i++)
		sb_printf(b, "Requires-Dist: %s (>=%u.0)\n", p->requires[i], 1 + i);
	sb_puts(b, "Description-Content-Type: text/markdown\n\n");
	sb_printf(b, "# %s\n\nA %s %s library. Install it with `pip install %s`.\n", p->name.s,
		  p->adjective, p->word0, p->name.s);
}

static void gen_hash(struct sbuf *b, struct rng *r)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	sb_puts(b, "sha256=");
	for (int i = 0; i < 43; i++)
		sb_putc(b, b64[rng_below(r, 64)]);
}

struct filelist {
	struct fixture_file *files;
	size_t n;
	int err;
};

static void filelist_add(struct filelist *fl, const char *name, struct sbuf *content)
{
	struct fixture_file *f;
	size_t len = 0;
	char *data = sb_take(content, &len);
	char *nm = strdup(name);

	if (fl->err || !data || !nm)
		goto fail;
	f = realloc(fl->files, (fl->n + 1) * sizeof(*f));
	if (!f)
		goto fail;
	fl->files = f;
	f[fl->n].name = nm;
	f[fl->n].data = data;
	f[fl->n].len = len;
	fl->n++;
	return;
fail:
	fl->err = 1;
	free(data);
	free(nm);
}

static void filelist_add_str(struct filelist *fl, const char *name, const char *text)
{
	struct sbuf b;

	sb_init(&b);
	sb_puts(&b, text);
	filelist_add(fl, name, &b);
}

static void gen_record(struct filelist *fl, const struct project *p, const char *dirname,
		       const char *scripts, struct rng *vr)
{
	struct sbuf b;
	unsigned nmods = 1 + (unsigned)rng_below(vr, 4);

	sb_init(&b);
	for (unsigned i = 0; i < nmods; i++) {
		sb_printf(&b, "%s/%s.py,", p->top.s,
			  i ? subs[(i * 5) % ARRAY_SIZE(subs)] : "__init__");
		gen_hash(&b, vr);
		sb_printf(&b, ",%u\n", 200 + (unsigned)rng_below(vr, 30000));
	}
	for (size_t i = 0; i < fl->n; i++) {
		sb_printf(&b, "%s/%s,", dirname, fl->files[i].name);
		gen_hash(&b, vr);
		sb_printf(&b, ",%zu\n", fl->files[i].len);
	}
	sb_printf(&b, "%s/RECORD,,\n", dirname);
	/* pip lists the console scripts it generated. */
	for (const char *s = scripts; s && *s;) {
		size_t l = strcspn(s, "\n");

		sb_puts(&b, "../../../bin/");
		sb_putn(&b, s, l);
		sb_putc(&b, ',');
		gen_hash(&b, vr);
		sb_printf(&b, ",%u\n", 200 + (unsigned)rng_below(vr, 60));
		s += l + (s[l] == '\n');
	}
	filelist_add(fl, "RECORD", &b);
}

void fixture_dist_release(struct fixture_dist *d)
{
	for (size_t i = 0; i < d->nfiles; i++) {
		free(d->files[i].name);
		free(d->files[i].data);
	}
	free(d->files);
	free(d->project);
	free(d->version);
	free(d->dirname);
	memset(d, 0, sizeof(*d));
}

int fixture_dist_make(uint64_t seed, uint64_t index, unsigned version, int force_entry_points,
		      struct fixture_dist *out)
{
	struct project p;
	struct rng vr;
	struct sbuf ver, dir, b, scripts;
	struct filelist fl = {NULL, 0, 0};
	int rc = -ENOMEM;

	memset(out, 0, sizeof(*out));
	sb_init(&ver);
	sb_init(&dir);
	sb_init(&b);
	sb_init(&scripts);
	project_make(&p, seed, index);
	if (project_failed(&p))
		goto out;
	rng_derive(&vr, seed, TAG_VERSION, index, version);
	version_make(&ver, &p, version, &vr);
	if (ver.err)
		goto out;
	if (p.egg)
		sb_printf(&dir, "%s-%s-py3.11.egg-info", p.norm.s, ver.s);
	else
		sb_printf(&dir, "%s-%s.dist-info", p.norm.s, ver.s);
	if (dir.err)
		goto out;
	out->has_entry_points = p.has_ep || force_entry_points;

	gen_metadata(&b, &p, ver.s);
	filelist_add(&fl, p.egg ? "PKG-INFO" : "METADATA", &b);
	if (out->has_entry_points) {
		gen_entry_points(&b, &scripts, &p, seed, index, version);
		filelist_add(&fl, "entry_points.txt", &b);
	}
	sb_printf(&b, "%s\n", p.top.s);
	filelist_add(&fl, "top_level.txt", &b);
	if (p.egg) {
		sb_printf(&b, "README.md\nsetup.py\n%s/__init__.py\n", p.top.s);
		for (const char *f = "PKG-INFO\0SOURCES.txt\0dependency_links.txt\0top_level.txt\0";
		     *f; f += strlen(f) + 1)
			sb_printf(&b, "%s.egg-info/%s\n", p.norm.s, f);
		filelist_add(&fl, "SOURCES.txt", &b);
		filelist_add_str(&fl, "dependency_links.txt", "\n");
		if (rng_chance(&vr, 30, 100))
			filelist_add_str(&fl, "not-zip-safe", "\n");
	} else {
		filelist_add_str(&fl, "WHEEL",
				 "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.41.2)\n"
				 "Root-Is-Purelib: true\nTag: py3-none-any\n");
		filelist_add_str(&fl, "INSTALLER", "pip\n");
		if (rng_chance(&vr, 40, 100))
			filelist_add_str(&fl, "REQUESTED", "");
		if (!fl.err)
			gen_record(&fl, &p, dir.s, scripts.s, &vr);
	}
	if (fl.err)
		goto out;

	out->project = sb_take(&p.name, NULL);
	out->version = sb_take(&ver, NULL);
	out->dirname = sb_take(&dir, NULL);
	out->files = fl.files;
	out->nfiles = fl.n;
	fl.files = NULL;
	fl.n = 0;
	rc = out->project && out->version && out->dirname ? 0 : -ENOMEM;
	if (rc)
		fixture_dist_release(out);
out:
	for (size_t i = 0; i < fl.n; i++) {
		free(fl.files[i].name);
		free(fl.files[i].data);
	}
	free(fl.files);
	sb_release(&ver);
	sb_release(&dir);
	sb_release(&b);
	sb_release(&scripts);
	project_release(&p);
	return rc;
}

const struct fixture_file *fixture_dist_file(const struct fixture_dist *d, const char *name)
{
	for (size_t i = 0; i < d->nfiles; i++)
		if (!strcmp(d->files[i].name, name))
			return &d->files[i];
	return NULL;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* excl: the file must be new (a distribution's own files); otherwise an
 * existing one is replaced (the shared extras of a tree). Never follows a
 * symlink at the last component. */
static int write_file(int dirfd, const char *name, const char *data, size_t len, int excl)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (excl ? O_EXCL : O_TRUNC);
	int fd = openat(dirfd, name, flags, 0644);
	int rc;

	if (fd < 0)
		return -errno;
	rc = write_all(fd, data, len);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc && excl)
		unlinkat(dirfd, name, 0);
	return rc;
}

int fixture_dist_write(int dirfd, const struct fixture_dist *d)
{
	size_t done = 0;
	int dfd, rc = 0;

	if (mkdirat(dirfd, d->dirname, 0755) < 0)
		return -errno;
	dfd = openat(dirfd, d->dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0) {
		rc = -errno;
		goto out;
	}
	for (; done < d->nfiles; done++) {
		rc = write_file(dfd, d->files[done].name, d->files[done].data, d->files[done].len,
				1);
		if (rc)
			break;
	}
out:
	if (rc) {
		/* Half a distribution would be a state no scenario asked for. */
		for (size_t i = 0; dfd >= 0 && i < done; i++)
			unlinkat(dfd, d->files[i].name, 0);
		unlinkat(dirfd, d->dirname, AT_REMOVEDIR);
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int ensure_dir(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* What else lives in a real site-packages: scanners must step over it. */
static int write_extras(int dirfd)
{
	static const struct {
		const char *name; /* ending in '/': a directory */
		const char *text;
		size_t len; /* 0: strlen(text) */
	} extras_tree[] = {
	    {.name = "README.txt",
	     .text = "This directory exists so that 3rd party packages can be installed\n"
		     "here.  Read the source for site.py for more details.\n"},
	    {.name = "distutils-precedence.pth",
	     .text =
		 "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, "
		 "'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n"},
	    {.name = "_distutils_hack/"},
	    {.name = "_distutils_hack/__init__.py",
	     .text = "# don't import any costly modules\nimport sys\nimport os\n"},
	    {.name = "_distutils_hack/override.py",
	     .text = "__import__('_distutils_hack').do_override()\n"},
	    {.name = "__pycache__/"},
	    {.name = "__pycache__/six.cpython-311.pyc", .text = "\xa7\r\r\n\0\0\0\0", .len = 8},
	    {.name = "six.py",
	     .text = "\"\"\"Utilities for writing code that runs on Python 2 and 3\"\"\"\n"},
	    {.name = "easy-install.pth", .text = "./setuptools-69.0.0-py3.11.egg\n"},
	};
	int rc = 0;

	for (size_t i = 0; i < ARRAY_SIZE(extras_tree) && !rc; i++) {
		const char *name = extras_tree[i].name;
		size_t len = strlen(name);

		if (name[len - 1] == '/') {
			char dir[64];

			snprintf(dir, sizeof(dir), "%.*s", (int)(len - 1), name);
			rc = ensure_dir(dirfd, dir);
		} else {
			size_t tlen =
			    extras_tree[i].len ? extras_tree[i].len : strlen(extras_tree[i].text);

			rc = write_file(dirfd, name, extras_tree[i].text, tlen, 0);
		}
	}
	return rc;
}

/* The importable package next to a distribution's metadata. */
static int write_package(int dirfd, const struct fixture_dist *d)
{
	const struct fixture_file *top = fixture_dist_file(d, "top_level.txt");
	char name[256], path[300], text[300];
	size_t len;
	int rc;

	if (!top || !top->len)
		return 0;
	len = strcspn(top->data, "\n");
	if (len >= sizeof(name))
		return 0;
	memcpy(name, top->data, len);
	name[len] = '\0';
	rc = ensure_dir(dirfd, name);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/__init__.py", name);
	snprintf(text, sizeof(text), "\"\"\"%s.\"\"\"\n\n__version__ = \"%s\"\n", d->project,
		 d->version);
	return write_file(dirfd, path, text, strlen(text), 0);
}

int fixture_tree_build(const char *dir, uint64_t seed, uint64_t first, size_t n)
{
	int dfd, rc;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	rc = write_extras(dfd);
	for (size_t i = 0; i < n && !rc; i++) {
		struct fixture_dist d;

		rc = fixture_dist_make(seed, first + i, 0, 0, &d);
		if (rc)
			break;
		rc = fixture_dist_write(dfd, &d);
		/* A package directory for some, not all: enough to be in the
		 * way of a scanner without doubling the build time. */
		if (!rc && (i < 8 || i % 16 == 0))
			rc = write_package(dfd, &d);
		fixture_dist_release(&d);
	}
	close(dfd);
	return rc;
}
