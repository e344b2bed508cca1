/* scenario.c: loading a scenario file (format v1, scenarios/README.md) into
 * struct scenario, every value checked for its type, range and place and every
 * error positioned in the file; and listing a directory of scenarios. */
#include "scenario.h"
#include "checker.h"
#include "jsonpos.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Scenario files are small and hand-written: anything bigger is a mistake
 * (a wrong path, a generated file), refused before it costs memory. */
#define SCENARIO_MAX_BYTES (1 << 20)

/* The largest integer a double holds exactly: a seed must survive being
 * written into the results JSON and read back by any JSON tool. */
#define SEED_MAX (1LL << 53)

struct name_value {
	const char *name;
	int value;
};

static const struct name_value level_names[] = {
    {"seed", LEVEL_SEED},
    {"strict", LEVEL_STRICT},
    {NULL, 0},
};

static const struct name_value req_names[] = {
    {"root", REQ_ROOT}, {"mount-ns", REQ_MOUNT_NS},
    {"loop", REQ_LOOP}, {"other-uid", REQ_OTHER_UID},
    {NULL, 0},
};

/* Our own table rather than check_id_parse(): the loader must not depend on
 * the checker's implementation, only on its enum. */
static const struct name_value check_names[] = {
    {"I1", CHECK_I1}, {"I2", CHECK_I2}, {"I3", CHECK_I3}, {"I4", CHECK_I4}, {"I5", CHECK_I5},
    {"I6", CHECK_I6}, {"I7", CHECK_I7}, {"I8", CHECK_I8}, {NULL, 0},
};

/* The canonical names, so that sc->fs can be compared by the runner. */
static const struct name_value fs_names[] = {
    {"tmpfs", 0}, {"ext4", 1},	  {"ext2-1s", 2},    {"xfs", 3},
    {"btrfs", 4}, {"overlay", 5}, {"tmpfs-full", 6}, {NULL, 0},
};

/* A step may keep a variable as it is; the scenario's initial environment
 * cannot, so it uses the same table without its first row. */
static const struct name_value env_step_names[] = {
    {"keep", ENV_KEEP},		{"sandbox", ENV_SANDBOX},
    {"unset", ENV_UNSET},	{"empty", ENV_EMPTY},
    {"relative", ENV_RELATIVE}, {"file", ENV_FILE},
    {"missing", ENV_MISSING},	{NULL, 0},
};
static const struct name_value *const env_names = env_step_names + 1;

static const struct name_value style_names[] = {
    {"atomic", STYLE_ATOMIC},
    {"installer", STYLE_INSTALLER},
    {"any", STYLE_ANY},
    {NULL, 0},
};

static const struct name_value how_names[] = {
    {"rename", RELOCATE_RENAME},
    {"symlink", RELOCATE_SYMLINK},
    {NULL, 0},
};

static const struct name_value target_names[] = {
    {"entry", FUTURE_ENTRY},
    {"cache", FUTURE_CACHE},
    {NULL, 0},
};

static const struct name_value damage_names[] = {
    {"truncate", DAMAGE_TRUNCATE},
    {"zero", DAMAGE_ZERO},
    {"bitflip", DAMAGE_BITFLIP},
    {"garbage", DAMAGE_GARBAGE},
    {"hardlink", DAMAGE_HARDLINK},
    {"mixed", DAMAGE_MIXED},
    {NULL, 0},
};

static const struct name_value kind_names[] = {
    {"herd", STEP_HERD},
    {"query", STEP_QUERY},
    {"stream", STEP_STREAM},
    {"install", STEP_INSTALL},
    {"uninstall", STEP_UNINSTALL},
    {"upgrade", STEP_UPGRADE},
    {"branch-switch", STEP_BRANCH_SWITCH},
    {"mtime-restore", STEP_MTIME_RESTORE},
    {"relocate", STEP_RELOCATE},
    {"future-mtime", STEP_FUTURE_MTIME},
    {"edit", STEP_EDIT},
    {"damage", STEP_DAMAGE},
    {"chmod-cache", STEP_CHMOD_CACHE},
    {"env", STEP_ENV},
    {"clear-cache", STEP_CLEAR_CACHE},
    {"random", STEP_RANDOM},
    {"settle", STEP_SETTLE},
    {"sleep", STEP_SLEEP},
    {NULL, 0},
};

/* The keys a step may carry beyond "do" and "comment". Which kind takes which
 * is data (step_descs), so a new step kind is a row, not a parser. */
