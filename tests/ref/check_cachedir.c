/* check_cachedir.c: the cache directory's rules at the unit level: where it
 * is, what is trusted, how a file is written (and never left half-made). */
#include "cachedir.h"
#include "testutil.h"

static char *g_dir;

static void setup(void)
{
	g_dir = tu_scratch();
}

static void teardown(void)
{
	tu_rmrf(g_dir);
}

START_TEST(base_follows_xdg_rules)
{
	char out[4096];

	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(ep_cachedir_base(NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/x/cache");
	ck_assert_int_eq(ep_cachedir_base("/override", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/override");
	setenv("XDG_CACHE_HOME", "", 1);
	ck_assert_int_eq(ep_cachedir_base(NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/home/u/.cache");
	setenv("XDG_CACHE_HOME", "rel", 1);
	ck_assert_int_eq(ep_cachedir_base(NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/home/u/.cache");
	setenv("HOME", "rel", 1);
	ck_assert_int_eq(ep_cachedir_base(NULL, out, sizeof(out)), -ENOENT);
	setenv("HOME", "", 1);
	ck_assert_int_eq(ep_cachedir_base(NULL, out, sizeof(out)), -ENOENT);
	unsetenv("HOME");
	unsetenv("XDG_CACHE_HOME");
	ck_assert_int_eq(ep_cachedir_base(NULL, out, sizeof(out)), -ENOENT);
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(ep_cachedir_base(NULL, out, 8), -ENAMETOOLONG);
}
END_TEST

static void open_created(struct cachedir *cd)
{
	const char *why = NULL;

	ep_cachedir_init(cd);
	ck_assert_int_eq(ep_cachedir_create(cd, getenv("XDG_CACHE_HOME"), &why), 0);
	ck_assert_int_ge(cd->fd, 0);
}

START_TEST(open_does_not_create)
{
	struct cachedir cd;
	const char *why = NULL;

	ep_cachedir_init(&cd);
	ck_assert_int_eq(ep_cachedir_open(&cd, getenv("XDG_CACHE_HOME"), &why), -ENOENT);
	ck_assert_str_eq(why, "no cache directory yet");
	ck_assert_int_eq(tu_count(getenv("HOME"), ""), 0);
	open_created(&cd);
	ep_cachedir_release(&cd);
	ck_assert_int_eq(ep_cachedir_open(&cd, getenv("XDG_CACHE_HOME"), &why), 0);
	ep_cachedir_release(&cd);
}
END_TEST

START_TEST(create_makes_only_the_base)
{
	struct cachedir cd;
	const char *why = NULL;

	ep_cachedir_init(&cd);
	ck_assert_int_eq(ep_cachedir_create(&cd, tu_fmt("%s/a/..", g_dir), &why), -EINVAL);
	ck_assert_str_eq(why, "cannot create cache directory");
	/* Only the base itself is made, never a missing parent. */
	ck_assert_int_eq(ep_cachedir_create(&cd, tu_fmt("%s/a/../b", g_dir), &why), -ENOENT);
	ck_assert_int_eq(tu_count(g_dir, ""), 1); /* home/ only */
}
END_TEST

START_TEST(write_is_atomic_and_tidy)
{
	struct cachedir cd;
	struct cachedir_tmp t;
	const char *why = NULL;
	char *final;
	struct stat a, b;

	open_created(&cd);
	final = tu_fmt("%s/epcache/ep-0123456789abcdef", getenv("XDG_CACHE_HOME"));
	ck_assert_int_eq(ep_cachedir_tmp_open(&cd, "ep-0123456789abcdef", &t), 0);
	ck_assert(!strncmp(t.name, ".tmp-ep-0123456789abcdef-", 25));
	ck_assert_int_eq(ep_cachedir_tmp_commit(&cd, &t, "ep-0123456789abcdef", "one", 3, &why), 0);
	ck_assert_int_eq(stat(final, &a), 0);
	ck_assert_int_eq(ep_cachedir_tmp_open(&cd, "ep-0123456789abcdef", &t), 0);
	ck_assert_int_eq(ep_cachedir_tmp_commit(&cd, &t, "ep-0123456789abcdef", "two!", 4, &why),
			 0);
	ck_assert_int_eq(stat(final, &b), 0);
	ck_assert_uint_ne(a.st_ino, b.st_ino); /* a new file, renamed over: never rewritten */
	ck_assert_int_eq(b.st_size, 4);
	ck_assert_int_eq(tu_count(tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME")), ""), 1);
	/* Abandoned: nothing stays. */
	ck_assert_int_eq(ep_cachedir_tmp_open(&cd, "ep-0123456789abcdef", &t), 0);
	ep_cachedir_tmp_abort(&t);
	ck_assert_int_eq(tu_count(tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME")), ""), 1);
	ep_cachedir_release(&cd);
}
END_TEST

START_TEST(commit_replaces_names_not_directories)
{
	struct cachedir cd;
	struct cachedir_tmp t;
	struct stat st;
	const char *why = NULL;
	char *dir;

	open_created(&cd);
	dir = tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME"));
	tu_mkdir(tu_fmt("%s/ep-00000000000000aa", dir));
	ck_assert_int_eq(symlink("/etc/passwd", tu_fmt("%s/ep-00000000000000bb", dir)), 0);
	/* A directory at the name cannot be renamed over: left alone. */
	ck_assert_int_eq(ep_cachedir_tmp_open(&cd, "ep-00000000000000aa", &t), 0);
	ck_assert_int_eq(ep_cachedir_tmp_commit(&cd, &t, "ep-00000000000000aa", "x", 1, &why),
			 -EISDIR);
	ck_assert_str_eq(why, "cache file not ours");
	/* A link at the name is replaced, never followed. */
	ck_assert_int_eq(ep_cachedir_tmp_open(&cd, "ep-00000000000000bb", &t), 0);
	ck_assert_int_eq(ep_cachedir_tmp_commit(&cd, &t, "ep-00000000000000bb", "x", 1, &why), 0);
	ck_assert_int_eq(lstat(tu_fmt("%s/ep-00000000000000bb", dir), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(tu_count(dir, "\\.tmp-"), 0);
	ck_assert_int_eq(tu_count(dir, ""), 2);
	ep_cachedir_release(&cd);
}
END_TEST

START_TEST(read_checks_and_caps)
{
	struct cachedir cd;
	const char *why = NULL;
	struct stat st;
	char *buf, *dir, *f;
	size_t len;
	int fd;

	open_created(&cd);
	dir = tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME"));
	f = tu_fmt("%s/ep-00000000000000cc", dir);
	ck_assert_int_eq(ep_cachedir_read(getenv("XDG_CACHE_HOME"), "ep-00000000000000cc", &buf,
					  &len, &st, &why),
			 -ENOENT);
	ck_assert_str_eq(why, "no cache file");
	tu_writes(f, "content");
	chmod(f, 0600);
	ck_assert_int_eq(ep_cachedir_read(getenv("XDG_CACHE_HOME"), "ep-00000000000000cc", &buf,
					  &len, &st, &why),
			 0);
	ck_assert_uint_eq(len, 7);
	ck_assert(!memcmp(buf, "content", 7));
	free(buf);
	fd = open(f, O_WRONLY);
	ck_assert_int_eq(ftruncate(fd, (off_t)CACHEDIR_READ_MAX + 1), 0);
	close(fd);
	ck_assert_int_eq(ep_cachedir_read(getenv("XDG_CACHE_HOME"), "ep-00000000000000cc", &buf,
					  &len, &st, &why),
			 -EBADMSG);
	ck_assert_ptr_null(buf);
	chmod(f, 0644);
	ck_assert_int_eq(ep_cachedir_read(getenv("XDG_CACHE_HOME"), "ep-00000000000000cc", &buf,
					  &len, &st, &why),
			 -EBADMSG);
	chmod(f, 0664);
	ck_assert_int_eq(ep_cachedir_read(getenv("XDG_CACHE_HOME"), "ep-00000000000000cc", &buf,
					  &len, &st, &why),
			 -EPERM);
	ck_assert_str_eq(why, "cache file group or world writable");
	ep_cachedir_release(&cd);
}
END_TEST

START_TEST(cache_names)
{
	ck_assert(ep_cachedir_is_cache_name("ep-0123456789abcdef"));
	ck_assert(!ep_cachedir_is_cache_name("ep-0123456789ABCDEF"));
	ck_assert(!ep_cachedir_is_cache_name("ep-0123456789abcde"));
	ck_assert(!ep_cachedir_is_cache_name("ep-0123456789abcdef0"));
	ck_assert(!ep_cachedir_is_cache_name("xp-0123456789abcdef"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cachedir");
	TCase *tc = tcase_create("cachedir");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, base_follows_xdg_rules);
	tcase_add_test(tc, open_does_not_create);
	tcase_add_test(tc, create_makes_only_the_base);
	tcase_add_test(tc, write_is_atomic_and_tidy);
	tcase_add_test(tc, commit_replaces_names_not_directories);
	tcase_add_test(tc, read_checks_and_caps);
	tcase_add_test(tc, cache_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
