/* hash.c: FNV-1a, 64-bit, with a final avalanche. Speed is adequate for the
 * checker (answers are small); what matters is that streaming equals one-shot. */
#include "hash.h"

void hash64_init(struct hash64 *s)
{
	s->h = 0xcbf29ce484222325ULL;
}

void hash64_update(struct hash64 *s, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = s->h;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	s->h = h;
}

uint64_t hash64_final(const struct hash64 *s)
{
	/* FNV alone mixes the last bytes poorly; finish with a murmur-style mix. */
	uint64_t h = s->h;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t hash64(const void *p, size_t n)
{
	struct hash64 s;

	hash64_init(&s);
	hash64_update(&s, p, n);
	return hash64_final(&s);
}