enum step_key {
	K_WORKERS,
	K_WARM,
	K_DURING,
	K_COUNT,
	K_MS,
	K_STYLE,
	K_ENTRY,
	K_HOW,
	K_TARGET,
	K_OFFSET_S,
	K_KIND,
	K_MODE,
	K_HOME,
	K_XDG,
	K_OPS,
	K_NKEYS
};

enum key_type { KT_INT, KT_BOOL, KT_ENUM, KT_MODE, KT_DURING, KT_OPS };

struct key_desc {
	const char *name;
	enum key_type type;
	long long min, max; /* KT_INT; K_ENTRY's maximum comes from the fixture */
	const struct name_value *names;
};

static const struct key_desc key_descs[K_NKEYS] = {
    [K_WORKERS] = {"workers", KT_INT, 1, 1024, NULL},
    [K_WARM] = {"warm", KT_BOOL, 0, 0, NULL},
    [K_DURING] = {"during", KT_DURING, 0, 0, NULL},
    [K_COUNT] = {"count", KT_INT, 1, 100000, NULL},
    [K_MS] = {"ms", KT_INT, 1, 600000, NULL}, /* STEP_SLEEP allows 0, see load_step_key() */
    [K_STYLE] = {"style", KT_ENUM, 0, 0, style_names},
    [K_ENTRY] = {"entry", KT_INT, 0, 0, NULL},
    [K_HOW] = {"how", KT_ENUM, 0, 0, how_names},
    [K_TARGET] = {"target", KT_ENUM, 0, 0, target_names},
    [K_OFFSET_S] = {"offset_s", KT_INT, -1000000000, 1000000000, NULL},
    [K_KIND] = {"kind", KT_ENUM, 0, 0, damage_names},
    [K_MODE] = {"mode", KT_MODE, 0, 07777, NULL},
    [K_HOME] = {"HOME", KT_ENUM, 0, 0, env_step_names},
    [K_XDG] = {"XDG_CACHE_HOME", KT_ENUM, 0, 0, env_step_names},
    [K_OPS] = {"ops", KT_OPS, 0, 0, NULL},
};

#define KB(k) (1u << (k))

struct step_desc {
	unsigned keys;	   /* KB()s of the keys allowed */
	unsigned required; /* KB()s of the keys that must be there */
};

static const struct step_desc step_descs[STEP_KIND_COUNT] = {
    [STEP_HERD] = {KB(K_WORKERS) | KB(K_WARM) | KB(K_DURING), 0},
    [STEP_QUERY] = {KB(K_COUNT) | KB(K_WARM), 0},
    [STEP_STREAM] = {KB(K_MS) | KB(K_WORKERS) | KB(K_DURING), KB(K_MS)},
    [STEP_INSTALL] = {KB(K_STYLE) | KB(K_ENTRY), 0},
    [STEP_UNINSTALL] = {KB(K_STYLE) | KB(K_ENTRY), 0},
    [STEP_UPGRADE] = {KB(K_STYLE) | KB(K_ENTRY), 0},
    [STEP_BRANCH_SWITCH] = {KB(K_ENTRY), 0},
    [STEP_MTIME_RESTORE] = {KB(K_ENTRY) | KB(K_STYLE), 0},
    [STEP_RELOCATE] = {KB(K_HOW) | KB(K_ENTRY), KB(K_HOW)},
    [STEP_FUTURE_MTIME] = {KB(K_TARGET) | KB(K_OFFSET_S) | KB(K_ENTRY), 0},
    [STEP_EDIT] = {KB(K_ENTRY), 0},
    [STEP_DAMAGE] = {KB(K_KIND), 0},
    [STEP_CHMOD_CACHE] = {KB(K_MODE), KB(K_MODE)},
    [STEP_ENV] = {KB(K_HOME) | KB(K_XDG), 0},
    [STEP_CLEAR_CACHE] = {0, 0},
    [STEP_RANDOM] = {KB(K_OPS), KB(K_OPS)},
    [STEP_SETTLE] = {0, 0},
    [STEP_SLEEP] = {KB(K_MS), KB(K_MS)},
};

/* Where a step object appears: the keys it may carry besides its kind's
 * depend on it, and so do the kinds allowed there. */
enum step_ctx { CTX_STEPS, CTX_DURING, CTX_OPS };

struct loader {
	const char *path;
	const char *text;
	const struct jsonpos *pos;
	struct scenario_error *err;
	int entries;  /* fixture.entries, for "entry" */
	int symlinks; /* fixture.symlinks, for relocate "symlink" */
};

/* A JSON value, its node in the position index and its name in messages:
 * "\"workers\"" for a member, "\"steps\"[3]" for an item. */
struct val {
	json_t *j;
	int node;
	char name[96];
};

