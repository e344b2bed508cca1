/* spawn.c: owns the implementation processes of a run: cloning them (a herd
 * held right after exec), the one epoll loop that collects their output and
 * exits, and the kills of every process group that outlives its query. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
/* 32-bit ABIs keep 16-bit ids on the historical numbers. */
#ifdef SYS_setresuid32
#define SYS_SETRESUID SYS_setresuid32
#define SYS_SETRESGID SYS_setresgid32
#define SYS_SETGROUPS SYS_setgroups32
#else
#define SYS_SETRESUID SYS_setresuid
#define SYS_SETRESGID SYS_setresgid
#define SYS_SETGROUPS SYS_setgroups
#endif

#define CHILD_STACK (64 * 1024)
#define READ_CHUNK  (64 * 1024)
#define EVENTS_CAP  4096 /* events are informative: the first lines suffice */
#define EPOLL_BATCH 64
/* After its leader exited, a query's pipes are drained to EOF until its
 * bound, and at least this long: only a descendant that left the process
 * group can hold them open that long, and nothing it writes is an answer. */
#define DRAIN_GRACE_NS (50 * 1000000LL)
/* The same when the query has no bound at all. */
#define DRAIN_UNBOUNDED_NS (1000 * 1000000LL)

enum { K_PIDFD, K_OUT, K_ERR, K_EV }; /* low two bits of an epoll cookie */

/* What the child needs, in the caller's memory (CLONE_VM): the caller is
 * suspended (CLONE_VFORK) until the child has exec'd or died, so nothing
 * here changes under it and `err` is final when clone() returns. */
struct child_args {
	const char *path;
	char *const *argv;
	char *const *envp;
	const char *cwd;
	int fd[4]; /* become the child's 0..3; fd[3] < 0: the child gets no fd 3 */
	bool trace;
	bool set_ids;
	uid_t uid;
	gid_t gid;
	sigset_t mask; /* the caller's mask, restored just before execve */
	int err;       /* written by the child: the errno that stopped it */
};

struct query {
	bool live;   /* a process or an open pipe still belongs to this slot */
	bool reaped; /* exit seen and status collected */
	bool killed;
	pid_t pid;
	int pidfd;
	int fd[3]; /* read ends of stdout, stderr, events; -1 once at EOF */
	int64_t start_ns, end_ns;
	int64_t bound_at_ns;	/* start + bound, INT64_MAX when unbounded or held */
	int64_t drain_until_ns; /* set at exit */
	int wstatus;
	unsigned flags;
	char *out;
	size_t out_len, out_alloc;
	char *err;
	size_t err_len, err_alloc;
	char *ev;
	size_t ev_len, ev_alloc;
};

/* The state of one spawn call. */
struct spawner {
	struct history *h;
	const struct spawn_config *cfg;
	const struct spawn_tag *tag;
	unsigned flags; /* HQ_HERD for herds */
	char *path;	/* argv[0] resolved as execvp would */
	int epfd;
	int nullfd;
	void *stack;
	char *scratch; /* sink for what is read past a cap */
	struct query *q;
	size_t nq;
	size_t running; /* live slots */
	int last_id;
	int err; /* first error of the loop, returned once everything ended */
};

/* --- the child --------------------------------------------------------- */

#define CHILD_CODE __attribute__((no_sanitize("address", "undefined"), noinline))

/* Runs in the child, on its own stack but in the caller's memory. Only raw
 * system calls: glibc's id wrappers broadcast to the caller's threads, and
 * sanitizer interceptors (sigaction, _exit) would act on the caller's state. */
