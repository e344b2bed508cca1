/* fixture.h: realistic site-packages trees, generated from a seed.
 *
 * A distribution is identified by (seed, index, version): the same triple
 * always gives the same directory name and the same files, so a scenario's
 * mutations can name "the next version of distribution 17" and a seed
 * replays a run. Shapes follow real trees: most distributions have no
 * entry_points.txt, the others a few groups (console_scripts, gui_scripts,
 * plugin groups), names with dots and dashes, values with attributes and
 * extras, the odd comment or blank line. Everything is well-formed ASCII
 * (importlib.metadata must agree with the oracle on it), and names never
 * contain TAB, CR or LF. */
#ifndef CT_FIXTURE_H
#define CT_FIXTURE_H
#include <stddef.h>
#include <stdint.h>

struct fixture_file {
	char *name; /* "METADATA", "entry_points.txt", "RECORD", ... */
	char *data; /* owned */
	size_t len;
};

struct fixture_dist {
	char *project; /* "acme-widgets" */
	char *version; /* "1.4.0" */
	char *dirname; /* "acme_widgets-1.4.0.dist-info" (or .egg-info) */
	/* The core metadata first (METADATA, or PKG-INFO in a .egg-info, as
	 * setuptools writes it); entry_points.txt when it has one. */
	struct fixture_file *files;
	size_t nfiles;
	int has_entry_points;
};

/* The distribution (seed, index, version). force_entry_points != 0 makes sure
 * it has an entry_points.txt (mutations want visible changes). 0 or -ENOMEM. */
int fixture_dist_make(uint64_t seed, uint64_t index, unsigned version, int force_entry_points,
		      struct fixture_dist *out);
void fixture_dist_release(struct fixture_dist *d);

/* The file named name in d, or NULL. */
const struct fixture_file *fixture_dist_file(const struct fixture_dist *d, const char *name);

/* Creates directory d->dirname in dirfd and writes its files (not atomic:
 * callers that need atomicity write into a staging directory and rename).
 * 0 or -errno (-EEXIST when d->dirname exists, even as a symlink, which is
 * never followed); on failure what was created is removed. */
int fixture_dist_write(int dirfd, const struct fixture_dist *d);

/* Fills directory `dir` (created if missing, parents must exist) with the
 * distributions (seed, first .. first+n-1, version 0) plus a few non-metadata
 * directories and files, as site-packages holds: package directories,
 * _distutils_hack, .pth files, __pycache__ (those are replaced if present).
 * 0 or -errno (-EEXIST when one of the distributions is already there); on
 * failure the tree is left part-built for the caller's scratch cleanup. */
int fixture_tree_build(const char *dir, uint64_t seed, uint64_t first, size_t n);

#endif
