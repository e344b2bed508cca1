#!/bin/sh
# tests/run.sh: what `make check` runs. Unit tests (Check suites, one per
# module), then the integration tests that run cachetorture for real.
# CHECK_SCOPE=unit stops after the unit tests; CHECK_SCOPE=quick adds the
# integration tests that take seconds, not minutes (CI's sanitizer pass).
set -u
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
SCOPE=${CHECK_SCOPE:-all}
export BUILD PYTHON
export EPCACHE_BIN="$BUILD/epcache" CT_BIN="$BUILD/cachetorture" CT_FIXTURES=fixtures
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
# Sanitized children: fail on the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=""
start=$(date +%s)

run() {
	name=$1
	shift
	t0=$(date +%s)
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		printf 'ok   %-40s %4ss\n' "$name" "$(( $(date +%s) - t0 ))"
	else
		failed="$failed $name"
		printf 'FAIL %-40s %4ss\n' "$name" "$(( $(date +%s) - t0 ))"
		sed 's/^/     | /' "$log" | tail -n 60
	fi
}

log=$(mktemp "${TMPDIR:-/tmp}/ct-check-log.XXXXXX")
trap 'rm -f "$log"' EXIT INT TERM

for t in "$BUILD"/tests/ref/check_* "$BUILD"/tests/harness/check_*; do
	case "$t" in *.d) continue ;; esac
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" "$t"
done
QUICK="test_catalogue test_cli test_schema test_interrupt test_install"
if [ "$SCOPE" != unit ]; then
	for t in tests/integration/test_*.sh; do
		name=$(basename "$t" .sh)
		if [ "$SCOPE" = quick ] && ! echo " $QUICK " | grep -q " $name "; then
			continue
		fi
		run "integration/$name" sh "$t"
	done
fi
echo "check: $passed passed, $(echo $failed | wc -w) failed in $(( $(date +%s) - start )) s"
[ -z "$failed" ] || { echo "check: failed:$failed"; exit 1; }