CHILD_CODE static int child_main(void *arg)
{
	struct child_args *a = arg;
	unsigned long dfl[8] = {0}, old[8]; /* struct k_sigaction, handler first */

	/* A handler of the caller must not run here, on shared memory, once the
	 * mask is restored: every caught signal goes back to its default, as
	 * exec would do anyway. Ignored ones stay ignored, as across exec. */
	for (int sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, sig, NULL, old, _NSIG / 8) == 0 &&
		    old[0] != (unsigned long)SIG_DFL && old[0] != (unsigned long)SIG_IGN)
			syscall(SYS_rt_sigaction, sig, dfl, NULL, _NSIG / 8);
	}
	/* Its own group: the deadline kill reaches its descendants, and
	 * terminal signals meant for the harness do not reach it. */
	if (syscall(SYS_setpgid, 0, 0))
		goto fail;
	for (int i = 0; i < 4; i++)
		if (a->fd[i] >= 0 && syscall(SYS_dup3, a->fd[i], i, 0) < 0)
			goto fail;
	/* Descriptors other modules left inheritable must not reach the query
	 * (nor keep our pipes from EOF); failure means an old kernel, and every
	 * descriptor of this module is O_CLOEXEC anyway. */
	syscall(SYS_close_range, a->fd[3] >= 0 ? 4U : 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	if (a->cwd && syscall(SYS_chdir, a->cwd))
		goto fail;
	if (a->set_ids &&
	    (syscall(SYS_SETGROUPS, 0, NULL) || syscall(SYS_SETRESGID, a->gid, a->gid, a->gid) ||
	     syscall(SYS_SETRESUID, a->uid, a->uid, a->uid)))
		goto fail;
	/* The kernel stops a tracee with SIGTRAP once execve succeeded, before
	 * the first instruction of the new program: that is the herd's barrier. */
	if (a->trace && syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL))
		goto fail;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &a->mask, NULL, _NSIG / 8);
	syscall(SYS_execve, a->path, a->argv, a->envp);
fail:
	a->err = errno ? errno : EINVAL;
	syscall(SYS_exit_group, 127);
	return 127;
}

/* --- the parent's side of a start --------------------------------------- */

/* Blocks until pid is gone; its status, or -errno. */
static int reap(pid_t pid, int *wstatus)
{
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, __WALL);

		if (r == pid && (WIFEXITED(st) || WIFSIGNALED(st)))
			break;
		/* Only a tracee reports stops here: let it go on to its end. */
		if (r == pid && WIFSTOPPED(st))
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	if (wstatus)
		*wstatus = st;
	return 0;
}

/* Group first: the leader, alive or a zombie, keeps the group id from being
 * reused, so the group kill cannot hit a stranger. */
static void kill_and_reap(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	reap(pid, NULL);
}

/* Clones the child described by a. With CLONE_VFORK the call returns once
 * the child has exec'd (0) or died trying (-its errno, child reaped). */
static int child_clone(void *stack, struct child_args *a, bool want_pidfd, pid_t *pid, int *pidfd)
{
	sigset_t all;
	int flags = CLONE_VM | CLONE_VFORK | SIGCHLD | (want_pidfd ? CLONE_PIDFD : 0);
	int fd = -1, e;
	pid_t p;

	/* The child inherits a mask blocking everything, so no handler of
	 * ours can run in it before child_main reset them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &a->mask);
	a->err = 0;
	p = clone(child_main, (char *)stack + CHILD_STACK, flags, a, &fd);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &a->mask, NULL);
	if (p < 0)
		return -e;
	e = __atomic_load_n(&a->err, __ATOMIC_ACQUIRE);
	if (e) {
		if (fd >= 0)
			close(fd);
		reap(p, NULL);
		return -e;
	}
	*pid = p;
	if (pidfd)
		*pidfd = fd;
	return 0;
}

/* Waits for the post-exec SIGTRAP stop of a PTRACE_TRACEME child. */
static int wait_parked(pid_t pid)
{
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(st))
			return -ESRCH; /* died before the barrier: killed from outside */
		if (WSTOPSIG(st) == SIGTRAP)
			return 0;
		/* Some other signal reached it first: pass it on, keep waiting. */
		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st)) < 0)
			return -errno;
	}
}

