/* check_cli.c: the epcache command as the harness sees it: arguments in,
 * exit status and standard output out. The binary is $EPCACHE_BIN (default
 * build/epcache); the tests run it from outside, including under strace. */
#include "testutil.h"

#include <dirent.h>
#include <grp.h>
#include <jansson.h>
#include <poll.h>

static char *g_dir, *g_sp, *g_sp2;

static void setup(void)
{
	g_dir = tu_scratch();
	g_sp = tu_fmt("%s/sp", g_dir);
	g_sp2 = tu_fmt("%s/sp2", g_dir);
	tu_mkdir(g_sp);
	tu_mkdir(g_sp2);
	tu_dist(g_sp, "a-1.0.dist-info",
		"[console_scripts]\na = a:main\n[gui_scripts]\nag = a:gui\n");
	tu_dist(g_sp, "b-2.0.egg-info", "[console_scripts]\nb=b:main\n");
	tu_dist(g_sp2, "c-1.dist-info", "[g]\nc=1\n");
	setenv("LC_ALL", "C", 1);
	unsetenv("CACHETORTURE_EVENT_FD");
}

static void teardown(void)
{
	tu_rmrf(g_dir);
}

static const char SP_VIEW[] = "a-1.0.dist-info\tconsole_scripts\ta\ta:main\n"
			      "a-1.0.dist-info\tgui_scripts\tag\ta:gui\n"
			      "b-2.0.egg-info\tconsole_scripts\tb\tb:main\n";

/* Runs the binary with up to 8 arguments (NULL-terminated); stdout to *out. */
static int run(char **out, char **err, ...)
{
	char *argv[16] = {(char *)tu_bin()};
	va_list ap;
	int n = 1;

	va_start(ap, err);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	return tu_run(argv, out, err);
}

/* The expected answer: each view's lines after "P\t" (kept by tu_fmt). */
static char *prefixed(const char *p, const char *view)
{
	char *s = tu_fmt("%s", ""), *copy = tu_fmt("%s", view), *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		s = tu_fmt("%s%s\t%s\n", s, p, line);
	return s;
}

START_TEST(answers_protocol_and_caches)
{
	char *out, *err, *want = prefixed("0", SP_VIEW);

	ck_assert_int_eq(run(&out, &err, "--settle=0", g_sp, NULL), 0);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, "");
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--settle=0", "--stats", g_sp, NULL), 0);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, tu_fmt("epcache: %s: hit\n", g_sp));
	free(out), free(err);
}
END_TEST

/* "10\t" sorts before "2\t": the answer is sorted as text, as a whole. */
START_TEST(index_order_is_textual)
{
	char *argv[16] = {(char *)tu_bin(), (char *)"--settle=0"};
	char *out, *want = tu_fmt("%s", ""), *missing = tu_fmt("%s/missing", g_dir);
	const char *order[] = {"0", "1", "10", "11", "12", "2", "3", "4", "5", "6", "7", "8", "9"};

	for (int i = 0; i < 13; i++)
		argv[2 + i] = i % 4 == 3 ? missing : (i % 2 ? g_sp2 : g_sp);
	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	for (int k = 0; k < 13; k++) {
		int i = (int)strtol(order[k], NULL, 10);
		char *part;

		if (i % 4 == 3)
			continue;
		part = prefixed(order[k], i % 2 ? "c-1.dist-info\tg\tc\t1\n" : SP_VIEW);
		want = tu_fmt("%s%s", want, part);
	}
	ck_assert_str_eq(out, want);
	free(out);
	/* The same through the warm cache. */
	ck_assert_int_eq(tu_run(argv, &out, NULL), 0);
	ck_assert_str_eq(out, want);
	free(out);
}
END_TEST