__attribute__((format(printf, 4, 5))) static int fail(struct loader *ld, int node, bool key,
						      const char *fmt, ...)
{
	struct scenario_error *e = ld->err;
	char msg[400];
	va_list ap;

	if (e->text[0])
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jsonpos_where(ld->pos, node, key, &e->line, &e->col);
	snprintf(e->text, sizeof(e->text), "%s:%d:%d: %s", ld->path, e->line, e->col, msg);
	return -EINVAL;
}

/* Cuts s to at most max bytes without splitting a UTF-8 character; whether
 * it had to. */
static bool cut_utf8(const char *s, size_t len, size_t max, size_t *n)
{
	if (len <= max) {
		*n = len;
		return false;
	}
	while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	*n = max;
	return true;
}

/* A value as the user wrote it, for "..., not <this>": scalars verbatim
 * from the file (so 8.0 stays 8.0 and a string keeps its quotes and
 * escapes), containers by their kind. */
static const char *describe(const struct loader *ld, const struct val *v, char *buf, size_t size)
{
	size_t off, len, n;
	bool cut;

	if (json_is_object(v->j))
		return "an object";
	if (json_is_array(v->j))
		return "an array";
	jsonpos_span(ld->pos, v->node, &off, &len);
	cut = cut_utf8(ld->text + off, len, 48, &n);
	snprintf(buf, size, "%.*s%s", (int)n, ld->text + off, cut ? "..." : "");
	return buf;
}

/* A decoded key in double quotes for a message, with what would garble the
 * message escaped and anything long cut short. */
static const char *quote(const char *s, char *buf, size_t size)
{
	size_t o = 0, n;
	bool cut = cut_utf8(s, strlen(s), 48, &n);

	buf[o++] = '"';
	for (size_t i = 0; i < n && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7F)
			o += (size_t)snprintf(buf + o, size - o, "\\u%04x", c);
		else
			buf[o++] = (char)c;
	}
	snprintf(buf + o, size - o, "%s\"", cut ? "..." : "");
	return buf;
}

static void names_list(const struct name_value *t, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; t->name && o < size; t++)
		o += (size_t)snprintf(buf + o, size - o, "%s\"%s\"", o ? ", " : "", t->name);
}

static const struct name_value *name_find(const struct name_value *t, const char *s)
{
	for (; t->name; t++)
		if (!strcmp(t->name, s))
			return t;
	return NULL;
}

static bool member(const struct loader *ld, const struct val *obj, const char *key, struct val *out)
{
	out->j = json_object_get(obj->j, key);
	out->node = jsonpos_member(ld->pos, obj->node, key, strlen(key));
	snprintf(out->name, sizeof(out->name), "\"%s\"", key);
	return out->j != NULL;
}

static void item(const struct loader *ld, const struct val *arr, size_t i, struct val *out)
{
	out->j = json_array_get(arr->j, i);
	out->node = jsonpos_item(ld->pos, arr->node, i);
	snprintf(out->name, sizeof(out->name), "%.64s[%zu]", arr->name, i);
}

static int want_type(struct loader *ld, const struct val *v, bool ok, const char *what)
{
	char d[64];

	if (ok)
		return 0;
	return fail(ld, v->node, false, "%s must be %s, not %s", v->name, what,
		    describe(ld, v, d, sizeof(d)));
}

static int want_int(struct loader *ld, const struct val *v, long long min, long long max,
		    long long *out)
{
	int rc = want_type(ld, v, json_is_integer(v->j), "an integer");

	if (rc)
		return rc;
	*out = json_integer_value(v->j);
	if (*out < min || *out > max)
		return fail(ld, v->node, false, "%s must be between %lld and %lld, not %lld",
			    v->name, min, max, *out);
	return 0;
}

static int want_enum(struct loader *ld, const struct val *v, const struct name_value *t, int *out)
{
	const struct name_value *nv = NULL;
	char list[320], d[64];

	if (json_is_string(v->j))
		nv = name_find(t, json_string_value(v->j));
	if (nv) {
		*out = nv->value;
		return 0;
	}
	names_list(t, list, sizeof(list));
	return fail(ld, v->node, false, "%s must be one of %s, not %s", v->name, list,
		    describe(ld, v, d, sizeof(d)));
}

static int want_string(struct loader *ld, const struct val *v)
{
	return want_type(ld, v, json_is_string(v->j), "a string");
}

