/* hash.h: the checksum of cache files, and XXH64, the source of their names.
 *
 * Neither is a cryptographic hash: they detect damage (torn, truncated,
 * zeroed or flipped bytes), not forgery; forgery is kept out by the
 * ownership and mode checks in cachedir.c.
 *
 * The checksum (ep_hash_wide) is this project's own, in the style of XXH3
 * (written from its published description, not copied): eight 64-bit lanes
 * take 64-byte stripes, each lane adding the 32x32-bit product of the two
 * halves of (word XOR key) to itself and the word to another lane; keys
 * change from stripe to stripe, and every 16 stripes the lanes are
 * scrambled, so that words moved or swapped change the sum; the lanes are
 * then mixed with the length into 64 bits. A hit checksums the whole cache
 * file, so the checksum must cost well under the read that brought the file
 * in: it runs on GCC/clang generic vectors, two lanes at a time (SSE2 on the
 * x86-64 baseline) or four where the CPU has AVX2 (chosen at run time), 1.5
 * to 2.5 times as fast as XXH64, whose two dependent 64-bit multiplications
 * per 8 bytes it cannot escape.
 *
 * XXH64 is written from its published description (four 64-bit lanes over
 * 32-byte stripes, then the tail and an avalanche); it names cache files
 * (path.c) and temporaries, where inputs are short. */
#ifndef EPCACHE_HASH_H
#define EPCACHE_HASH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The checksum of len bytes at p (p may be NULL when len is 0), by the
 * fastest implementation this build and this CPU have. */
uint64_t ep_hash_wide(const void *p, size_t len);

/* The implementations behind ep_hash_wide(). The scalar one, a lane at a
 * time, is the reference: every other must equal it bit for bit
 * (tests/ref/check_hash.c). */
#define HASH_WIDE_SCALAR 0u
#define HASH_WIDE_VEC2	 1u /* two lanes per vector: generic vectors, SSE2 */
#define HASH_WIDE_AVX2	 2u /* four lanes per vector: x86-64 CPUs with AVX2 */
/* The checksum by implementation impl into *out; false (and *out unset)
 * when this build or this CPU does not have it. */
bool ep_hash_wide_by(unsigned impl, const void *p, size_t len, uint64_t *out);

/* The XXH64 digest of len bytes at p (p may be NULL when len is 0). */
uint64_t ep_hash_xxh64(const void *p, size_t len, uint64_t seed);

#endif