START_TEST(warm_run_opens_no_entry_points)
{
	char *trace = tu_fmt("%s/trace", g_dir), *out1, *out2, *log;
	const char *asan;
	char *argv[] = {(char *)"strace",
			(char *)"-f",
			(char *)"-e",
			(char *)"trace=open,openat",
			(char *)"-o",
			trace,
			(char *)tu_bin(),
			(char *)"--settle=0",
			g_sp,
			g_sp2,
			NULL};

	if (tu_sh("command -v strace >/dev/null 2>&1"))
		TU_SKIP("strace is not installed");
	/* LeakSanitizer cannot run under ptrace; a sanitizer build still checks
	 * everything else. */
	asan = getenv("ASAN_OPTIONS");
	setenv("ASAN_OPTIONS", tu_fmt("%s:detect_leaks=0", asan ? asan : ""), 1);
	ck_assert_int_eq(run(&out1, NULL, "--settle=0", g_sp, g_sp2, NULL), 0);
	ck_assert_int_eq(tu_run(argv, &out2, NULL), 0);
	ck_assert_str_eq(out1, out2);
	log = tu_read(trace, NULL);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(!strstr(log, "entry_points.txt"), "warm run opened entry_points.txt:\n%s",
		      log);
	ck_assert_ptr_nonnull(strstr(log, "/epcache/ep-")); /* it did read the cache */
	free(out1), free(out2), free(log);
	/* And the cold run does open them (the check above can fail). */
	ck_assert_int_eq(tu_run((char *[]){(char *)"strace", (char *)"-f", (char *)"-e",
					   (char *)"trace=open,openat", (char *)"-o", trace,
					   (char *)tu_bin(), (char *)"--no-cache", g_sp, NULL},
				&out1, NULL),
			 0);
	log = tu_read(trace, NULL);
	ck_assert_ptr_nonnull(strstr(log, "entry_points.txt"));
	free(out1), free(log);
}
END_TEST

START_TEST(group_filter_every_format)
{
	char *out;
	json_t *j;
	json_error_t jerr;

	ck_assert_int_eq(run(&out, NULL, "--group", "gui_scripts", g_sp, g_sp2, NULL), 0);
	ck_assert_str_eq(out, "0\ta-1.0.dist-info\tgui_scripts\tag\ta:gui\n");
	free(out);
	ck_assert_int_eq(run(&out, NULL, "--group=nope", g_sp, NULL), 0);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(run(&out, NULL, "--format=text", "--group=console_scripts", g_sp, NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "[console_scripts]\n      a = a:main\n"));
	ck_assert_ptr_null(strstr(out, "gui"));
	free(out);
	ck_assert_int_eq(run(&out, NULL, "--format", "json", "--group=g", g_sp, g_sp2, NULL), 0);
	j = json_loads(out, 0, &jerr);
	ck_assert_msg(j != NULL, "bad json: %s", jerr.text);
	ck_assert_int_eq(json_array_size(j), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 0), "path_index")),
			 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "path")), g_sp2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "dist")),
			 "c-1.dist-info");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "value")), "1");
	json_decref(j);
	free(out);
}
END_TEST

START_TEST(json_and_text_survive_odd_bytes)
{
	char *out;
	json_t *j;

	tu_dist(g_sp2, "d-1.dist-info", "[g]\n\xff\x1b[31m=\xc3\xa9\n");
	ck_assert_int_eq(run(&out, NULL, "--format=json", g_sp2, NULL), 0);
	j = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_array_size(j), 2);
	ck_assert(json_is_true(json_object_get(json_array_get(j, 1), "lossy")));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 1), "value")),
			 "\xc3\xa9");
	json_decref(j);
	free(out);
	ck_assert_int_eq(run(&out, NULL, "--format=text", g_sp2, NULL), 0);
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_nonnull(strstr(out, "\\x1b[31m"));
	free(out);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	char *out, *err;

	ck_assert_int_eq(run(&out, &err, "--bogus", g_sp, NULL), 2);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(strstr(err, "epcache: unknown option '--bogus'"));
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--settle=soon", g_sp, NULL), 2);
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--settle=-1", g_sp, NULL), 2);
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--format=xml", g_sp, NULL), 2);
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--group", NULL), 2);
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--clear", g_sp, NULL), 2);
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: epcache"));
	ck_assert_ptr_nonnull(strstr(out, "exit status"));
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--version", NULL), 0);
	ck_assert(!strncmp(out, "epcache ", 8));
	free(out), free(err);
}
END_TEST