/* Rejects any key of obj not in allowed; where says whose keys they are. */
static int check_keys(struct loader *ld, const struct val *obj, const char *const *allowed,
		      size_t nallowed, const char *where)
{
	for (void *it = json_object_iter(obj->j); it; it = json_object_iter_next(obj->j, it)) {
		const char *key = json_object_iter_key(it);
		size_t i = 0;

		while (i < nallowed && strcmp(allowed[i], key))
			i++;
		if (i == nallowed) {
			char q[128];

			return fail(ld, jsonpos_member(ld->pos, obj->node, key, strlen(key)), true,
				    "unknown key %s%s", quote(key, q, sizeof(q)), where);
		}
	}
	return 0;
}

static int check_comment(struct loader *ld, const struct val *obj)
{
	struct val v;

	return member(ld, obj, "comment", &v) ? want_string(ld, &v) : 0;
}

static int missing(struct loader *ld, const struct val *obj, const char *key, const char *where)
{
	return fail(ld, obj->node, false, "missing key \"%s\"%s", key, where);
}

/* An optional integer member: *out is left alone when it is absent. */
static int opt_int(struct loader *ld, const struct val *obj, const char *key, long long min,
		   long long max, long long *out)
{
	struct val v;

	return member(ld, obj, key, &v) ? want_int(ld, &v, min, max, out) : 0;
}

static int opt_int32(struct loader *ld, const struct val *obj, const char *key, int min, int max,
		     int *out)
{
	long long x = *out;
	int rc = opt_int(ld, obj, key, min, max, &x);

	*out = (int)x;
	return rc;
}

static void step_init(struct step *st)
{
	memset(st, 0, sizeof(*st));
	st->count = 1;
	st->entry = -1;
	st->style = STYLE_ATOMIC;
	st->how = RELOCATE_RENAME;
	st->target = FUTURE_ENTRY;
	st->offset_s = 3600;
	st->damage = DAMAGE_MIXED;
	st->home = ENV_KEEP;
	st->xdg = ENV_KEEP;
}

static void step_release(struct step *st)
{
	for (size_t i = 0; i < st->nduring; i++)
		step_free(st->during[i].step);
	free(st->during);
	for (size_t i = 0; i < st->nops; i++)
		step_free(st->ops[i].step);
	free(st->ops);
	step_init(st);
}

void step_free(struct step *st)
{
	if (!st)
		return;
	step_release(st);
	free(st);
}

const char *step_kind_name(enum step_kind k)
{
	for (const struct name_value *t = kind_names; t->name; t++)
		if (t->value == (int)k)
			return t->name;
	return NULL;
}

bool step_is_mutation(enum step_kind k)
{
	return k >= STEP_INSTALL && k <= STEP_RANDOM;
}

static int load_step(struct loader *ld, const struct val *v, enum step_ctx ctx,
		     enum step_kind outer, struct step *st);

/* A string of octal digits rather than a JSON number: 0755 is not valid
 * JSON and 755 would read as decimal, so only a string says what it means. */
static int load_mode(struct loader *ld, const struct val *v, unsigned *out)
{
	const char *s = json_is_string(v->j) ? json_string_value(v->j) : "";
	unsigned long m = 0;
	char d[64];

	if (!*s || strspn(s, "01234567") != strlen(s))
		return fail(ld, v->node, false,
			    "%s must be a string of octal digits such as \"0755\", not %s", v->name,
			    describe(ld, v, d, sizeof(d)));
	for (; *s && m <= 07777; s++)
		m = m * 8 + (unsigned long)(*s - '0');
	if (m > 07777)
		return fail(ld, v->node, false, "%s must be between \"0\" and \"07777\", not %s",
			    v->name, describe(ld, v, d, sizeof(d)));
	*out = (unsigned)m;
	return 0;
}

static int load_during(struct loader *ld, const struct val *arr, struct step *st)
{
	size_t n = json_array_size(arr->j);

	st->during = calloc(n ? n : 1, sizeof(*st->during));
	if (!st->during)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct timed_step *t = &st->during[i];
		struct val v;
		int rc;

		item(ld, arr, i, &v);
		t->step = malloc(sizeof(*t->step));
		if (!t->step)
			return -ENOMEM;
		step_init(t->step);
		st->nduring = i + 1; /* released from here on, whatever happens next */
		if ((rc = load_step(ld, &v, CTX_DURING, st->kind, t->step)))
			return rc;
		if ((rc = opt_int32(ld, &v, "at_ms", 0, 600000, &t->at_ms)) ||
		    (rc = opt_int32(ld, &v, "every_ms", 1, 600000, &t->every_ms)))
			return rc;
	}
	return 0;
}