/* execvp's search, done once per call in the parent so the child makes one
 * execve. PATH is the harness's own, as execvp's is (the protocol has the
 * query inherit it). A candidate found but not executable by us gives
 * -EACCES if nothing better follows; none at all -ENOENT. */
static int resolve_path(const char *name, char **out)
{
	const char *p, *end;
	int rc = -ENOENT;
	size_t nlen = strlen(name);

	if (nlen == 0)
		return -ENOENT;
	if (strchr(name, '/')) {
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	p = getenv("PATH");
	if (!p || !*p)
		p = "/bin:/usr/bin";
	for (;; p = end + 1) {
		struct stat st;
		size_t dlen;
		char *cand;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		cand = malloc(dlen + nlen + 3);
		if (!cand)
			return -ENOMEM;
		if (dlen == 0) /* an empty component is the working directory */
			memcpy(cand, ".", (dlen = 1));
		else
			memcpy(cand, p, dlen);
		cand[dlen] = '/';
		memcpy(cand + dlen + 1, name, nlen + 1);
		if (stat(cand, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(cand, X_OK) == 0) {
				*out = cand;
				return 0;
			}
			rc = -EACCES;
		}
		free(cand);
		if (!*end)
			return rc;
	}
}

/* Descriptors 0..3 are the child's targets: a source there would be
 * clobbered by an earlier dup3, so sources live above. Takes fd (-1 passes
 * through with errno kept). */
static int fd_above_3(int fd)
{
	int nfd;

	if (fd < 0 || fd > 3)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 4);
	close(fd);
	return nfd;
}

/* A pipe whose read end (ours) is non-blocking and whose write end (the
 * child's) blocks, as a query expects of its stdout. */
static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	p[0] = fd_above_3(p[0]);
	p[1] = fd_above_3(p[1]);
	if (p[0] < 0 || p[1] < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;

		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		p[0] = p[1] = -1;
		return -e;
	}
	return 0;
}

/* --- one spawn call ------------------------------------------------------ */

