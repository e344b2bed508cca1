/* cachefile.c: encoding and decoding cache files (format in cachefile.h). */
#include "cachefile.h"
#include "flaw.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char MAGIC[8] = {0x89, 'E', 'P', 'C', '\r', '\n', 0x1a, '\n'};

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put_head(unsigned char *h, const struct cachefile *cf)
{
	memcpy(h, MAGIC, 8);
	put32(h + 8, CACHEFILE_VERSION);
	put32(h + 12, cf->flags);
	put64(h + 16, cf->stamp.dev);
	put64(h + 24, cf->stamp.ino);
	put64(h + 32, (uint64_t)cf->stamp.mtime_ns);
	put64(h + 40, (uint64_t)cf->stamp.ctime_ns);
	put32(h + 48, (uint32_t)cf->path_len);
	put32(h + 52, (uint32_t)cf->deep_count);
	put64(h + 56, cf->body_len);
	put64(h + 64, cf->body_count);
	put64(h + 72, cf->deep_len);
}

int ep_cachefile_encode(const struct cachefile *cf, char **out, size_t *out_len)
{
	size_t total;
	unsigned char *b;

	*out = NULL;
	*out_len = 0;
	/* Sizes first, each bounded before they are added: nothing overflows. */
	if (cf->path_len >= CACHEFILE_PATH_MAX || cf->body_len > CACHEFILE_MAX ||
	    cf->deep_len > CACHEFILE_MAX || cf->deep_count > UINT32_MAX)
		return -EFBIG;
	total = CACHEFILE_HEAD + cf->path_len + cf->body_len + cf->deep_len + 8;
	if (total > CACHEFILE_MAX)
		return -EFBIG;
	if (!cf->path_len || (cf->body_len && cf->body[cf->body_len - 1] != '\n'))
		return -EINVAL;
	b = malloc(total);
	if (!b)
		return -ENOMEM;
	put_head(b, cf);
	memcpy(b + CACHEFILE_HEAD, cf->path, cf->path_len);
	if (cf->body_len)
		memcpy(b + CACHEFILE_HEAD + cf->path_len, cf->body, cf->body_len);
	if (cf->deep_len)
		memcpy(b + CACHEFILE_HEAD + cf->path_len + cf->body_len, cf->deep, cf->deep_len);
	put64(b + total - 8, ep_hash_wide(b, total - 8));
	*out = (char *)b;
	*out_len = total;
	return 0;
}

static int damaged(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EBADMSG;
}

/* The lengths must add up to the file size exactly: anything else is a file
 * cut short, grown, or not written by this format. */
static int decode_lengths(const unsigned char *b, size_t len, struct cachefile *cf)
{
	uint64_t path_len = get32(b + 48), body_len = get64(b + 56), deep_len = get64(b + 72);
	uint64_t room = len - CACHEFILE_HEAD - 8;

	if (!path_len || path_len >= CACHEFILE_PATH_MAX || body_len > room || deep_len > room ||
	    path_len + body_len + deep_len != room)
		return -1;
	cf->path_len = (size_t)path_len;
	cf->body_len = (size_t)body_len;
	cf->deep_len = (size_t)deep_len;
	cf->body_count = (size_t)get64(b + 64);
	cf->deep_count = get32(b + 52);
	cf->path = (const char *)b + CACHEFILE_HEAD;
	cf->body = cf->path + cf->path_len;
	cf->deep = (const unsigned char *)cf->body + cf->body_len;
	return 0;
}

/* The body is not re-parsed: the checksum already proves these are the bytes
 * the writer wrote, and a recount of its lines would cost more than the read
 * (one memchr call per line). The cheap checks keep the view's invariants
 * that readers rely on: LF-terminated, and a count that fits. */
static int check_body(const struct cachefile *cf)
{
	if (memchr(cf->path, '\0', cf->path_len))
		return -1;
	if (!cf->body_len)
		return cf->body_count ? -1 : 0;
	if (cf->body[cf->body_len - 1] != '\n' || !cf->body_count || cf->body_count > cf->body_len)
		return -1;
	return 0;
}

/* Deep records are walked only by the queries that use them (ep_deep_validate()
 * refuses malformed ones): a default query served from a deep file pays
 * nothing for them. Here only what costs nothing is checked. */
static int check_deep(const struct cachefile *cf)
{
	if (!(cf->flags & CACHEFILE_DEEP))
		return cf->deep_len || cf->deep_count ? -1 : 0;
	return (cf->deep_len == 0) == (cf->deep_count == 0) ? 0 : -1;
}

int ep_cachefile_decode(const char *buf, size_t len, struct cachefile *cf, const char **why)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t summed = len - 8;

	memset(cf, 0, sizeof(*cf));
	if (len < CACHEFILE_MIN)
		return damaged(why, "too short");
	if (len > CACHEFILE_MAX)
		return damaged(why, "too large");
	if (memcmp(b, MAGIC, 8))
		return damaged(why, "bad magic");
	if (get32(b + 8) != CACHEFILE_VERSION)
		return damaged(why, "bad version");
	cf->flags = get32(b + 12);
	if (cf->flags & ~CACHEFILE_DEEP)
		return damaged(why, "bad flags");
	if (decode_lengths(b, len, cf))
		return damaged(why, "bad length");
	if (FLAWED(FLAW_NEVER_HITS)) /* flaw: one byte short, so every file looks damaged */
		summed--;
	/* The checksum before any content is believed: a torn write or a flipped
	 * bit anywhere makes the whole file a miss, never a wrong answer. */
	if (ep_hash_wide(b, summed) != get64(b + len - 8))
		return damaged(why, "bad checksum");
	cf->stamp.dev = get64(b + 16);
	cf->stamp.ino = get64(b + 24);
	cf->stamp.mtime_ns = (int64_t)get64(b + 32);
	cf->stamp.ctime_ns = (int64_t)get64(b + 40);
	if (check_body(cf))
		return damaged(why, "bad body");
	if (check_deep(cf))
		return damaged(why, "bad deep records");
	return 0;
}