static int load_ops(struct loader *ld, const struct val *arr, struct step *st)
{
	size_t n = json_array_size(arr->j);

	if (!n)
		return fail(ld, arr->node, false, "%s must not be empty", arr->name);
	st->ops = calloc(n, sizeof(*st->ops));
	if (!st->ops)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct weighted_step *w = &st->ops[i];
		long long weight = 1;
		struct val v;
		int rc;

		item(ld, arr, i, &v);
		w->step = malloc(sizeof(*w->step));
		if (!w->step)
			return -ENOMEM;
		step_init(w->step);
		st->nops = i + 1;
		if ((rc = load_step(ld, &v, CTX_OPS, st->kind, w->step)))
			return rc;
		if ((rc = opt_int(ld, &v, "weight", 1, 1000, &weight)))
			return rc;
		w->weight = (unsigned)weight;
	}
	return 0;
}

static int load_step_key(struct loader *ld, const struct val *v, enum step_key k, struct step *st)
{
	const struct key_desc *kd = &key_descs[k];
	long long x = 0, min = kd->min, max = kd->max;
	int e = 0, rc;

	switch (kd->type) {
	case KT_BOOL:
		if ((rc = want_type(ld, v, json_is_boolean(v->j), "true or false")))
			return rc;
		st->warm = json_is_true(v->j);
		return 0;
	case KT_ENUM:
		if ((rc = want_enum(ld, v, kd->names, &e)))
			return rc;
		break;
	case KT_MODE:
		return load_mode(ld, v, &st->mode);
	case KT_DURING:
	case KT_OPS:
		if ((rc = want_type(ld, v, json_is_array(v->j), "an array")))
			return rc;
		return kd->type == KT_DURING ? load_during(ld, v, st) : load_ops(ld, v, st);
	case KT_INT:
		if (k == K_ENTRY)
			max = ld->entries - 1;
		if (k == K_MS && st->kind == STEP_SLEEP)
			min = 0; /* a zero sleep is a scheduling point; a zero stream is nothing */
		if ((rc = want_int(ld, v, min, max, &x)))
			return rc;
		break;
	}
	switch (k) {
	case K_WORKERS:
		st->workers = (int)x;
		break;
	case K_COUNT:
		st->count = (int)x;
		break;
	case K_MS:
		st->ms = (int)x;
		break;
	case K_ENTRY:
		st->entry = (int)x;
		break;
	case K_OFFSET_S:
		st->offset_s = (long)x;
		break;
	case K_STYLE:
		st->style = (enum install_style)e;
		break;
	case K_HOW:
		st->how = (enum relocate_how)e;
		break;
	case K_TARGET:
		st->target = (enum future_target)e;
		break;
	case K_KIND:
		st->damage = (enum damage_kind)e;
		break;
	case K_HOME:
		st->home = (enum env_mode)e;
		break;
	case K_XDG:
		st->xdg = (enum env_mode)e;
		break;
	default: /* stored by their own loaders above */
		break;
	}
	return 0;
}

/* Only the first fixture.symlinks directory entries are handed out as
 * symlinks, so only those can be re-pointed. */
static int check_relocate(struct loader *ld, const struct val *obj, const struct step *st)
{
	static const char how[] = "\"how\": \"symlink\"";
	struct val v;

	if (st->how != RELOCATE_SYMLINK)
		return 0;
	if (!ld->symlinks) {
		member(ld, obj, "how", &v);
		return fail(ld, v.node, false,
			    "%s needs a symlinked entry, but fixture \"symlinks\" is 0", how);
	}
	if (st->entry >= ld->symlinks) {
		member(ld, obj, "entry", &v);
		return fail(
		    ld, v.node, false,
		    "\"entry\" must be between 0 and %d for %s (the symlinked entries), not %d",
		    ld->symlinks - 1, how, st->entry);
	}
	return 0;
}

/* outer is the step whose during or ops this one is in (ctx != CTX_STEPS). */
static int load_step(struct loader *ld, const struct val *v, enum step_ctx ctx,
		     enum step_kind outer, struct step *st)
{
	const char *allowed[4 + K_NKEYS];
	const struct step_desc *sd;
	size_t nallowed = 0;
	char where[64];
	struct val d;
	int kind, rc;

