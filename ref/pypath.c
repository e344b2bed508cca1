/* pypath.c: asking an interpreter for its sys.path, without a shell. */
#include "pypath.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char SCRIPT[] = "import os, sys\n"
			     "w = sys.stdout.buffer.write\n"
			     "for p in sys.path:\n"
			     "    w(os.fsencode(p) + b'\\0')\n";

void ep_pypath_init(struct pypath *p)
{
	p->entries = NULL;
	p->count = 0;
	p->exit_status = 0;
}

void ep_pypath_release(struct pypath *p)
{
	for (size_t i = 0; i < p->count; i++)
		free(p->entries[i]);
	free(p->entries);
	ep_pypath_init(p);
}

static int spawn(const char *interp, int out_fd, pid_t *pid)
{
	char *argv[] = {(char *)interp, (char *)"-I", (char *)"-c", (char *)SCRIPT, NULL};
	posix_spawn_file_actions_t fa;
	int rc;

	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return -rc;
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (!rc)
		rc = posix_spawnp(pid, interp, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -rc;
}

static int read_capped(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= PYPATH_OUTPUT_MAX) {
				free(b);
				return -E2BIG;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = b;
	*len = n;
	return 0;
}

static int split(struct pypath *p, const char *b, size_t len)
{
	size_t n = 0;

	if (len && b[len - 1] != '\0')
		return -EPROTO;
	for (size_t i = 0; i < len; i++)
		n += b[i] == '\0';
	p->entries = calloc(n ? n : 1, sizeof(*p->entries));
	if (!p->entries)
		return -ENOMEM;
	for (size_t off = 0; off < len; off += strlen(b + off) + 1) {
		p->entries[p->count] = strdup(b + off);
		if (!p->entries[p->count])
			return -ENOMEM;
		p->count++;
	}
	return 0;
}

int ep_pypath_query(const char *interp, struct pypath *p)
{
	int fds[2], wst = 0, rc, rrc;
	char *out = NULL;
	size_t len = 0;
	pid_t pid;

	ep_pypath_release(p);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rc = spawn(interp, fds[1], &pid);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return rc;
	}
	rrc = read_capped(fds[0], &out, &len);
	close(fds[0]); /* a child still writing gets EPIPE and ends */
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	p->exit_status = wst;
	rc = rrc;
	if (!rc && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0))
		rc = -ECHILD;
	if (!rc)
		rc = split(p, out, len);
	free(out);
	if (rc) {
		ep_pypath_release(p);
		p->exit_status = wst; /* kept: it says why the interpreter failed */
	}
	return rc;
}