START_TEST(missing_and_odd_arguments_are_not_errors)
{
	char *out, *err, *file = tu_fmt("%s/a-file", g_dir), *want;

	tu_writes(file, "x");
	ck_assert_int_eq(
	    run(&out, &err, tu_fmt("%s/missing", g_dir), file, g_sp, "", "--", "-dash", NULL), 0);
	want = prefixed("2", SP_VIEW);
	ck_assert_str_eq(out, want);
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, NULL), 0); /* no path entries: an empty answer */
	ck_assert_str_eq(out, "");
	free(out), free(err);
}
END_TEST

START_TEST(relative_arguments)
{
	char *out, *want = prefixed("0", SP_VIEW);

	ck_assert_int_eq(chdir(g_dir), 0);
	ck_assert_int_eq(run(&out, NULL, "--settle=0", "sp", NULL), 0);
	ck_assert_str_eq(out, want);
	free(out);
	ck_assert_int_eq(chdir(g_sp), 0);
	ck_assert_int_eq(run(&out, NULL, "--settle=0", "--stats", "", NULL), 0);
	ck_assert_str_eq(out, want); /* "" is the current directory, and was cached */
	free(out);
}
END_TEST

START_TEST(no_home_still_answers)
{
	char *out, *err, *want = prefixed("0", SP_VIEW);

	unsetenv("HOME");
	unsetenv("XDG_CACHE_HOME");
	ck_assert_int_eq(run(&out, &err, "--settle=0", "--stats", g_sp, NULL), 0);
	ck_assert_str_eq(out, want);
	ck_assert_ptr_nonnull(strstr(err, "not cached: no cache directory"));
	free(out), free(err);
}
END_TEST

START_TEST(stats_and_no_cache)
{
	char *out, *err;

	ck_assert_int_eq(run(&out, &err, "--no-cache", "--stats", g_sp, NULL), 0);
	ck_assert_str_eq(err, tu_fmt("epcache: %s: not cached: cache disabled; lookup: cache "
				     "disabled\n",
				     g_sp));
	free(out), free(err);
	ck_assert_int_eq(tu_count(getenv("HOME"), "\\.cache"), 0);
	ck_assert_int_eq(run(&out, &err, "--settle=0", "--stats", g_sp, NULL), 0);
	ck_assert_str_eq(err, tu_fmt("epcache: %s: miss (written); lookup: no cache file\n", g_sp));
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--settle=1000", "--stats", g_sp2, NULL), 0);
	ck_assert_ptr_nonnull(strstr(err, "not cached: too new"));
	free(out), free(err);
}
END_TEST

