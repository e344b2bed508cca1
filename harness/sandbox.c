/* sandbox.c: creating, populating and removing a scenario's scratch tree,
 * and the environment its queries run with. */
#include "sandbox.h"
#include "fixture.h"
#include "rng.h"
#include "treehash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DECOYS 16
/* Distribution indices of directory entry k start at k * DIST_STRIDE, so
 * entries never share a distribution by accident. */
#define DIST_STRIDE 1000000ULL

/* Paths the implementation did not make; the ones under home/.cache are
 * created here (directories end in '/' in this table only). */
static const char *const bystander_table[] = {
    "home/.cache/bystander/",
    "home/.cache/bystander/notes.txt",
    "home/.cache/.bystander",
};

static const char *const bystanders[] = {
    "home/.cache/bystander",
    "home/.cache/bystander/notes.txt",
    "home/.cache/.bystander",
    "homefile",
    "xdgfile",
    NULL,
};

const char *const *sandbox_bystanders(void)
{
	return bystanders;
}

static char *path_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

static int write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t len = strlen(data);
	ssize_t w;
	int rc = 0;

	if (fd < 0)
		return -errno;
	w = write(fd, data, len);
	/* A short write sets no errno: do not report a stale one. */
	if (w != (ssize_t)len)
		rc = w < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

static int make_dir(char **slot, const char *root, const char *name)
{
	*slot = path_join(root, name);
	if (!*slot)
		return -ENOMEM;
	if (mkdir(*slot, 0755) < 0)
		return -errno;
	return 0;
}

int sandbox_create(struct sandbox *sb, const char *workdir, const char *label)
{
	char *tmpl = NULL, *p;
	int rc;

	memset(sb, 0, sizeof(*sb));
	sb->home_mode = sb->xdg_mode = ENV_SANDBOX;
	if (asprintf(&tmpl, "%s/cachetorture-%s-XXXXXX", workdir, label) < 0)
		return -ENOMEM;
	if (!mkdtemp(tmpl)) {
		rc = -errno;
		free(tmpl);
		return rc;
	}
	/* mkdtemp made it 0700; the sandbox may host queries of another uid
	 * later, and nothing in it is secret. */
	chmod(tmpl, 0755);
	sb->root = realpath(tmpl, NULL);
	if (!sb->root) {
		/* Do not leave the directory just made behind. */
		rc = -errno;
		rmdir(tmpl);
		free(tmpl);
		return rc;
	}
	free(tmpl);
	if ((rc = make_dir(&sb->site, sb->root, "site")) ||
	    (rc = make_dir(&sb->stage, sb->root, "stage")) ||
	    (rc = make_dir(&sb->home, sb->root, "home")) ||
	    (rc = make_dir(&sb->tmp, sb->root, "tmp")) ||
	    (rc = make_dir(&sb->cwd, sb->root, "cwd")) ||
	    (rc = make_dir(&sb->decoy, sb->root, "decoy")))
		return rc;
	chmod(sb->tmp, 01777);
	sb->homefile = path_join(sb->root, "homefile");
	sb->xdgfile = path_join(sb->root, "xdgfile");
	if (!sb->homefile || !sb->xdgfile)
		return -ENOMEM;
	if ((rc = write_file(sb->homefile, "a file where a directory was expected\n", 0644)) ||
	    (rc = write_file(sb->xdgfile, "a file where a directory was expected\n", 0644)))
		return rc;
	/* The default cache tree starts with files someone else made. */
	p = path_join(sb->home, ".cache");
	if (!p)
		return -ENOMEM;
	rc = mkdir(p, 0700) < 0 ? -errno : 0;
	free(p);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(bystander_table) / sizeof(*bystander_table); i++) {
		const char *b = bystander_table[i];
		size_t len = strlen(b);

		p = path_join(sb->root, b);
		if (!p)
			return -ENOMEM;
		if (b[len - 1] == '/')
			rc = mkdir(p, 0700) < 0 ? -errno : 0;
		else
			rc = write_file(p, "belongs to another program\n", 0600);
		free(p);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < DECOYS; i++) {
		char name[32], data[64];

		snprintf(name, sizeof(name), "decoy%zu", i);
		snprintf(data, sizeof(data), "decoy %zu: must never change\n", i);
		p = path_join(sb->decoy, name);
		if (!p)
			return -ENOMEM;
		rc = write_file(p, data, 0600);
		free(p);
		if (rc)
			return rc;
	}
	sb->ndecoys = DECOYS;
	return 0;
}

