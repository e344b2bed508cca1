#!/bin/sh
# tools/fuzz.sh: build the libFuzzer targets of the reference and run them.
#
# usage: tools/fuzz.sh TARGET...     (TARGET: parse, cachefile)
#
# Each target tests/fuzz/fuzz_TARGET.c is built with clang
# (-fsanitize=fuzzer,address,undefined) into $BUILD/fuzz/, run for
# $FUZZ_SECONDS (default 600) on a scratch corpus seeded from
# fixtures/fuzz/TARGET/, then the new units are merged back into
# fixtures/fuzz/TARGET/ (-merge=1), which is kept bounded: at most
# $FUZZ_MAX_FILES files (200) and $FUZZ_MAX_BYTES bytes (2 MB).
# Exit status: 0 when no target produced a crash, leak, timeout or OOM
# file; 1 otherwise (the files are kept in $BUILD/fuzz/TARGET.artifacts/);
# 2 on a usage or build error.
set -u

BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_MAX_FILES=${FUZZ_MAX_FILES:-200}
FUZZ_MAX_BYTES=${FUZZ_MAX_BYTES:-2000000}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-8192}
OUT=$BUILD/fuzz
CFLAGS_FUZZ="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wshadow
	-Wstrict-prototypes -Wmissing-prototypes -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iref"

die() {
	echo "fuzz: $*" >&2
	exit 2
}

[ $# -gt 0 ] || die "usage: tools/fuzz.sh TARGET..."
command -v "$FUZZ_CC" >/dev/null 2>&1 || die "$FUZZ_CC not found (libFuzzer needs clang)"
mkdir -p "$OUT" || die "cannot create $OUT"

# The reference sources each target needs.
sources() {
	case $1 in
	parse) echo ref/parse.c ;;
	cachefile) echo ref/cachefile.c ref/hash.c ref/deep.c ref/stamp.c ;;
	*) return 1 ;;
	esac
}

build() {
	t=$1
	srcs=$(sources "$t") || die "unknown target '$t'"
	# shellcheck disable=SC2086 # word splitting of the flag and source lists is meant
	$FUZZ_CC $CFLAGS_FUZZ -o "$OUT/fuzz_$t" "tests/fuzz/fuzz_$t.c" $srcs ||
		die "cannot build fuzz_$t"
}

# The corpus stays small enough to commit: minimised first, then, if still
# over the bounds, the largest units go.
bound() {
	dir=$1 bin=$2
	count=$(find "$dir" -type f | wc -l)
	bytes=$(du -sb "$dir" | cut -f1)
	[ "$count" -le "$FUZZ_MAX_FILES" ] && [ "$bytes" -le "$FUZZ_MAX_BYTES" ] && return 0
	min=$OUT/min.$$
	rm -rf "$min" && mkdir -p "$min"
	if "$bin" -merge=1 "$min" "$dir" >/dev/null 2>&1; then
		find "$dir" -type f -exec rm -f {} +
		find "$min" -type f -exec mv {} "$dir"/ \;
	fi
	rm -rf "$min"
	while :; do
		count=$(find "$dir" -type f | wc -l)
		bytes=$(du -sb "$dir" | cut -f1)
		[ "$count" -le "$FUZZ_MAX_FILES" ] && [ "$bytes" -le "$FUZZ_MAX_BYTES" ] && break
		# shellcheck disable=SC2012 # names are libFuzzer's hex digests
		big=$(ls -S "$dir" | head -n 1)
		[ -n "$big" ] || break
		rm -f "$dir/$big"
	done
}

status=0
for t in "$@"; do
	build "$t"
	seeds=fixtures/fuzz/$t
	work=$OUT/$t.corpus
	arts=$OUT/$t.artifacts
	mkdir -p "$seeds"
	if [ "$t" = cachefile ] && [ -z "$(ls -A "$seeds")" ]; then
		# An empty corpus is reseeded with valid files of every shape.
		# shellcheck disable=SC2046 # the source list is meant to split
		if ! $FUZZ_CC -std=c11 -D_GNU_SOURCE -Iref -o "$OUT/gen_cachefile_seeds" \
			tests/fuzz/gen_cachefile_seeds.c $(sources cachefile) ||
			! "$OUT/gen_cachefile_seeds" "$seeds"; then
			die "cannot make the cachefile seeds"
		fi
	fi
	rm -rf "$work" "$arts" && mkdir -p "$work" "$arts"
	echo "fuzz: $t for ${FUZZ_SECONDS}s (log: $OUT/$t.log)" >&2
	"$OUT/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" \
		-artifact_prefix="$arts/" -print_final_stats=1 "$work" "$seeds" \
		>"$OUT/$t.log" 2>&1
	rc=$?
	if [ -n "$(ls -A "$arts")" ]; then
		echo "fuzz: $t: FAILED, see $arts/ and $OUT/$t.log:" >&2
		ls "$arts" >&2
		status=1
		continue
	fi
	if [ "$rc" -ne 0 ]; then
		echo "fuzz: $t: exited with status $rc, see $OUT/$t.log" >&2
		status=1
		continue
	fi
	"$OUT/fuzz_$t" -merge=1 "$seeds" "$work" >>"$OUT/$t.log" 2>&1 ||
		echo "fuzz: $t: merge failed (corpus unchanged)" >&2
	bound "$seeds" "$OUT/fuzz_$t"
	grep -m 1 -E 'DONE' "$OUT/$t.log" >&2
	echo "fuzz: $t: ok, corpus $(find "$seeds" -type f | wc -l) files" >&2
done
exit "$status"
