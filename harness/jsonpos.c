/* jsonpos.c: the position index of a JSON text (jsonpos.h): one linear scan
 * with an explicit stack, nodes in document order, children in one array. */
#include "jsonpos.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct jnode {
	int parent;
	int kids; /* first child's slot in jsonpos.kids */
	int nkids;
	int key_off, key_len; /* decoded key in jsonpos.keys; key_off < 0: not a member */
	int key_line, key_col;
	int line, col;
	int off, end; /* byte span of the value */
	char type;    /* '{', '[', or 0 for a scalar */
};

struct jsonpos {
	struct jnode *nodes;
	int n, cap;
	char *keys;
	size_t nkeys, capkeys;
	int *kids; /* children of node k are kids[nodes[k].kids ..][0 .. nkids) */
};

struct scan {
	const unsigned char *t;
	size_t len, i;
	int line, col;
};

/* Columns count code points: a UTF-8 continuation byte does not start a
 * character, so it does not move the column (jansson counts the same way). */
static void adv(struct scan *s)
{
	unsigned char c = s->t[s->i++];

	if (c == '\n') {
		s->line++;
		s->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		s->col++;
	}
}

static int peek(const struct scan *s)
{
	return s->i < s->len ? s->t[s->i] : -1;
}

static void skip_ws(struct scan *s)
{
	for (int c = peek(s); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek(s))
		adv(s);
}

