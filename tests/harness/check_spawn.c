/* check_spawn.c: the spawner against a fake implementation. The test binary
 * is its own fake: run as `check_spawn --fake-impl MODE PATH...` it behaves
 * as MODE says (echo, crash, hang, flood, ...). */
#include "history.h"
#include "spawn.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

static char self_exe[PATH_MAX];
static char *fake_env[] = {"LC_ALL=C", "CACHETORTURE_PROTOCOL=1", "CACHETORTURE_EVENT_FD=3",
			   "FOO=bar", NULL};

/* --- the fake implementation ------------------------------------------- */

static int fake_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int seen[64] = {0};

	if (!d)
		return 1;
	while ((e = readdir(d))) {
		long fd = strtol(e->d_name, NULL, 10);

		if (e->d_name[0] != '.' && fd < 64 && fd != dirfd(d))
			seen[fd] = 1;
	}
	closedir(d);
	for (int i = 0; i < 64; i++)
		if (seen[i])
			printf("%d ", i);
	printf("\n");
	return 0;
}

static int fake_write(int fd, size_t total)
{
	char buf[8192];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	while (total) {
		size_t n = total < sizeof(buf) ? total : sizeof(buf);
		ssize_t r = write(fd, buf, n);

		if (r <= 0)
			return 1;
		total -= (size_t)r;
	}
	return 0;
}

static void fake_pause(void)
{
	for (;;)
		pause();
}

static int fake_main(int64_t t0, const char *mode, int n, char **entries)
{
	if (!strcmp(mode, "clock")) {
		printf("%lld\n", (long long)t0);
		return 0;
	}
	if (!strcmp(mode, "echo")) {
		for (int i = 0; i < n; i++)
			printf("%d\t%s\n", i, entries[i]);
		return 0;
	}
	if (!strcmp(mode, "exit3"))
		return 3;
	if (!strcmp(mode, "segv")) {
		struct rlimit no = {0, 0};

		setrlimit(RLIMIT_CORE, &no);
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
		return 1;
	}
	if (!strcmp(mode, "sleep") || !strcmp(mode, "orphan") || !strcmp(mode, "escape")) {
		pid_t g = fork();

		if (g == 0) {
			if (!strcmp(mode, "escape"))
				setsid();
			fake_pause();
		}
		printf("%d\n", (int)g);
		fflush(stdout);
		if (!strcmp(mode, "sleep"))
			fake_pause();
		return 0;
	}
	if (!strcmp(mode, "bigout"))
		return fake_write(1, 10u << 20);
	if (!strcmp(mode, "bigerr"))
		return fake_write(2, 1u << 20);
	if (!strcmp(mode, "events")) {
		struct stat st;
		const char *v = getenv("CACHETORTURE_EVENT_FD");

		if (!v || strcmp(v, "3") || fstat(3, &st) || !S_ISFIFO(st.st_mode))
			return 1;
		for (int i = 0; i < 1000; i++)
			if (dprintf(3, "{\"ev\":\"hit\",\"path\":%d}\n", i) < 0)
				return 1;
		return 0;
	}
	if (!strcmp(mode, "fds"))
		return fake_fds();
	if (!strcmp(mode, "env")) {
		char cwd[PATH_MAX], in[PATH_MAX] = "";
		ssize_t r = readlink("/proc/self/fd/0", in, sizeof(in) - 1);
		const char *foo = getenv("FOO");

		if (r > 0)
			in[r] = 0;
		printf("pgid=%d\ncwd=%s\nfoo=%s\nstdin=%s\n", getpgid(0) == getpid(),
		       getcwd(cwd, sizeof(cwd)) ? cwd : "?", foo ? foo : "", in);
		return 0;
	}
	if (!strcmp(mode, "sigs")) {
		struct sigaction sa;
		sigset_t m;

		sigaction(SIGUSR1, NULL, &sa);
		sigprocmask(SIG_SETMASK, NULL, &m);
		printf("usr1=%s usr2_blocked=%d\n", sa.sa_handler == SIG_DFL ? "dfl" : "other",
		       sigismember(&m, SIGUSR2));
		return 0;
	}
	return 100;
}

