/* watch.c: owns the outside view of a run: fanotify (or inotify) marks on
 * metadata directories that say who opened which entry_points.txt (I4),
 * inotify on the quiet directories (I8), and the reader thread of both. */
#include "watch.h"
#include "history.h" /* clock_now_ns() */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200 /* Linux 6.5: a handle for identity, not for opening */
#endif

#define EP_NAME	   "entry_points.txt"
#define READ_BUF   (64 * 1024)
#define HANDLE_MAX 128 /* MAX_HANDLE_SZ */
#define QUIET_MASK                                                                                 \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO |             \
	 IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)

/* One marked metadata directory. Its identity is the inode, not the path:
 * the mutator renames metadata directories in and out of path entries, and
 * an open of the renamed directory's file still belongs to the entry. */
struct dist_mark {
	uint32_t entry;
	int wd; /* inotify fallback */
	dev_t dev;
	ino_t ino;
	bool fid; /* marked on the FID group: the fields below identify it */
	int fsid[2];
	int handle_type;
	unsigned handle_bytes;
	unsigned char handle[HANDLE_MAX];
};

struct quiet_mark {
	int wd;
	char *dir;
};

struct watch {
	/* Set at open, read-only afterwards. */
	int fan_fid;  /* fanotify reporting the directory's handle and the name */
	int fan_fd;   /* fanotify reporting an open fd: filesystems without handles */
	int ino_dist; /* inotify for opens when there is no fanotify */
	int ino_quiet;
	int wake; /* eventfd: watch_stop() */
	pid_t self;
	bool fid_forbidden; /* CT_WATCH_FANOTIFY_FD=1 */
	char *buf;	    /* the reader's */

	pthread_t thread;
	bool running; /* touched by the owner only */

	pthread_mutex_t lock; /* everything below */
	struct dist_mark *dists;
	size_t ndists, cdists;
	struct quiet_mark *quiets;
	size_t nquiets, cquiets;
	struct open_event *opens;
	size_t nopens, copens;
	struct quiet_event *qevents;
	size_t nqevents, cqevents;
	uint64_t lost;
};

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static bool env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

int watch_open(struct watch **out)
{
	struct watch *w = calloc(1, sizeof(*w));
	const unsigned fan_flags =
	    FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE;
	const unsigned ev_flags = O_RDONLY | O_CLOEXEC | O_LARGEFILE;
	int rc = 0;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->fan_fid = w->fan_fd = w->ino_dist = w->ino_quiet = w->wake = -1;
	w->self = getpid();
	pthread_mutex_init(&w->lock, NULL);
	w->buf = malloc(READ_BUF);
	if (!w->buf) {
		rc = -ENOMEM;
		goto out;
	}
	/* CT_WATCH_FORCE_INOTIFY=1 takes the unprivileged path even as root,
	 * CT_WATCH_FANOTIFY_FD=1 the path for filesystems without file
	 * handles: test seams, documented in watch.h. */
	if (!env_set("CT_WATCH_FORCE_INOTIFY")) {
		w->fid_forbidden = env_set("CT_WATCH_FANOTIFY_FD");
		if (!w->fid_forbidden)
			w->fan_fid = fanotify_init(fan_flags | FAN_REPORT_DFID_NAME, ev_flags);
		w->fan_fd = fanotify_init(fan_flags, ev_flags);
		if (w->fan_fd < 0 && errno != EPERM && errno != ENOSYS && errno != EINVAL) {
			rc = -errno;
			goto out;
		}
	}
	if (w->fan_fd < 0) {
		if (w->fan_fid >= 0)
			close(w->fan_fid);
		w->fan_fid = -1;
		w->ino_dist = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->ino_dist < 0) {
			rc = -errno;
			goto out;
		}
	}
	w->ino_quiet = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->ino_quiet < 0 || w->wake < 0)
		rc = -errno;
