/* deep.h: the strict level's records (PROTOCOL.md section 6, `--deep`).
 *
 * The default level trusts that everything below a path entry changes only
 * with the entry's own stamp, or within the install window after it; an edit
 * of an entry_points.txt inside an old distribution breaks that trust. At the
 * strict level the cache also records, for every candidate name (a child
 * named *.dist-info or *.egg-info without TAB, LF or CR, whatever it is), the
 * stamp of that child and of child/entry_points.txt, both following links, or
 * the fact that the stat failed. A hit then requires each to be unchanged.
 *
 * Records live serialised in a deep_list (the same bytes the cache file
 * stores), so recording, storing and validating share one format:
 *   u16 name_len, u8 dir_ok, u8 ep_ok, 4 x u64 dir stamp, 4 x u64 ep stamp,
 *   name bytes; integers little-endian; a failed stat's stamp is all zero. */
#ifndef EPCACHE_DEEP_H
#define EPCACHE_DEEP_H
#include "stamp.h"

#include <stdbool.h>
#include <stddef.h>

#define DEEP_NAME_MAX 255 /* NAME_MAX: a readdir name never exceeds it */

struct deep_record {
	const char *name; /* borrowed */
	size_t name_len;
	bool dir_ok; /* stat(name) succeeded and dir holds its stamp */
	bool ep_ok;  /* stat(name/entry_points.txt) succeeded */
	struct stamp dir;
	struct stamp ep;
};

struct deep_list {
	unsigned char *buf; /* owned, serialised records */
	size_t len, cap;
	size_t count;
};

void ep_deep_list_init(struct deep_list *l);
void ep_deep_list_release(struct deep_list *l);
/* Appends r. 0, -ENAMETOOLONG (name over DEEP_NAME_MAX) or -ENOMEM. */
int ep_deep_list_add(struct deep_list *l, const struct deep_record *r);

/* Takes the two stats of a candidate, name relative to dirfd (name_len bytes,
 * NUL-terminated at name[name_len]): name/entry_points.txt first, then name
 * itself unless ep_only. Failed stats are recorded as such; only a name too
 * long to form the path fails: -ENAMETOOLONG. */
int ep_deep_take(int dirfd, const char *name, size_t name_len, struct deep_record *r, bool ep_only);

/* Decodes the record at *pos of buf (len bytes) into r (name borrowed from
 * buf) and advances *pos. 1 when a record was read, 0 at the end, -EBADMSG
 * when the bytes are not a well-formed record. */
int ep_deep_next(const unsigned char *buf, size_t len, size_t *pos, struct deep_record *r);

/* True when every stamp in r is settled (ep_stamp_settled()). */
bool ep_deep_record_settled(const struct deep_record *r, int64_t now_ns, int64_t settle_ns);

/* Checks count records in buf against the filesystem, in order, relative to
 * dirfd. 1 when all are unchanged, 0 when one changed, -EBADMSG when the
 * records are malformed, -ENAMETOOLONG never (names were checked on add). */
int ep_deep_validate(int dirfd, const unsigned char *buf, size_t len, size_t count);

#endif
