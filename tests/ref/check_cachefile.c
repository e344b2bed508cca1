/* check_cachefile.c: the cache file format: round trips, and every kind of
 * damage recognised as such (never decoded as a view). */
#include "cachefile.h"
#include "deep.h"
#include "hash.h"
#include "testutil.h"

static const char BODY[] = "a-1.dist-info\tconsole_scripts\ta\ta:main\n"
			   "b-1.dist-info\tg\tn\tv\n";

static void sample(struct cachefile *cf, struct deep_list *dl)
{
	struct deep_record r = {.name = "a-1.dist-info", .name_len = 13, .dir_ok = 1, .ep_ok = 1};

	memset(cf, 0, sizeof(*cf));
	r.dir = (struct stamp){1, 2, 3, 4};
	r.ep = (struct stamp){5, 6, -7, 8};
	ep_deep_list_init(dl);
	ck_assert_int_eq(ep_deep_list_add(dl, &r), 0);
	r.name = "broken.dist-info";
	r.name_len = 16;
	r.dir_ok = r.ep_ok = 0;
	ck_assert_int_eq(ep_deep_list_add(dl, &r), 0);
	cf->flags = CACHEFILE_DEEP;
	cf->stamp = (struct stamp){0x1122334455667788ULL, 42, 1700000000123456789LL, -5};
	cf->path = "/usr/lib/python3/dist-packages";
	cf->path_len = strlen(cf->path);
	cf->body = BODY;
	cf->body_len = strlen(BODY);
	cf->body_count = 2;
	cf->deep = dl->buf;
	cf->deep_len = dl->len;
	cf->deep_count = dl->count;
}

/* Recomputes the trailing checksum, so that a test reaches the checks behind it. */
static void reseal(char *buf, size_t len)
{
	uint64_t h = ep_hash_wide(buf, len - 8);

	for (int i = 0; i < 8; i++)
		buf[len - 8 + i] = (char)(h >> (8 * i));
}

static void put32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

START_TEST(round_trip_deep)
{
	struct cachefile cf, back;
	struct deep_list dl;
	struct deep_record r;
	char *buf;
	size_t len, pos = 0;

	sample(&cf, &dl);
	ck_assert_int_eq(ep_cachefile_encode(&cf, &buf, &len), 0);
	ck_assert_uint_eq(len, CACHEFILE_HEAD + cf.path_len + cf.body_len + cf.deep_len + 8);
	ck_assert_int_eq(ep_cachefile_decode(buf, len, &back, NULL), 0);
	ck_assert_uint_eq(back.flags, CACHEFILE_DEEP);
	ck_assert(ep_stamp_equal(&back.stamp, &cf.stamp));
	ck_assert_uint_eq(back.path_len, cf.path_len);
	ck_assert(!memcmp(back.path, cf.path, cf.path_len));
	ck_assert_uint_eq(back.body_len, cf.body_len);
	ck_assert(!memcmp(back.body, BODY, cf.body_len));
	ck_assert_uint_eq(back.body_count, 2);
	ck_assert_uint_eq(back.deep_count, 2);
	ck_assert_int_eq(ep_deep_next(back.deep, back.deep_len, &pos, &r), 1);
	ck_assert_uint_eq(r.name_len, 13);
	ck_assert(r.dir_ok && r.ep_ok && r.ep.mtime_ns == -7 && r.dir.ino == 2);
	ck_assert_int_eq(ep_deep_next(back.deep, back.deep_len, &pos, &r), 1);
	ck_assert(!r.dir_ok && !r.ep_ok);
	ck_assert_int_eq(ep_deep_next(back.deep, back.deep_len, &pos, &r), 0);
	free(buf);
	ep_deep_list_release(&dl);
}
END_TEST

