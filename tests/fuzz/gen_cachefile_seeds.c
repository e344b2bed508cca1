/* gen_cachefile_seeds.c: writes the seed corpus of fuzz_cachefile into the
 * directory given as argument: valid cache files of several shapes, and a
 * few damaged ones. Built and run by tools/fuzz.sh when the corpus is empty;
 * the seeds are also kept in fixtures/fuzz/cachefile/. */
#include "cachefile.h"
#include "deep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void emit(const char *dir, const char *name, const struct cachefile *cf, int damage)
{
	char *buf, nm[128];
	size_t len;

	if (ep_cachefile_encode(cf, &buf, &len))
		exit(1);
	put(dir, name, buf, len);
	if (damage) {
		snprintf(nm, sizeof(nm), "%s-truncated", name);
		put(dir, nm, buf, len / 2);
		buf[len / 3] ^= 0x20;
		snprintf(nm, sizeof(nm), "%s-flipped", name);
		put(dir, nm, buf, len);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	static const char body1[] = "a-1.dist-info\tconsole_scripts\ta\ta:main\n";
	static const char body2[] = "a-1.dist-info\tg\tn\t\n"
				    "a-1.dist-info\tg\tn\tv\n"
				    "b-2.egg-info\t\tempty-group\tx=y\n"
				    "c.dist-info\tgr\xc3\xbc\tn\xff\tv\x85\n";
	struct cachefile cf = {0};
	struct deep_list dl;
	struct deep_record r = {0};

	if (argc != 2)
		return 2;
	cf.path = "/usr/lib/python3/dist-packages";
	cf.path_len = strlen(cf.path);
	cf.stamp = (struct stamp){2049, 131073, 1700000000123456789LL, 1700000001000000000LL};
	emit(argv[1], "empty-view", &cf, 0);
	cf.body = body1;
	cf.body_len = strlen(body1);
	cf.body_count = 1;
	emit(argv[1], "one-line", &cf, 1);
	cf.body = body2;
	cf.body_len = strlen(body2);
	cf.body_count = 4;
	emit(argv[1], "odd-bytes", &cf, 1);
	ep_deep_list_init(&dl);
	r.name = "a-1.dist-info";
	r.name_len = 13;
	r.dir_ok = r.ep_ok = 1;
	r.dir = (struct stamp){1, 2, 3, 4};
	r.ep = (struct stamp){1, 5, 6, 7};
	ep_deep_list_add(&dl, &r);
	r.name = "gone.egg-info";
	r.dir_ok = r.ep_ok = 0;
	ep_deep_list_add(&dl, &r);
	cf.flags = CACHEFILE_DEEP;
	cf.deep = dl.buf;
	cf.deep_len = dl.len;
	cf.deep_count = dl.count;
	emit(argv[1], "deep", &cf, 1);
	cf.path = "/";
	cf.path_len = 1;
	emit(argv[1], "root-path", &cf, 0);
	ep_deep_list_release(&dl);
	return 0;
}
