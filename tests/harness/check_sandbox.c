/* check_sandbox.c: a scenario's scratch world: sandbox_create's layout
 * (directories, bystanders, decoys, the HOME/XDG files), sandbox_populate's
 * path entries, the queries' environment under every HOME and
 * XDG_CACHE_HOME mode, the cache root the XDG rules give, and
 * sandbox_release keeping, renaming or removing the tree. */
#include "fixture.h"
#include "oracle.h"
#include "sandbox.h"
#include "treehash.h"
#include "view.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

/* lstat of root/rel, which must exist with that type and permission bits. */
static void want(const char *root, const char *rel, mode_t type, mode_t perm)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, "%s/%s", root, rel);
	ck_assert_msg(lstat(p, &st) == 0, "%s: %s", p, strerror(errno));
	ck_assert_msg((st.st_mode & S_IFMT) == type, "%s: wrong type %o", p, st.st_mode);
	ck_assert_msg((st.st_mode & 07777) == perm, "%s: mode %o, want %o", p, st.st_mode & 07777,
		      perm);
	ck_assert_uint_eq(st.st_uid, geteuid());
}

static void want_text(const char *root, const char *rel, const char *text)
{
	char p[PATH_MAX], buf[256];
	int fd;
	ssize_t n;

	pathf(p, "%s/%s", root, rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, text);
}

static size_t count_entries(const char *dir)
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

static void create(struct sandbox *sb, const char *label)
{
	int rc = sandbox_create(sb, scratch, label);

	ck_assert_msg(rc == 0, "sandbox_create: %s", strerror(-rc));
}

START_TEST(test_create_layout)
{
	struct sandbox sb;
	char p[PATH_MAX], *base;
	struct stat st;

	create(&sb, "layout");
	/* <workdir>/cachetorture-<label>-XXXXXX, 0755 so another uid may run
	 * queries in it later. */
	pathf(p, "%s/cachetorture-layout-", scratch);
	ck_assert_msg(!strncmp(sb.root, p, strlen(p)) && strlen(sb.root) == strlen(p) + 6,
		      "root %s", sb.root);
	ck_assert(stat(sb.root, &st) == 0 && S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0755);

	/* Every directory, at the path the struct names. */
	want(sb.root, "site", S_IFDIR, 0755);
	want(sb.root, "stage", S_IFDIR, 0755);
	want(sb.root, "home", S_IFDIR, 0755);
	want(sb.root, "tmp", S_IFDIR, 01777);
	want(sb.root, "cwd", S_IFDIR, 0755);
	want(sb.root, "decoy", S_IFDIR, 0755);
	pathf(p, "%s/site", sb.root);
	ck_assert_str_eq(sb.site, p);
	pathf(p, "%s/stage", sb.root);
	ck_assert_str_eq(sb.stage, p);
	pathf(p, "%s/home", sb.root);
	ck_assert_str_eq(sb.home, p);
	pathf(p, "%s/tmp", sb.root);
	ck_assert_str_eq(sb.tmp, p);
	pathf(p, "%s/cwd", sb.root);
	ck_assert_str_eq(sb.cwd, p);
	pathf(p, "%s/decoy", sb.root);
	ck_assert_str_eq(sb.decoy, p);
	pathf(p, "%s/homefile", sb.root);
	ck_assert_str_eq(sb.homefile, p);
	pathf(p, "%s/xdgfile", sb.root);
	ck_assert_str_eq(sb.xdgfile, p);
	ck_assert_uint_eq(count_entries(sb.site), 0);
	ck_assert_uint_eq(count_entries(sb.stage), 0);
	ck_assert_uint_eq(count_entries(sb.tmp), 0);
	ck_assert_uint_eq(count_entries(sb.cwd), 0);

	/* The default cache tree, with somebody else's files in it. */
	want(sb.root, "home/.cache", S_IFDIR, 0700);
	want(sb.root, "home/.cache/bystander", S_IFDIR, 0700);
	want(sb.root, "home/.cache/bystander/notes.txt", S_IFREG, 0600);
	want(sb.root, "home/.cache/.bystander", S_IFREG, 0600);
	want_text(sb.root, "home/.cache/bystander/notes.txt", "belongs to another program\n");
	pathf(p, "%s/.cache", sb.home);
	ck_assert_uint_eq(count_entries(p), 2);
	ck_assert_uint_eq(count_entries(sb.home), 1);

	/* The files HOME and XDG_CACHE_HOME name in their "file" modes. */
	want(sb.root, "homefile", S_IFREG, 0644);
	want(sb.root, "xdgfile", S_IFREG, 0644);
	want_text(sb.root, "homefile", "a file where a directory was expected\n");

	/* Sixteen decoys, each with its own content, one link each. */
	ck_assert_uint_eq(sb.ndecoys, 16);
	ck_assert_uint_eq(count_entries(sb.decoy), sb.ndecoys);
	for (size_t i = 0; i < sb.ndecoys; i++) {
		char rel[64], text[64];

		snprintf(rel, sizeof(rel), "decoy/decoy%zu", i);
		snprintf(text, sizeof(text), "decoy %zu: must never change\n", i);
		want(sb.root, rel, S_IFREG, 0600);
		want_text(sb.root, rel, text);
	}
	/* Nothing else at the top. */
	ck_assert_uint_eq(count_entries(sb.root), 8);

	/* Every bystander the list names exists (the list has no '/'-ended
	 * names: those belong to the creation table only). */
	for (const char *const *b = sandbox_bystanders(); *b; b++) {
		pathf(p, "%s/%s", sb.root, *b);
		ck_assert_msg(lstat(p, &st) == 0, "bystander %s missing", *b);
		ck_assert((*b)[strlen(*b) - 1] != '/');
	}
	ck_assert_int_eq(sb.home_mode, ENV_SANDBOX);
	ck_assert_int_eq(sb.xdg_mode, ENV_SANDBOX);
	ck_assert_uint_eq(sb.nentries, 0);
	base = strdup(sb.root);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
	ck_assert(lstat(base, &st) < 0 && errno == ENOENT);
	ck_assert_ptr_null(sb.root);
	free(base);
}
END_TEST