out:
	if (rc) {
		watch_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

const char *watch_method(const struct watch *w)
{
	return w->fan_fd >= 0 ? "fanotify" : "inotify";
}

int watch_has_pids(const struct watch *w)
{
	return w->fan_fd >= 0;
}

/* The directory's handle as fanotify reports it (AT_HANDLE_FID asks for
 * the same encoding; kernels before 6.5 give the same bytes without it). */
static int dir_handle(const char *dir, struct dist_mark *m)
{
	struct {
		struct file_handle fh;
		unsigned char room[HANDLE_MAX];
	} h;
	struct statfs sf;
	int mnt;

	h.fh.handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mnt, AT_HANDLE_FID) < 0) {
		if (errno != EINVAL)
			return -errno;
		h.fh.handle_bytes = HANDLE_MAX;
		if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mnt, 0) < 0)
			return -errno;
	}
	if (statfs(dir, &sf) < 0)
		return -errno;
	memcpy(m->fsid, &sf.f_fsid, sizeof(m->fsid));
	m->handle_type = h.fh.handle_type;
	m->handle_bytes = h.fh.handle_bytes;
	memcpy(m->handle, h.fh.f_handle, h.fh.handle_bytes);
	return 0;
}

/* Marks dir on the FID group, or on the fd group where the filesystem
 * cannot give handles (or fanotify reports them unusable for it). */
static int mark_fanotify(struct watch *w, const char *dir, struct dist_mark *m)
{
	const uint64_t mask = FAN_OPEN | FAN_EVENT_ON_CHILD;
	const unsigned flags = FAN_MARK_ADD | FAN_MARK_ONLYDIR;

	if (w->fan_fid >= 0 && dir_handle(dir, m) == 0) {
		if (fanotify_mark(w->fan_fid, flags, mask, AT_FDCWD, dir) == 0) {
			m->fid = true;
			return 0;
		}
		if (errno != EOPNOTSUPP && errno != ENODEV && errno != EXDEV && errno != EINVAL)
			return -errno;
	}
	m->fid = false;
	return fanotify_mark(w->fan_fd, flags, mask, AT_FDCWD, dir) < 0 ? -errno : 0;
}

static struct dist_mark *find_inode(struct watch *w, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < w->ndists; i++)
		if (w->dists[i].dev == dev && w->dists[i].ino == ino)
			return &w->dists[i];
	return NULL;
}

int watch_add_dist(struct watch *w, const char *dir, uint32_t entry)
{
	struct dist_mark m = {.entry = entry, .wd = -1};
	struct dist_mark *old;
	struct stat st;
	int rc;

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	m.dev = st.st_dev;
	m.ino = st.st_ino;
	/* Held across the mark, so the reader never sees an event of a mark
	 * it cannot attribute yet. */
	pthread_mutex_lock(&w->lock);
	if (w->ino_dist >= 0) {
		m.wd = inotify_add_watch(w->ino_dist, dir, IN_OPEN | IN_ONLYDIR);
		rc = m.wd < 0 ? -errno : 0;
	} else {
		rc = mark_fanotify(w, dir, &m);
	}
	if (rc)
		goto out;
	/* Marked again (moved to another entry, or an inode number reused):
	 * the newest mark says which entry it belongs to. */
	old = find_inode(w, m.dev, m.ino);
	if (old) {
		*old = m;
		goto out;
	}
	rc = grow((void **)&w->dists, &w->cdists, w->ndists, sizeof(*w->dists));
	if (!rc)
		w->dists[w->ndists++] = m;
out:
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int watch_add_quiet(struct watch *w, const char *dir)
{
	char *copy = strdup(dir);
	int rc = 0, wd;

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&w->lock);
	wd = inotify_add_watch(w->ino_quiet, dir, QUIET_MASK | IN_ONLYDIR);
	if (wd < 0) {
		rc = -errno;
		goto out;
	}
	/* The same directory under two names is one watch: keep the first. */
	for (size_t i = 0; i < w->nquiets; i++)
		if (w->quiets[i].wd == wd)
			goto out;
	rc = grow((void **)&w->quiets, &w->cquiets, w->nquiets, sizeof(*w->quiets));
	if (!rc) {
		w->quiets[w->nquiets].wd = wd;
		w->quiets[w->nquiets++].dir = copy;
		copy = NULL;
	}
out:
	pthread_mutex_unlock(&w->lock);
	free(copy);
	return rc;
}

