/* forktest.h: running part of a Check test in a child that is changed for
 * real: run as another uid (the error paths root never meets), with a
 * small address space (allocations that really fail), a small descriptor
 * table, or just apart (a mount namespace of its own). Header-only, like
 * testutil.h.
 *
 * Each helper returns the child's exit status: the function's result
 * (0 for success, a small number naming what went wrong, never 77), or
 * FT_SKIP when the change is impossible here: not root for another uid;
 * an ASan build for an address-space cap (ASan reserves terabytes of
 * shadow memory up front, so RLIMIT_AS would fail it, not the code). */
#ifndef CT_FORKTEST_H
#define CT_FORKTEST_H
#include <check.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define FT_SKIP	  77
#define FT_NOBODY 65534

#if defined(__SANITIZE_ADDRESS__)
#define FT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FT_ASAN 1
#endif
#endif
#ifndef FT_ASAN
#define FT_ASAN 0
#endif

/* ASan's answer to an allocation it cannot make is to abort; these suites
 * test what the code does when malloc says no, so it must say no. The hook
 * is read by ASan at start-up and is an unused function otherwise. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static inline int ft_wait(pid_t pid)
{
	int status;

	ck_assert_int_ge(pid, 0);
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFEXITED(status), "child ended with status 0x%x", (unsigned)status);
	return WEXITSTATUS(status);
}

/* fn(arg) as uid and gid 65534, no supplementary groups. */
static inline int ft_as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid;

	if (geteuid() != 0)
		return FT_SKIP;
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(FT_NOBODY, FT_NOBODY, FT_NOBODY) ||
		    setresuid(FT_NOBODY, FT_NOBODY, FT_NOBODY))
			_exit(FT_SKIP);
		_exit(fn(arg));
	}
	return ft_wait(pid);
}

/* fn(arg) in a child, for changes that must not outlive it (a mount
 * namespace, a working directory). */
static inline int ft_in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	return ft_wait(pid);
}

/* The child's address space in bytes now (/proc/self/statm, in pages). */
static inline size_t ft_vm_size(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* fn(arg) with RLIMIT_AS at the child's current size plus extra bytes: an
 * allocation of more than extra fails with ENOMEM, a smaller one works. */
static inline int ft_with_memory(int (*fn)(void *), void *arg, size_t extra)
{
	pid_t pid;

	if (FT_ASAN)
		return FT_SKIP;
	pid = fork();
	if (pid == 0) {
		size_t vm = ft_vm_size();
		struct rlimit rl;

		if (vm == 0)
			_exit(FT_SKIP);
		rl.rlim_cur = rl.rlim_max = (rlim_t)(vm + extra);
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(FT_SKIP);
		_exit(fn(arg));
	}
	return ft_wait(pid);
}

/* fn(arg) with room for only `more` descriptors above those open now. */
static inline int ft_with_fds(int (*fn)(void *), void *arg, int more)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl;
		int top = dup(0);

		if (top < 0)
			_exit(FT_SKIP);
		close(top);
		/* Descriptors are numbered lowest first: top is the next one. */
		rl.rlim_cur = rl.rlim_max = (rlim_t)(top + more);
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(FT_SKIP);
		_exit(fn(arg));
	}
	return ft_wait(pid);
}

/* When rc is FT_SKIP: says on stderr which part of a test did not run and
 * why, and returns 1. */
static inline int ft_skipped(int rc, const char *suite, const char *what)
{
	if (rc != FT_SKIP)
		return 0;
	fprintf(stderr, "%s: skip %s: %s\n", suite, what,
		FT_ASAN ? "an ASan build cannot cap its address space, or not root"
			: "not root, or the change was refused");
	return 1;
}

#endif
