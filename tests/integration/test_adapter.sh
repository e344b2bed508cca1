#!/bin/sh
# Python's own importlib.metadata, behind the protocol, passes every check of
# every scenario except I4, and the report says plainly that it never caches.
. tests/integration/lib.sh
[ -x "$PYTHON" ] || { echo "skip: $PYTHON missing"; exit 0; }
"$PYTHON" -c 'import importlib.metadata' 2>/dev/null || { echo "skip: no importlib.metadata"; exit 0; }
"$CT" run --impl "$PYTHON harness/adapters/importlib_metadata.py" --level strict --scenario scenarios \
	--workdir "$WORK" --out "$WORK/adapter" --no-keep-failed >"$WORK/log" 2>&1
rc=$?
cat "$WORK/log"
validate "$WORK/adapter/results.json"
[ $rc = 1 ] || fail "expected exit 1 (I4 fails where it decides), got $rc"
json_check "$WORK/adapter/results.json" "
bad = [(s['name'], c['id'], c['status']) for s in r['scenarios'] for c in s['checks']
       if c['id'] != 'I4' and c['status'] in ('fail', 'reported')]
bad += [(s['name'], s['status'], s['reason']) for s in r['scenarios'] if s['status'] in ('error', 'skip')]
print(bad) if bad else None
sys.exit(1 if bad else 0)" || fail "the adapter failed a check other than I4"
json_check "$WORK/adapter/results.json" "
notes = [c['note'] for s in r['scenarios'] for c in s['checks'] if c['id'] == 'I4' and c['status'] == 'fail']
sys.exit(0 if notes and all(n.startswith('never caches') for n in notes) else 1)" ||
	fail "I4 failures do not say that it never caches"
grep -q 'never caches' "$WORK/log" || fail "the summary does not say that it never caches"