static void epoll_forget(struct spawner *sp, int *fd)
{
	/* Explicitly: a fork of another thread may still hold a copy, and
	 * epoll forgets a descriptor only when every copy is closed. */
	epoll_ctl(sp->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

static int spawner_init(struct spawner *sp, struct history *h, const struct spawn_config *cfg,
			const struct spawn_tag *tag, size_t nq, unsigned flags)
{
	int rc;

	memset(sp, 0, sizeof(*sp));
	sp->h = h;
	sp->cfg = cfg;
	sp->tag = tag;
	sp->flags = flags;
	sp->epfd = sp->nullfd = -1;
	sp->last_id = -1;
	if (!cfg || !cfg->argv || !cfg->argv[0] || !cfg->envp || nq == 0)
		return -EINVAL;
	rc = resolve_path(cfg->argv[0], &sp->path);
	if (rc)
		return rc;
	sp->q = calloc(nq, sizeof(*sp->q));
	sp->scratch = malloc(READ_CHUNK);
	if (!sp->q || !sp->scratch)
		return -ENOMEM;
	sp->nq = nq;
	for (size_t i = 0; i < nq; i++)
		sp->q[i].pidfd = sp->q[i].fd[0] = sp->q[i].fd[1] = sp->q[i].fd[2] = -1;
	/* The child's stack: from the heap, not mmap, because an munmap after
	 * a CLONE_VM child ran costs a TLB shoot-down per call. The child
	 * uses a few hundred bytes of it. */
	sp->stack = malloc(CHILD_STACK);
	if (!sp->stack)
		return -ENOMEM;
	sp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sp->epfd < 0)
		return -errno;
	sp->nullfd = fd_above_3(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (sp->nullfd < 0)
		return -errno;
	return 0;
}

static void query_clear(struct query *q)
{
	free(q->out);
	free(q->err);
	free(q->ev);
	memset(q, 0, sizeof(*q));
	q->pidfd = q->fd[0] = q->fd[1] = q->fd[2] = -1;
}

/* Kills and reaps whatever a slot still has, and forgets its output. */
static void query_abort(struct spawner *sp, struct query *q)
{
	if (q->pid > 0 && !q->reaped)
		kill_and_reap(q->pid);
	if (q->pidfd >= 0)
		epoll_forget(sp, &q->pidfd);
	for (int k = 0; k < 3; k++)
		if (q->fd[k] >= 0)
			epoll_forget(sp, &q->fd[k]);
	if (q->live)
		sp->running--;
	query_clear(q);
}

/* Every path out of a spawn call goes through here: nothing started by the
 * call survives it. */
static void spawner_release(struct spawner *sp)
{
	for (size_t i = 0; i < sp->nq; i++)
		query_abort(sp, &sp->q[i]);
	if (sp->nullfd >= 0)
		close(sp->nullfd);
	if (sp->epfd >= 0)
		close(sp->epfd);
	free(sp->stack);
	free(sp->scratch);
	free(sp->q);
	free(sp->path);
}

static int watch_fd(struct spawner *sp, int fd, size_t slot, int kind)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = ((uint64_t)slot << 2) | (uint64_t)kind};

	return epoll_ctl(sp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Starts slot i's query. hold: park it after exec (herd), its interval is
 * set at release; otherwise it starts just before the clone. On failure the
 * slot is empty again and its process, if any, reaped. */
static int query_start(struct spawner *sp, size_t i, bool hold)
{
	const struct spawn_config *cfg = sp->cfg;
	struct query *q = &sp->q[i];
	int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
	int npipes = cfg->event_fd ? 3 : 2;
	struct child_args a = {
	    .path = sp->path,
	    .argv = cfg->argv,
	    .envp = cfg->envp,
	    .cwd = cfg->cwd,
	    .trace = hold,
	    .set_ids = cfg->set_ids,
	    .uid = cfg->uid,
	    .gid = cfg->gid,
	};
	int rc = 0;

	query_clear(q);
	for (int k = 0; k < npipes && !rc; k++)
		rc = make_pipe(p[k]);
	if (rc)
		goto out;
	a.fd[0] = sp->nullfd;
	a.fd[1] = p[0][1];
	a.fd[2] = p[1][1];
	a.fd[3] = p[2][1];
	if (!hold)
		q->start_ns = clock_now_ns();
	rc = child_clone(sp->stack, &a, true, &q->pid, &q->pidfd);
	if (rc)
		goto out;
	for (int k = 0; k < 3; k++) {
		q->fd[k] = p[k][0];
		p[k][0] = -1;
	}
	q->live = true;
	sp->running++;
	if (hold)
		rc = wait_parked(q->pid);
	if (!rc)
		rc = watch_fd(sp, q->pidfd, i, K_PIDFD);
	for (int k = 0; k < 3 && !rc; k++)
		if (q->fd[k] >= 0)
			rc = watch_fd(sp, q->fd[k], i, K_OUT + k);
	q->bound_at_ns = INT64_MAX;
	if (!hold && cfg->bound_ns > 0)
		q->bound_at_ns = q->start_ns + cfg->bound_ns;
out:
	for (int k = 0; k < 3; k++) {
		if (p[k][0] >= 0)
			close(p[k][0]);
		if (p[k][1] >= 0)
			close(p[k][1]);
	}
	if (rc)
		query_abort(sp, q);
	return rc;
}

/* Room for the next read into a buffer capped at cap, or NULL when full. */
static char *room(char **buf, size_t len, size_t *alloc, size_t cap, size_t *n)
{
	if (len >= cap)
		return NULL;
	if (len == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 4096;
		char *nb;

		if (na > cap)
			na = cap;
		nb = realloc(*buf, na);
		if (!nb)
			return NULL; /* treated as full: the rest is drained */
		*buf = nb;
		*alloc = na;
	}
	*n = *alloc - len;
	return *buf + len;
}

/* Reads what one pipe holds now; closes it at EOF. A short read means the
 * pipe is empty: level-triggered epoll calls again when more comes. */
static void query_read(struct spawner *sp, struct query *q, int k)
{
	const struct spawn_config *cfg = sp->cfg;

	while (q->fd[k] >= 0) {
		size_t n = READ_CHUNK;
		char *dst = NULL;
		ssize_t r;

		if (k == 0)
			dst = room(&q->out, q->out_len, &q->out_alloc, cfg->out_cap, &n);
		else if (k == 1)
			dst = room(&q->err, q->err_len, &q->err_alloc, cfg->err_cap, &n);
		else
			dst = room(&q->ev, q->ev_len, &q->ev_alloc, EVENTS_CAP, &n);
		if (!dst) {
			dst = sp->scratch;
			n = READ_CHUNK;
		}
		r = read(q->fd[k], dst, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) { /* EOF, or an error no retry would fix */
			epoll_forget(sp, &q->fd[k]);
			return;
		}
		if (dst == sp->scratch) {
			if (k == 0)
				q->flags |= HQ_OUT_TRUNCATED;
		} else if (k == 0) {
			q->out_len += (size_t)r;
		} else if (k == 1) {
			q->err_len += (size_t)r;
		} else {
			q->ev_len += (size_t)r;
		}
		if ((size_t)r < n)
			return;
	}
}

/* The leader's exit was seen at now (taken right after epoll_wait returned,
 * so after the exit: a valid end for the interval). */
static void query_exited(struct spawner *sp, struct query *q, int64_t now)
{
	int64_t until;

	q->end_ns = now;
	/* Nothing of the query outlives it: leftovers of its group go now,
	 * while the unreaped leader still pins the group id. A descendant
	 * that made its own group or session escapes this (documented). */
	kill(-q->pid, SIGKILL);
	if (reap(q->pid, &q->wstatus) < 0)
		q->flags |= HQ_SPAWN_FAILED; /* someone else reaped it: no status */
	q->reaped = true;
	epoll_forget(sp, &q->pidfd);
	until = q->bound_at_ns == INT64_MAX ? now + DRAIN_UNBOUNDED_NS : q->bound_at_ns;
	q->drain_until_ns = until > now + DRAIN_GRACE_NS ? until : now + DRAIN_GRACE_NS;
}

static void query_finish(struct spawner *sp, size_t slot)
{
	struct query *q = &sp->q[slot];
	const struct spawn_tag *tag = sp->tag;
	struct hquery hq = {
	    .worker = (uint32_t)slot,
	    .round = tag ? tag->round : 0,
	    .step = tag ? tag->step : 0,
	    .pid = q->pid,
	    .start_ns = q->start_ns,
	    .end_ns = q->end_ns,
	    .wstatus = q->wstatus,
	    .flags = (tag ? tag->flags : 0) | sp->flags | q->flags,
	    .out = q->out_len ? q->out : NULL,
	    .out_len = q->out_len,
	    .err = q->err_len ? q->err : NULL,
	    .err_len = q->err_len,
	    .events = q->ev_len ? q->ev : NULL,
	    .events_len = q->ev_len,
	    .scans = -1,
	};
	int id;

	if (!hq.out)
		free(q->out);
	if (!hq.err)
		free(q->err);
	if (!hq.events)
		free(q->ev);
	q->out = q->err = q->ev = NULL;
	id = history_add_query(sp->h, &hq);
	if (id < 0) {
		free(hq.out);
		free(hq.err);
		free(hq.events);
		if (!sp->err)
			sp->err = id;
	} else {
		sp->last_id = id;
	}
	q->live = false;
	sp->running--;
}

static int next_timeout_ms(const struct spawner *sp, int64_t now)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < sp->nq; i++) {
		const struct query *q = &sp->q[i];
		int64_t t;

		if (!q->live)
			continue;
		t = q->reaped ? q->drain_until_ns : (q->killed ? INT64_MAX : q->bound_at_ns);
		if (t < next)
			next = t;
	}
	if (next == INT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	next = (next - now + 999999) / 1000000;
	return next > INT_MAX ? INT_MAX : (int)next;
}

/* One round of the loop: waits for the next exits, output or deadline and
 * deals with them. Finished queries are recorded and their slots left
 * empty (!live). 0, or -errno when the loop itself cannot go on. */
static int spawner_step(struct spawner *sp, int64_t max_wait_ns)
{
	struct epoll_event ev[EPOLL_BATCH];
	int64_t now = clock_now_ns();
	int timeout = next_timeout_ms(sp, now);
	int n;

	if (max_wait_ns >= 0) {
		int cap = (int)((max_wait_ns + 999999) / 1000000);

		if (timeout < 0 || cap < timeout)
			timeout = cap;
	}
	n = epoll_wait(sp->epfd, ev, EPOLL_BATCH, timeout);
	now = clock_now_ns();
	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct query *q = &sp->q[ev[i].data.u64 >> 2];
		int kind = (int)(ev[i].data.u64 & 3);

		if (kind == K_PIDFD) {
			if (q->pidfd >= 0)
				query_exited(sp, q, now);
		} else {
			query_read(sp, q, kind - K_OUT);
		}
	}
	for (size_t i = 0; i < sp->nq; i++) {
		struct query *q = &sp->q[i];

		if (!q->live)
			continue;
		if (!q->reaped && !q->killed && now >= q->bound_at_ns) {
			kill(-q->pid, SIGKILL);
			kill(q->pid, SIGKILL); /* in case it left its group */
			q->killed = true;
			q->flags |= HQ_TIMED_OUT;
		}
		if (q->reaped && now >= q->drain_until_ns)
			for (int k = 0; k < 3; k++)
				if (q->fd[k] >= 0)
					epoll_forget(sp, &q->fd[k]);
		if (q->reaped && q->fd[0] < 0 && q->fd[1] < 0 && q->fd[2] < 0)
			query_finish(sp, i);
	}
	return 0;
}

