/* cachedir.h: the cache directory, $XDG_CACHE_HOME/epcache, and every file
 * operation in it: finding it, deciding whether to trust it, creating it,
 * reading a cache file, writing one atomically, sweeping stale temporaries
 * and clearing it.
 *
 * Invariants:
 * - Every change in the cache directory (create, rename, unlink) goes
 *   through the directory's descriptor (openat, renameat, unlinkat), opened
 *   with O_NOFOLLOW and checked once: a directory swapped for a symbolic link
 *   afterwards is never followed, nothing is ever written through one.
 * - A directory or file is trusted only when it is what this program makes:
 *   owned by the effective uid, not writable by group or others; files also
 *   regular and with a single link. Anything else is never read, never
 *   written through and never replaced or removed.
 * - A read needs no directory descriptor: the file itself is the trust
 *   anchor (opened with O_NOFOLLOW|O_NOATIME, then owner, mode, type and
 *   link count checked on the open file; then its checksum, stored path and
 *   stamp). Only the effective uid can make a file it owns, so whatever
 *   directory the path leads through, a file passing these checks is one
 *   this program wrote for this path and this stamp. The owner must be the
 *   effective uid the process started with (getauxval(AT_EUID)), which the
 *   O_NOATIME open makes as good as geteuid() without its system call.
 *   Skipping the directory's open, fstat and close, and geteuid, keeps the
 *   warm hit at one syscall above the floor (DESIGN.md, sections 6 and 11).
 * - Nothing is created or written unless the effective uid owns the base
 *   directory ($XDG_CACHE_HOME, else $HOME/.cache) or, while it does not
 *   exist, its parent: `sudo` with a user's HOME leaves no root-owned file
 *   in that user's tree. Only the base itself and base/epcache are ever
 *   created (mode 0700): a base whose parent is missing gets no cache, since
 *   the parent would lie outside the cache tree.
 * - A cache file appears only by rename(2) of a complete temporary from the
 *   same directory: readers see the old file or the new one, never a part.
 *   Temporaries are removed on every failure path; those of crashed
 *   processes are swept when they are old.
 * - No locks. Writers race; the last rename wins; every candidate is complete.
 *
 * Functions return 0 or a negative errno. Where they take `const char **why`,
 * a failure also sets *why to a stable short reason (see epcache.h). */
#ifndef EPCACHE_CACHEDIR_H
#define EPCACHE_CACHEDIR_H
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define CACHEDIR_NAME	     "epcache"
#define CACHEDIR_TMP_PREFIX  ".tmp-"
#define CACHEDIR_TMP_STALE   (60LL * 1000000000LL) /* a temporary older than this is dead */
#define CACHEDIR_SWEEP_SCAN  1024		   /* directory entries looked at per sweep */
#define CACHEDIR_SWEEP_LIMIT 8			   /* stale temporaries removed per sweep */
#define CACHEDIR_LOCK_NAME   "lock"		   /* only the blocking-lock variant makes it */
#define CACHEDIR_READ_MAX    (64u << 20)	   /* = CACHEFILE_MAX: bigger is damage */

struct cachedir {
	int fd;	    /* the trusted epcache directory, or -1 */
	uid_t euid; /* the effective uid, read when the directory is opened */
};

/* A temporary being written; made by ep_cachedir_tmp_open(). */
struct cachedir_tmp {
	int fd;	   /* open for writing, or -1 */
	int dirfd; /* where name lives: the cache directory's fd (borrowed) */
	int own_dirfd;
	char name[96];
	int made; /* name exists and is ours to remove */
};

void ep_cachedir_init(struct cachedir *cd);
/* Closes the directory and leaves cd initialised. */
void ep_cachedir_release(struct cachedir *cd);

/* The base directory: override when not NULL, else $XDG_CACHE_HOME when
 * absolute, else $HOME/.cache when $HOME is absolute (read with
 * secure_getenv; empty or relative values are ignored, as the XDG base
 * directory specification says). Written to out (size bytes). 0, -ENOENT
 * when there is none, -ENAMETOOLONG. */
int ep_cachedir_base(const char *override, char *out, size_t size);

/* Opens base/epcache as it is, for clearing: creates nothing. -ENOENT when
 * it does not exist, -EPERM when it is not trusted, other errors as they
 * come. */
int ep_cachedir_open(struct cachedir *cd, const char *base, const char **why);

/* Opens base/epcache for writing: checks the base's owner (the privilege
 * rule above), creates the base (if its parent exists) and base/epcache
 * with mode 0700 when missing, then opens and checks the epcache directory.
 * -EPERM (not owned by the effective uid, or not trusted), or the error of
 * the failed mkdir/open (-ENOENT: the base's parent is missing). */
int ep_cachedir_create(struct cachedir *cd, const char *base, const char **why);

/* Reads the cache file base/epcache/name whole into *buf (malloc'd, owned by
 * the caller, *len bytes) after checking the open file (see the invariants),
 * and fills *st. -ENOENT (none), -EPERM (not trusted: never to be replaced),
 * -EBADMSG (too large or truncated while read: ours but damaged), other
 * errors as they come. */
int ep_cachedir_read(const char *base, const char *name, char **buf, size_t *len, struct stat *st,
		     const char **why);

/* Creates a new temporary for the cache file `final`, in the cache directory,
 * named .tmp-<final>-<pid>-<random>, with O_CREAT|O_EXCL|O_NOFOLLOW, mode
 * 0600. On failure t->made is 0 and nothing exists. */
int ep_cachedir_tmp_open(const struct cachedir *cd, const char *final, struct cachedir_tmp *t);
/* Writes len bytes into t, closes it and renames it over `final`, unless
 * what is at `final` is not ours (-EPERM: left alone). On failure the
 * temporary is removed. Either way t is finished. */
int ep_cachedir_tmp_commit(const struct cachedir *cd, struct cachedir_tmp *t, const char *final,
			   const void *buf, size_t len, const char **why);
/* Closes and removes t if it exists (for abandoned writes). */
void ep_cachedir_tmp_abort(struct cachedir_tmp *t);

/* Removes at most CACHEDIR_SWEEP_LIMIT temporaries whose mtime is more than
 * CACHEDIR_TMP_STALE before now_ns, looking at most at CACHEDIR_SWEEP_SCAN
 * entries; only regular files owned by the effective uid. Returns how many
 * were removed. Best effort: errors are ignored. */
size_t ep_cachedir_sweep(const struct cachedir *cd, int64_t now_ns);

/* Removes the cache files and temporaries (and a variant's lock file) that
 * this program makes, owned by the effective uid; leaves everything else.
 * *removed (optional) counts them. 0 or a negative errno. */
int ep_cachedir_clear(const struct cachedir *cd, size_t *removed);

/* True when name is a cache file's name: "ep-" and 16 lower-case hex digits. */
int ep_cachedir_is_cache_name(const char *name);

#endif