int sandbox_populate(struct sandbox *sb, const struct fixture_spec *fx, uint64_t seed)
{
	size_t n = (size_t)(fx->entries + fx->missing + fx->files);
	struct rng rng;
	enum entry_kind *kinds;
	int rc = 0;
	int nd = 0, nm = 0, nf = 0;

	sb->entries = calloc(n, sizeof(*sb->entries));
	sb->dir_entry = calloc((size_t)fx->entries, sizeof(*sb->dir_entry));
	kinds = calloc(n, sizeof(*kinds));
	if (!sb->entries || !sb->dir_entry || !kinds) {
		free(kinds);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		kinds[i] = i < (size_t)fx->entries		     ? ENTRY_DIR
			   : i < (size_t)(fx->entries + fx->missing) ? ENTRY_MISSING
								     : ENTRY_FILE;
	/* Mix the kinds so that, e.g., a missing entry sits before a directory:
	 * numbering mistakes only show when they do. The first entry stays a
	 * directory so small scenarios read naturally. */
	rng_seed(&rng, seed ^ 0x5eedULL);
	for (size_t i = n; i > 2; i--) {
		size_t j = 1 + (size_t)rng_below(&rng, i - 1);
		enum entry_kind t = kinds[i - 1];

		kinds[i - 1] = kinds[j];
		kinds[j] = t;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct sb_entry *e = &sb->entries[i];
		char name[64];

		e->dindex = -1;
		if (kinds[i] == ENTRY_DIR) {
			int k = nd++;

			snprintf(name, sizeof(name), "d%d", k);
			e->dir = path_join(sb->site, name);
			if (!e->dir) {
				rc = -ENOMEM;
				break;
			}
			rc = fixture_tree_build(e->dir, seed, (uint64_t)k * DIST_STRIDE,
						(size_t)fx->dists);
			if (rc)
				break;
			e->dindex = k;
			sb->dir_entry[k] = i;
			if (k < fx->symlinks) {
				e->kind = ENTRY_LINK;
				snprintf(name, sizeof(name), "link%d", k);
				e->path = path_join(sb->site, name);
				if (!e->path || symlink(e->dir, e->path) < 0)
					rc = e->path ? -errno : -ENOMEM;
			} else {
				e->kind = ENTRY_DIR;
				e->path = strdup(e->dir);
				if (!e->path)
					rc = -ENOMEM;
			}
		} else if (kinds[i] == ENTRY_MISSING) {
			e->kind = ENTRY_MISSING;
			snprintf(name, sizeof(name), "missing%d", nm++);
			e->path = path_join(sb->site, name);
			if (!e->path)
				rc = -ENOMEM;
		} else {
			e->kind = ENTRY_FILE;
			snprintf(name, sizeof(name), "file%d.zip", nf++);
			e->path = path_join(sb->site, name);
			if (!e->path)
				rc = -ENOMEM;
			else
				rc = write_file(e->path, "PK\003\004 not really a zip\n", 0644);
		}
	}
	sb->nentries = n;
	sb->ndirs = (size_t)nd;
	free(kinds);
	return rc;
}

static const char *env_value(const struct sandbox *sb, enum env_mode m, int xdg, char *buf,
			     size_t len)
{
	switch (m) {
	case ENV_SANDBOX:
		snprintf(buf, len, "%s%s", sb->home, xdg ? "/.cache" : "");
		return buf;
	case ENV_EMPTY:
		return "";
	case ENV_RELATIVE:
		return xdg ? "cache-rel" : "home-rel";
	case ENV_FILE:
		return xdg ? sb->xdgfile : sb->homefile;
	case ENV_MISSING:
		snprintf(buf, len, "%s/%s", sb->root, xdg ? "absent-xdg" : "absent-home");
		return buf;
	case ENV_UNSET:
	case ENV_KEEP:
	default:
		return NULL;
	}
}

static int env_push(char ***v, size_t *n, const char *name, const char *value)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (asprintf(&nv[*n], "%s=%s", name, value) < 0)
		return -ENOMEM;
	nv[++*n] = NULL;
	return 0;
}

