/* oracle.c: the harness's scanner and entry_points.txt parser, written from
 * PROTOCOL.md section 3 alone and never from ref/, so that a parser bug in
 * the reference cannot hide behind the same bug here. */
#include "oracle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A truncated file would give a plausible but wrong view, so past the cap
 * the scan fails instead. Real entry_points.txt files are a few KiB. */
#define ORACLE_FILE_MAX ((size_t)64 << 20)

static const char ep_file[] = "entry_points.txt";

/* Python's str.splitlines on ASCII: LF, CR (and CR LF), VT, FF, 0x1C-0x1E. */
static int is_break(unsigned char c)
{
	return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e);
}

/* Python's str.strip on ASCII: TAB, LF, VT, FF, CR, 0x1C-0x1F and space.
 * Bytes from 0x80 up are never white space here: the protocol works on
 * bytes, where Python would strip U+0085 or U+00A0 after decoding. */
static int is_space(unsigned char c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

static void strip(const char **p, size_t *len)
{
	const unsigned char *s = (const unsigned char *)*p;
	size_t n = *len;

	while (n && is_space(s[0])) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	*p = (const char *)s;
	*len = n;
}

/* The line format has TAB as its field separator and C strings end at NUL:
 * the protocol drops entries holding either rather than escape them. */
static int has_tab_or_nul(const char *p, size_t len)
{
	return memchr(p, '\t', len) || memchr(p, '\0', len);
}

int oracle_parse(const char *dist, size_t dist_len, const char *buf, size_t len, struct linebuf *lb)
{
	/* buf may be NULL for an empty file: no pointer arithmetic on it. */
	const char *p = buf, *end = len ? buf + len : buf;
	const char *group = NULL;
	size_t group_len = 0;
	int group_ok = 0;

	while (p < end) {
		const char *line = p, *eq, *name, *value;
		size_t n, name_len, value_len;

		while (p < end && !is_break((unsigned char)*p))
			p++;
		n = (size_t)(p - line);
		/* CR LF is one break; splitting it in two would only add an
		 * empty line, which is skipped anyway, but stay exact. */
		if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		if (p < end)
			p++;

		strip(&line, &n);
		if (!n || line[0] == '#')
			continue;
		if (line[0] == '[' && line[n - 1] == ']') {
			/* line.strip('[]'): every bracket off both ends, no
			 * white space strip after, so "[ g ]" is group " g ". */
			group = line;
			group_len = n;
			while (group_len && (group[0] == '[' || group[0] == ']')) {
				group++;
				group_len--;
			}
			while (group_len &&
			       (group[group_len - 1] == '[' || group[group_len - 1] == ']'))
				group_len--;
			group_ok = !has_tab_or_nul(group, group_len);
			continue;
		}
		if (!group || !group_ok)
			continue;
		eq = memchr(line, '=', n);
		if (!eq)
			continue;
		name = line;
		name_len = (size_t)(eq - line);
		value = eq + 1;
		value_len = n - name_len - 1;
		strip(&name, &name_len);
		strip(&value, &value_len);
		if (!name_len || has_tab_or_nul(name, name_len) || has_tab_or_nul(value, value_len))
			continue;

		const char *fields[4] = {dist, group, name, value};
		const size_t lens[4] = {dist_len, group_len, name_len, value_len};
		int rc = linebuf_add_fields(lb, 4, fields, lens);

		if (rc)
			return rc;
	}
	return 0;
}

/* Errors that mean "this part is not there or not readable": it contributes
 * nothing. Anything else (EMFILE, ENOMEM, EIO...) means the oracle cannot
 * know the view and must say so. */
static int is_absent_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case EACCES:
	case EPERM:
	case ELOOP:
	case ENAMETOOLONG:
	case ENXIO:
	case ENODEV:
		return 1;
	default:
		return 0;
	}
}

static int ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (n < k)
		return 0;
	s += n - k;
	/* ASCII only, whatever the locale: tolower() could fold other bytes. */
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)suffix[i])
			return 0;
	}
	return 1;
}

static int is_metadata_name(const char *name, size_t n)
{
	if (memchr(name, '\t', n) || memchr(name, '\n', n) || memchr(name, '\r', n))
		return 0;
	return ends_with_ci(name, n, ".dist-info") || ends_with_ci(name, n, ".egg-info");
}

struct readbuf {
	char *p;
	size_t len, cap;
};

static int readbuf_reserve(struct readbuf *b, size_t want)
{
	char *n;

	if (want <= b->cap)
		return 0;
	n = realloc(b->p, want);
	if (!n)
		return -ENOMEM;
	b->p = n;
	b->cap = want;
	return 0;
}

/* Reads all of fd into b, at most ORACLE_FILE_MAX bytes. The size from
 * fstat is only a hint: the file may grow or shrink while it is read. */
