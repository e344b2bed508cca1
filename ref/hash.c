/* hash.c: the cache files' checksum (ep_hash_wide), and XXH64 from its
 * published description. */
#include "hash.h"

#include <string.h>

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
#endif

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

/* ---- the checksum: eight lanes, 64-byte stripes (hash.h) ---- */

#define WIDE_STRIPE 64u		/* bytes per stripe: eight lanes of 8 */
#define WIDE_BLOCK  16u		/* stripes between two scrambles */
#define WIDE_MUL    0x9E3779B9u /* the scramble's multiplier: odd, so invertible */

/* Fixed keys: the first 48 outputs of splitmix64 seeded with "epcache1"
 * (0x6570636163686531). Any fixed values would do; these can be re-derived.
 * Stripe s of a block keys lane i with KEYS[s + i] (KEYS[0..22]); then
 * come the length key, the scramble keys, the initial lanes, the final
 * keys. */
static const uint64_t KEYS[48] = {
    0x673AD064F41E001EULL, 0xE77AA59427E851F3ULL, 0xAB8F99F4BAF5D6FCULL, 0x5B0552B54CE311E8ULL,
    0x72BF02233CA058CCULL, 0xF974C2BCB2FAEFF1ULL, 0x58E5FE195B8D9F27ULL, 0x61DA8A0A8775B990ULL,
    0x8E6FCCC6A8E76CB3ULL, 0x53853E08F29312ACULL, 0xDC026A6E3F511BC7ULL, 0xD90E18DCE29605E3ULL,
    0x2447A66757C3E01FULL, 0x489E7FE6DC7D28E2ULL, 0xB80FA5629FA16A32ULL, 0x78C944CF184A6F92ULL,
    0x8B5E89B477470E32ULL, 0x933A4BA7629AB512ULL, 0x0677F4C4F4021C97ULL, 0x3CB8DCD6AD8C721FULL,
    0x0E51729D401CA97FULL, 0xD626D84C627ADF92ULL, 0xDE5834DA5DE593CDULL, 0x2D414C247E3BA13DULL,
    0xC073ECD80739EED7ULL, 0xE11EABD1D1BB064AULL, 0xDD4855E44AA01B1FULL, 0xC7E9D4FF9442C348ULL,
    0xAC524641B4574B5AULL, 0x1134B4F1C3657B26ULL, 0x428689AA7D41B136ULL, 0x549B66B6B51BEB75ULL,
    0x8F79024093BA937BULL, 0x9CB11E1A15C45211ULL, 0x615D586C17D03A63ULL, 0x6F3CAAD4E8A009EAULL,
    0x521ACD5F94D4C40FULL, 0x2717E4683A31588CULL, 0x9A211C4CE6756C94ULL, 0xD3B045ABCB961F23ULL,
    0x89F317005D595C3BULL, 0x0B859B26FD8DE2D7ULL, 0x03509C1DD948101DULL, 0xAD12639C942B9D47ULL,
    0x4843E9E7075A8175ULL, 0xA95A5496C5E5DC88ULL, 0xE1164B3CE141DAD1ULL, 0xD147E1BFFEA40D47ULL,
};
#define KEY_LEN	   23 /* mixed with the length */
#define KEYS_SCR   24 /* 8 scramble keys */
#define KEYS_INIT  32 /* 8 initial lanes */
#define KEYS_FINAL 40 /* 8 final keys */

/* splitmix64's finalizer: a bijection that spreads every bit over all 64. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Each lane through its own bijection, then the length: a difference in one
 * lane alone always shows; differences in several cancel with odds 2^-64. */
static uint64_t wide_final(const uint64_t acc[8], size_t len)
{
	uint64_t h = mix64((uint64_t)len ^ KEYS[KEY_LEN]);

	for (int i = 0; i < 8; i++)
		h += mix64(acc[i] ^ KEYS[KEYS_FINAL + i]);
	return mix64(h);
}

/* One stripe, lane by lane. The word goes to lane i+2, its keyed product to
 * lane i: a product is 0 for many words (whenever one half of word^key is),
 * but the word itself never vanishes, so a change in one word always
 * changes the lanes. */
static void stripe_scalar(uint64_t acc[8], const unsigned char *p, const uint64_t *key)
{
	for (int i = 0; i < 8; i++) {
		uint64_t d = load64(p + 8 * i), x = d ^ key[i];

		acc[i] += (x & 0xFFFFFFFFu) * (x >> 32);
		acc[(i + 2) & 7] += d;
	}
}