	if ((rc = want_type(ld, v, json_is_object(v->j), "an object")))
		return rc;
	jsonpos_where(ld->pos, v->node, false, &st->line, &st->col);
	if (!member(ld, v, "do", &d))
		return missing(ld, v, "do", " in a step");
	if ((rc = want_enum(ld, &d, kind_names, &kind)))
		return rc;
	st->kind = (enum step_kind)kind;
	if (ctx == CTX_DURING && !step_is_mutation(st->kind))
		return fail(ld, d.node, false,
			    "step \"%s\" cannot run during a %s: only mutations can",
			    step_kind_name(st->kind), step_kind_name(outer));
	if (ctx == CTX_OPS && st->kind == STEP_RANDOM)
		return fail(ld, d.node, false, "step \"random\" cannot be an op of \"random\"");
	if (ctx == CTX_OPS && !step_is_mutation(st->kind))
		return fail(ld, d.node, false,
			    "step \"%s\" cannot be an op of \"random\": only mutations can",
			    step_kind_name(st->kind));

	sd = &step_descs[st->kind];
	allowed[nallowed++] = "do";
	allowed[nallowed++] = "comment";
	if (ctx == CTX_DURING) {
		allowed[nallowed++] = "at_ms";
		allowed[nallowed++] = "every_ms";
	} else if (ctx == CTX_OPS) {
		allowed[nallowed++] = "weight";
	}
	for (int k = 0; k < K_NKEYS; k++)
		if (sd->keys & KB(k))
			allowed[nallowed++] = key_descs[k].name;
	snprintf(where, sizeof(where), " for step \"%s\"", step_kind_name(st->kind));
	if ((rc = check_keys(ld, v, allowed, nallowed, where)) || (rc = check_comment(ld, v)))
		return rc;

	for (int k = 0; k < K_NKEYS; k++) {
		struct val kv;

		if (!(sd->keys & KB(k)))
			continue;
		if (!member(ld, v, key_descs[k].name, &kv)) {
			if (sd->required & KB(k))
				return missing(ld, v, key_descs[k].name, where);
			continue;
		}
		if ((rc = load_step_key(ld, &kv, (enum step_key)k, st)))
			return rc;
	}
	return st->kind == STEP_RELOCATE ? check_relocate(ld, v, st) : 0;
}

static int load_steps(struct loader *ld, const struct val *arr, struct scenario *sc)
{
	size_t n = json_array_size(arr->j);

	if (!n)
		return fail(ld, arr->node, false, "%s must not be empty", arr->name);
	sc->steps = calloc(n, sizeof(*sc->steps));
	if (!sc->steps)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct val v;
		int rc;

		item(ld, arr, i, &v);
		step_init(&sc->steps[i]);
		sc->nsteps = i + 1;
		if ((rc = load_step(ld, &v, CTX_STEPS, STEP_KIND_COUNT, &sc->steps[i])))
			return rc;
	}
	return 0;
}

/* An array of distinct names from t, as a set of bits (1u << value when
 * shift, value itself otherwise). */
static int load_name_set(struct loader *ld, const struct val *arr, const struct name_value *t,
			 bool shift, bool nonempty, unsigned *out)
{
	size_t n = json_array_size(arr->j);
	int rc;

	if ((rc = want_type(ld, arr, json_is_array(arr->j), "an array")))
		return rc;
	if (nonempty && !n)
		return fail(ld, arr->node, false, "%s must not be empty", arr->name);
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned bit;
		struct val v;
		int x;

		item(ld, arr, i, &v);
		if ((rc = want_enum(ld, &v, t, &x)))
			return rc;
		bit = shift ? 1u << x : (unsigned)x;
		if (*out & bit)
			return fail(ld, v.node, false, "\"%s\" appears twice in %s",
				    json_string_value(v.j), arr->name);
		*out |= bit;
	}
	return 0;
}

static int load_fixture(struct loader *ld, const struct val *obj, struct fixture_spec *fx)
{
	static const char *const keys[] = {"comment", "entries", "dists",
					   "missing", "files",	 "symlinks"};
	int rc;

	if ((rc = want_type(ld, obj, json_is_object(obj->j), "an object")) ||
	    (rc = check_keys(ld, obj, keys, sizeof(keys) / sizeof(*keys), " in \"fixture\"")) ||
	    (rc = check_comment(ld, obj)) ||
	    (rc = opt_int32(ld, obj, "entries", 1, 1000, &fx->entries)) ||
	    (rc = opt_int32(ld, obj, "dists", 0, 20000, &fx->dists)) ||
	    (rc = opt_int32(ld, obj, "missing", 0, 1000, &fx->missing)) ||
	    (rc = opt_int32(ld, obj, "files", 0, 1000, &fx->files)) ||
	    (rc = opt_int32(ld, obj, "symlinks", 0, fx->entries, &fx->symlinks)))
		return rc;
	return 0;
}

static int opt_enum(struct loader *ld, const struct val *obj, const char *key,
		    const struct name_value *t, int *out)
{
	struct val v;

	return member(ld, obj, key, &v) ? want_enum(ld, &v, t, out) : 0;
}