/* --- helpers ------------------------------------------------------------ */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void assert_no_children(void)
{
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

static void fake_cfg(struct spawn_config *cfg, char **argv, const char *mode)
{
	argv[0] = self_exe;
	argv[1] = "--fake-impl";
	argv[2] = (char *)mode;
	argv[3] = NULL;
	memset(cfg, 0, sizeof(*cfg));
	cfg->argv = argv;
	cfg->envp = fake_env;
	cfg->cwd = "/";
	cfg->bound_ns = 20000 * MS;
	cfg->out_cap = 1u << 20;
	cfg->err_cap = 4096;
}

/* One query of mode; the history holds it afterwards. */
static const struct hquery *one(struct history *h, struct spawn_config *cfg)
{
	int id = spawn_one(h, cfg, NULL);

	ck_assert_int_ge(id, 0);
	ck_assert_uint_eq((unsigned)id, h->nqueries - 1);
	ck_assert_int_le(h->queries[id].start_ns, h->queries[id].end_ns);
	return &h->queries[id];
}

/* Output is not NUL-terminated. */
static void assert_out(const struct hquery *q, const char *want)
{
	ck_assert_uint_eq(q->out_len, strlen(want));
	ck_assert(!memcmp(q->out, want, q->out_len));
}

static int dead(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

static int wait_dead(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		if (dead(pid))
			return 1;
		usleep(10000);
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* --- single queries ---------------------------------------------------- */

START_TEST(test_one_echo)
{
	struct history h;
	struct spawn_config cfg;
	struct spawn_tag tag = {.round = 2, .step = 5, .flags = HQ_WARM};
	char *argv[8];
	int fds = count_fds();
	int id;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "echo");
	argv[3] = "/a";
	argv[4] = "/b c";
	argv[5] = NULL;
	id = spawn_one(&h, &cfg, &tag);
	ck_assert_int_eq(id, 0);
	ck_assert_uint_eq(h.nqueries, 1);
	assert_out(&h.queries[0], "0\t/a\n1\t/b c\n");
	ck_assert(WIFEXITED(h.queries[0].wstatus) && WEXITSTATUS(h.queries[0].wstatus) == 0);
	ck_assert_uint_eq(h.queries[0].flags, HQ_WARM);
	ck_assert_uint_eq(h.queries[0].round, 2);
	ck_assert_uint_eq(h.queries[0].step, 5);
	ck_assert_int_eq(h.queries[0].scans, -1);
	ck_assert_int_gt(h.queries[0].pid, 0);
	ck_assert_int_le(h.queries[0].start_ns, h.queries[0].end_ns);
	id = spawn_one(&h, &cfg, NULL);
	ck_assert_int_eq(id, 1);
	history_release(&h);
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(test_one_env)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	char dir[] = "/tmp/ct-spawn-XXXXXX";
	char want[PATH_MAX + 100];
	const struct hquery *q;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "env");
	cfg.cwd = dir;
	q = one(&h, &cfg);
	snprintf(want, sizeof(want), "pgid=1\ncwd=%s\nfoo=bar\nstdin=/dev/null\n", dir);
	assert_out(q, want);
	history_release(&h);
	rmdir(dir);
	assert_no_children();
}
END_TEST

/* Descriptors the harness left inheritable must not reach a query. */
START_TEST(test_fds)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;
	int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */

	ck_assert_int_ge(leak, 0);
	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "fds");
	q = one(&h, &cfg);
	assert_out(q, "0 1 2 \n");
	cfg.event_fd = true;
	q = one(&h, &cfg);
	assert_out(q, "0 1 2 3 \n");
	history_release(&h);
	close(leak);
	assert_no_children();
}
END_TEST

static void on_usr1(int sig)
{
	(void)sig;
}

START_TEST(test_signals_reset)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;
	struct sigaction sa = {.sa_handler = on_usr1};
	sigset_t m;

	/* A caught signal goes back to default; the caller's mask is kept, as
	 * posix_spawn keeps it. */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "sigs");
	q = one(&h, &cfg);
	assert_out(q, "usr1=dfl usr2_blocked=1\n");
	history_release(&h);
}
END_TEST