/* After every whole block: a bijection of each lane (xorshift, key, odd
 * multiplier), so that blocks in another order give other lanes; within a
 * block the keys move with the stripe. */
static void scramble_scalar(uint64_t acc[8])
{
	for (int i = 0; i < 8; i++)
		acc[i] = (acc[i] ^ (acc[i] >> 31) ^ KEYS[KEYS_SCR + i]) * WIDE_MUL;
}

/* The n whole stripes at p, into acc; every implementation below computes
 * exactly this. */
static void stripes_scalar(uint64_t acc[8], const unsigned char *p, size_t n)
{
	for (size_t t = 0; t < n; t++) {
		stripe_scalar(acc, p + t * WIDE_STRIPE, KEYS + t % WIDE_BLOCK);
		if (t % WIDE_BLOCK == WIDE_BLOCK - 1)
			scramble_scalar(acc);
	}
}

#if defined(__GNUC__) && !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
/* Little-endian only: a vector load must give the lanes load64() gives. */
#define WIDE_VECTORS 1
typedef uint64_t u64x2 __attribute__((vector_size(16)));

static u64x2 load2(const void *p)
{
	u64x2 v;

	memcpy(&v, p, sizeof(v)); /* one unaligned load */
	return v;
}

/* (x mod 2^32) * (x div 2^32) in each lane: one pmuludq with SSE2. GCC 12
 * emulates a full 64-bit multiply for the generic form (three pmuludq), so
 * SSE2 is asked for by name where it is there. */
static u64x2 mul_halves2(u64x2 x)
{
#if defined(__SSE2__)
	return (u64x2)_mm_mul_epu32((__m128i)x, (__m128i)(x >> 32));
#else
	return (x & 0xFFFFFFFFu) * (x >> 32);
#endif
}

/* x * WIDE_MUL in each lane, as two 32x32-bit products: GCC would
 * otherwise multiply by shifts and adds, a long chain at every block. */
static u64x2 mul_const2(u64x2 x)
{
#if defined(__SSE2__)
	const __m128i m = _mm_set1_epi64x(WIDE_MUL);

	return (u64x2)_mm_mul_epu32((__m128i)x, m) +
	       ((u64x2)_mm_mul_epu32((__m128i)(x >> 32), m) << 32);
#else
	return x * WIDE_MUL;
#endif
}

static u64x2 scramble2(u64x2 a, const uint64_t *key)
{
	return mul_const2(a ^ (a >> 31) ^ load2(key));
}

/* Two lanes at a time: vector j holds lanes 2j and 2j+1, so lane i+2, where
 * a word goes, is vector j+1. */
static void stripes_vec2(uint64_t lanes[8], const unsigned char *p, size_t n)
{
	u64x2 a0 = load2(lanes), a1 = load2(lanes + 2), a2 = load2(lanes + 4),
	      a3 = load2(lanes + 6);

	for (size_t t = 0; t < n; t++) {
		const unsigned char *q = p + t * WIDE_STRIPE;
		const uint64_t *key = KEYS + t % WIDE_BLOCK;
		u64x2 d0 = load2(q), d1 = load2(q + 16), d2 = load2(q + 32), d3 = load2(q + 48);

		a0 += mul_halves2(d0 ^ load2(key)) + d3;
		a1 += mul_halves2(d1 ^ load2(key + 2)) + d0;
		a2 += mul_halves2(d2 ^ load2(key + 4)) + d1;
		a3 += mul_halves2(d3 ^ load2(key + 6)) + d2;
		if (t % WIDE_BLOCK == WIDE_BLOCK - 1) {
			a0 = scramble2(a0, KEYS + KEYS_SCR);
			a1 = scramble2(a1, KEYS + KEYS_SCR + 2);
			a2 = scramble2(a2, KEYS + KEYS_SCR + 4);
			a3 = scramble2(a3, KEYS + KEYS_SCR + 6);
		}
	}
	memcpy(lanes, &a0, 16), memcpy(lanes + 2, &a1, 16);
	memcpy(lanes + 4, &a2, 16), memcpy(lanes + 6, &a3, 16);
}
#endif

#if defined(WIDE_VECTORS) && defined(__x86_64__)
/* Four lanes at a time where the CPU has AVX2 (chosen at run time: the
 * build stays on the x86-64 baseline): twice the work per instruction, which
 * the hit needs to stay near the cost of its read. */