static int spawner_run(struct spawner *sp)
{
	while (sp->running) {
		int rc = spawner_step(sp, -1);

		if (rc)
			return rc;
	}
	return sp->err;
}

/* --- the API ----------------------------------------------------------- */

struct sched_save {
	int policy;
	struct sched_param param;
	bool changed;
};

/* The release loop must not be preempted, by the workers it wakes or by
 * anything else on a loaded machine: for its few hundred microseconds the
 * caller runs SCHED_FIFO where it may (root), then returns to its policy
 * (nice is kept across the switch). Unprivileged, the loop just runs. */
static void release_begin(struct sched_save *s)
{
	struct sched_param fifo = {.sched_priority = 1};

	s->changed = pthread_getschedparam(pthread_self(), &s->policy, &s->param) == 0 &&
		     s->policy != SCHED_FIFO && s->policy != SCHED_RR &&
		     pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo) == 0;
}

static void release_end(const struct sched_save *s)
{
	if (s->changed)
		pthread_setschedparam(pthread_self(), s->policy, &s->param);
}

int spawn_herd(struct history *h, const struct spawn_config *cfg, size_t n,
	       const struct spawn_tag *tag, release_fn on_release, void *ctx,
	       struct herd_result *res)
{
	struct spawner sp;
	struct herd_result r = {0};
	struct sched_save sched;
	int rc = spawner_init(&sp, h, cfg, tag, n, HQ_HERD);

