/* scenario.h: a scenario as loaded from its JSON file (scenarios/README.md is
 * the format's manual). The loader checks everything it can before a run
 * starts: a scenario that loads is one the runner can execute without meeting
 * a bad value half-way through. */
#ifndef CT_SCENARIO_H
#define CT_SCENARIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a step does. The first group issues queries, the second changes the
 * tree, the cache or the environment, the last waits or measures. */
enum step_kind {
	STEP_HERD,	    /* release `workers` queries together, wait for all */
	STEP_QUERY,	    /* `count` queries, one after another */
	STEP_STREAM,	    /* `workers` workers query back to back for `ms` */
	STEP_INSTALL,	    /* a new distribution, `style` atomic or installer */
	STEP_UNINSTALL,	    /* an installed distribution */
	STEP_UPGRADE,	    /* an installed distribution to its next version */
	STEP_BRANCH_SWITCH, /* the entry switches to its other version, its mtime moves back */
	STEP_MTIME_RESTORE, /* content changes, then the entry's mtime is set back exactly */
	STEP_RELOCATE,	    /* `how`: rename (entry replaced, same mtime) or symlink (re-pointed) */
	STEP_FUTURE_MTIME,  /* `target` entry or cache: mtimes set `offset_s` ahead */
	STEP_EDIT,	    /* an installed entry_points.txt rewritten in place (strict level) */
	STEP_DAMAGE,	    /* every file under the IUT's cache tree damaged, `kind` */
	STEP_CHMOD_CACHE,   /* every directory under the cache tree chmod'ed to `mode` */
	STEP_ENV,	    /* HOME / XDG_CACHE_HOME for later queries */
	STEP_CLEAR_CACHE,   /* the IUT's cache tree removed (the bystanders are kept) */
	STEP_RANDOM,	    /* one of `ops`, chosen by weight from the scenario's seed */
	STEP_SETTLE,	    /* wait the settle time: the tree is still afterwards */
	STEP_SLEEP,	    /* wait `ms` */
	STEP_KIND_COUNT
};

enum install_style { STYLE_ATOMIC, STYLE_INSTALLER, STYLE_ANY };
enum relocate_how { RELOCATE_RENAME, RELOCATE_SYMLINK };
enum future_target { FUTURE_ENTRY, FUTURE_CACHE };
enum damage_kind {
	DAMAGE_TRUNCATE,
	DAMAGE_ZERO,
	DAMAGE_BITFLIP,
	DAMAGE_GARBAGE,
	DAMAGE_HARDLINK, /* replaced by a hard link to a decoy outside the cache tree */
	DAMAGE_MIXED	 /* each file gets one of the above, chosen from the seed */
};
/* How STEP_ENV sets one variable. */
enum env_mode {
	ENV_KEEP,    /* leave as it is */
	ENV_SANDBOX, /* the scenario's default: a directory in the scratch tree */
	ENV_UNSET,
	ENV_EMPTY,
	ENV_RELATIVE, /* a relative path (must be ignored, XDG rules) */
	ENV_FILE,     /* names a regular file */
	ENV_MISSING   /* an absolute path that does not exist (under a directory that does) */
};

struct step;

/* A mutation run during a herd or a stream, `at_ms` after it starts;
 * `every_ms` > 0 repeats it until the herd or stream ends. */
struct timed_step {
	int at_ms;
	int every_ms;
	struct step *step; /* owned; a mutation kind (STEP_INSTALL .. STEP_RANDOM) */
};

struct weighted_step {
	unsigned weight;
	struct step *step; /* owned */
};

struct step {
	enum step_kind kind;
	int line, col; /* where the step starts in the file, for runtime messages */

	/* queries: STEP_HERD, STEP_QUERY, STEP_STREAM */
	int workers; /* 0: the scenario's */
	int count;   /* STEP_QUERY, default 1 */
	int ms;	     /* STEP_STREAM duration, STEP_SLEEP */
	bool warm;   /* these queries must not scan (I4) */
	struct timed_step *during;
	size_t nduring;