static int load_env(struct loader *ld, const struct val *obj, struct scenario *sc)
{
	static const char *const keys[] = {"comment", "HOME", "XDG_CACHE_HOME"};
	int home = (int)sc->home, xdg = (int)sc->xdg, rc;

	if ((rc = want_type(ld, obj, json_is_object(obj->j), "an object")) ||
	    (rc = check_keys(ld, obj, keys, sizeof(keys) / sizeof(*keys), " in \"env\"")) ||
	    (rc = check_comment(ld, obj)) || (rc = opt_enum(ld, obj, "HOME", env_names, &home)) ||
	    (rc = opt_enum(ld, obj, "XDG_CACHE_HOME", env_names, &xdg)))
		return rc;
	sc->home = (enum env_mode)home;
	sc->xdg = (enum env_mode)xdg;
	return 0;
}

static int dup_string(const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* Keys are checked in a fixed order, fixture before steps (an entry index is
 * checked against fixture.entries), so the first error reported does not
 * depend on the order the file lists them in. */
static int load_top(struct loader *ld, const struct val *root, struct scenario *sc)
{
	static const char *const keys[] = {
	    "description", "comment",  "level",	 "requires",  "fs",  "seed",  "fixture",
	    "workers",	   "bound_ms", "rounds", "settle_ms", "env", "steps", "checks",
	};
	long long seed = (long long)sc->seed;
	int level = (int)sc->level, fs = -1, rc;
	struct val v;

	if (!json_is_object(root->j)) {
		char d[64];

		return fail(ld, root->node, false, "the top level must be an object, not %s",
			    describe(ld, root, d, sizeof(d)));
	}
	if ((rc = check_keys(ld, root, keys, sizeof(keys) / sizeof(*keys), "")) ||
	    (rc = check_comment(ld, root)))
		return rc;

	if (!member(ld, root, "description", &v))
		return missing(ld, root, "description", "");
	if ((rc = want_string(ld, &v)))
		return rc;
	if (!*json_string_value(v.j))
		return fail(ld, v.node, false, "\"description\" must not be empty");
	if ((rc = dup_string(json_string_value(v.j), &sc->description)))
		return rc;

	if ((rc = opt_enum(ld, root, "level", level_names, &level)))
		return rc;
	sc->level = (enum scenario_level)level;
	if (member(ld, root, "requires", &v) &&
	    (rc = load_name_set(ld, &v, req_names, false, false, &sc->requires)))
		return rc;
	if ((rc = opt_enum(ld, root, "fs", fs_names, &fs)))
		return rc;
	if (fs >= 0 && (rc = dup_string(fs_names[fs].name, &sc->fs)))
		return rc;
	if ((rc = opt_int(ld, root, "seed", 0, SEED_MAX, &seed)))
		return rc;
	sc->seed = (uint64_t)seed;
	if (member(ld, root, "fixture", &v) && (rc = load_fixture(ld, &v, &sc->fixture)))
		return rc;
	ld->entries = sc->fixture.entries;
	ld->symlinks = sc->fixture.symlinks;
	if ((rc = opt_int32(ld, root, "workers", 1, 1024, &sc->workers)) ||
	    (rc = opt_int32(ld, root, "bound_ms", 1, 600000, &sc->bound_ms)) ||
	    (rc = opt_int32(ld, root, "rounds", 1, 100000, &sc->rounds)) ||
	    (rc = opt_int32(ld, root, "settle_ms", 0, 60000, &sc->settle_ms)))
		return rc;
	if (member(ld, root, "env", &v) && (rc = load_env(ld, &v, sc)))
		return rc;

	if (!member(ld, root, "steps", &v))
		return missing(ld, root, "steps", "");
	if ((rc = want_type(ld, &v, json_is_array(v.j), "an array")) ||
	    (rc = load_steps(ld, &v, sc)))
		return rc;
	if (!member(ld, root, "checks", &v))
		return missing(ld, root, "checks", "");
	return load_name_set(ld, &v, check_names, true, true, &sc->checks);
}

/* Reads the whole file, at most SCENARIO_MAX_BYTES of it: -EFBIG past that,
 * found by reading one byte more rather than trusting st_size, which a pipe
 * or a file in /proc does not have. */
static int read_capped(const char *path, char **text, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL, *b;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			/* the cap plus one byte, to tell a full file from a big one */
			cap = cap * 2 > SCENARIO_MAX_BYTES + 1 ? SCENARIO_MAX_BYTES + 1 : cap * 2;
			b = realloc(buf, cap);
			if (!b) {
				rc = -ENOMEM;
				goto out;
			}
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n > SCENARIO_MAX_BYTES) {
			rc = -EFBIG;
			goto out;
		}
	}
	*text = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/* The scenario's name: the file name without its directory and ".json". */
