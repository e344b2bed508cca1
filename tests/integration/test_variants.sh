#!/bin/sh
# Every broken variant of the reference is caught by the scenario and check
# that tests/variants.tsv names for it; rows waiting for later harness
# features are listed, not run.
. tests/integration/lib.sh
ran=0
waiting=0
while IFS='	' read -r variant args level scenario checks note; do
	case "$variant" in '#'* | '') continue ;; esac
	if [ "$scenario" = - ]; then
		echo "waits: $variant: $note"
		waiting=$((waiting + 1))
		continue
	fi
	if [ "$variant" = reference ]; then bin=$EPCACHE; else bin=$BUILD/variants/epcache-$variant; fi
	[ -x "$bin" ] || fail "$bin is not built"
	impl=$bin
	[ "$args" = - ] || impl="$bin $args"
	out=$WORK/$variant-$scenario
	"$CT" run --impl "$impl" --scenario "scenarios/$scenario.json" --level "$level" \
		--workdir "$WORK" --out "$out" --no-keep-failed >"$out.log" 2>&1
	rc=$?
	[ $rc = 1 ] || { cat "$out.log"; fail "$variant on $scenario: exit $rc, expected 1 (a check failed)"; }
	validate "$out/results.json"
	for c in $(echo "$checks" | tr , ' '); do
		st=$(json_get "$out/results.json" "[c['status'] for c in r['scenarios'][0]['checks'] if c['id']=='$c'][0]")
		[ "$st" = fail ] || { cat "$out.log"; fail "$variant on $scenario: $c is $st, expected fail"; }
	done
	echo "caught: $variant by $scenario ($checks)"
	ran=$((ran + 1))
done <tests/variants.tsv
[ $ran -gt 0 ] || fail "no variant was run"
# A scenario or a check that no variant fails proves nothing: every
# scenario file and every check this harness decides must be in the table.
for f in scenarios/*.json; do
	s=$(basename "$f" .json)
	awk -F'\t' -v s="$s" '$4 == s { found = 1 } END { exit !found }' tests/variants.tsv ||
		fail "no variant is caught by scenario $s"
done
for c in I1 I2 I3 I4 I5 I8; do
	awk -F'\t' -v c="$c" '$1 !~ /^#/ && $4 != "-" && index($5, c) { found = 1 } END { exit !found }' \
		tests/variants.tsv || fail "no variant fails check $c"
done
echo "variants: $ran caught, $waiting waiting for later harness features"
