#!/bin/sh
# tools/lint.sh: style is settled by tools, not by review: clang-format,
# cppcheck, and a short list of banned functions.
set -u
files=$(git ls-files 'ref/*.c' 'ref/*.h' 'harness/*.c' 'harness/*.h' 'tests/*.c' 'tests/**/*.c' 'tools/*.c' 2>/dev/null)
[ -n "$files" ] || files=$(find ref harness tests tools -name '*.[ch]')
rc=0
if command -v clang-format >/dev/null 2>&1; then
	clang-format --dry-run -Werror $files || rc=1
else
	echo "lint: clang-format missing (apt-get install -y clang-format)" >&2
	rc=1
fi
if command -v cppcheck >/dev/null 2>&1; then
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
		--suppress=missingIncludeSystem --inline-suppr -D_GNU_SOURCE -Iref -Iharness \
		ref harness tools || rc=1
fi
# sprintf, strcpy, strtok and atoi: unbounded or silent on error.
if grep -nE '\b(sprintf|strcpy|strtok|atoi)\s*\(' $files; then
	echo "lint: banned function (use snprintf, memcpy with a length, strtok_r or a loop, strtol)" >&2
	rc=1
fi
exit $rc
