#!/bin/sh
# The results schema accepts real output and rejects a broken document: the
# validation used by the other tests can fail.
. tests/integration/lib.sh
"$CT" run --impl "$EPCACHE" --scenario scenarios/no-cache-home.json --scenario scenarios/nested-edit.json \
	--workdir "$WORK" --out "$WORK/r" --no-keep-failed >/dev/null 2>&1 || fail "run: exit $?"
validate "$WORK/r/results.json"
"$PYTHON" - "$WORK/r/results.json" "$WORK/broken.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["scenarios"][0]["status"] = "passed"      # not one of the four statuses
del r["summary"]["errors"]
json.dump(r, open(sys.argv[2], "w"))
PY
if "$PYTHON" tests/integration/validate_results.py harness/results.schema.json "$WORK/broken.json" 2>/dev/null; then
	fail "the schema accepted a broken results file"
fi
json_check "$WORK/r/results.json" "r['scenarios'][1]['status'] == 'skip' and r['scenarios'][1]['reason'] or sys.exit(1)" ||
	fail "the strict scenario was not skipped with a reason at the seed level"
echo "schema: real output validates, a broken one does not"
