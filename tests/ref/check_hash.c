/* check_hash.c: XXH64 against the published reference values; the cache
 * files' checksum against its own recorded values, every implementation
 * against the scalar reference, and the damage it must see. */
#include "hash.h"
#include "testutil.h"

struct vector {
	const char *in;
	size_t len;
	uint64_t seed;
	uint64_t want;
};

static const struct vector VECTORS[] = {
    {"", 0, 0, 0xEF46DB3751D8E999ULL},
    {"", 0, 1, 0xD5AFBA1336A3BE4BULL},
    {"\0", 1, 0, 0xE934A84ADB052768ULL},
    {"a", 1, 0, 0xD24EC4F1A98C6E5BULL},
    {"as", 2, 0, 0x1C330FB2D66BE179ULL},
    {"asd", 3, 0, 0x631C37CE72A97393ULL},
    {"asdf", 4, 0, 0x415872F599CEA71EULL},
    {"abc", 3, 0, 0x44BC2CF5AD770999ULL},
    {"Call me Ishmael.", 16, 0, 0x6D04390FC9D61A90ULL},
    {"Nobody inspects the spammish repetition", 39, 0, 0xFBCEA83C8A378BF1ULL},
    {"Some years ago--never mind how long precisely-", 46, 0, 0x8F26F2B986AFDC52ULL},
};

START_TEST(reference_vectors)
{
	const struct vector *v = &VECTORS[_i];

	ck_assert_msg(ep_hash_xxh64(v->in, v->len, v->seed) == v->want, "vector %d", _i);
}
END_TEST

START_TEST(null_empty)
{
	ck_assert(ep_hash_xxh64(NULL, 0, 0) == 0xEF46DB3751D8E999ULL);
}
END_TEST

/* Every tail length and alignment goes through the same lanes. */
START_TEST(unaligned_matches_aligned)
{
	unsigned char buf[256 + 8], copy[256];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (size_t len = 0; len <= 256; len++)
		for (size_t off = 1; off < 8; off++) {
			memcpy(copy, buf + off, len);
			ck_assert(ep_hash_xxh64(buf + off, len, 42) ==
				  ep_hash_xxh64(copy, len, 42));
		}
}
END_TEST

START_TEST(detects_single_bit_flips)
{
	unsigned char buf[100];
	uint64_t h;

	memset(buf, 0x5a, sizeof(buf));
	h = ep_hash_xxh64(buf, sizeof(buf), 0);
	for (size_t bit = 0; bit < sizeof(buf) * 8; bit++) {
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ck_assert(ep_hash_xxh64(buf, sizeof(buf), 0) != h);
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
}
END_TEST

/* ---- the checksum (ep_hash_wide) ---- */

/* Its values are part of the cache file format (version 2): they must not
 * change without a version bump. Input: bytes i * 131 + 7. */
static const struct {
	size_t len;
	uint64_t want;
} WIDE_VECTORS[] = {
    {0, 0x8941AC3894B5DE44ULL},	   {1, 0xB46475F442FC8AC0ULL},	  {3, 0x2AEE3ED7AE1413C8ULL},
    {8, 0x830BCA9D0C43A23AULL},	   {63, 0x71933EE4FDA41146ULL},	  {64, 0x1BA9C776585DDB55ULL},
    {65, 0xDCF6467D32033235ULL},   {1023, 0xDA4CEC894FA775AEULL}, {1024, 0x7B3E4FABDCC9AC15ULL},
    {1025, 0x4522BCD99DF56C25ULL}, {2048, 0xDB041DDE25693355ULL},
};

static void pattern(unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 131 + 7);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

START_TEST(wide_recorded_values)
{
	unsigned char buf[2048];
	uint64_t h;

	pattern(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(WIDE_VECTORS) / sizeof(WIDE_VECTORS[0]); i++) {
		ck_assert(ep_hash_wide_by(HASH_WIDE_SCALAR, buf, WIDE_VECTORS[i].len, &h));
		ck_assert_msg(h == WIDE_VECTORS[i].want, "len %zu: %016llx", WIDE_VECTORS[i].len,
			      (unsigned long long)h);
		ck_assert(ep_hash_wide(buf, WIDE_VECTORS[i].len) == WIDE_VECTORS[i].want);
	}
	ck_assert(ep_hash_wide(NULL, 0) == WIDE_VECTORS[0].want);
}
END_TEST

/* Every implementation this machine has equals the scalar reference, bit for
 * bit, on random bytes of every length up to 4096 at every alignment mod 8,
 * and on a few large inputs; ep_hash_wide() picks one of them. */
START_TEST(wide_implementations_agree)
{
	static const size_t big[] = {16384, 16384 + 64, 65536 + 7, (1u << 20) + 13, 3u << 20};
	size_t size = (3u << 20) + 8, tested = 0;
	unsigned char *buf = malloc(size);
	uint64_t seed = 0x9E3779B97F4A7C15ULL, want, got;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char)xorshift(&seed);
	for (unsigned impl = HASH_WIDE_VEC2; impl <= HASH_WIDE_AVX2; impl++) {
		if (!ep_hash_wide_by(impl, buf, 0, &got)) {
			fprintf(stderr,
				"wide_implementations_agree: implementation %u absent here\n",
				impl);
			continue;
		}
		tested++;
		for (size_t len = 0; len <= 4096; len++) {
			const unsigned char *p = buf + (len * 7 + impl) % 8;

			ck_assert(ep_hash_wide_by(HASH_WIDE_SCALAR, p, len, &want));
			ck_assert(ep_hash_wide_by(impl, p, len, &got));
			ck_assert_msg(got == want, "implementation %u, length %zu", impl, len);
			ck_assert(ep_hash_wide(p, len) == want);
		}
		for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
			ck_assert(ep_hash_wide_by(HASH_WIDE_SCALAR, buf + 1, big[i], &want));
			ck_assert(ep_hash_wide_by(impl, buf + 1, big[i], &got));
			ck_assert_msg(got == want, "implementation %u, length %zu", impl, big[i]);
		}
	}
	ck_assert_uint_ge(tested, 1); /* the generic vectors are always there with GCC/clang */
	free(buf);
}
END_TEST