START_TEST(events_on_a_pipe)
{
	int p[2];
	char buf[4096], *out;
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(dup2(p[1], 7), 7);
	close(p[1]);
	setenv("CACHETORTURE_EVENT_FD", "7", 1);
	ck_assert_int_eq(run(&out, NULL, "--settle=0", g_sp, g_sp, NULL), 0);
	close(7);
	n = read(p[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "{\"ev\":\"miss\",\"path\":0,\"reason\":\"no cache file\"}\n"
			      "{\"ev\":\"scan\",\"path\":0}\n"
			      "{\"ev\":\"write\",\"path\":0}\n"
			      "{\"ev\":\"hit\",\"path\":1}\n");
	close(p[0]);
	free(out);
}
END_TEST

/* A bad descriptor never crashes nor blocks a query; the answer stays clean. */
START_TEST(bad_event_descriptors)
{
	const char *bad[] = {"99", "abc", "1", "2", "0", "-3", "99999999999", ""};
	char *out, *want = prefixed("0", SP_VIEW);
	int p[2], fl;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("CACHETORTURE_EVENT_FD", bad[i], 1);
		ck_assert_int_eq(run(&out, NULL, g_sp, NULL), 0);
		ck_assert_str_eq(out, want);
		free(out);
	}
	/* A full pipe: writes would block; they must not. */
	ck_assert_int_eq(pipe(p), 0);
	fl = fcntl(p[1], F_GETFL);
	fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
	while (write(p[1], "xxxxxxxxxxxxxxxx", 16) > 0)
		;
	fcntl(p[1], F_SETFL, fl);
	ck_assert_int_eq(dup2(p[1], 8), 8);
	setenv("CACHETORTURE_EVENT_FD", "8", 1);
	alarm(20);
	ck_assert_int_eq(run(&out, NULL, "--settle=0", g_sp, NULL), 0);
	alarm(0);
	ck_assert_str_eq(out, want);
	free(out);
	/* A read-only descriptor is ignored. */
	ck_assert_int_eq(dup2(p[0], 8), 8);
	ck_assert_int_eq(run(&out, NULL, g_sp, NULL), 0);
	ck_assert_str_eq(out, want);
	free(out);
}
END_TEST

START_TEST(unwritable_stdout_is_an_error)
{
	pid_t pid;
	int st;

	if (access("/dev/full", W_OK))
		TU_SKIP("no /dev/full");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/full", O_WRONLY), null = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(null, 2);
		execl(tu_bin(), tu_bin(), g_sp, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
}
END_TEST

START_TEST(clear_command)
{
	char *out, *err, *cache = tu_fmt("%s/epcache", getenv("XDG_CACHE_HOME"));

	ck_assert_int_eq(run(&out, NULL, "--settle=0", g_sp, g_sp2, NULL), 0);
	free(out);
	ck_assert_int_eq(tu_count(cache, "ep-"), 2);
	tu_writes(tu_fmt("%s/mine-not", cache), "x");
	ck_assert_int_eq(run(&out, &err, "--clear", "--stats", NULL), 0);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "epcache: removed 2 files\n");
	ck_assert_int_eq(tu_count(cache, ""), 1);
	free(out), free(err), free(cache);
}
END_TEST

static const char *python(void)
{
	const char *p = getenv("PYTHON");

	return p && *p ? p : "/usr/bin/python3";
}

