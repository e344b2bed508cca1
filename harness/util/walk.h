/* walk.h: the harness's one directory tree walker, and tree removal built on
 * it. Hashing a tree, counting it, damaging a cache tree and removing a
 * sandbox all walk with it, so they see the same entries in the same order.
 *
 * Invariants of a walk:
 *   - ORDER: the names of every directory are read whole, then visited in
 *     bytewise order (strcmp), depth first: "a", "a/x", "a-b", "b". Never
 *     readdir order, which differs between filesystems (tmpfs, ext4, xfs)
 *     and would make a seeded choice among the entries replay differently;
 *   - NO FOLLOWING: every entry is fstatat()'ed with AT_SYMLINK_NOFOLLOW and
 *     every directory opened relative to its parent's fd with O_NOFOLLOW |
 *     O_DIRECTORY. A symlink is reported as an entry (st says S_IFLNK) and
 *     never entered, whatever it points at; so is the root, if it is one;
 *   - BOUNDED: directories at depth max_depth are reported but not entered
 *     (see WALK_FAIL), so a walk holds at most max_depth + 1 directory fds
 *     and recursion is bounded whatever an implementation built;
 *   - the walker owns nothing the visitor sees: every pointer in a struct
 *     walk_entry is valid only during the call.
 *
 * Depth: the root is depth 0, its entries depth 1, and so on. rel is the
 * path from the root ("a/b"; "" for the root itself); name is the entry's
 * name in the directory dirfd refers to, so fstatat(dirfd, name, ...),
 * unlinkat(dirfd, name, ...) and openat(dirfd, name, ...) reach it without
 * a path lookup (for the root, dirfd and name are the caller's). */
#ifndef CT_UTIL_WALK_H
#define CT_UTIL_WALK_H
#include <sys/stat.h>

enum walk_event {
	/* Every entry, a directory before its contents. */
	WALK_PRE,
	/* A directory after its contents, with WALK_POSTORDER only: each
	 * WALK_PRE of a directory that was not skipped gets exactly one, also
	 * when it could not be read. st is the one WALK_PRE saw. */
	WALK_POST,
	/* Something failed for this entry, err says what (-errno):
	 *   - fstatat() failed (st is NULL). An entry gone between readdir and
	 *     fstatat (ENOENT) is not reported: it is simply not there;
	 *   - a directory could not be opened or read (EACCES, EMFILE, ...):
	 *     its contents are not visited;
	 *   - a directory lies at max_depth: -ELOOP, its contents not visited.
	 * Returning 0 goes on with the next entry; returning -errno ends the
	 * walk with that error. */
	WALK_FAIL,
};

/* A visitor returns 0 to go on, -errno to end the walk with that error
 * (walk_tree() returns it), or one of these. Any other positive value is
 * taken as 0. */
#define WALK_SKIP 1 /* at WALK_PRE of a directory: do not enter it, no WALK_POST */
#define WALK_STOP 2 /* end the walk now, no more calls; walk_tree() returns 0 */

/* walk_opts.flags */
#define WALK_ROOT      0x1u /* visit the root itself (rel "", depth 0) */
#define WALK_POSTORDER 0x2u /* WALK_POST events: removal needs them */

/* The depth limit when walk_opts.max_depth is 0. */
#define WALK_DEPTH_DEFAULT 64

struct walk_entry {
	enum walk_event event;
	int dirfd;	       /* the directory holding the entry */
	const char *name;      /* its name there */
	const char *rel;       /* its path from the root */
	const struct stat *st; /* from fstatat(AT_SYMLINK_NOFOLLOW); NULL if that failed */
	int depth;	       /* 0: the root */
	int err;	       /* WALK_FAIL: -errno; else 0 */
};

typedef int (*walk_fn)(void *ctx, const struct walk_entry *e);

struct walk_opts {
	walk_fn visit;	/* required */
	void *ctx;	/* passed to visit */
	unsigned flags; /* WALK_ROOT, WALK_POSTORDER */
	int max_depth;	/* deepest entries visited; 0: WALK_DEPTH_DEFAULT */
};

/* Walks the tree at path (relative to dirfd: AT_FDCWD or a directory fd;
 * "." walks dirfd's own directory). Returns 0 when the walk ended (also by
 * WALK_STOP); the visitor's -errno; -EINVAL for options without a visitor
 * or with a negative max_depth; -ENOMEM; or, for the root itself, the
 * -errno of opening or listing it (-ENOENT; -ENOTDIR or -ELOOP when it is
 * not a directory or is a symlink; -EACCES ...). The root's failures are
 * returned, never reported as WALK_FAIL. */
int walk_tree(int dirfd, const char *path, const struct walk_opts *o);

/* rm -rf of path (relative to dirfd) that never follows a symlink (a
 * symlink, at the root or inside, is unlinked, its target left alone) and
 * gets through what scenarios leave behind:
 *   - directories without owner rwx (0000, 0500: a chmod-cache step) are
 *     given u+rwx before they are entered, with a chmod that does not
 *     follow symlinks either (it needs /proc, as glibc's fchmodat does);
 *   - trees deeper than WALK_DEPTH_DEFAULT: a directory at the limit is
 *     moved up into the root under a name of its own (".walk_remove.N")
 *     and removed by a later pass, so descriptors and recursion stay
 *     bounded however deep the tree is.
 * A missing path is not an error. Returns 0, or the first failure's -errno
 * (what could not be removed stays, the rest goes). */
int walk_remove_tree(int dirfd, const char *path);

#endif
