/* treehash.c: walking, snapshotting, comparing and removing trees, always
 * relative to directory fds and never following symlinks. */
#include "treehash.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREE_MAX_DEPTH 64

static int snap_push(struct tree_snap *s, const char *rel, const struct stat *st)
{
	struct tree_item *it;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct tree_item *n = realloc(s->items, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->items = n;
		s->cap = cap;
	}
	it = &s->items[s->n];
	memset(it, 0, sizeof(*it));
	it->rel = strdup(rel);
	if (!it->rel)
		return -ENOMEM;
	it->mode = st->st_mode;
	it->uid = st->st_uid;
	it->gid = st->st_gid;
	it->size = S_ISDIR(st->st_mode) ? 0 : (int64_t)st->st_size;
	if (S_ISREG(st->st_mode))
		it->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	s->n++;
	return 0;
}

static uint64_t hash_file(int dirfd, const char *name, bool *unreadable)
{
	struct hash64 h;
	char buf[65536];
	ssize_t r;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	hash64_init(&h);
	if (fd < 0) {
		*unreadable = true;
		return 0;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		hash64_update(&h, buf, (size_t)r);
	if (r < 0)
		*unreadable = true;
	close(fd);
	return hash64_final(&h);
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);

	if (!p)
		return NULL;
	memcpy(p, a, la);
	if (la)
		p[la++] = '/';
	memcpy(p + la, b, lb + 1);
	return p;
}

static int snap_dir(int fd0, const char *rel, int depth, tree_skip_fn skip, void *ctx,
		    struct tree_snap *out)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > TREE_MAX_DEPTH)
		return -ELOOP;
	d = fdopendir(fd0);
	if (!d) {
		close(fd0);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = join(rel, de->d_name);
		if (!sub) {
			rc = -ENOMEM;
			break;
		}
		if ((skip && skip(ctx, sub)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(sub);
			continue;
		}
		rc = snap_push(out, sub, &st);
		if (rc == 0) {
			struct tree_item *it = &out->items[out->n - 1];

			if (S_ISREG(st.st_mode)) {
				it->content = hash_file(dirfd(d), de->d_name, &it->unreadable);
			} else if (S_ISLNK(st.st_mode)) {
				char target[4096];
				ssize_t l =
				    readlinkat(dirfd(d), de->d_name, target, sizeof(target));

				it->content = l >= 0 ? hash64(target, (size_t)l) : 0;
			} else if (S_ISDIR(st.st_mode)) {
				int fd = openat(dirfd(d), de->d_name,
						O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				if (fd < 0)
					it->unreadable = true;
				else
					rc = snap_dir(fd, sub, depth + 1, skip, ctx, out);
			}
		}
		free(sub);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tree_item *)a)->rel, ((const struct tree_item *)b)->rel);
}

int tree_snap_take(const char *root, tree_skip_fn skip, void *ctx, struct tree_snap *out)
{
	int fd, rc;

	memset(out, 0, sizeof(*out));
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	rc = snap_dir(fd, "", 0, skip, ctx, out);
	if (rc) {
		tree_snap_release(out);
		return rc;
	}
	if (out->n)
		qsort(out->items, out->n, sizeof(*out->items), item_cmp);
	return 0;
}

void tree_snap_release(struct tree_snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i].rel);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static const char *item_change(const struct tree_item *a, const struct tree_item *b)
{
	if ((a->mode & S_IFMT) != (b->mode & S_IFMT))
		return "changed type";
	if (a->content != b->content || a->size != b->size)
		return S_ISLNK(a->mode) ? "changed target" : "changed content";
	if ((a->mode & 07777) != (b->mode & 07777))
		return "changed mode";
	if (a->uid != b->uid || a->gid != b->gid)
		return "changed owner";
	if (a->mtime_ns != b->mtime_ns)
		return "changed mtime";
	return NULL;
}

static int change_push(struct tree_change **v, size_t *n, size_t *cap, const char *rel,
		       const char *what)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct tree_change *nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[*n].rel = strdup(rel);
	if (!(*v)[*n].rel)
		return -ENOMEM;
	(*v)[*n].what = what;
	(*n)++;
	return 0;
}

