#!/bin/sh
# Interrupted mid-herd, the harness kills its workers, removes its scratch
# directory and exits 130: nothing is left running or lying around.
. tests/integration/lib.sh
"$CT" run --impl "$EPCACHE" --scenario scenarios/herd-invalidate.json --workdir "$WORK" \
	--repeat 10 >"$WORK/log" 2>&1 &
pid=$!
sleep 4
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || { cat "$WORK/log"; fail "exit $rc after SIGINT, expected 130"; }
sleep 0.5
left=$(find "$WORK" -maxdepth 1 -name 'cachetorture-*' | wc -l)
[ "$left" = 0 ] || fail "$left scratch directories left after an interrupt"
if pgrep -f "$WORK/cachetorture-" >/dev/null; then
	pgrep -af "$WORK/cachetorture-"
	fail "workers still running after an interrupt"
fi
echo "interrupt: exit 130, nothing left behind"