/* --- the reader ---------------------------------------------------------- */

/* Under the lock. An allocation failure loses the event: counted as lost. */
static void add_open(struct watch *w, int64_t ts, pid_t pid, pid_t pgid, uint32_t entry)
{
	if (grow((void **)&w->opens, &w->copens, w->nopens, sizeof(*w->opens))) {
		w->lost++;
		return;
	}
	w->opens[w->nopens++] =
	    (struct open_event){.ts_ns = ts, .pid = pid, .pgid = pgid, .entry = entry};
}

static struct dist_mark *find_handle(struct watch *w, const struct fanotify_event_info_fid *fid)
{
	const struct file_handle *fh = (const struct file_handle *)fid->handle;

	for (size_t i = 0; i < w->ndists; i++) {
		const struct dist_mark *m = &w->dists[i];

		if (m->fid && m->handle_type == fh->handle_type &&
		    m->handle_bytes == fh->handle_bytes &&
		    !memcmp(m->fsid, &fid->fsid, sizeof(m->fsid)) &&
		    !memcmp(m->handle, fh->f_handle, fh->handle_bytes))
			return &w->dists[i];
	}
	return NULL;
}

/* An event of the FID group: its directory's handle and the child's name
 * as they were at the open, whatever was renamed since. 1 with the entry,
 * 0 when it is not an entry_points.txt, -1 when it is but the directory is
 * not one of ours (a handle encoded differently: counted as lost). */
static int fid_entry(struct watch *w, const char *ev, const struct fanotify_event_metadata *md,
		     uint32_t *entry)
{
	const char *p = ev + md->metadata_len;
	const char *end = ev + md->event_len;

	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *hdr = (const void *)p;
		const struct fanotify_event_info_fid *fid = (const void *)p;
		const struct file_handle *fh;
		struct dist_mark *m;

		if (hdr->len == 0 || p + hdr->len > end)
			break;
		p += hdr->len;
		if (hdr->info_type != FAN_EVENT_INFO_TYPE_DFID_NAME)
			continue;
		fh = (const struct file_handle *)fid->handle;
		if (strcmp((const char *)fh->f_handle + fh->handle_bytes, EP_NAME) != 0)
			return 0;
		m = find_handle(w, fid);
		if (!m)
			return -1;
		*entry = m->entry;
		return 1;
	}
	return 0;
}

/* An event of the fd group: the opened file's path now, checked against
 * the directory it names (a rename may race with the look-up). Outside the
 * lock: only system calls on the event's fd. 1 and the parent's identity,
 * 0 when the file is not an entry_points.txt, -1 when it is but its
 * directory cannot be told (counted as lost). */