START_TEST(test_create_realpath)
{
	struct sandbox sb;
	char dir[PATH_MAX], link[PATH_MAX], p[PATH_MAX];

	/* Queries get absolute paths without symlinks in them, whatever the
	 * work directory was given as. */
	test_dir(dir, "real");
	pathf(link, "%s/via-link", scratch);
	ck_assert(symlink(dir, link) == 0);
	ck_assert_int_eq(sandbox_create(&sb, link, "rp"), 0);
	pathf(p, "%s/cachetorture-rp-", dir);
	ck_assert_msg(!strncmp(sb.root, p, strlen(p)), "root %s not under %s", sb.root, dir);
	ck_assert(!strncmp(sb.home, sb.root, strlen(sb.root)));
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
	ck_assert_uint_eq(count_entries(dir), 0);
}
END_TEST

static int create_as_nobody(const char *workdir)
{
	struct sandbox sb;
	int rc = sandbox_create(&sb, workdir, "nobody");

	sandbox_release(&sb, false, false, false, NULL);
	return rc == -EACCES ? 0 : 1;
}

START_TEST(test_create_errors)
{
	struct sandbox sb;
	char dir[PATH_MAX], p[PATH_MAX];
	pid_t pid;
	int status;

	pathf(p, "%s/absent", scratch);
	ck_assert_int_eq(sandbox_create(&sb, p, "x"), -ENOENT);
	ck_assert_ptr_null(sb.root);
	/* Releasing what a failed create left is harmless. */
	ck_assert_int_eq(sandbox_release(&sb, false, true, true, NULL), 0);

	test_dir(dir, "errors");
	pathf(p, "%s/file", dir);
	ck_assert(close(open(p, O_WRONLY | O_CREAT, 0644)) == 0);
	ck_assert_int_eq(sandbox_create(&sb, p, "x"), -ENOTDIR);
	sandbox_release(&sb, false, false, false, NULL);

	/* A work directory the harness cannot write. */
	if (geteuid() != 0)
		return;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(77);
		_exit(create_as_nobody(dir));
	}
	ck_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77,
		      "as uid %d in a root-owned 0755 directory: not -EACCES", NOBODY);
	ck_assert_uint_eq(count_entries(dir), 1);
}
END_TEST

