/* clang-format off */
/* flaw.h: the build-time switch that turns the reference into one of its
 * broken variants. Each variant removes exactly one defence, at the line
 * that implements it, so `grep -n FLAW_ ref/` lists every flaw in place.
 *
 * The Makefile compiles every ref/ source with -DEPCACHE_FLAW=FLAW_<NAME>; a
 * plain build defines nothing and gets FLAW_NONE. FLAWED(f) is a constant
 * expression, so the compiler drops the flawed branches of the reference.
 *
 * | name               | what it changes                                          | hazard it reopens                                      |
 * |--------------------|----------------------------------------------------------|--------------------------------------------------------|
 * | stamp-after-scan   | the key and the clock are read after the scan, and the   | a change during a scan is cached under the new stamp:  |
 * |                    | pre/post comparison is gone                              | stale forever (seed: "record the observed mtime")      |
 * | cache-mtime        | valid iff the cache file's mtime >= the entry's mtime;   | a change after the scan, before the write, is hidden;  |
 * |                    | the recorded stamp is ignored                            | mtimes moving backwards are never seen                 |
 * | no-guard           | no too-new guard: the scan is cached however recent      | a change in the same timestamp granule, or a half-     |
 * |                    | the entry's timestamps                                   | written installation, is cached as final               |
 * | mtime-only-key     | only mtime (ns) is compared; dev, ino, ctime ignored     | a replaced or re-pointed entry, or a change that keeps |
 * |                    |                                                          | the mtime (touch -d, cp -p), is not seen               |
 * | whole-second-key   | mtime and ctime compared in whole seconds (guard kept)   | two states within one second share a key               |
 * | forward-only       | stale only when the mtime moved forward (dev/ino kept,   | mtimes going backwards (branch switch, restore) are    |
 * |                    | ctime ignored)                                           | taken as "still valid"                                 |
 * | in-place-write     | the cache file is rewritten in place (O_TRUNC), no       | readers see torn files; a planted hard link is written |
 * |                    | temporary, no rename                                     | through                                                |
 * | tmpdir-copy        | the temporary is made in $TMPDIR and renamed; on EXDEV   | files outside the cache tree; torn in-place copies     |
 * |                    | its bytes are copied over the final file in place        | across filesystems                                     |
 * | blocking-lock      | a miss takes a blocking flock on <cachedir>/lock around  | one stopped process makes every other one wait         |
 * |                    | scan and write                                           |                                                        |
 * | exit-on-damage     | a damaged cache file is an error: exit 1                 | a torn or corrupted cache stops the program            |
 * | leak-tmp           | the temporary is made before the write decision and is   | the cache directory grows with every abandoned write   |
 * |                    | never removed when the write is abandoned or fails       |                                                        |
 * | fail-without-home  | no usable or creatable cache directory is an error       | no HOME (daemons, sudo -H, containers) breaks programs |
 * | index-skip         | P numbers only the entries that are existing directories | answers are misattributed to the wrong path entry      |
 * | never-hits         | the reader checksums one byte fewer than the writer      | every file looks damaged: correct but never cached     |
 * | deep-dirs-only     | --deep validates directory stamps, not entry_points.txt  | an in-place edit of entry_points.txt is not seen       |
 * | waits-to-settle    | a too-new entry is waited for (sleep), rescanned, cached | queries wait up to the settle window                   |
 * | no-rescan          | a first round that raced a change (the entry's stamp     | a view that never existed: an upgrade landing mid-scan |
 * |                    | moved, a listed distribution vanished) is answered: no   | shows neither version                                  |
 * |                    | later round lists again                                  |                                                        |
 */
/* clang-format on */
#ifndef EPCACHE_FLAW_H
#define EPCACHE_FLAW_H

#define FLAW_NONE	       0
#define FLAW_STAMP_AFTER_SCAN  1
#define FLAW_CACHE_MTIME       2
#define FLAW_NO_GUARD	       3
#define FLAW_MTIME_ONLY_KEY    4
#define FLAW_WHOLE_SECOND_KEY  5
#define FLAW_FORWARD_ONLY      6
#define FLAW_IN_PLACE_WRITE    7
#define FLAW_TMPDIR_COPY       8
#define FLAW_BLOCKING_LOCK     9
#define FLAW_EXIT_ON_DAMAGE    10
#define FLAW_LEAK_TMP	       11
#define FLAW_FAIL_WITHOUT_HOME 12
#define FLAW_INDEX_SKIP	       13
#define FLAW_NEVER_HITS	       14
#define FLAW_DEEP_DIRS_ONLY    15
#define FLAW_WAITS_TO_SETTLE   16
#define FLAW_NO_RESCAN	       17
#define FLAW_COUNT	       18 /* one past the last flaw */

#ifndef EPCACHE_FLAW
#define EPCACHE_FLAW FLAW_NONE
#endif

#define FLAWED(f) (EPCACHE_FLAW == (f))

#endif
