/* words.h: splitting a command line into words the way a POSIX shell would,
 * without running one: --impl 'python3 -X dev adapter.py' must not depend on
 * /bin/sh, its variables or its globbing. */
#ifndef CT_WORDS_H
#define CT_WORDS_H
#include <stddef.h>

/* Splits s into a NULL-terminated, malloc'd array of malloc'd words.
 * Understands blanks, 'single quotes', "double quotes" (with \" \\ \$ \`
 * escapes inside) and backslash escapes outside quotes; nothing else is
 * special. 0, -EINVAL (unterminated quote or trailing backslash; *where is
 * the byte offset) or -ENOMEM. */
int words_split(const char *s, char ***out, size_t *n, size_t *where);
void words_free(char **w);

#endif