#define WIDE_AVX2 1
typedef uint64_t u64x4 __attribute__((vector_size(32)));

__attribute__((target("avx2"))) static u64x4 load4(const void *p)
{
	u64x4 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

__attribute__((target("avx2"))) static u64x4 mul_halves4(u64x4 x)
{
	return (u64x4)_mm256_mul_epu32((__m256i)x, (__m256i)(x >> 32));
}

__attribute__((target("avx2"))) static u64x4 scramble4(u64x4 a, const uint64_t *key)
{
	const __m256i m = _mm256_set1_epi64x(WIDE_MUL);

	a ^= (a >> 31) ^ load4(key);
	return (u64x4)_mm256_mul_epu32((__m256i)a, m) +
	       ((u64x4)_mm256_mul_epu32((__m256i)(a >> 32), m) << 32);
}

/* Lanes 0-3 in a0, 4-7 in a1; lane i+2 of the words is a rotation by two
 * across the pair. */
__attribute__((target("avx2"))) static void stripes_avx2(uint64_t lanes[8], const unsigned char *p,
							 size_t n)
{
	u64x4 a0 = load4(lanes), a1 = load4(lanes + 4);

	for (size_t t = 0; t < n; t += WIDE_BLOCK) {
		size_t m = n - t < WIDE_BLOCK ? n - t : WIDE_BLOCK;
		u64x4 w0 = {0, 0, 0, 0}, w1 = {0, 0, 0, 0};

		for (size_t s = 0; s < m; s++) {
			const unsigned char *q = p + (t + s) * WIDE_STRIPE;
			u64x4 d0 = load4(q), d1 = load4(q + 32);

			a0 += mul_halves4(d0 ^ load4(KEYS + s));
			a1 += mul_halves4(d1 ^ load4(KEYS + s + 4));
			w0 += d0, w1 += d1;
		}
		a0 += __builtin_shufflevector(w1, w0, 2, 3, 4, 5); /* words 6, 7, 0, 1 */
		a1 += __builtin_shufflevector(w0, w1, 2, 3, 4, 5); /* words 2, 3, 4, 5 */
		if (m < WIDE_BLOCK)
			break;
		a0 = scramble4(a0, KEYS + KEYS_SCR);
		a1 = scramble4(a1, KEYS + KEYS_SCR + 4);
	}
	memcpy(lanes, &a0, 32), memcpy(lanes + 4, &a1, 32);
}
#endif

bool ep_hash_wide_by(unsigned impl, const void *data, size_t len, uint64_t *out)
{
	const unsigned char *p = data;
	unsigned char last[WIDE_STRIPE];
	uint64_t acc[8];
	size_t full = len / WIDE_STRIPE;

	memcpy(acc, KEYS + KEYS_INIT, sizeof(acc));
	switch (impl) {
	case HASH_WIDE_SCALAR:
		stripes_scalar(acc, p, full);
		break;
#ifdef WIDE_VECTORS
	case HASH_WIDE_VEC2:
		stripes_vec2(acc, p, full);
		break;
#endif
#ifdef WIDE_AVX2
	case HASH_WIDE_AVX2:
		__builtin_cpu_init(); /* a no-op once done; needed if called from a constructor */
		if (!__builtin_cpu_supports("avx2"))
			return false;
		stripes_avx2(acc, p, full);
		break;
#endif
	default:
		return false;
	}
	/* The tail, zero-padded to a stripe: the length in the final mix tells
	 * "ab" from "ab\0". */
	if (len % WIDE_STRIPE) {
		memset(last, 0, sizeof(last));
		memcpy(last, p + full * WIDE_STRIPE, len % WIDE_STRIPE);
		stripe_scalar(acc, last, KEYS + full % WIDE_BLOCK);
	}
	*out = wide_final(acc, len);
	return true;
}

uint64_t ep_hash_wide(const void *data, size_t len)
{
	uint64_t h;

#ifdef WIDE_AVX2
	if (ep_hash_wide_by(HASH_WIDE_AVX2, data, len, &h))
		return h;
#endif
#ifdef WIDE_VECTORS
	ep_hash_wide_by(HASH_WIDE_VEC2, data, len, &h);
#else
	ep_hash_wide_by(HASH_WIDE_SCALAR, data, len, &h);
#endif
	return h;
}

/* ---- XXH64 ---- */

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