static const struct fixture_spec spec = {
    .entries = 3, .dists = 4, .missing = 2, .files = 2, .symlinks = 2};

START_TEST(test_populate)
{
	struct sandbox sb;
	size_t counts[4] = {0, 0, 0, 0};
	char p[PATH_MAX], target[PATH_MAX];
	struct stat st;

	create(&sb, "populate");
	ck_assert_int_eq(sandbox_populate(&sb, &spec, 42), 0);
	ck_assert_uint_eq(sb.nentries, 7);
	ck_assert_uint_eq(sb.ndirs, 3);
	/* The first entry is a directory (a symlink to one counts). */
	ck_assert(sb.entries[0].kind == ENTRY_DIR || sb.entries[0].kind == ENTRY_LINK);
	ck_assert_int_eq(sb.entries[0].dindex, 0);
	for (size_t i = 0; i < sb.nentries; i++) {
		const struct sb_entry *e = &sb.entries[i];

		counts[e->kind]++;
		ck_assert_msg(e->path[0] == '/' && !strncmp(e->path, sb.site, strlen(sb.site)),
			      "entry %zu path %s", i, e->path);
		switch (e->kind) {
		case ENTRY_DIR:
		case ENTRY_LINK:
			/* The mapping both ways, and the names d<k> / link<k>. */
			ck_assert_int_ge(e->dindex, 0);
			ck_assert_uint_lt((size_t)e->dindex, sb.ndirs);
			ck_assert_uint_eq(sb.dir_entry[e->dindex], i);
			pathf(p, "%s/d%d", sb.site, e->dindex);
			ck_assert_str_eq(e->dir, p);
			ck_assert(stat(e->dir, &st) == 0 && S_ISDIR(st.st_mode));
			/* The first `symlinks` directory entries are links. */
			ck_assert_int_eq(e->kind == ENTRY_LINK, e->dindex < spec.symlinks);
			if (e->kind == ENTRY_LINK) {
				ssize_t n;

				pathf(p, "%s/link%d", sb.site, e->dindex);
				ck_assert_str_eq(e->path, p);
				n = readlink(e->path, target, sizeof(target) - 1);
				ck_assert_int_gt(n, 0);
				target[n] = '\0';
				ck_assert_str_eq(target, e->dir);
			} else {
				ck_assert_str_eq(e->path, e->dir);
			}
			break;
		case ENTRY_MISSING:
			ck_assert_int_eq(e->dindex, -1);
			ck_assert_ptr_null(e->dir);
			ck_assert(lstat(e->path, &st) < 0 && errno == ENOENT);
			ck_assert_ptr_nonnull(strstr(e->path, "/missing"));
			break;
		case ENTRY_FILE:
			ck_assert_int_eq(e->dindex, -1);
			ck_assert_ptr_null(e->dir);
			ck_assert(lstat(e->path, &st) == 0 && S_ISREG(st.st_mode));
			ck_assert_ptr_nonnull(strstr(e->path, "/file"));
			break;
		}
	}
	ck_assert_uint_eq(counts[ENTRY_DIR], 1);
	ck_assert_uint_eq(counts[ENTRY_LINK], 2);
	ck_assert_uint_eq(counts[ENTRY_MISSING], 2);
	ck_assert_uint_eq(counts[ENTRY_FILE], 2);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

START_TEST(test_populate_content)
{
	struct sandbox sb;
	struct view a, b;

	create(&sb, "content");
	ck_assert_int_eq(sandbox_populate(&sb, &spec, 7), 0);
	view_init(&a);
	view_init(&b);
	for (size_t k = 0; k < sb.ndirs; k++) {
		const struct sb_entry *e = &sb.entries[sb.dir_entry[k]];

		/* `dists` distributions in each, and a symlinked entry shows
		 * exactly what its directory holds. */
		ck_assert_uint_eq(count_dists(e->dir), (size_t)spec.dists);
		ck_assert_int_eq(oracle_scan(e->path, &a), 0);
		ck_assert_int_eq(oracle_scan(e->dir, &b), 0);
		ck_assert_uint_eq(a.len, b.len);
		ck_assert(a.len == 0 || !memcmp(a.text, b.text, a.len));
	}
	/* Entries never share a distribution: no two views share a line. */
	for (size_t k = 0; k + 1 < sb.ndirs; k++) {
		ck_assert_int_eq(oracle_scan(sb.entries[sb.dir_entry[k]].path, &a), 0);
		ck_assert_int_eq(oracle_scan(sb.entries[sb.dir_entry[k + 1]].path, &b), 0);
		for (const char *l = a.text; l && l < a.text + a.len;) {
			const char *nl = memchr(l, '\n', (size_t)(a.text + a.len - l));
			char *line = strndup(l, (size_t)(nl - l) + 1);

			ck_assert(b.text == NULL || !memmem(b.text, b.len, line, strlen(line)));
			free(line);
			l = nl + 1;
		}
	}
	view_release(&a);
	view_release(&b);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

/* The kinds of the entries in order, one letter each. */
static void kinds_of(uint64_t seed, char *out)
{
	struct sandbox sb;
	static const char letter[] = "DLMF";
	struct fixture_spec small = spec;

	small.dists = 1; /* the order does not depend on it; removal is slow here */
	create(&sb, "order");
	ck_assert_int_eq(sandbox_populate(&sb, &small, seed), 0);
	for (size_t i = 0; i < sb.nentries; i++)
		out[i] = letter[sb.entries[i].kind];
	out[sb.nentries] = '\0';
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}

START_TEST(test_populate_order)
{
	char first[16], again[16], other[16];
	bool differs = false;

	/* Same seed, same order: a replay builds the same world. */
	kinds_of(1234, first);
	kinds_of(1234, again);
	ck_assert_str_eq(first, again);
	/* The order is mixed by the seed, the first entry always a directory. */
	for (uint64_t seed = 1; seed <= 12; seed++) {
		kinds_of(seed, other);
		ck_assert_msg(other[0] == 'L' || other[0] == 'D', "seed %llu: %s",
			      (unsigned long long)seed, other);
		differs |= strcmp(other, first) != 0;
	}
	ck_assert_msg(differs, "twelve seeds, one order: %s", first);
}
END_TEST

START_TEST(test_populate_single)
{
	struct sandbox sb;
	struct fixture_spec one = {.entries = 1, .dists = 2};

	/* The smallest fixture: one plain directory entry. */
	create(&sb, "single");
	ck_assert_int_eq(sandbox_populate(&sb, &one, 3), 0);
	ck_assert_uint_eq(sb.nentries, 1);
	ck_assert_uint_eq(sb.ndirs, 1);
	ck_assert_int_eq(sb.entries[0].kind, ENTRY_DIR);
	ck_assert_uint_eq(sb.dir_entry[0], 0);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

/* The value of name in envp, or NULL when it is absent. */
static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (char **e = envp; *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static size_t env_count(char **envp)
{
	size_t n = 0;

	while (envp[n])
		n++;
	return n;
}

/* What HOME (xdg false) or XDG_CACHE_HOME must be under mode m; NULL for
 * unset. Written from sandbox.h and scenario.h, not from the code. */
static const char *expected(const struct sandbox *sb, enum env_mode m, bool xdg, char *buf)
{
	switch (m) {
	case ENV_SANDBOX:
		pathf(buf, "%s%s", sb->home, xdg ? "/.cache" : "");
		return buf;
	case ENV_EMPTY:
		return "";
	case ENV_RELATIVE:
		return xdg ? "cache-rel" : "home-rel";
	case ENV_FILE:
		return xdg ? sb->xdgfile : sb->homefile;
	case ENV_MISSING:
		pathf(buf, "%s/%s", sb->root, xdg ? "absent-xdg" : "absent-home");
		return buf;
	default:
		return NULL;
	}
}

static const enum env_mode modes[] = {ENV_SANDBOX,  ENV_UNSET, ENV_EMPTY,
				      ENV_RELATIVE, ENV_FILE,  ENV_MISSING};
#define NMODES (sizeof(modes) / sizeof(*modes))

START_TEST(test_env_modes)
{
	struct sandbox sb;
	char hbuf[PATH_MAX], xbuf[PATH_MAX], p[PATH_MAX];
	struct stat st;

	unsetenv("ASAN_OPTIONS");
	unsetenv("UBSAN_OPTIONS");
	unsetenv("LSAN_OPTIONS");
	unsetenv("LD_LIBRARY_PATH");
	ck_assert(setenv("PATH", "/test/bin:/bin", 1) == 0);
	create(&sb, "env");
	for (size_t h = 0; h < NMODES; h++) {
		for (size_t x = 0; x < NMODES; x++) {
			const char *wh, *wx;
			char **envp = NULL;

			sb.home_mode = modes[h];
			sb.xdg_mode = modes[x];
			wh = expected(&sb, modes[h], false, hbuf);
			wx = expected(&sb, modes[x], true, xbuf);
			ck_assert_int_eq(sandbox_env(&sb, &envp), 0);
			/* Exactly these variables, and nothing of ours. */
			ck_assert_uint_eq(env_count(envp), 5 + (wh != NULL) + (wx != NULL));
			ck_assert_str_eq(env_get(envp, "PATH"), "/test/bin:/bin");
			ck_assert_str_eq(env_get(envp, "TMPDIR"), sb.tmp);
			ck_assert_str_eq(env_get(envp, "LC_ALL"), "C");
			ck_assert_str_eq(env_get(envp, "CACHETORTURE_PROTOCOL"), "1");
			ck_assert_str_eq(env_get(envp, "CACHETORTURE_EVENT_FD"), "3");
			if (wh)
				ck_assert_str_eq(env_get(envp, "HOME"), wh);
			else
				ck_assert_ptr_null(env_get(envp, "HOME"));
			if (wx)
				ck_assert_str_eq(env_get(envp, "XDG_CACHE_HOME"), wx);
			else
				ck_assert_ptr_null(env_get(envp, "XDG_CACHE_HOME"));
			sandbox_env_free(envp);
		}
	}
	/* "missing" names nothing that exists, under a directory that does. */
	pathf(p, "%s/absent-home", sb.root);
	ck_assert(lstat(p, &st) < 0 && errno == ENOENT);
	pathf(p, "%s/absent-xdg", sb.root);
	ck_assert(lstat(p, &st) < 0 && errno == ENOENT);
	/* ENV_KEEP is a step's instruction, never a sandbox mode: were it
	 * one, the variable would be absent. */
	sb.home_mode = sb.xdg_mode = ENV_KEEP;
	{
		char **envp;

		ck_assert_int_eq(sandbox_env(&sb, &envp), 0);
		ck_assert_ptr_null(env_get(envp, "HOME"));
		ck_assert_ptr_null(env_get(envp, "XDG_CACHE_HOME"));
		sandbox_env_free(envp);
	}
	sandbox_env_free(NULL);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

START_TEST(test_env_passthrough)
{
	static const char *const pass[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
					   "LD_LIBRARY_PATH"};
	struct sandbox sb;
	char **envp;

	create(&sb, "pass");
	/* Set: each passes through as it is; the rest of ours does not. */
	for (size_t i = 0; i < 4; i++)
		ck_assert(setenv(pass[i], pass[i] + 1, 1) == 0);
	ck_assert(setenv("CT_SECRET", "must not leak", 1) == 0);
	ck_assert(setenv("HOME", "/root/not-this-one", 1) == 0);
	ck_assert(setenv("XDG_CACHE_HOME", "/not/this/either", 1) == 0);
	ck_assert(setenv("TMPDIR", "/nor/this", 1) == 0);
	ck_assert(setenv("LC_ALL", "en_US.UTF-8", 1) == 0);
	ck_assert_int_eq(sandbox_env(&sb, &envp), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(env_get(envp, pass[i]), pass[i] + 1);
	ck_assert_ptr_null(env_get(envp, "CT_SECRET"));
	ck_assert_str_eq(env_get(envp, "HOME"), sb.home);
	ck_assert_str_eq(env_get(envp, "TMPDIR"), sb.tmp);
	ck_assert_str_eq(env_get(envp, "LC_ALL"), "C");
	ck_assert_uint_eq(env_count(envp), 7 + 4);
	sandbox_env_free(envp);

	/* Unset: really absent, not empty. PATH falls back to a default. */
	for (size_t i = 0; i < 4; i++)
		ck_assert(unsetenv(pass[i]) == 0);
	ck_assert(unsetenv("PATH") == 0);
	ck_assert_int_eq(sandbox_env(&sb, &envp), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_ptr_null(env_get(envp, pass[i]));
	ck_assert_str_eq(env_get(envp, "PATH"), "/usr/local/bin:/usr/bin:/bin");
	ck_assert_uint_eq(env_count(envp), 7);
	sandbox_env_free(envp);
	/* An empty value set is still set. */
	ck_assert(setenv("ASAN_OPTIONS", "", 1) == 0);
	ck_assert_int_eq(sandbox_env(&sb, &envp), 0);
	ck_assert_str_eq(env_get(envp, "ASAN_OPTIONS"), "");
	sandbox_env_free(envp);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

START_TEST(test_cache_root)
{
	struct sandbox sb;
	char hbuf[PATH_MAX], xbuf[PATH_MAX], want_buf[PATH_MAX];

	create(&sb, "cacheroot");
	for (size_t h = 0; h < NMODES; h++) {
		for (size_t x = 0; x < NMODES; x++) {
			const char *home, *xdg, *want_root = NULL;
			char *got;

			sb.home_mode = modes[h];
			sb.xdg_mode = modes[x];
			home = expected(&sb, modes[h], false, hbuf);
			xdg = expected(&sb, modes[x], true, xbuf);
			/* XDG: an absolute XDG_CACHE_HOME, whatever it names;
			 * empty, relative or unset, it is ignored and HOME/.cache
			 * is used if HOME is absolute; else there is none. */
			if (xdg && xdg[0] == '/') {
				want_root = xdg;
			} else if (home && home[0] == '/') {
				pathf(want_buf, "%s/.cache", home);
				want_root = want_buf;
			}
			got = sandbox_cache_root(&sb);
			if (want_root)
				ck_assert_msg(got && !strcmp(got, want_root),
					      "HOME mode %d, XDG mode %d: %s, want %s", modes[h],
					      modes[x], got ? got : "(none)", want_root);
			else
				ck_assert_msg(got == NULL,
					      "HOME mode %d, XDG mode %d: %s, want none", modes[h],
					      modes[x], got);
			free(got);
		}
	}
	/* The default is the tree that holds the bystanders. */
	sb.home_mode = sb.xdg_mode = ENV_SANDBOX;
	{
		char *got = sandbox_cache_root(&sb);

		pathf(want_buf, "%s/home/.cache", sb.root);
		ck_assert_str_eq(got, want_buf);
		free(got);
	}
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

/* A sandbox with a populated site, a locked directory and a locked cache. */
static void create_full(struct sandbox *sb, const char *label)
{
	char p[PATH_MAX];

	create(sb, label);
	ck_assert_int_eq(sandbox_populate(sb, &spec, 5), 0);
	pathf(p, "%s/.cache/bystander", sb->home);
	ck_assert(chmod(p, 0) == 0);
	ck_assert(chmod(sb->stage, 0500) == 0);
}

START_TEST(test_release_remove)
{
	struct sandbox sb;
	char *root, *kept = (char *)"sentinel";
	struct stat st;

	/* Neither keep nor a kept failure: removed, locked parts included. */
	create_full(&sb, "rm");
	root = strdup(sb.root);
	ck_assert_int_eq(sandbox_release(&sb, false, true, false, &kept), 0);
	ck_assert_ptr_null(kept);
	ck_assert(lstat(root, &st) < 0 && errno == ENOENT);
	/* A failure without keep_failed goes too. */
	free(root);
	create_full(&sb, "rm2");
	root = strdup(sb.root);
	ck_assert_int_eq(sandbox_release(&sb, false, false, true, &kept), 0);
	ck_assert_ptr_null(kept);
	ck_assert(lstat(root, &st) < 0 && errno == ENOENT);
	free(root);
	/* Everything is released and zeroed: a second release is harmless. */
	ck_assert_ptr_null(sb.entries);
	ck_assert_uint_eq(sb.nentries, 0);
	ck_assert_int_eq(sandbox_release(&sb, false, false, false, NULL), 0);
}
END_TEST

START_TEST(test_release_keep)
{
	struct sandbox sb;
	char *root, *kept = NULL;
	struct stat st;

	/* keep wins over everything: the tree stays where it is. */
	create_full(&sb, "keep");
	root = strdup(sb.root);
	ck_assert_int_eq(sandbox_release(&sb, true, true, true, &kept), 0);
	ck_assert_ptr_nonnull(kept);
	ck_assert_str_eq(kept, root);
	ck_assert(stat(root, &st) == 0 && S_ISDIR(st.st_mode));
	ck_assert_int_eq(tree_remove(root), 0);
	free(kept);
	/* kept_at may be NULL. */
	create_full(&sb, "keep2");
	free(root);
	root = strdup(sb.root);
	ck_assert_int_eq(sandbox_release(&sb, true, false, false, NULL), 0);
	ck_assert(stat(root, &st) == 0);
	ck_assert_int_eq(tree_remove(root), 0);
	free(root);
}
END_TEST

START_TEST(test_release_failed)
{
	struct sandbox sb;
	char *root, *kept = NULL, failed[PATH_MAX];
	struct stat st;

	/* A failure with keep_failed: renamed <root>.failed, whole. */
	create_full(&sb, "failed");
	root = strdup(sb.root);
	ck_assert_int_eq(sandbox_release(&sb, false, true, true, &kept), 0);
	pathf(failed, "%s.failed", root);
	ck_assert_ptr_nonnull(kept);
	ck_assert_str_eq(kept, failed);
	ck_assert(lstat(root, &st) < 0 && errno == ENOENT);
	ck_assert(stat(failed, &st) == 0 && S_ISDIR(st.st_mode));
	pathf(failed, "%s.failed/site/d0", root);
	ck_assert(stat(failed, &st) == 0);
	pathf(failed, "%s.failed", root);
	ck_assert_int_eq(tree_remove(failed), 0);
	free(kept);
	free(root);
	/* Without kept_at: still renamed. */
	create_full(&sb, "failed2");
	root = strdup(sb.root);
	ck_assert_int_eq(sandbox_release(&sb, false, true, true, NULL), 0);
	pathf(failed, "%s.failed", root);
	ck_assert(stat(failed, &st) == 0);
	ck_assert_int_eq(tree_remove(failed), 0);
	free(root);
}
END_TEST

START_TEST(test_release_rename_fails)
{
	struct sandbox sb;
	char *root, *kept = NULL, failed[PATH_MAX];
	struct stat st;

	/* <root>.failed is in the way (a non-empty directory): the tree cannot
	 * be renamed, so it stays where it is, and kept_at must say where. */
	create(&sb, "inway");
	root = strdup(sb.root);
	pathf(failed, "%s.failed", root);
	ck_assert(mkdir(failed, 0755) == 0);
	pathf(failed, "%s.failed/x", root);
	ck_assert(mkdir(failed, 0755) == 0);
	ck_assert_int_eq(sandbox_release(&sb, false, true, true, &kept), 0);
	ck_assert(stat(root, &st) == 0);
	ck_assert_msg(kept != NULL, "the tree was kept but kept_at says nothing");
	ck_assert_str_eq(kept, root);
	free(kept);
	ck_assert_int_eq(tree_remove(root), 0);
	pathf(failed, "%s.failed", root);
	ck_assert_int_eq(tree_remove(failed), 0);
	free(root);
}
END_TEST

static Suite *sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("create");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_layout);
	tcase_add_test(tc, test_create_realpath);
	tcase_add_test(tc, test_create_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("populate");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_populate);
	tcase_add_test(tc, test_populate_content);
	tcase_add_test(tc, test_populate_order);
	tcase_add_test(tc, test_populate_single);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_test(tc, test_env_modes);
	tcase_add_test(tc, test_env_passthrough);
	tcase_add_test(tc, test_cache_root);
	suite_add_tcase(s, tc);

	tc = tcase_create("release");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_release_remove);
	tcase_add_test(tc, test_release_keep);
	tcase_add_test(tc, test_release_failed);
	tcase_add_test(tc, test_release_rename_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (tu_scratch_make("check_sandbox", 1) < 0)
		return 2;
	/* The sandbox's modes go through the umask (see the report): the
	 * layout test states them for the usual one. */
	umask(022);
	return tu_run(sandbox_suite(), "check_sandbox");
}
