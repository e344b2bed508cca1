/* sandbox.h: one scenario's scratch directory and the world inside it.
 *
 * Layout under root (created 0755, owned by the harness's user):
 *   site/       the path entries: d<k> directories of distributions,
 *               link<k> symlinks to some of them, file<k>.zip regular files;
 *               missing<k> names that do not exist
 *   stage/      where the mutator builds things before renaming them in
 *   home/       HOME; home/.cache is the default cache tree, holding the
 *               bystanders: files the implementation did not make and must
 *               not touch (I8)
 *   tmp/        TMPDIR
 *   cwd/        the queries' working directory
 *   decoy/      files outside the cache tree that damage links cache files
 *               to; writing through such a link changes them (I8)
 *   homefile, xdgfile   regular files for HOME / XDG_CACHE_HOME "file" modes
 *
 * Nothing outside root is ever written; the real user's HOME, caches and
 * TMPDIR are never looked at. */
#ifndef CT_SANDBOX_H
#define CT_SANDBOX_H
#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum entry_kind { ENTRY_DIR, ENTRY_LINK, ENTRY_MISSING, ENTRY_FILE };

struct sb_entry {
	enum entry_kind kind;
	char *path; /* owned: absolute, as given to queries */
	char *dir;  /* owned: DIR and LINK: the directory it currently names */
	int dindex; /* DIR and LINK: index among directory entries, else -1 */
};

struct sandbox {
	char *root, *site, *stage, *home, *tmp, *cwd, *decoy, *homefile, *xdgfile;
	struct sb_entry *entries;
	size_t nentries;
	size_t *dir_entry; /* dindex -> entry index */
	size_t ndirs;
	size_t ndecoys;
	enum env_mode home_mode, xdg_mode;
};

/* Creates root = mkdtemp("<workdir>/cachetorture-<label>-XXXXXX") and the
 * fixed layout. 0 or -errno. */
int sandbox_create(struct sandbox *sb, const char *workdir, const char *label);

/* Creates the path entries of fx (distributions via fixture_tree_build) in an
 * order shuffled from seed. 0 or -errno. */
int sandbox_populate(struct sandbox *sb, const struct fixture_spec *fx, uint64_t seed);

/* The environment for queries under the current modes (NULL-terminated,
 * malloc'd strings; free with sandbox_env_free). */
int sandbox_env(const struct sandbox *sb, char ***envp);
void sandbox_env_free(char **envp);

/* The implementation's cache tree under the current modes, as an absolute
 * path (malloc'd), or NULL when it has none (neither variable usable). */
char *sandbox_cache_root(const struct sandbox *sb);

/* Paths (relative to root) of the files and directories inside cache trees
 * that the implementation did not make. NULL-terminated, static. */
const char *const *sandbox_bystanders(void);

/* Releases memory and disposes of root: kept as it is with keep; kept
 * renamed to "<root>.failed" when the scenario failed and keep_failed;
 * removed otherwise. *kept_at (may be NULL) receives the path kept
 * (malloc'd) or NULL. 0 or -errno of a failed removal. */
int sandbox_release(struct sandbox *sb, bool keep, bool keep_failed, bool failed, char **kept_at);

#endif