START_TEST(round_trip_empty_view)
{
	struct cachefile cf = {.path = "/x", .path_len = 2}, back;
	char *buf;
	size_t len;

	ck_assert_int_eq(ep_cachefile_encode(&cf, &buf, &len), 0);
	ck_assert_uint_eq(len, CACHEFILE_HEAD + 2 + 8);
	ck_assert_int_eq(ep_cachefile_decode(buf, len, &back, NULL), 0);
	ck_assert_uint_eq(back.body_len, 0);
	ck_assert_uint_eq(back.body_count, 0);
	ck_assert_uint_eq(back.flags, 0);
	free(buf);
}
END_TEST

START_TEST(encode_refuses_bad_input)
{
	struct cachefile cf = {.path = "", .path_len = 0};
	char *buf;
	size_t len;

	ck_assert_int_eq(ep_cachefile_encode(&cf, &buf, &len), -EINVAL);
	cf.path = "/x";
	cf.path_len = 2;
	cf.body = "no newline";
	cf.body_len = 10;
	cf.body_count = 1;
	ck_assert_int_eq(ep_cachefile_encode(&cf, &buf, &len), -EINVAL);
	cf.body_len = (size_t)CACHEFILE_MAX; /* checked before the body is read */
	cf.body = "x\n";
	ck_assert_int_eq(ep_cachefile_encode(&cf, &buf, &len), -EFBIG);
}
END_TEST

static void encoded(char **buf, size_t *len)
{
	struct cachefile cf;
	struct deep_list dl;

	sample(&cf, &dl);
	ck_assert_int_eq(ep_cachefile_encode(&cf, buf, len), 0);
	ep_deep_list_release(&dl);
}

static void expect_damage(const char *buf, size_t len, const char *why_want)
{
	struct cachefile cf;
	const char *why = NULL;

	ck_assert_int_eq(ep_cachefile_decode(buf, len, &cf, &why), -EBADMSG);
	if (why_want)
		ck_assert_str_eq(why, why_want);
}

/* Every truncation, whatever the length class: inside the header, the path,
 * the body, the deep records, the checksum. */
START_TEST(truncated_at_every_length)
{
	char *buf, *copy;
	size_t len;

	encoded(&buf, &len);
	for (size_t n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		expect_damage(copy, n, NULL);
		free(copy);
	}
	free(buf);
}
END_TEST

START_TEST(appended_bytes)
{
	char *buf;
	size_t len;

	encoded(&buf, &len);
	buf = realloc(buf, len + 3);
	memcpy(buf + len, "xyz", 3);
	expect_damage(buf, len + 3, NULL);
	free(buf);
}
END_TEST

START_TEST(zeroed)
{
	char *buf;
	size_t len;

	encoded(&buf, &len);
	memset(buf, 0, len);
	expect_damage(buf, len, "bad magic");
	free(buf);
}
END_TEST

/* A torn write: the first part of the new file, the rest zeros (as after a
 * crash with a delayed allocation). */
START_TEST(torn_tail_zeroed)
{
	char *buf;
	size_t len;

	encoded(&buf, &len);
	for (size_t cut = 8; cut < len; cut += 7) {
		char *copy = malloc(len);

		memcpy(copy, buf, cut);
		memset(copy + cut, 0, len - cut);
		expect_damage(copy, len, NULL);
		free(copy);
	}
	free(buf);
}
END_TEST

START_TEST(bit_flip_anywhere)
{
	char *buf;
	size_t len;

	encoded(&buf, &len);
	for (size_t off = 0; off < len; off++)
		for (int bit = 0; bit < 8; bit += 3) {
			buf[off] ^= (char)(1 << bit);
			expect_damage(buf, len, NULL);
			buf[off] ^= (char)(1 << bit);
		}
	free(buf);
}
END_TEST

START_TEST(wrong_magic_version_flags)
{
	char *buf;
	size_t len;

	encoded(&buf, &len);
	buf[1] = 'X';
	reseal(buf, len);
	expect_damage(buf, len, "bad magic");
	buf[1] = 'E';
	put32(buf + 8, CACHEFILE_VERSION + 1);
	reseal(buf, len);
	expect_damage(buf, len, "bad version");
	put32(buf + 8, 0);
	reseal(buf, len);
	expect_damage(buf, len, "bad version");
	put32(buf + 8, CACHEFILE_VERSION);
	put32(buf + 12, 0x80);
	reseal(buf, len);
	expect_damage(buf, len, "bad flags");
	free(buf);
}
END_TEST