int tree_snap_diff(const struct tree_snap *before, const struct tree_snap *after,
		   struct tree_change **out, size_t *n)
{
	size_t i = 0, j = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	while (rc == 0 && (i < before->n || j < after->n)) {
		int c = i == before->n	? 1
			: j == after->n ? -1
					: strcmp(before->items[i].rel, after->items[j].rel);

		if (c < 0) {
			rc = change_push(out, n, &cap, before->items[i++].rel, "removed");
		} else if (c > 0) {
			rc = change_push(out, n, &cap, after->items[j++].rel, "created");
		} else {
			const char *what = item_change(&before->items[i], &after->items[j]);

			if (what)
				rc = change_push(out, n, &cap, after->items[j].rel, what);
			i++;
			j++;
		}
	}
	if (rc) {
		tree_changes_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void tree_changes_free(struct tree_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].rel);
	free(c);
}

struct counter {
	uint64_t files, dirs, bytes;
};

static int count_dir(int fd0, const char *rel, int depth, tree_skip_fn skip, void *ctx,
		     struct counter *c)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > TREE_MAX_DEPTH)
		return -ELOOP;
	d = fdopendir(fd0);
	if (!d) {
		close(fd0);
		return -errno;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = join(rel, de->d_name);
		if (!sub)
			return closedir(d), -ENOMEM;
		if ((!skip || !skip(ctx, sub)) &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(st.st_mode)) {
				int fd = openat(dirfd(d), de->d_name,
						O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				c->dirs++;
				if (fd >= 0)
					rc = count_dir(fd, sub, depth + 1, skip, ctx, c);
			} else {
				c->files++;
				c->bytes += (uint64_t)st.st_size;
			}
		}
		free(sub);
	}
	closedir(d);
	return rc;
}

int tree_count(const char *root, tree_skip_fn skip, void *ctx, uint64_t *files, uint64_t *dirs,
	       uint64_t *bytes)
{
	struct counter c = {0, 0, 0};
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd >= 0)
		rc = count_dir(fd, "", 0, skip, ctx, &c);
	else if (errno != ENOENT && errno != ENOTDIR)
		rc = -errno;
	*files = c.files;
	*dirs = c.dirs;
	*bytes = c.bytes;
	return rc;
}

/* The directory being removed, for subtrees too deep to walk from it. */
struct remover {
	int topfd;
	unsigned moved;
};

static int remove_at(struct remover *rm, int parent, const char *name, int depth)
{
	struct stat st;
	int rc = 0;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A scenario may have left a directory 0500 or 0000; as a non-root
	 * owner we need rwx to empty it (and w to move it: its ".." changes). */
	if (S_ISDIR(st.st_mode) && (st.st_mode & 0700) != 0700)
		fchmodat(parent, name, (st.st_mode & 07777) | 0700, 0);
	/* A tree deeper than TREE_MAX_DEPTH (an implementation may make one in
	 * its cache tree) must go too: the too-deep directory is moved up into
	 * the top directory, whose loop below comes back for it, so recursion
	 * and open descriptors stay bounded. */
	if (S_ISDIR(st.st_mode) && depth >= TREE_MAX_DEPTH && rm->topfd >= 0) {
		for (;;) {
			char up[32];

			snprintf(up, sizeof(up), ".tree_remove.%u", rm->moved++);
			if (renameat2(parent, name, rm->topfd, up, RENAME_NOREPLACE) == 0)
				return 0;
			if (errno != EEXIST)
				return -errno;
		}
	}
	if (S_ISDIR(st.st_mode)) {
		int fd;
		DIR *d;
		struct dirent *de;
		unsigned moved;

		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		if (depth == 0)
			rm->topfd = dirfd(d);
		do {
			moved = rm->moved;
			while ((de = readdir(d)) != NULL) {
				int r;

				if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
					continue;
				r = remove_at(rm, dirfd(d), de->d_name, depth + 1);
				if (r && !rc)
					rc = r;
			}
			/* Subtrees moved up here may have been missed by readdir. */
			if (depth == 0 && rm->moved != moved)
				rewinddir(d);
		} while (depth == 0 && rm->moved != moved && rc == 0);
		if (depth == 0)
			rm->topfd = -1;
		closedir(d);
	}
	if (unlinkat(parent, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT &&
	    !rc)
		rc = -errno;
	return rc;
}

int tree_remove(const char *path)
{
	struct remover rm = {.topfd = -1, .moved = 0};

	return remove_at(&rm, AT_FDCWD, path, 0);
}