	/* mutations */
	int entry; /* directory entry (0 .. fixture.entries - 1) it targets; -1: from the seed */
	enum install_style style;
	enum relocate_how how;
	enum future_target target;
	long offset_s;
	enum damage_kind damage;
	unsigned mode; /* STEP_CHMOD_CACHE */
	enum env_mode home, xdg;
	struct weighted_step *ops; /* STEP_RANDOM */
	size_t nops;
};

enum scenario_level { LEVEL_SEED, LEVEL_STRICT };

/* Requirements: an unmet one skips the scenario with its reason. */
enum scenario_req {
	REQ_ROOT = 1u << 0,
	REQ_MOUNT_NS = 1u << 1,
	REQ_LOOP = 1u << 2,
	REQ_OTHER_UID = 1u << 3,
};

struct fixture_spec {
	int entries;  /* path entries that are directories of distributions, >= 1 */
	int dists;    /* distributions in each of them */
	int missing;  /* extra entries that do not exist */
	int files;    /* extra entries that are regular files */
	int symlinks; /* the first `symlinks` directory entries are given as a symlink to it */
};

struct scenario {
	char *path; /* as given on the command line */
	char *name; /* file name without .json */
	char *description;
	enum scenario_level level;
	unsigned requires; /* enum scenario_req bits */
	char *fs; /* NULL: the scratch directory's own filesystem (seam for fs scenarios) */
	uint64_t seed;
	struct fixture_spec fixture;
	int workers;
	int bound_ms;
	int rounds;
	int settle_ms;		 /* 0: the harness default */
	enum env_mode home, xdg; /* initial environment, default ENV_SANDBOX */
	struct step *steps;
	size_t nsteps;
	unsigned checks; /* bit (1u << CHECK_In) for each deciding check, see checker.h */
};

/* Where a load failed. The first error wins; the message is the whole
 * "file:line:col: text" the caller prints after "cachetorture: ". Errors about
 * the file as a whole (cannot read it, too large) have no position: line and
 * col are 0 and the text is "file: text". Lines and columns are 1-based, a
 * column counting characters (UTF-8 code points), as jansson counts them. */
struct scenario_error {
	int line, col;
	char text[512];
};

/* Loads one scenario file into *out (its previous contents are not freed).
 * 0; or -EINVAL with err filled: the file is not a valid scenario (bad JSON,
 * not UTF-8, larger than 1 MiB, nested too deep, unknown key, wrong type,
 * value out of range, a missing key, an empty or repeating list, a step kind
 * where it cannot be, an entry the fixture does not have); or another -errno
 * with err filled too: the file could not be read ("file: No such file or
 * directory"), or -ENOMEM. err may be NULL. On failure *out holds nothing to
 * release (releasing it again is harmless). Defaults are filled in: every
 * field of a loaded scenario and of its steps is meaningful as it stands. */
int scenario_load(const char *path, struct scenario *out, struct scenario_error *err);
/* Frees what sc owns and zeroes it; NULL is fine. */
void scenario_release(struct scenario *sc);
/* Frees a step the loader allocated (the ones timed_step and weighted_step
 * point to) with everything it owns; NULL is fine. */
void step_free(struct step *st);

/* The name a scenario file uses for k ("branch-switch"); NULL for no kind. */
const char *step_kind_name(enum step_kind k);
/* True for STEP_INSTALL .. STEP_RANDOM: the kinds allowed in `during` and
 * `ops`, the ones mutator_apply() takes. */
bool step_is_mutation(enum step_kind k);

/* The scenario files of dir: every "*.json" in it that is not a directory
 * (dot files left out, as a shell's glob would), as "dir/name", sorted
 * bytewise. *paths is new (NULL when *n is 0), for scenario_list_free().
 * 0 or -errno (opendir's, readdir's, -ENOMEM). */
int scenario_list_dir(const char *dir, char ***paths, size_t *n);
void scenario_list_free(char **paths, size_t n);

#endif
