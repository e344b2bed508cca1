/* fuzz_cachefile.c: libFuzzer target for the cache file reader. Any input:
 * no crash, no read outside it; and a round trip: whatever decodes must
 * re-encode to a file that decodes to the same content (path, stamp, flags,
 * view, deep records). Each input is tried twice: as it is, and with its
 * trailing checksum made right, so that mutations reach the checks behind
 * the checksum instead of all dying at it. */
#include "cachefile.h"
#include "deep.h"
#include "hash.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_deep(const struct cachefile *a, const struct cachefile *b)
{
	struct deep_record ra, rb;
	size_t pa = 0, pb = 0;
	int ka, kb;

	if (a->deep_count != b->deep_count)
		abort();
	for (;;) {
		ka = ep_deep_next(a->deep, a->deep_len, &pa, &ra);
		kb = ep_deep_next(b->deep, b->deep_len, &pb, &rb);
		if (ka != kb)
			abort();
		if (ka < 0) /* malformed records: both copies refuse them alike */
			return;
		if (!ka)
			return;
		if (ra.name_len != rb.name_len || memcmp(ra.name, rb.name, ra.name_len) ||
		    ra.dir_ok != rb.dir_ok || ra.ep_ok != rb.ep_ok ||
		    (ra.dir_ok && !ep_stamp_equal(&ra.dir, &rb.dir)) ||
		    (ra.ep_ok && !ep_stamp_equal(&ra.ep, &rb.ep)))
			abort();
	}
}

static void same(const struct cachefile *a, const struct cachefile *b)
{
	if (a->flags != b->flags || !ep_stamp_equal(&a->stamp, &b->stamp) ||
	    a->path_len != b->path_len || memcmp(a->path, b->path, a->path_len) ||
	    a->body_len != b->body_len || a->body_count != b->body_count ||
	    (a->body_len && memcmp(a->body, b->body, a->body_len)))
		abort();
	same_deep(a, b);
}

static void round_trip(const char *buf, size_t size)
{
	struct cachefile cf, back;
	char *enc;
	size_t len;

	if (ep_cachefile_decode(buf, size, &cf, NULL))
		return;
	if (ep_cachefile_encode(&cf, &enc, &len))
		abort(); /* what decodes must encode */
	if (ep_cachefile_decode(enc, len, &back, NULL))
		abort();
	same(&cf, &back);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	/* A private copy, exactly the input's size: any overread is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	round_trip(copy, size);
	if (size >= 8) {
		uint64_t h = ep_hash_wide(copy, size - 8);

		for (int i = 0; i < 8; i++)
			copy[size - 8 + i] = (char)(h >> (8 * i));
		round_trip(copy, size);
	}
	free(copy);
	return 0;
}