/* A file of version 1, sealed as version 1 sealed them (XXH64): refused by
 * its version, never read as this version's. */
START_TEST(version_1_refused)
{
	char *buf;
	size_t len;
	uint64_t h;

	encoded(&buf, &len);
	put32(buf + 8, 1);
	h = ep_hash_xxh64(buf, len - 8, 0);
	for (int i = 0; i < 8; i++)
		buf[len - 8 + i] = (char)(h >> (8 * i));
	expect_damage(buf, len, "bad version");
	free(buf);
}
END_TEST

/* Sealed with a valid checksum but inconsistent inside: still refused. */
START_TEST(length_mismatch)
{
	char *buf;
	size_t len;

	encoded(&buf, &len);
	put32(buf + 48, 5); /* path length */
	reseal(buf, len);
	expect_damage(buf, len, "bad length");
	free(buf);
	encoded(&buf, &len);
	put32(buf + 48, 0);
	reseal(buf, len);
	expect_damage(buf, len, "bad length");
	free(buf);
	encoded(&buf, &len);
	buf[56 + 7] = 0x7f; /* a huge body length */
	reseal(buf, len);
	expect_damage(buf, len, "bad length");
	free(buf);
}
END_TEST

START_TEST(body_and_deep_checked)
{
	char *buf;
	size_t len, body_off;

	encoded(&buf, &len);
	buf[64] = 0; /* no lines in a body that has some */
	reseal(buf, len);
	expect_damage(buf, len, "bad body");
	free(buf);
	encoded(&buf, &len);
	buf[64 + 6] = 1; /* more lines than bytes */
	reseal(buf, len);
	expect_damage(buf, len, "bad body");
	free(buf);
	encoded(&buf, &len);
	body_off = CACHEFILE_HEAD + strlen("/usr/lib/python3/dist-packages");
	buf[body_off + strlen(BODY) - 1] = 'x'; /* last LF gone */
	reseal(buf, len);
	expect_damage(buf, len, "bad body");
	free(buf);
	encoded(&buf, &len);
	put32(buf + 52, 0); /* deep records without a count */
	reseal(buf, len);
	expect_damage(buf, len, "bad deep records");
	free(buf);
	encoded(&buf, &len);
	put32(buf + 12, 0); /* deep records in a file that says it has none */
	reseal(buf, len);
	expect_damage(buf, len, "bad deep records");
	free(buf);
}
END_TEST

START_TEST(oversized)
{
	size_t big = (size_t)CACHEFILE_MAX + 1;
	char *buf = calloc(1, big);

	ck_assert_ptr_nonnull(buf);
	expect_damage(buf, big, "too large");
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cachefile");
	TCase *rt = tcase_create("round trip"), *dmg = tcase_create("damage");
	SRunner *sr;
	int failed;

	tcase_add_test(rt, round_trip_deep);
	tcase_add_test(rt, round_trip_empty_view);
	tcase_add_test(rt, encode_refuses_bad_input);
	tcase_add_test(dmg, truncated_at_every_length);
	tcase_add_test(dmg, appended_bytes);
	tcase_add_test(dmg, zeroed);
	tcase_add_test(dmg, torn_tail_zeroed);
	tcase_add_test(dmg, bit_flip_anywhere);
	tcase_add_test(dmg, wrong_magic_version_flags);
	tcase_add_test(dmg, version_1_refused);
	tcase_add_test(dmg, length_mismatch);
	tcase_add_test(dmg, body_and_deep_checked);
	tcase_add_test(dmg, oversized);
	suite_add_tcase(s, rt);
	suite_add_tcase(s, dmg);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
