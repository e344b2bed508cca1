#!/bin/sh
# --view reduced end to end: a peer answering reduced views passes under
# changes, and full answers where reduced ones are expected are malformed.
. tests/integration/lib.sh
[ -x "$PYTHON" ] || { echo "skip: $PYTHON missing"; exit 0; }
"$CT" run --impl "$PYTHON harness/adapters/importlib_metadata.py --reduced" --view reduced \
	--scenario scenarios/churn.json --scenario scenarios/branch-switch.json --scenario scenarios/many-entries.json \
	--workdir "$WORK" --out "$WORK/reduced" --no-keep-failed >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log"; fail "the reduced adapter did not pass: exit $?"; }
validate "$WORK/reduced/results.json"
[ "$(json_get "$WORK/reduced/results.json" "r['view']")" = reduced ] || fail "results do not say view reduced"
"$CT" run --impl "$EPCACHE" --view reduced --scenario scenarios/no-cache-home.json --workdir "$WORK" \
	--out "$WORK/full" --no-keep-failed >"$WORK/log" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$WORK/log"; fail "full answers under --view reduced: exit $rc, expected 1"; }
json_check "$WORK/full/results.json" "
c = [c for c in r['scenarios'][0]['checks'] if c['id'] == 'I2'][0]
sys.exit(0 if c['status'] == 'fail' and c['examples'][0]['kind'].startswith('malformed') else 1)" ||
	fail "full answers under --view reduced were not called malformed"
echo "reduced: a reduced peer passes; full answers are malformed there"
