/* hash.c: XXH64 from its published description. */
#include "hash.h"

#include <string.h>

static const uint64_t P1 = 0x9E3779B185EBCA87ULL;
static const uint64_t P2 = 0xC2B2AE3D27D4EB4FULL;
static const uint64_t P3 = 0x165667B19E3779F9ULL;
static const uint64_t P4 = 0x85EBCA77C2B2AE63ULL;
static const uint64_t P5 = 0x27D4EB2F165667C5ULL;

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Lanes are little-endian by definition; memcpy lets unaligned input be read
 * in one load on the machines that allow it. */
static uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint64_t load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static uint64_t round64(uint64_t acc, uint64_t lane)
{
	acc += lane * P2;
	acc = rotl(acc, 31);
	return acc * P1;
}

static uint64_t merge(uint64_t acc, uint64_t v)
{
	acc ^= round64(0, v);
	return acc * P1 + P4;
}

static uint64_t avalanche(uint64_t acc)
{
	acc ^= acc >> 33;
	acc *= P2;
	acc ^= acc >> 29;
	acc *= P3;
	acc ^= acc >> 32;
	return acc;
}

static uint64_t stripes(const unsigned char **pp, const unsigned char *end, uint64_t seed)
{
	const unsigned char *p = *pp;
	uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
	uint64_t acc;

	do {
		v1 = round64(v1, load64(p));
		v2 = round64(v2, load64(p + 8));
		v3 = round64(v3, load64(p + 16));
		v4 = round64(v4, load64(p + 24));
		p += 32;
	} while ((size_t)(end - p) >= 32);
	acc = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
	acc = merge(acc, v1);
	acc = merge(acc, v2);
	acc = merge(acc, v3);
	acc = merge(acc, v4);
	*pp = p;
	return acc;
}

uint64_t ep_hash_xxh64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	const unsigned char *end;
	uint64_t acc;

	if (!len) /* no bytes to read (data may be NULL, and NULL + 0 is undefined) */
		return avalanche(seed + P5);
	end = p + len;

	if (len >= 32)
		acc = stripes(&p, end, seed);
	else
		acc = seed + P5;
	acc += (uint64_t)len;
	for (; end - p >= 8; p += 8) {
		acc ^= round64(0, load64(p));
		acc = rotl(acc, 27) * P1 + P4;
	}
	if (end - p >= 4) {
		acc ^= load32(p) * P1;
		acc = rotl(acc, 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++) {
		acc ^= *p * P5;
		acc = rotl(acc, 11) * P1;
	}
	return avalanche(acc);
}
