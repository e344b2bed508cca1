/* words.c: shell-like word splitting for --impl. */
#include "words.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void words_free(char **w)
{
	if (!w)
		return;
	for (size_t i = 0; w[i]; i++)
		free(w[i]);
	free(w);
}

static int push(char ***v, size_t *n, size_t *cap, char *word)
{
	if (*n + 2 > *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = word;
	(*v)[*n] = NULL;
	return 0;
}

int words_split(const char *s, char ***out, size_t *n, size_t *where)
{
	size_t len = strlen(s), cap = 0, cnt = 0, i = 0;
	char **v = NULL, *buf = malloc(len + 1);
	int rc = 0;

	*where = 0;
	if (!buf)
		return -ENOMEM;
	while (i < len) {
		size_t w = 0;
		bool inword = false;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		while (i < len && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) {
			inword = true;
			if (s[i] == '\'') {
				size_t q = i++;

				while (i < len && s[i] != '\'')
					buf[w++] = s[i++];
				if (i == len) {
					*where = q;
					rc = -EINVAL;
					goto out;
				}
				i++;
			} else if (s[i] == '"') {
				size_t q = i++;

				while (i < len && s[i] != '"') {
					if (s[i] == '\\' && i + 1 < len &&
					    strchr("\"\\$`", s[i + 1]))
						i++;
					buf[w++] = s[i++];
				}
				if (i == len) {
					*where = q;
					rc = -EINVAL;
					goto out;
				}
				i++;
			} else if (s[i] == '\\') {
				if (i + 1 == len) {
					*where = i;
					rc = -EINVAL;
					goto out;
				}
				buf[w++] = s[i + 1];
				i += 2;
			} else {
				buf[w++] = s[i++];
			}
		}
		if (inword) {
			char *word = malloc(w + 1);

			if (!word) {
				rc = -ENOMEM;
				goto out;
			}
			memcpy(word, buf, w);
			word[w] = '\0';
			rc = push(&v, &cnt, &cap, word);
			if (rc) {
				free(word);
				goto out;
			}
		}
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			rc = -ENOMEM;
	}
out:
	free(buf);
	if (rc) {
		words_free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}