/* The damage a cache file can suffer, on a file-sized buffer: every bit
 * flipped, every truncation, every 64-byte stripe zeroed, stripes and blocks
 * swapped, a tail torn to zeros, a byte appended. */
START_TEST(wide_detects_damage)
{
	enum { N = 5000 };
	unsigned char *buf = malloc(N + 1), *copy = malloc(N + 1);
	uint64_t seed = 42, h;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(copy);
	for (size_t i = 0; i < N; i++)
		buf[i] = (unsigned char)xorshift(&seed);
	h = ep_hash_wide(buf, N);
	for (size_t bit = 0; bit < N * 8; bit++) {
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ck_assert_msg(ep_hash_wide(buf, N) != h, "bit %zu", bit);
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	for (size_t len = 0; len < N; len++)
		ck_assert_msg(ep_hash_wide(buf, len) != h, "truncated to %zu", len);
	for (size_t off = 0; off + 64 <= N; off += 64) {
		memcpy(copy, buf, N);
		memset(copy + off, 0, 64);
		ck_assert_msg(ep_hash_wide(copy, N) != h, "stripe at %zu zeroed", off);
	}
	for (size_t a = 0, b = 64; b + 64 <= N; a += 64 * 3, b += 64 * 5) {
		memcpy(copy, buf, N);
		memcpy(copy + a, buf + b, 64);
		memcpy(copy + b, buf + a, 64);
		ck_assert_msg(ep_hash_wide(copy, N) != h, "stripes %zu and %zu swapped", a, b);
	}
	memcpy(copy, buf, N);
	memcpy(copy, buf + 1024, 1024);
	memcpy(copy + 1024, buf, 1024);
	ck_assert_msg(ep_hash_wide(copy, N) != h, "blocks swapped");
	for (size_t cut = 0; cut < N; cut += 512) {
		memcpy(copy, buf, N);
		memset(copy + cut, 0, N - cut);
		ck_assert_msg(ep_hash_wide(copy, N) != h, "zeros from %zu", cut);
	}
	memcpy(copy, buf, N);
	copy[N] = 0;
	ck_assert(ep_hash_wide(copy, N + 1) != h);
	free(buf);
	free(copy);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("xxh64");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, reference_vectors, 0, (int)(sizeof(VECTORS) / sizeof(VECTORS[0])));
	tcase_add_test(tc, null_empty);
	tcase_add_test(tc, unaligned_matches_aligned);
	tcase_add_test(tc, detects_single_bit_flips);
	suite_add_tcase(s, tc);
	tc = tcase_create("wide");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, wide_recorded_values);
	tcase_add_test(tc, wide_implementations_agree);
	tcase_add_test(tc, wide_detects_damage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