START_TEST(python_interpreter)
{
	char *out, *err, *expect_out;
	char *argv[] = {(char *)python(), (char *)"-I", (char *)"-c",
			(char *)"import sys\nfor i, p in enumerate(sys.path): print(i, p)", NULL};

	if (access(python(), X_OK))
		TU_SKIP("%s is not installed", python());
	ck_assert_int_eq(run(&out, &err, "--format=text", "--python", python(), NULL), 0);
	ck_assert_int_eq(tu_run(argv, &expect_out, NULL), 0);
	/* Every sys.path entry shows up, in order, as "[i] path". */
	char *save = NULL;

	for (char *line = strtok_r(expect_out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		*sp = '\0';
		ck_assert_ptr_nonnull(strstr(out, tu_fmt("[%s] %s\n", line, sp + 1)));
	}
	free(out), free(err), free(expect_out);
	ck_assert_int_eq(run(&out, &err, "--python", "/nonexistent/python", NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "epcache: /nonexistent/python: "));
	free(out), free(err);
	ck_assert_int_eq(run(&out, &err, "--python=/bin/false", NULL), 1);
	ck_assert_str_eq(err, "epcache: /bin/false: exited with status 1\n");
	free(out), free(err);
}
END_TEST

/* Runs the binary as uid:gid 65534 (exec'd as that user, as a login would),
 * with stdout to *out and stderr to *err. */
static int run_as_nobody(char **out, char **err, char *arg1, char *arg2, char *arg3)
{
	char *argv[] = {(char *)tu_bin(), arg1, arg2, arg3, NULL};
	int ofd = tu_anon_file(), efd = tu_anon_file();
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int n = open("/dev/null", O_RDONLY);

		dup2(n, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	*out = tu_slurp(ofd);
	*err = tu_slurp(efd);
	close(ofd);
	close(efd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A user's own cache file is read (the kernel grants O_NOATIME to its
 * owner); a copy of it owned by root, at the same name in the user's cache,
 * is refused at the open (O_NOATIME: EPERM), answered by a scan and replaced.
 * Run as a user for real, since root may open any file with O_NOATIME. */
START_TEST(user_reads_only_own_cache_file)
{
	char *out, *err, *want = prefixed("0", SP_VIEW),
			 *cache = tu_fmt("%s/home/.cache/epcache", g_dir);
	char *f, *copy;
	const char *name;
	DIR *d;
	struct dirent *de;

	if (!tu_is_root())
		TU_SKIP("needs root to run as uid 65534 and to plant a root-owned file");
	ck_assert_int_eq(tu_sh("chmod 0755 '%s' && chown -R 65534:65534 '%s'", g_dir, g_dir), 0);
	ck_assert_int_eq(run_as_nobody(&out, &err, "--settle=0", "--stats", g_sp), 0);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, tu_fmt("epcache: %s: miss (written); lookup: no cache file\n", g_sp));
	free(out), free(err);
	ck_assert_int_eq(run_as_nobody(&out, &err, "--settle=0", "--stats", g_sp), 0);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, tu_fmt("epcache: %s: hit\n", g_sp));
	free(out), free(err);
	d = opendir(cache);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) && de->d_name[0] == '.')
		;
	ck_assert_ptr_nonnull(de);
	name = tu_fmt("%s", de->d_name);
	closedir(d);
	f = tu_fmt("%s/%s", cache, name);
	copy = tu_fmt("%s/copy", g_dir);
	ck_assert_int_eq(tu_sh("cp '%s' '%s' && chown 0:0 '%s' && chmod 0644 '%s' && mv '%s' '%s'",
			       f, copy, copy, copy, copy, f),
			 0);
	ck_assert_int_eq(run_as_nobody(&out, &err, "--settle=0", "--stats", g_sp), 0);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(
	    err,
	    tu_fmt("epcache: %s: miss (written); lookup: cache file not owned by you\n", g_sp));
	free(out), free(err);
	ck_assert_int_eq(run_as_nobody(&out, &err, "--settle=0", "--stats", g_sp), 0);
	ck_assert_str_eq(err, tu_fmt("epcache: %s: hit\n", g_sp));
	free(out), free(err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("epcache");
	SRunner *sr;
	int failed;

	char bin[PATH_MAX];

	/* Absolute, so that tests may change directory. */
	if (access(tu_bin(), X_OK) || !realpath(tu_bin(), bin)) {
		fprintf(stderr, "check_cli: %s is not executable (set EPCACHE_BIN)\n", tu_bin());
		return 1;
	}
	setenv("EPCACHE_BIN", bin, 1);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, answers_protocol_and_caches);
	tcase_add_test(tc, index_order_is_textual);
	tcase_add_test(tc, warm_run_opens_no_entry_points);
	tcase_add_test(tc, group_filter_every_format);
	tcase_add_test(tc, json_and_text_survive_odd_bytes);
	tcase_add_test(tc, usage_errors_exit_2);
	tcase_add_test(tc, missing_and_odd_arguments_are_not_errors);
	tcase_add_test(tc, relative_arguments);
	tcase_add_test(tc, no_home_still_answers);
	tcase_add_test(tc, stats_and_no_cache);
	tcase_add_test(tc, events_on_a_pipe);
	tcase_add_test(tc, bad_event_descriptors);
	tcase_add_test(tc, unwritable_stdout_is_an_error);
	tcase_add_test(tc, clear_command);
	tcase_add_test(tc, python_interpreter);
	tcase_add_test(tc, user_reads_only_own_cache_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
