#!/bin/sh
# tools/bench.sh: run ctbench and rewrite the table in BENCH.md, with the
# machine it ran on and the command that reproduces it.
set -eu
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
out=$(mktemp "${TMPDIR:-/tmp}/ctbench.XXXXXX")
trap 'rm -f "$out"' EXIT
"$BUILD/ctbench" --python "$PYTHON" --epcache "$BUILD/epcache" ${BENCH_ARGS:-} | tee "$out"
{
	echo "# BENCH"
	echo
	echo "Every figure is a median over many runs in one process, measured beside its"
	echo "floor in the same run (interleaved, so both see the same machine). Speed is"
	echo "measured here and never asserted in tests. Reproduce with \`make bench\`."
	echo
	echo "Machine: $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
	echo "Trees and caches on $(df -T /dev/shm 2>/dev/null | awk 'NR==2 {print $2}' || echo tmpfs) ($(date -u +%Y-%m-%d))."
	echo
	cat "$out"
	if [ -f tools/BENCH-notes.md ]; then
		echo
		cat tools/BENCH-notes.md
	fi
} >BENCH.md
echo "bench: BENCH.md updated"