	for (size_t i = 0; i < n && !rc; i++) {
		rc = query_start(&sp, i, true);
		if (!rc)
			r.started++;
	}
	if (rc)
		goto out;
	/* The release: nothing but a clock read and a DETACH per worker, so
	 * the skew is n system calls. */
	release_begin(&sched);
	for (size_t i = 0; i < n; i++) {
		struct query *q = &sp.q[i];

		q->start_ns = clock_now_ns();
		if (ptrace(PTRACE_DETACH, q->pid, NULL, NULL) < 0) {
			/* Killed while parked: never ran, so the harness is to
			 * blame, not the implementation. */
			q->flags |= HQ_SPAWN_FAILED;
			kill(q->pid, SIGKILL);
		}
	}
	release_end(&sched);
	r.release_first_ns = sp.q[0].start_ns;
	r.release_last_ns = sp.q[n - 1].start_ns;
	for (size_t i = 0; i < n; i++)
		if (cfg->bound_ns > 0)
			sp.q[i].bound_at_ns = sp.q[i].start_ns + cfg->bound_ns;
	if (res)
		*res = r;
	if (on_release)
		on_release(ctx, r.release_first_ns);
	rc = spawner_run(&sp);
out:
	spawner_release(&sp);
	if (rc && res)
		*res = r;
	return rc;
}