static int name_of(const char *path, char **out)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	*out = strndup(base, n);
	return *out ? 0 : -ENOMEM;
}

static void scenario_defaults(struct scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->level = LEVEL_SEED;
	sc->seed = 1;
	sc->fixture.entries = 1;
	sc->fixture.dists = 50;
	sc->workers = 8;
	sc->bound_ms = 5000;
	sc->rounds = 1;
	sc->home = ENV_SANDBOX;
	sc->xdg = ENV_SANDBOX;
}

int scenario_load(const char *path, struct scenario *out, struct scenario_error *err)
{
	struct scenario_error scratch;
	struct loader ld = {.path = path};
	struct jsonpos *pos = NULL;
	json_t *root = NULL;
	json_error_t jerr;
	char *text = NULL, ebuf[128];
	size_t len = 0;
	int rc;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	ld.err = err;
	scenario_defaults(out);

	rc = read_capped(path, &text, &len);
	if (rc == -EFBIG) {
		snprintf(err->text, sizeof(err->text), "%s: file too large (more than %d bytes)",
			 path, SCENARIO_MAX_BYTES);
		rc = -EINVAL;
		goto out;
	}
	if (rc)
		goto out;
	ld.text = text;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jansson says column 0 before the first character of a line. */
		err->line = jerr.line > 0 ? jerr.line : 1;
		err->col = jerr.column > 0 ? jerr.column : 1;
		snprintf(err->text, sizeof(err->text), "%s:%d:%d: %s", path, err->line, err->col,
			 jerr.text);
		rc = -EINVAL;
		goto out;
	}
	rc = jsonpos_index(text, len, &pos, &err->line, &err->col);
	if (rc == -E2BIG || rc == -EINVAL) {
		if (rc == -E2BIG)
			snprintf(err->text, sizeof(err->text),
				 "%s:%d:%d: nested deeper than %d levels", path, err->line,
				 err->col, JSONPOS_MAX_DEPTH);
		else /* jansson accepted what jsonpos could not read: a bug here */
			snprintf(err->text, sizeof(err->text), "%s:%d:%d: cannot index this JSON",
				 path, err->line, err->col);
		rc = -EINVAL;
		goto out;
	}
	if (rc)
		goto out;
	ld.pos = pos;

	if ((rc = dup_string(path, &out->path)) || (rc = name_of(path, &out->name)))
		goto out;
	rc = load_top(&ld, &(struct val){.j = root, .node = 0, .name = "the top level"}, out);
out:
	if (rc && !err->text[0])
		snprintf(err->text, sizeof(err->text), "%s: %s", path,
			 strerror_r(-rc, ebuf, sizeof(ebuf)));
	if (rc)
		scenario_release(out);
	json_decref(root);
	jsonpos_free(pos);
	free(text);
	return rc;
}

void scenario_release(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nsteps; i++)
		step_release(&sc->steps[i]);
	free(sc->steps);
	free(sc->path);
	free(sc->name);
	free(sc->description);
	free(sc->fs);
	memset(sc, 0, sizeof(*sc));
}

static int cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Named *.json and not a directory. Anything else that is not a regular file
 * (a dangling link, a fifo) is listed all the same: loading it then says what
 * is wrong, where skipping it would hide a scenario. Dot files are left out as
 * a shell's *.json would. */
static bool is_scenario_file(int dfd, const struct dirent *de)
{
	size_t n = strlen(de->d_name);
	struct stat st;

	if (n <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + n - 5, ".json"))
		return false;
	if (de->d_type == DT_DIR)
		return false;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return true;
	return fstatat(dfd, de->d_name, &st, 0) || !S_ISDIR(st.st_mode);
}

int scenario_list_dir(const char *dir, char ***paths, size_t *n)
{
	size_t cap = 0, len = 0, dlen = strlen(dir);
	const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
	char **v = NULL, **nv;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*paths = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return -errno;
	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!is_scenario_file(dirfd(d), de))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		if (asprintf(&v[len], "%s%s%s", dir, sep, de->d_name) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		len++;
	}
	if (errno)
		rc = -errno;
out:
	closedir(d);
	if (rc) {
		scenario_list_free(v, len);
		return rc;
	}
	if (len)
		qsort(v, len, sizeof(*v), cmp_paths);
	*paths = v;
	*n = len;
	return 0;
}

void scenario_list_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
