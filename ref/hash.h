/* hash.h: XXH64, the checksum of cache files and the source of their names.
 *
 * Written from the published XXH64 description (four 64-bit lanes over
 * 32-byte stripes, then the tail and an avalanche), not copied from any
 * implementation. It runs at memory speed, which the warm hit needs: a hit
 * checksums the whole cache file, and a byte-at-a-time hash would cost more
 * than reading the file. Not a cryptographic hash: it detects damage (torn,
 * truncated, zeroed or flipped bytes), not forgery; forgery is kept out by
 * the ownership and mode checks in cachedir.c. */
#ifndef EPCACHE_HASH_H
#define EPCACHE_HASH_H
#include <stddef.h>
#include <stdint.h>

/* The XXH64 digest of len bytes at p (p may be NULL when len is 0). */
uint64_t ep_hash_xxh64(const void *p, size_t len, uint64_t seed);

#endif
