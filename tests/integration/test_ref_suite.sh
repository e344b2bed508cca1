#!/bin/sh
# The reference passes every runnable scenario: at the seed level with the
# scenarios' own seeds, then at the strict level (--deep) with another seed,
# so a pass is not the luck of one schedule. Its results validate.
. tests/integration/lib.sh
"$CT" run --impl "$EPCACHE" --scenario scenarios --workdir "$WORK" --out "$WORK/seed" \
	--no-keep-failed || fail "reference at the seed level: exit $?"
validate "$WORK/seed/results.json"
n=$(json_get "$WORK/seed/results.json" "r['summary']['passed']")
strict=$(grep -l '"level": *"strict"' scenarios/*.json | wc -l)
skipped=$(json_get "$WORK/seed/results.json" "r['summary']['skipped']")
[ "$skipped" = "$strict" ] || fail "seed level skipped $skipped scenarios, expected the $strict strict one(s)"
json_check "$WORK/seed/results.json" \
	"all(s['reason'] for s in r['scenarios'] if s['status'] == 'skip') or sys.exit(1)" ||
	fail "a skipped scenario has no reason"
"$CT" run --impl "$EPCACHE --deep" --level strict --seed 7 --scenario scenarios --workdir "$WORK" \
	--out "$WORK/strict" --no-keep-failed || fail "reference --deep at the strict level: exit $?"
validate "$WORK/strict/results.json"
[ "$(json_get "$WORK/strict/results.json" "r['summary']['skipped']")" = 0 ] ||
	fail "strict level skipped a scenario"
# The warm herds really were warm: I4 held where it decides.
json_check "$WORK/seed/results.json" \
	"[c for s in r['scenarios'] for c in s['checks'] if c['id']=='I4' and c['deciding'] and c['status']!='pass'] and sys.exit(1)" ||
	fail "I4 did not pass where it decides"
# Nothing left behind in the work directory but the results.
left=$(find "$WORK" -maxdepth 1 -name 'cachetorture-*' | wc -l)
[ "$left" = 0 ] || fail "$left scratch directories left behind"
echo "reference: $n scenarios passed at the seed level, all at the strict level"