START_TEST(test_exit_and_crash)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "exit3");
	q = one(&h, &cfg);
	ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 3);
	fake_cfg(&cfg, argv, "segv");
	q = one(&h, &cfg);
	ck_assert(WIFSIGNALED(q->wstatus) && WTERMSIG(q->wstatus) == SIGSEGV);
	ck_assert_uint_eq(q->flags, 0);
	history_release(&h);
	assert_no_children();
}
END_TEST

/* Past its bound a query dies with its whole group, grandchild included. */
START_TEST(test_timeout)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;
	int fds = count_fds();
	int64_t t0 = clock_now_ns();
	struct herd_result res;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "sleep");
	cfg.bound_ns = 300 * MS;
	ck_assert_int_eq(spawn_herd(&h, &cfg, 2, NULL, NULL, NULL, &res), 0);
	ck_assert_int_lt(clock_now_ns() - t0, 300 * MS + 3000 * MS);
	ck_assert_uint_eq(h.nqueries, 2);
	for (size_t i = 0; i < 2; i++) {
		q = &h.queries[i];
		ck_assert_uint_eq(q->flags, HQ_TIMED_OUT | HQ_HERD);
		ck_assert(WIFSIGNALED(q->wstatus) && WTERMSIG(q->wstatus) == SIGKILL);
		ck_assert_int_ge(q->end_ns - q->start_ns, 300 * MS);
		ck_assert_ptr_nonnull(q->out);
		ck_assert(wait_dead((pid_t)strtol(q->out, NULL, 10)));
	}
	history_release(&h);
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* A leader that exits normally takes its group's leftovers with it. */
START_TEST(test_orphan_killed)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "orphan");
	cfg.bound_ns = 5000 * MS;
	q = one(&h, &cfg);
	ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0);
	ck_assert_uint_eq(q->flags, 0);
	ck_assert_int_lt(q->end_ns - q->start_ns, 2000 * MS);
	ck_assert(wait_dead((pid_t)strtol(q->out, NULL, 10)));
	history_release(&h);
	assert_no_children();
}
END_TEST

/* A descendant in its own session escapes the group kill and holds stdout:
 * the query still ends, at its bound. */
START_TEST(test_escapee_does_not_hang)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;
	int64_t t0 = clock_now_ns();

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "escape");
	cfg.bound_ns = 300 * MS;
	q = one(&h, &cfg);
	ck_assert_int_lt(clock_now_ns() - t0, 2000 * MS);
	ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0);
	ck_assert_uint_eq(q->flags, 0);
	ck_assert_int_gt((pid_t)strtol(q->out, NULL, 10), 0);
	kill((pid_t)strtol(q->out, NULL, 10), SIGKILL);
	history_release(&h);
	assert_no_children();
}
END_TEST

START_TEST(test_big_output)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "bigout");
	cfg.out_cap = 1u << 20;
	q = one(&h, &cfg);
	ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0);
	ck_assert_uint_eq(q->flags, HQ_OUT_TRUNCATED);
	ck_assert_uint_eq(q->out_len, 1u << 20);
	ck_assert(q->out[0] == 'a' && q->out[(1u << 20) - 1] == 'a' + ((1u << 20) - 1) % 8192 % 26);
	cfg.out_cap = 16u << 20;
	q = one(&h, &cfg);
	ck_assert_uint_eq(q->flags, 0);
	ck_assert_uint_eq(q->out_len, 10u << 20);
	for (size_t i = 0; i < q->out_len; i += 4099)
		ck_assert_int_eq(q->out[i], 'a' + (int)(i % 8192 % 26));
	fake_cfg(&cfg, argv, "bigerr");
	cfg.err_cap = 4096;
	q = one(&h, &cfg);
	ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0);
	ck_assert_uint_eq(q->err_len, 4096);
	ck_assert_uint_eq(q->out_len, 0);
	ck_assert_uint_eq(q->flags, 0);
	history_release(&h);
	assert_no_children();
}
END_TEST

START_TEST(test_events)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	const struct hquery *q;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "events");
	cfg.event_fd = true;
	q = one(&h, &cfg);
	ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0);
	cfg.event_fd = false; /* no fd 3: the fake notices and fails */
	q = one(&h, &cfg);
	ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 1);
	history_release(&h);
	assert_no_children();
}
END_TEST