int spawn_stream(struct history *h, const struct spawn_config *cfg, size_t workers,
		 int64_t duration_ns, const struct spawn_tag *tag, release_fn on_release, void *ctx)
{
	struct spawner sp;
	int64_t t_end = clock_now_ns() + duration_ns;
	int rc = spawner_init(&sp, h, cfg, tag, workers, 0);

	for (size_t i = 0; i < workers && !rc; i++)
		rc = query_start(&sp, i, false);
	if (rc)
		goto out;
	if (on_release)
		on_release(ctx, sp.q[0].start_ns);
	while (sp.running) {
		int64_t now = clock_now_ns();

		rc = spawner_step(&sp, now < t_end ? t_end - now : -1);
		if (rc)
			goto out;
		now = clock_now_ns();
		for (size_t i = 0; i < workers && now < t_end && !rc; i++)
			if (!sp.q[i].live)
				rc = query_start(&sp, i, false);
		if (rc)
			goto out;
	}
	rc = sp.err;
out:
	spawner_release(&sp);
	return rc;
}

int spawn_one(struct history *h, const struct spawn_config *cfg, const struct spawn_tag *tag)
{
	struct spawner sp;
	int rc = spawner_init(&sp, h, cfg, tag, 1, 0);

	if (!rc)
		rc = query_start(&sp, 0, false);
	if (!rc)
		rc = spawner_run(&sp);
	if (!rc)
		rc = sp.last_id;
	spawner_release(&sp);
	return rc;
}

int64_t spawn_bare(const struct spawn_config *cfg)
{
	struct child_args a = {
	    .argv = cfg ? cfg->argv : NULL,
	    .envp = cfg ? cfg->envp : NULL,
	    .cwd = cfg ? cfg->cwd : NULL,
	};
	void *stack = NULL;
	char *path = NULL;
	int nullfd = -1;
	int64_t t0, rc;
	pid_t pid;

	if (!a.argv || !a.argv[0] || !a.envp)
		return -EINVAL;
	rc = resolve_path(a.argv[0], &path);
	if (rc)
		goto out;
	stack = malloc(CHILD_STACK);
	if (!stack) {
		rc = -ENOMEM;
		goto out;
	}
	nullfd = fd_above_3(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (nullfd < 0) {
		rc = -errno;
		goto out;
	}
	a.path = path;
	a.fd[0] = a.fd[1] = a.fd[2] = nullfd;
	a.fd[3] = -1;
	t0 = clock_now_ns();
	rc = child_clone(stack, &a, false, &pid, NULL);
	if (!rc)
		rc = reap(pid, NULL);
	if (!rc)
		rc = clock_now_ns() - t0;
out:
	if (nullfd >= 0)
		close(nullfd);
	free(stack);
	free(path);
	return rc;
}