static int add_node(struct jsonpos *p, int parent, const struct scan *s)
{
	struct jnode *nd;

	if (p->n == p->cap) {
		int cap = p->cap ? p->cap : 64;

		if (cap > INT_MAX / 2)
			return -ENOMEM;
		cap *= 2;
		nd = realloc(p->nodes, (size_t)cap * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		p->nodes = nd;
		p->cap = cap;
	}
	nd = &p->nodes[p->n];
	memset(nd, 0, sizeof(*nd));
	nd->parent = parent;
	nd->key_off = -1;
	/* An array item or the root has no key: its "key" is the value itself,
	 * set again when the value starts. */
	nd->key_line = s->line;
	nd->key_col = s->col;
	return p->n++;
}

static int key_put(struct jsonpos *p, const void *b, size_t n)
{
	if (p->capkeys - p->nkeys < n) {
		size_t cap = p->capkeys ? p->capkeys : 256;
		char *k;

		while (cap - p->nkeys < n)
			cap *= 2;
		k = realloc(p->keys, cap);
		if (!k)
			return -ENOMEM;
		p->keys = k;
		p->capkeys = cap;
	}
	memcpy(p->keys + p->nkeys, b, n);
	p->nkeys += n;
	return 0;
}

static int put_utf8(struct jsonpos *p, uint32_t u)
{
	unsigned char b[4];
	size_t n;

	if (u < 0x80) {
		b[0] = (unsigned char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (unsigned char)(0xC0 | u >> 6);
		b[1] = (unsigned char)(0x80 | (u & 0x3F));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (unsigned char)(0xE0 | u >> 12);
		b[1] = (unsigned char)(0x80 | (u >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (u & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | u >> 18);
		b[1] = (unsigned char)(0x80 | (u >> 12 & 0x3F));
		b[2] = (unsigned char)(0x80 | (u >> 6 & 0x3F));
		b[3] = (unsigned char)(0x80 | (u & 0x3F));
		n = 4;
	}
	return key_put(p, b, n);
}

/* Four hex digits after "\u"; -1 when they are not there. */
static long hex4(const struct scan *s)
{
	long v = 0;

	if (s->len - s->i < 4)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		int c = s->t[s->i + k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void skip_n(struct scan *s, size_t n)
{
	while (n--)
		adv(s);
}

/* Consumes a string starting at its quote. With p, the decoded bytes are
 * appended to p->keys: a key must compare equal to what jansson decoded, so
 * escapes are decoded exactly as JSON defines them. */
static int scan_string(struct scan *s, struct jsonpos *p)
{
	int rc;

	adv(s);
	for (;;) {
		int c = peek(s);
		long u;

		if (c < 0)
			return -EINVAL;
		if (c == '"') {
			adv(s);
			return 0;
		}
		if (c != '\\') {
			if (p && (rc = key_put(p, &s->t[s->i], 1)))
				return rc;
			adv(s);
			continue;
		}
		adv(s);
		c = peek(s);
		if (c < 0)
			return -EINVAL;
		adv(s);
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *f = c ? strchr(from, c) : NULL;

			if (!f)
				return -EINVAL;
			if (p && (rc = key_put(p, &to[f - from], 1)))
				return rc;
			continue;
		}
		u = hex4(s);
		if (u < 0)
			return -EINVAL;
		skip_n(s, 4);
		if (u >= 0xD800 && u <= 0xDBFF && s->len - s->i >= 6 && s->t[s->i] == '\\' &&
		    s->t[s->i + 1] == 'u') {
			long lo;

			s->i += 2; /* peek past "\u" without moving the column yet */
			lo = hex4(s);
			s->i -= 2;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				skip_n(s, 6);
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
		}
		/* jansson refuses a lone surrogate; should one get here, it
		 * becomes U+FFFD rather than invalid UTF-8. */
		if (u >= 0xD800 && u <= 0xDFFF)
			u = 0xFFFD;
		if (p && (rc = put_utf8(p, (uint32_t)u)))
			return rc;
	}
}

static bool scalar_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '-' || c == '.';
}

enum state { S_VALUE, S_FIRST_KEY, S_KEY, S_FIRST_ITEM, S_AFTER };

/* The scan proper. Containers still open are on stack[0 .. depth); a value
 * about to start belongs to node cur, made when its key or slot was seen. */
static int scan_all(struct jsonpos *p, struct scan *s)
{
	int stack[JSONPOS_MAX_DEPTH];
	int depth = 0, cur, rc;
	enum state st = S_VALUE;
	struct jnode *nd;

	cur = add_node(p, -1, s);
	if (cur < 0)
		return cur;
	for (;;) {
		int c;

		skip_ws(s);
		c = peek(s);
		switch (st) {
		case S_VALUE:
			nd = &p->nodes[cur];
			nd->line = s->line;
			nd->col = s->col;
			nd->off = (int)s->i;
			if (nd->key_off < 0) {
				nd->key_line = s->line;
				nd->key_col = s->col;
			}
			if (c == '{' || c == '[') {
				if (depth == JSONPOS_MAX_DEPTH)
					return -E2BIG;
				nd->type = (char)c;
				stack[depth++] = cur;
				adv(s);
				st = c == '{' ? S_FIRST_KEY : S_FIRST_ITEM;
				continue;
			}
			if (c == '"') {
				if ((rc = scan_string(s, NULL)))
					return rc;
			} else if (c >= 0 && scalar_char(c)) {
				while (scalar_char(peek(s)))
					adv(s);
			} else {
				return -EINVAL;
			}
			p->nodes[cur].end = (int)s->i;
			st = S_AFTER;
			continue;
		case S_FIRST_KEY:
		case S_FIRST_ITEM:
			if (c == (st == S_FIRST_KEY ? '}' : ']'))
				break; /* empty container: closed below */
			if (st == S_FIRST_ITEM) {
				if ((cur = add_node(p, stack[depth - 1], s)) < 0)
					return cur;
				st = S_VALUE;
				continue;
			}
			/* fall through */
		case S_KEY:
			if (c != '"')
				return -EINVAL;
			if ((cur = add_node(p, stack[depth - 1], s)) < 0)
				return cur;
			p->nodes[cur].key_off = (int)p->nkeys;
			if ((rc = scan_string(s, p)))
				return rc;
			p->nodes[cur].key_len = (int)(p->nkeys - (size_t)p->nodes[cur].key_off);
			skip_ws(s);
			if (peek(s) != ':')
				return -EINVAL;
			adv(s);
			st = S_VALUE;
			continue;
		case S_AFTER:
			if (!depth)
				return c < 0 ? 0 : -EINVAL;
			nd = &p->nodes[stack[depth - 1]];
			if (c == ',') {
				adv(s);
				if (nd->type == '{') {
					st = S_KEY;
					continue;
				}
				skip_ws(s);
				if ((cur = add_node(p, stack[depth - 1], s)) < 0)
					return cur;
				st = S_VALUE;
				continue;
			}
			if (c != (nd->type == '{' ? '}' : ']'))
				return -EINVAL;
			break;
		}
		/* Here c closes the innermost container. */
		adv(s);
		p->nodes[stack[--depth]].end = (int)s->i;
		st = S_AFTER;
	}
}

/* Children in one array, each node's contiguous and in document order, so an
 * array item is found by its index in constant time. Nodes come in document
 * order, hence a parent's children arrive in order: count, sum, fill. */
static int link_kids(struct jsonpos *p)
{
	int off = 0;

	p->kids = malloc((size_t)p->n * sizeof(*p->kids));
	if (!p->kids)
		return -ENOMEM;
	for (int k = 1; k < p->n; k++)
		p->nodes[p->nodes[k].parent].nkids++;
	for (int k = 0; k < p->n; k++) {
		p->nodes[k].kids = off;
		off += p->nodes[k].nkids;
		p->nodes[k].nkids = 0;
	}
	for (int k = 1; k < p->n; k++) {
		struct jnode *par = &p->nodes[p->nodes[k].parent];

		p->kids[par->kids + par->nkids++] = k;
	}
	return 0;
}

int jsonpos_index(const char *text, size_t len, struct jsonpos **out, int *line, int *col)
{
	struct scan s = {(const unsigned char *)text, len, 0, 1, 1};
	struct jsonpos *p;
	int rc;

	*out = NULL;
	if (len > INT_MAX)
		return -EFBIG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc = scan_all(p, &s);
	if (rc == -E2BIG || rc == -EINVAL) {
		if (line)
			*line = s.line;
		if (col)
			*col = s.col;
	}
	if (!rc)
		rc = link_kids(p);
	if (rc) {
		jsonpos_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void jsonpos_free(struct jsonpos *p)
{
	if (!p)
		return;
	free(p->nodes);
	free(p->keys);
	free(p->kids);
	free(p);
}

static bool valid(const struct jsonpos *p, int node)
{
	return node >= 0 && node < p->n;
}

int jsonpos_member(const struct jsonpos *p, int node, const char *key, size_t keylen)
{
	const struct jnode *nd;

	if (!valid(p, node) || p->nodes[node].type != '{')
		return -1;
	nd = &p->nodes[node];
	for (int k = 0; k < nd->nkids; k++) {
		const struct jnode *kid = &p->nodes[p->kids[nd->kids + k]];

		if ((size_t)kid->key_len == keylen && !memcmp(p->keys + kid->key_off, key, keylen))
			return p->kids[nd->kids + k];
	}
	return -1;
}

int jsonpos_item(const struct jsonpos *p, int node, size_t i)
{
	if (!valid(p, node) || p->nodes[node].type != '[' || i >= (size_t)p->nodes[node].nkids)
		return -1;
	return p->kids[p->nodes[node].kids + (int)i];
}

void jsonpos_where(const struct jsonpos *p, int node, bool key, int *line, int *col)
{
	if (!valid(p, node)) {
		*line = *col = 0;
		return;
	}
	*line = key ? p->nodes[node].key_line : p->nodes[node].line;
	*col = key ? p->nodes[node].key_col : p->nodes[node].col;
}

void jsonpos_span(const struct jsonpos *p, int node, size_t *off, size_t *len)
{
	if (!valid(p, node)) {
		*off = *len = 0;
		return;
	}
	*off = (size_t)p->nodes[node].off;
	*len = (size_t)(p->nodes[node].end - p->nodes[node].off);
}

/* Whether a valid pointer segment, "~0" meaning '~' and "~1" '/', spells
 * key. The segment is compared as it stands, so a lookup allocates nothing. */
static bool segment_is(const char *seg, size_t seglen, const char *key, size_t keylen)
{
	size_t k = 0;

	for (size_t i = 0; i < seglen; i++, k++) {
		char c = seg[i];

		if (c == '~')
			c = seg[++i] == '0' ? '~' : '/';
		if (k == keylen || key[k] != c)
			return false;
	}
	return k == keylen;
}

static bool segment_valid(const char *seg, size_t seglen)
{
	for (size_t i = 0; i < seglen; i++) {
		if (seg[i] != '~')
			continue;
		if (i + 1 == seglen || (seg[i + 1] != '0' && seg[i + 1] != '1'))
			return false;
		i++;
	}
	return true;
}

/* An array index as RFC 6901 spells it: "0", or digits without a leading
 * zero; -1 otherwise, or when it cannot be an index at all. */
static long parse_index(const char *seg, size_t seglen)
{
	long v = 0;

	if (!seglen || (seg[0] == '0' && seglen > 1))
		return -1;
	for (size_t i = 0; i < seglen; i++) {
		if (seg[i] < '0' || seg[i] > '9' || v > (INT_MAX - 9) / 10)
			return -1;
		v = v * 10 + (seg[i] - '0');
	}
	return v;
}

static int segment_step(const struct jsonpos *p, int node, const char *seg, size_t seglen)
{
	const struct jnode *nd = &p->nodes[node];

	if (nd->type == '[') {
		long i = parse_index(seg, seglen);

		return i < 0 ? -1 : jsonpos_item(p, node, (size_t)i);
	}
	if (nd->type != '{')
		return -1;
	for (int k = 0; k < nd->nkids; k++) {
		int kid = p->kids[nd->kids + k];

		if (segment_is(seg, seglen, p->keys + p->nodes[kid].key_off,
			       (size_t)p->nodes[kid].key_len))
			return kid;
	}
	return -1;
}

int jsonpos_lookup(const struct jsonpos *p, const char *path, bool key, int *line, int *col)
{
	int node = 0;

	if (*path && *path != '/')
		return -EINVAL;
	while (*path) {
		const char *seg = path + 1;
		size_t seglen = strcspn(seg, "/");

		if (!segment_valid(seg, seglen))
			return -EINVAL;
		if (node >= 0)
			node = segment_step(p, node, seg, seglen);
		path = seg + seglen;
	}
	if (node < 0)
		return -ENOENT;
	jsonpos_where(p, node, key, line, col);
	return 0;
}