static int fd_parent(int fd, dev_t *dev, ino_t *ino)
{
	char link[40], path[PATH_MAX + 16];
	struct stat st, pst, chk;

	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	for (int tries = 0; tries < 3; tries++) {
		ssize_t n = readlink(link, path, sizeof(path) - 1);
		char *slash;
		bool ok;
		int dfd;

		if (n <= 0)
			return -1;
		path[n] = 0;
		/* An unlinked file reads "... (deleted)"; its parent is still the
		 * directory of that path. */
		if (st.st_nlink == 0 && n > 10 && !strcmp(path + n - 10, " (deleted)"))
			path[n - 10] = 0;
		slash = strrchr(path, '/');
		if (!slash || strcmp(slash + 1, EP_NAME) != 0)
			return 0;
		*slash = 0;
		dfd = open(slash == path ? "/" : path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		ok = fstat(dfd, &pst) == 0 &&
		     (st.st_nlink == 0 || (fstatat(dfd, EP_NAME, &chk, AT_SYMLINK_NOFOLLOW) == 0 &&
					   chk.st_dev == st.st_dev && chk.st_ino == st.st_ino));
		close(dfd);
		if (ok) {
			*dev = pst.st_dev;
			*ino = pst.st_ino;
			return 1;
		}
	}
	return -1;
}

static void read_fanotify(struct watch *w, int fd)
{
	for (;;) {
		ssize_t n = read(fd, w->buf, READ_BUF);
		int64_t ts = clock_now_ns();
		size_t len = n > 0 ? (size_t)n : 0, off;

		if (n <= 0)
			return; /* EAGAIN: drained */
		/* Events are only 4-byte aligned (a file handle's length is any
		 * multiple of 4): each header is copied out before it is read. */
		for (off = 0; off + FAN_EVENT_METADATA_LEN <= len;) {
			struct fanotify_event_metadata md;
			const char *ev = w->buf + off;
			pid_t pgid = 0;
			uint32_t entry = 0;
			dev_t dev = 0;
			ino_t ino = 0;
			int keep;

			memcpy(&md, ev, sizeof(md));
			if (md.vers != FANOTIFY_METADATA_VERSION || md.event_len < sizeof(md) ||
			    md.event_len > len - off)
				break;
			off += md.event_len;
			if (md.mask & FAN_Q_OVERFLOW) {
				pthread_mutex_lock(&w->lock);
				w->lost++;
				pthread_mutex_unlock(&w->lock);
				continue;
			}
			/* The harness's oracle and mutator open these files too;
			 * metadata.pid is the thread group id, as getpid() is. */
			keep = md.pid != w->self;
			if (keep) {
				pgid = getpgid(md.pid);
				if (pgid < 0)
					pgid = 0;
			}
			if (keep && md.fd >= 0)
				keep = fd_parent(md.fd, &dev, &ino);
			if (md.fd >= 0)
				close(md.fd);
			if (!keep)
				continue;
			pthread_mutex_lock(&w->lock);
			if (md.fd < 0) {
				keep = fid_entry(w, ev, &md, &entry);
			} else if (keep > 0) {
				struct dist_mark *m = find_inode(w, dev, ino);

				keep = m ? 1 : -1;
				if (m)
					entry = m->entry;
			}
			if (keep > 0)
				add_open(w, ts, md.pid, pgid, entry);
			else if (keep < 0)
				w->lost++;
			pthread_mutex_unlock(&w->lock);
		}
	}
}

static void quiet_event(struct watch *w, const struct inotify_event *ev, int64_t ts)
{
	const char *dir = NULL;
	size_t dlen, nlen = ev->len ? strlen(ev->name) : 0;
	char *path;

	for (size_t i = 0; i < w->nquiets && !dir; i++)
		if (w->quiets[i].wd == ev->wd)
			dir = w->quiets[i].dir;
	if (!dir)
		return;
	dlen = strlen(dir);
	path = malloc(dlen + nlen + 2);
	if (!path || grow((void **)&w->qevents, &w->cqevents, w->nqevents, sizeof(*w->qevents))) {
		free(path);
		w->lost++;
		return;
	}
	memcpy(path, dir, dlen);
	if (nlen) {
		path[dlen++] = '/';
		memcpy(path + dlen, ev->name, nlen);
	}
	path[dlen + nlen] = 0;
	w->qevents[w->nqevents++] =
	    (struct quiet_event){.ts_ns = ts, .mask = ev->mask, .path = path};
}

static void dist_event(struct watch *w, const struct inotify_event *ev, int64_t ts)
{
	if ((ev->mask & IN_ISDIR) || !ev->len || strcmp(ev->name, EP_NAME) != 0)
		return;
	for (size_t i = 0; i < w->ndists; i++)
		if (w->dists[i].wd == ev->wd) {
			add_open(w, ts, 0, 0, w->dists[i].entry);
			return;
		}
}

static void read_inotify(struct watch *w, int fd, bool quiet)
{
	for (;;) {
		ssize_t n = read(fd, w->buf, READ_BUF);
		int64_t ts = clock_now_ns();

		if (n <= 0)
			return;
		pthread_mutex_lock(&w->lock);
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *ev = (const void *)(w->buf + off);

			off += (ssize_t)(sizeof(*ev) + ev->len);
			if (ev->mask & IN_Q_OVERFLOW)
				w->lost++;
			else if (ev->mask & IN_IGNORED)
				continue; /* the watch went with its directory */
			else if (quiet)
				quiet_event(w, ev, ts);
			else
				dist_event(w, ev, ts);
		}
		pthread_mutex_unlock(&w->lock);
	}
}