/* --- exec failures ------------------------------------------------------ */

static void expect_exec_error(const char *prog, int err)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	struct herd_result res;
	int fds = count_fds();

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "echo");
	argv[0] = (char *)prog;
	ck_assert_int_eq(spawn_one(&h, &cfg, NULL), -err);
	ck_assert_int_eq(spawn_herd(&h, &cfg, 8, NULL, NULL, NULL, &res), -err);
	ck_assert_uint_eq(res.started, 0);
	ck_assert_int_eq(spawn_stream(&h, &cfg, 2, 50 * MS, NULL, NULL, NULL), -err);
	ck_assert_int_eq(spawn_bare(&cfg), -err);
	ck_assert_uint_eq(h.nqueries, 0);
	history_release(&h);
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);
}

START_TEST(test_exec_errors)
{
	char dir[] = "/tmp/ct-spawn-XXXXXX";
	char path[PATH_MAX];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	expect_exec_error("/nonexistent/ct-impl", ENOENT);
	expect_exec_error("ct-no-such-program-on-path", ENOENT);
	snprintf(path, sizeof(path), "%s/noexec", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	expect_exec_error(path, EACCES);
	snprintf(path, sizeof(path), "%s/garbage", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0755);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "\001\002\003 not a program\n", 19), 19);
	close(fd);
	expect_exec_error(path, ENOEXEC);
	unlink(path);
	snprintf(path, sizeof(path), "%s/noexec", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* The environment failing half-way through a herd: workers already parked
 * are killed and reaped, nothing is recorded. */
START_TEST(test_herd_fails_midway)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	struct herd_result res;
	struct rlimit old, lim;
	int fds = count_fds();

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "echo");
	getrlimit(RLIMIT_NOFILE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)fds + 40;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	ck_assert_int_eq(spawn_herd(&h, &cfg, 64, NULL, NULL, NULL, &res), -EMFILE);
	setrlimit(RLIMIT_NOFILE, &old);
	ck_assert_uint_gt(res.started, 1);
	ck_assert_uint_lt(res.started, 64);
	ck_assert_uint_eq(h.nqueries, 0);
	history_release(&h);
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* --- herds and streams -------------------------------------------------- */

struct release_probe {
	int calls;
	int64_t t;
	int64_t at; /* clock when called */
};

static void on_release(void *ctx, int64_t t)
{
	struct release_probe *p = ctx;

	p->calls++;
	p->t = t;
	p->at = clock_now_ns();
}

/* One herd of n clock fakes; returns the DETACH spread, fills the spread
 * of main() entries and the delay from the first release to the first
 * main(). */
static int64_t herd_once(size_t n, int64_t *main_spread, int64_t *first_delay)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	struct herd_result res;
	struct release_probe probe = {0};
	struct spawn_tag tag = {.round = 1, .step = 3};
	int64_t t0, t1, lo = INT64_MAX, hi = INT64_MIN;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "clock");
	t0 = clock_now_ns();
	ck_assert_int_eq(spawn_herd(&h, &cfg, n, &tag, on_release, &probe, &res), 0);
	t1 = clock_now_ns();
	ck_assert_uint_eq(res.started, n);
	ck_assert_uint_eq(h.nqueries, n);
	ck_assert_int_le(t0, res.release_first_ns);
	ck_assert_int_le(res.release_first_ns, res.release_last_ns);
	ck_assert_int_le(res.release_last_ns, t1);
	ck_assert_int_eq(probe.calls, 1);
	ck_assert_int_eq(probe.t, res.release_first_ns);
	ck_assert_int_ge(probe.at, res.release_last_ns);
	for (size_t i = 0; i < n; i++) {
		const struct hquery *q = &h.queries[i];
		int64_t m;

		ck_assert_uint_eq(q->flags, HQ_HERD);
		ck_assert_uint_eq(q->round, 1);
		ck_assert_uint_eq(q->step, 3);
		ck_assert_uint_lt(q->worker, n);
		ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0);
		ck_assert_int_le(res.release_first_ns, q->start_ns);
		ck_assert_int_le(q->start_ns, res.release_last_ns);
		ck_assert_int_le(q->start_ns, q->end_ns);
		ck_assert_int_le(q->end_ns, t1);
		ck_assert_ptr_nonnull(q->out);
		m = strtoll(q->out, NULL, 10);
		/* main() of each worker ran after its release and before its end */
		ck_assert_int_ge(m, q->start_ns);
		ck_assert_int_le(m, q->end_ns);
		lo = m < lo ? m : lo;
		hi = m > hi ? m : hi;
	}
	*main_spread = hi - lo;
	*first_delay = lo - res.release_first_ns;
	history_release(&h);
	return res.release_last_ns - res.release_first_ns;
}

