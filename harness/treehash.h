/* treehash.h: snapshots of a directory tree, for I8 (nothing outside the
 * implementation's cache tree may change) and I5 (the cache tree must not
 * grow). A snapshot records, for every path below a root, its type, mode,
 * owner, size, mtime (regular files) and a hash of its content (regular
 * files) or target (symlinks). Symlinks are never followed. Link counts and
 * directory timestamps are left out: the harness itself links decoys and
 * creates entries in directories, and neither is a change to judge. */
#ifndef CT_TREEHASH_H
#define CT_TREEHASH_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct tree_item {
	char *rel; /* owned: path relative to the root (the root itself is not recorded) */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int64_t size;
	int64_t mtime_ns; /* regular files only, else 0 */
	uint64_t content; /* hash of content (files) or target (symlinks) */
	bool unreadable;  /* a directory or file the harness could not read */
};

struct tree_snap {
	struct tree_item *items; /* sorted by rel */
	size_t n, cap;
};

/* Return true to leave rel (and, for a directory, everything below it) out. */
typedef bool (*tree_skip_fn)(void *ctx, const char *rel);

struct tree_change {
	char *rel;	  /* owned */
	const char *what; /* static: "created", "removed", "changed ..." */
};

/* 0, or -errno when root itself cannot be opened (a missing root gives an
 * empty snapshot and 0), -ELOOP for a tree deeper than 64 levels, -ENOMEM;
 * on failure *out is empty. */
int tree_snap_take(const char *root, tree_skip_fn skip, void *ctx, struct tree_snap *out);
void tree_snap_release(struct tree_snap *s);
/* The changes from before to after, sorted by path. 0 or -ENOMEM. */
int tree_snap_diff(const struct tree_snap *before, const struct tree_snap *after,
		   struct tree_change **out, size_t *n);
void tree_changes_free(struct tree_change *c, size_t n);

/* Counts what lies below root (root excluded). A missing root counts zero. */
int tree_count(const char *root, tree_skip_fn skip, void *ctx, uint64_t *files, uint64_t *dirs,
	       uint64_t *bytes);

/* rm -rf that also gets through directories chmod'ed to 0 by a scenario,
 * at any depth. A missing path is not an error. 0 or -errno of the first
 * failure. */
int tree_remove(const char *path);

#endif
