/* check_hash.c: XXH64 against the published reference values. */
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
			ck_assert(ep_hash_xxh64(buf + off, len, 42) == ep_hash_xxh64(copy, len, 42));
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
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
