/* cachefile.h: the cache file format, encoded and decoded in memory.
 *
 * One file per path entry. Little-endian, versioned, self-checking:
 *
 *   off  size
 *     0     8  magic "\x89EPC\r\n\x1a\n" (catches text-mode mangling too)
 *     8     4  version (CACHEFILE_VERSION)
 *    12     4  flags (CACHEFILE_DEEP; any other bit: not ours)
 *    16    32  the path entry's stamp: dev, ino, mtime ns, ctime ns
 *    48     4  path length          52  4  deep record count
 *    56     8  body length          64  8  body line count
 *    72     8  deep records length
 *    80        path bytes, body bytes, deep record bytes (deep.h)
 *   end-8   8  ep_hash_wide() (hash.h) of every byte before it
 *
 * The body is the entry's view without the index: "D\tG\tN\tV\n" lines
 * already sorted, so a hit prints it as it is, each line after "P\t".
 *
 * Every length is checked against the file size before anything is used, and
 * the checksum covers everything, so a truncated, torn, zeroed, bit-flipped,
 * foreign-version or oversized file decodes as damaged (never as a view): the
 * caller treats it as a miss. */
#ifndef EPCACHE_CACHEFILE_H
#define EPCACHE_CACHEFILE_H
#include "stamp.h"

#include <stddef.h>
#include <stdint.h>

#define CACHEFILE_VERSION  2u		 /* 1: the same with an XXH64 checksum */
#define CACHEFILE_DEEP	   1u		 /* carries deep records */
#define CACHEFILE_HEAD	   80u		 /* bytes before the path */
#define CACHEFILE_MIN	   (80u + 1 + 8) /* header, a 1-byte path, checksum */
#define CACHEFILE_MAX	   (64u << 20)	 /* bigger files are neither written nor read */
#define CACHEFILE_PATH_MAX 4096u	 /* PATH_MAX, with its NUL */

struct cachefile {
	unsigned flags;
	struct stamp stamp;
	const char *path; /* borrowed, path_len bytes, no NUL inside */
	size_t path_len;
	const char *body; /* borrowed: sorted "D\tG\tN\tV\n" lines */
	size_t body_len;
	size_t body_count;	   /* lines in body */
	const unsigned char *deep; /* borrowed: serialised deep records */
	size_t deep_len;
	size_t deep_count;
};

/* Encodes cf into a new buffer: *out (malloc'd, owned by the caller), *out_len
 * bytes. 0, -EFBIG (the file would exceed CACHEFILE_MAX, or the path
 * CACHEFILE_PATH_MAX),
 * -EINVAL (an empty path, or a body not LF-terminated) or -ENOMEM. */
int ep_cachefile_encode(const struct cachefile *cf, char **out, size_t *out_len);

/* Decodes len bytes at buf into cf, whose slices then borrow from buf.
 * 0, or -EBADMSG when the bytes are not an intact file of this version;
 * *why (optional) then names the first check that failed: "too short",
 * "too large", "bad magic", "bad version", "bad flags", "bad length",
 * "bad checksum", "bad body" or "bad deep records". The deep records'
 * structure is left to ep_deep_validate(), which refuses malformed ones. */
int ep_cachefile_decode(const char *buf, size_t len, struct cachefile *cf, const char **why);

#endif
