/* deep.c: recording and validating the strict level's per-distribution stamps. */
#include "deep.h"
#include "flaw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EP_FILE	    "entry_points.txt"
#define RECORD_HEAD (2 + 1 + 1 + 32 + 32)

void ep_deep_list_init(struct deep_list *l)
{
	memset(l, 0, sizeof(*l));
}

void ep_deep_list_release(struct deep_list *l)
{
	free(l->buf);
	ep_deep_list_init(l);
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v)); /* one load; the format is little-endian */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static void put_stamp(unsigned char *p, bool ok, const struct stamp *s)
{
	put64(p, ok ? s->dev : 0);
	put64(p + 8, ok ? s->ino : 0);
	put64(p + 16, ok ? (uint64_t)s->mtime_ns : 0);
	put64(p + 24, ok ? (uint64_t)s->ctime_ns : 0);
}

static void get_stamp(const unsigned char *p, struct stamp *s)
{
	s->dev = get64(p);
	s->ino = get64(p + 8);
	s->mtime_ns = (int64_t)get64(p + 16);
	s->ctime_ns = (int64_t)get64(p + 24);
}

int ep_deep_list_add(struct deep_list *l, const struct deep_record *r)
{
	size_t need = RECORD_HEAD + r->name_len;
	unsigned char *p;

	if (r->name_len > DEEP_NAME_MAX)
		return -ENAMETOOLONG;
	if (l->len + need > l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4096;

		while (ncap < l->len + need)
			ncap *= 2;
		p = realloc(l->buf, ncap);
		if (!p)
			return -ENOMEM;
		l->buf = p;
		l->cap = ncap;
	}
	p = l->buf + l->len;
	p[0] = (unsigned char)(r->name_len & 0xff);
	p[1] = (unsigned char)(r->name_len >> 8);
	p[2] = r->dir_ok;
	p[3] = r->ep_ok;
	put_stamp(p + 4, r->dir_ok, &r->dir);
	put_stamp(p + 36, r->ep_ok, &r->ep);
	memcpy(p + RECORD_HEAD, r->name, r->name_len);
	l->len += need;
	l->count++;
	return 0;
}

static bool stat_stamp(int dirfd, const char *path, struct stamp *s)
{
	struct stat st;

	/* Following links, as the view does: a re-pointed or edited link target
	 * shows up as a different dev/ino or a new ctime. */
	if (fstatat(dirfd, path, &st, 0) < 0)
		return false;
	ep_stamp_from_stat(s, &st);
	return true;
}

int ep_deep_take(int dirfd, const char *name, size_t name_len, struct deep_record *r, bool ep_only)
{
	char path[DEEP_NAME_MAX + sizeof("/" EP_FILE)];

	if (name_len > DEEP_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(path, name, name_len);
	memcpy(path + name_len, "/" EP_FILE, sizeof("/" EP_FILE));
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->name_len = name_len;
	r->ep_ok = stat_stamp(dirfd, path, &r->ep);
	if (ep_only)
		return 0;
	path[name_len] = '\0';
	r->dir_ok = stat_stamp(dirfd, path, &r->dir);
	return 0;
}

int ep_deep_next(const unsigned char *buf, size_t len, size_t *pos, struct deep_record *r)
{
	const unsigned char *p = buf + *pos;
	size_t left = len - *pos;

	if (!left)
		return 0;
	if (left < RECORD_HEAD)
		return -EBADMSG;
	r->name_len = (size_t)p[0] | (size_t)p[1] << 8;
	if (p[2] > 1 || p[3] > 1 || !r->name_len || r->name_len > DEEP_NAME_MAX ||
	    r->name_len > left - RECORD_HEAD)
		return -EBADMSG;
	r->dir_ok = p[2];
	r->ep_ok = p[3];
	get_stamp(p + 4, &r->dir);
	get_stamp(p + 36, &r->ep);
	r->name = (const char *)p + RECORD_HEAD;
	if (memchr(r->name, '\0', r->name_len) || memchr(r->name, '/', r->name_len))
		return -EBADMSG;
	*pos += RECORD_HEAD + r->name_len;
	return 1;
}

bool ep_deep_record_settled(const struct deep_record *r, int64_t now_ns, int64_t settle_ns)
{
	return (!r->dir_ok || ep_stamp_settled(&r->dir, now_ns, settle_ns)) &&
	       (!r->ep_ok || ep_stamp_settled(&r->ep, now_ns, settle_ns));
}

static bool record_matches(const struct deep_record *rec, const struct deep_record *now)
{
	if (rec->dir_ok != now->dir_ok || (rec->dir_ok && !ep_stamp_matches(&rec->dir, &now->dir)))
		return false;
	if (FLAWED(FLAW_DEEP_DIRS_ONLY)) /* flaw: an in-place edit of entry_points.txt is missed */
		return true;
	/* The file's own stamp: an in-place edit changes neither the directory's
	 * mtime nor the path entry's, only the file's mtime and ctime. */
	return rec->ep_ok == now->ep_ok && (!rec->ep_ok || ep_stamp_matches(&rec->ep, &now->ep));
}

int ep_deep_validate(int dirfd, const unsigned char *buf, size_t len, size_t count)
{
	char name[DEEP_NAME_MAX + 1];
	struct deep_record rec, now;
	size_t pos = 0, n = 0;
	int rc;

	while ((rc = ep_deep_next(buf, len, &pos, &rec)) == 1) {
		memcpy(name, rec.name, rec.name_len);
		name[rec.name_len] = '\0';
		rc = ep_deep_take(dirfd, name, rec.name_len, &now, false);
		if (rc < 0)
			return rc;
		if (!record_matches(&rec, &now))
			return 0;
		n++;
	}
	if (rc < 0 || n != count)
		return -EBADMSG;
	return 1;
}