static void drain(struct watch *w)
{
	if (w->fan_fid >= 0)
		read_fanotify(w, w->fan_fid);
	if (w->fan_fd >= 0)
		read_fanotify(w, w->fan_fd);
	if (w->ino_dist >= 0)
		read_inotify(w, w->ino_dist, false);
	read_inotify(w, w->ino_quiet, true);
}

static void *reader(void *arg)
{
	struct watch *w = arg;
	struct pollfd p[5];
	nfds_t n = 0;

	p[n++] = (struct pollfd){.fd = w->wake, .events = POLLIN};
	p[n++] = (struct pollfd){.fd = w->ino_quiet, .events = POLLIN};
	if (w->fan_fid >= 0)
		p[n++] = (struct pollfd){.fd = w->fan_fid, .events = POLLIN};
	if (w->fan_fd >= 0)
		p[n++] = (struct pollfd){.fd = w->fan_fd, .events = POLLIN};
	if (w->ino_dist >= 0)
		p[n++] = (struct pollfd){.fd = w->ino_dist, .events = POLLIN};
	for (;;) {
		if (poll(p, n, -1) < 0 && errno != EINTR)
			break;
		/* Everything readable is read at once: the opener may be gone
		 * by the time its pgid is asked for, so no fd waits its turn. */
		drain(w);
		if (p[0].revents & POLLIN)
			break;
	}
	drain(w);
	return NULL;
}

int watch_start(struct watch *w)
{
	uint64_t junk;
	int rc;

	if (w->running)
		return -EBUSY;
	while (read(w->wake, &junk, sizeof(junk)) > 0)
		;
	rc = pthread_create(&w->thread, NULL, reader, w);
	if (rc)
		return -rc;
	w->running = true;
	return 0;
}

int watch_stop(struct watch *w)
{
	uint64_t one = 1;

	if (!w->running) {
		drain(w);
		return 0;
	}
	if (write(w->wake, &one, sizeof(one)) < 0)
		return -errno;
	pthread_join(w->thread, NULL);
	w->running = false;
	return 0;
}

const struct open_event *watch_opens(const struct watch *w, size_t *n)
{
	*n = w->nopens;
	return w->opens;
}

const struct quiet_event *watch_quiet_events(const struct watch *w, size_t *n)
{
	*n = w->nqevents;
	return w->qevents;
}

uint64_t watch_lost(const struct watch *w)
{
	return w->lost;
}

void watch_reset(struct watch *w)
{
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nqevents; i++)
		free(w->qevents[i].path);
	w->nqevents = 0;
	w->nopens = 0;
	w->lost = 0;
	pthread_mutex_unlock(&w->lock);
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	if (w->running)
		watch_stop(w);
	watch_reset(w);
	for (size_t i = 0; i < w->nquiets; i++)
		free(w->quiets[i].dir);
	free(w->quiets);
	free(w->dists);
	free(w->opens);
	free(w->qevents);
	free(w->buf);
	if (w->fan_fid >= 0)
		close(w->fan_fid);
	if (w->fan_fd >= 0)
		close(w->fan_fd);
	if (w->ino_dist >= 0)
		close(w->ino_dist);
	if (w->ino_quiet >= 0)
		close(w->ino_quiet);
	if (w->wake >= 0)
		close(w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