START_TEST(test_herd_sizes)
{
	static const size_t sizes[] = {1, 8, 64};
	int fds = count_fds();

	for (size_t s = 0; s < 3; s++) {
		enum { RUNS = 7 };
		int64_t detach[RUNS], spread[RUNS], delay[RUNS];

		for (int r = 0; r < RUNS; r++)
			detach[r] = herd_once(sizes[s], &spread[r], &delay[r]);
		qsort(detach, RUNS, sizeof(int64_t), cmp_i64);
		qsort(spread, RUNS, sizeof(int64_t), cmp_i64);
		qsort(delay, RUNS, sizeof(int64_t), cmp_i64);
		fprintf(stderr,
			"herd of %2zu (%d runs): DETACH spread p50 %7.3f ms max %7.3f ms; "
			"main() spread p50 %7.3f ms max %7.3f ms; release->first main() p50 %.3f "
			"ms\n",
			sizes[s], RUNS, detach[RUNS / 2] / 1e6, detach[RUNS - 1] / 1e6,
			spread[RUNS / 2] / 1e6, spread[RUNS - 1] / 1e6, delay[RUNS / 2] / 1e6);
		/* a sanity bound only: the target (2 ms at p50) is reported, not
		 * asserted, on a shared machine */
		ck_assert_int_lt(detach[RUNS / 2], 100 * MS);
	}
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(test_stream)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	struct release_probe probe = {0};
	int64_t t0, t1, last_end[4] = {0};
	size_t per[4] = {0};
	int fds = count_fds();

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "echo");
	argv[3] = "/x";
	argv[4] = NULL;
	t0 = clock_now_ns();
	ck_assert_int_eq(spawn_stream(&h, &cfg, 4, 300 * MS, NULL, on_release, &probe), 0);
	t1 = clock_now_ns();
	ck_assert_int_eq(probe.calls, 1);
	ck_assert_int_ge(probe.t, t0);
	ck_assert_uint_ge(h.nqueries, 4);
	ck_assert_int_ge(t1 - t0, 300 * MS);
	/* history order is end order: per worker, queries follow each other */
	for (size_t i = 0; i < h.nqueries; i++) {
		const struct hquery *q = &h.queries[i];

		ck_assert_uint_lt(q->worker, 4);
		ck_assert_uint_eq(q->flags, 0);
		ck_assert(WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0);
		assert_out(q, "0\t/x\n");
		ck_assert_int_le(t0, q->start_ns);
		ck_assert_int_le(q->start_ns, q->end_ns);
		ck_assert_int_le(q->end_ns, t1);
		ck_assert_int_lt(q->start_ns, t0 + 300 * MS);
		ck_assert_int_ge(q->start_ns, last_end[q->worker]);
		last_end[q->worker] = q->end_ns;
		per[q->worker]++;
	}
	for (int w = 0; w < 4; w++)
		ck_assert_uint_ge(per[w], 1);
	fprintf(stderr, "stream of 4 for 300 ms: %zu queries (%zu %zu %zu %zu)\n", h.nqueries,
		per[0], per[1], per[2], per[3]);
	history_release(&h);
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/* --- the floor ---------------------------------------------------------- */