int sandbox_env(const struct sandbox *sb, char ***envp)
{
	/* Sanitizer settings pass through so a sanitized implementation can be
	 * tortured; nothing else of the harness's environment leaks in. */
	static const char *const passthrough[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
						  "LD_LIBRARY_PATH", NULL};
	char **v = NULL, buf[4096];
	size_t n = 0;
	const char *path = getenv("PATH"), *val;
	int rc;

	if ((rc = env_push(&v, &n, "PATH", path ? path : "/usr/local/bin:/usr/bin:/bin")))
		goto out;
	if ((val = env_value(sb, sb->home_mode, 0, buf, sizeof(buf))) &&
	    (rc = env_push(&v, &n, "HOME", val)))
		goto out;
	if ((val = env_value(sb, sb->xdg_mode, 1, buf, sizeof(buf))) &&
	    (rc = env_push(&v, &n, "XDG_CACHE_HOME", val)))
		goto out;
	if ((rc = env_push(&v, &n, "TMPDIR", sb->tmp)) || (rc = env_push(&v, &n, "LC_ALL", "C")) ||
	    (rc = env_push(&v, &n, "CACHETORTURE_PROTOCOL", "1")) ||
	    (rc = env_push(&v, &n, "CACHETORTURE_EVENT_FD", "3")))
		goto out;
	for (const char *const *p = passthrough; *p; p++)
		if ((val = getenv(*p)) && (rc = env_push(&v, &n, *p, val)))
			goto out;
out:
	if (rc) {
		sandbox_env_free(v);
		return rc;
	}
	*envp = v;
	return 0;
}

void sandbox_env_free(char **envp)
{
	if (!envp)
		return;
	for (size_t i = 0; envp[i]; i++)
		free(envp[i]);
	free(envp);
}

char *sandbox_cache_root(const struct sandbox *sb)
{
	char buf[4096], *p;
	const char *x = env_value(sb, sb->xdg_mode, 1, buf, sizeof(buf));

	/* XDG: an empty or relative XDG_CACHE_HOME is ignored. */
	if (x && x[0] == '/')
		return strdup(x);
	x = env_value(sb, sb->home_mode, 0, buf, sizeof(buf));
	if (x && x[0] == '/') {
		if (asprintf(&p, "%s/.cache", x) < 0)
			return NULL;
		return p;
	}
	return NULL;
}

int sandbox_release(struct sandbox *sb, bool keep, bool keep_failed, bool failed, char **kept_at)
{
	int rc = 0;

	if (kept_at)
		*kept_at = NULL;
	if (sb->root) {
		if (keep) {
			if (kept_at)
				*kept_at = strdup(sb->root);
		} else if (failed && keep_failed) {
			char *to = NULL;

			if (asprintf(&to, "%s.failed", sb->root) < 0)
				to = NULL;
			/* When the rename fails the tree stays where it is: the
			 * report must still say where. */
			if (!to || rename(sb->root, to) < 0) {
				free(to);
				to = strdup(sb->root);
			}
			if (kept_at)
				*kept_at = to;
			else
				free(to);
		} else {
			rc = tree_remove(sb->root);
		}
	}
	for (size_t i = 0; i < sb->nentries; i++) {
		free(sb->entries[i].path);
		free(sb->entries[i].dir);
	}
	free(sb->entries);
	free(sb->dir_entry);
	free(sb->root);
	free(sb->site);
	free(sb->stage);
	free(sb->home);
	free(sb->tmp);
	free(sb->cwd);
	free(sb->decoy);
	free(sb->homefile);
	free(sb->xdgfile);
	memset(sb, 0, sizeof(*sb));
	return rc;
}
