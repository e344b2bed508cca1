#!/bin/sh
# Every broken variant of the reference is caught by the scenario and check
# that tests/variants.tsv names for it; rows waiting for later harness
# features are listed, not run.
. tests/integration/lib.sh
ATTEMPTS=${VARIANT_ATTEMPTS:-3}
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
	# A race is caught by a schedule, not on every run: a variant gets up to
	# $ATTEMPTS runs (a sanitized build runs slowly enough to miss a window
	# now and then). Each run must fail the named checks to count; the log
	# says on which attempt it was caught.
	attempt=1
	while :; do
		out=$WORK/$variant-$scenario-$attempt
		"$CT" run --impl "$impl" --scenario "scenarios/$scenario.json" --level "$level" \
			--workdir "$WORK" --out "$out" --no-keep-failed >"$out.log" 2>&1
		rc=$?
		why=""
		if [ $rc != 1 ]; then
			why="exit $rc, expected 1 (a check failed)"
		else
			validate "$out/results.json"
			for c in $(echo "$checks" | tr , ' '); do
				st=$(json_get "$out/results.json" "[c['status'] for c in r['scenarios'][0]['checks'] if c['id']=='$c'][0]")
				[ "$st" = fail ] || why="$c is $st, expected fail"
			done
		fi
		[ -n "$why" ] || break
		# Only a run that ended (pass or fail) is worth another try.
		if [ $attempt -ge "$ATTEMPTS" ] || [ $rc -gt 1 ]; then
			cat "$out.log"
			fail "$variant on $scenario: $why (attempt $attempt of $ATTEMPTS)"
		fi
		echo "not caught: $variant by $scenario on attempt $attempt: $why; again"
		attempt=$((attempt + 1))
	done
	echo "caught: $variant by $scenario ($checks), attempt $attempt"
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