START_TEST(test_bare_and_overhead)
{
	enum { N = 300 };
	static int64_t one_ns[N], bare_ns[N];
	struct history h;
	struct spawn_config cfg;
	char *argv[] = {"true", NULL};
	char *env[] = {"LC_ALL=C", NULL};
	int fds = count_fds();

	memset(&cfg, 0, sizeof(cfg));
	cfg.argv = argv;
	cfg.envp = env;
	cfg.cwd = "/";
	cfg.bound_ns = 10000 * MS;
	cfg.out_cap = 1u << 20;
	cfg.err_cap = 4096;
	history_init(&h, 0, NULL);
	ck_assert_int_gt(spawn_bare(&cfg), 0);
	for (int i = 0; i < N; i++) {
		int64_t t = clock_now_ns();
		int id = spawn_one(&h, &cfg, NULL);

		one_ns[i] = clock_now_ns() - t;
		ck_assert_int_eq(id, i);
		ck_assert(WIFEXITED(h.queries[i].wstatus) && !WEXITSTATUS(h.queries[i].wstatus));
		bare_ns[i] = spawn_bare(&cfg);
		ck_assert_int_gt(bare_ns[i], 0);
	}
	qsort(one_ns, N, sizeof(int64_t), cmp_i64);
	qsort(bare_ns, N, sizeof(int64_t), cmp_i64);
	fprintf(stderr, "true: spawn_one p50 %.1f us, spawn_bare p50 %.1f us, overhead %+.1f%%\n",
		one_ns[N / 2] / 1e3, bare_ns[N / 2] / 1e3,
		100.0 * (double)(one_ns[N / 2] - bare_ns[N / 2]) / (double)bare_ns[N / 2]);
	history_release(&h);
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(test_invalid)
{
	struct history h;
	struct spawn_config cfg;
	char *argv[8];
	struct herd_result res;

	history_init(&h, 0, NULL);
	fake_cfg(&cfg, argv, "echo");
	ck_assert_int_eq(spawn_herd(&h, &cfg, 0, NULL, NULL, NULL, &res), -EINVAL);
	ck_assert_int_eq(spawn_stream(&h, &cfg, 0, MS, NULL, NULL, NULL), -EINVAL);
	cfg.envp = NULL;
	ck_assert_int_eq(spawn_one(&h, &cfg, NULL), -EINVAL);
	ck_assert_int_eq(spawn_bare(&cfg), -EINVAL);
	ck_assert_uint_eq(h.nqueries, 0);
	history_release(&h);
}
END_TEST

static Suite *spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tq = tcase_create("query");
	TCase *te = tcase_create("errors");
	TCase *th = tcase_create("herd");
	TCase *ts = tcase_create("stream");
	TCase *tf = tcase_create("floor");

	/* Generous: the fake's start-up alone takes tens of ms under ASan. */
	tcase_set_timeout(tq, 300);
	tcase_set_timeout(te, 300);
	tcase_set_timeout(th, 600);
	tcase_set_timeout(ts, 300);
	tcase_set_timeout(tf, 600);
	tcase_add_test(tq, test_one_echo);
	tcase_add_test(tq, test_one_env);
	tcase_add_test(tq, test_fds);
	tcase_add_test(tq, test_signals_reset);
	tcase_add_test(tq, test_exit_and_crash);
	tcase_add_test(tq, test_timeout);
	tcase_add_test(tq, test_orphan_killed);
	tcase_add_test(tq, test_escapee_does_not_hang);
	tcase_add_test(tq, test_big_output);
	tcase_add_test(tq, test_events);
	tcase_add_test(te, test_exec_errors);
	tcase_add_test(te, test_herd_fails_midway);
	tcase_add_test(te, test_invalid);
	tcase_add_test(th, test_herd_sizes);
	tcase_add_test(ts, test_stream);
	tcase_add_test(tf, test_bare_and_overhead);
	suite_add_tcase(s, tq);
	suite_add_tcase(s, te);
	suite_add_tcase(s, th);
	suite_add_tcase(s, ts);
	suite_add_tcase(s, tf);
	return s;
}

int main(int argc, char **argv)
{
	int64_t t0 = clock_now_ns(); /* first: the herd's real start, for the skew */
	SRunner *sr;
	ssize_t n;
	int failed;

	if (argc >= 3 && !strcmp(argv[1], "--fake-impl"))
		return fake_main(t0, argv[2], argc - 3, argv + 3);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 2;
	self_exe[n] = 0;
	sr = srunner_create(spawn_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