static int read_capped(int fd, size_t hint, struct readbuf *b)
{
	int rc = readbuf_reserve(b, hint + 1 < 4096 ? 4096 : hint + 1);

	b->len = 0;
	while (!rc) {
		ssize_t r;

		if (b->len == b->cap) {
			size_t want = b->cap * 2;

			/* One byte past the cap is enough to tell "too big". */
			if (want > ORACLE_FILE_MAX + 1)
				want = ORACLE_FILE_MAX + 1;
			rc = readbuf_reserve(b, want);
			if (rc)
				return rc;
		}
		r = read(fd, b->p + b->len, b->cap - b->len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
		if (b->len > ORACLE_FILE_MAX)
			return -EFBIG;
	}
	return rc;
}

/* One child of the path entry whose name qualifies: parse its
 * entry_points.txt if it holds a readable regular one. */
static int scan_dist(int at, const char *name, size_t name_len, struct readbuf *b,
		     struct linebuf *lb)
{
	char path[NAME_MAX + sizeof(ep_file) + 2];
	struct stat st;
	int fd, rc;

	if (name_len > NAME_MAX)
		return 0;
	memcpy(path, name, name_len);
	path[name_len] = '/';
	memcpy(path + name_len + 1, ep_file, sizeof(ep_file));

	/* "name/entry_points.txt" resolves only when name is a directory
	 * (following links), so this one lookup also decides that part of the
	 * rule. stat before open: opening a device node can have side effects
	 * and a FIFO would block, and neither is a regular file. */
	if (fstatat(at, path, &st, 0) < 0)
		return is_absent_errno(errno) ? 0 : -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((size_t)st.st_size > ORACLE_FILE_MAX)
		return -EFBIG;
	/* O_NONBLOCK in case a FIFO was swapped in since the stat. */
	fd = openat(at, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return is_absent_errno(errno) ? 0 : -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	rc = 0;
	if (!S_ISREG(st.st_mode))
		goto out;
	rc = read_capped(fd, (size_t)st.st_size, b);
	if (!rc)
		rc = oracle_parse(name, name_len, b->p, b->len, lb);
out:
	close(fd);
	return rc;
}

int oracle_scan(const char *path, struct view *out)
{
	struct linebuf lb;
	struct readbuf b = {NULL, 0, 0};
	DIR *dir = NULL;
	int fd, rc = 0;

	linebuf_init(&lb);
	/* Following links, as the protocol says; anything that is not a
	 * directory, or cannot be listed, gives the empty view. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = is_absent_errno(errno) ? 0 : -errno;
		goto done;
	}
	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		goto out;
	}
	for (;;) {
		struct dirent *de;

		errno = 0;
		de = readdir(dir);
		if (!de) {
			rc = -errno;
			break;
		}
		size_t n = strlen(de->d_name);

		if (!is_metadata_name(de->d_name, n))
			continue;
		rc = scan_dist(dirfd(dir), de->d_name, n, &b, &lb);
		if (rc)
			break;
	}
done:
	if (!rc)
		rc = linebuf_to_view(&lb, out);
out:
	if (dir)
		closedir(dir);
	free(b.p);
	linebuf_release(&lb);
	return rc;
}

struct answer_key {
	char digits[24];
	size_t index;
};

static int answer_key_cmp(const void *a, const void *b)
{
	const struct answer_key *x = a, *y = b;

	return strcmp(x->digits, y->digits);
}

int oracle_answer(const char *const *paths, size_t n, char **out, size_t *len)
{
	struct view *views = NULL;
	struct answer_key *keys = NULL;
	size_t total = 0, scanned = 0;
	char *text = NULL, *p;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (!n)
		return 0;
	views = calloc(n, sizeof(*views));
	keys = calloc(n, sizeof(*keys));
	if (!views || !keys) {
		rc = -ENOMEM;
		goto out;
	}
	for (; scanned < n; scanned++) {
		size_t i = scanned;

		view_init(&views[i]);
		rc = oracle_scan(paths[i], &views[i]);
		if (rc)
			goto out;
		keys[i].index = i;
		snprintf(keys[i].digits, sizeof(keys[i].digits), "%zu", i);
		total += views[i].len + views[i].nlines * (strlen(keys[i].digits) + 1);
	}
	/* Every line of entry i starts "i\t", and no "i\t" is a prefix of
	 * another: where the indexes differ the prefix alone orders two lines.
	 * Concatenating the (sorted) views in the bytewise order of their
	 * decimal indexes therefore gives the sorted answer ("10" before "2"). */
	qsort(keys, n, sizeof(*keys), answer_key_cmp);
	if (!total)
		goto out;
	text = malloc(total);
	if (!text) {
		rc = -ENOMEM;
		goto out;
	}
	p = text;
	for (size_t k = 0; k < n; k++) {
		const struct view *v = &views[keys[k].index];
		size_t dlen = strlen(keys[k].digits);
		const char *s = v->text, *e = v->text ? v->text + v->len : NULL;

		while (s < e) {
			const char *nl = memchr(s, '\n', (size_t)(e - s));
			size_t l = (size_t)(nl - s) + 1;

			memcpy(p, keys[k].digits, dlen);
			p += dlen;
			*p++ = '\t';
			memcpy(p, s, l);
			p += l;
			s += l;
		}
	}
	*out = text;
	*len = total;
out:
	for (size_t i = 0; i < scanned && views; i++)
		view_release(&views[i]);
	free(views);
	free(keys);
	return rc;
}
