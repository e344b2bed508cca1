#!/bin/sh
# Bad input gets a clear error, a documented exit code, and loses nothing.
. tests/integration/lib.sh

expect() { # expect CODE PATTERN command...
	code=$1
	pat=$2
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc = "$code" ] || { cat "$WORK/err"; fail "$*: exit $rc, expected $code"; }
	grep -q -- "$pat" "$WORK/err" "$WORK/out" || { cat "$WORK/err"; fail "$*: no '$pat' in the output"; }
}

printf '{\n  "description": "x",\n  "wokers": 3,\n  "steps": [{"do": "herd"}],\n  "checks": ["I1"]\n}\n' >"$WORK/bad.json"
expect 2 "cachetorture: $WORK/bad.json:3:3: unknown key \"wokers\"" \
	"$CT" run --impl "$EPCACHE" --scenario "$WORK/bad.json" --workdir "$WORK"
# A bad file among good ones: nothing runs at all.
expect 2 'unknown key' "$CT" run --impl "$EPCACHE" --scenario scenarios/herd-cold.json \
	--scenario "$WORK/bad.json" --workdir "$WORK"
[ -z "$(find "$WORK" -maxdepth 1 -name 'cachetorture-*')" ] || fail "a run started despite a bad scenario"
expect 2 "cannot open '$WORK/nope.json'" "$CT" run --impl "$EPCACHE" --scenario "$WORK/nope.json"
expect 2 "not found in PATH" "$CT" run --impl "no-such-impl-anywhere" --scenario scenarios/herd-cold.json
expect 2 "cannot execute" "$CT" run --impl "./nope/epcache" --scenario scenarios/herd-cold.json
expect 2 "unterminated quote" "$CT" run --impl "'$EPCACHE" --scenario scenarios/herd-cold.json
expect 2 "is required" "$CT" run --scenario scenarios/herd-cold.json
expect 2 "--workers" "$CT" run --impl "$EPCACHE" --workers 0
expect 2 "--level" "$CT" run --impl "$EPCACHE" --level deep
expect 2 "unknown command" "$CT" frobnicate
expect 0 "exit status" "$CT" --help
expect 0 "ok" "$CT" check scenarios
expect 2 "wokers" "$CT" check "$WORK/bad.json"
# The oracle's view is what the reference answers.
mkdir "$WORK/site"
"$CT" gen --dists 50 --seed 3 "$WORK/site" || fail "gen"
"$CT" view "$WORK/site" /nonexistent >"$WORK/view" || fail "view"
HOME=$WORK XDG_CACHE_HOME=$WORK/cache "$EPCACHE" "$WORK/site" /nonexistent >"$WORK/ref" || fail "epcache"
cmp -s "$WORK/view" "$WORK/ref" || fail "the oracle and the reference disagree on a generated tree"
[ -s "$WORK/view" ] || fail "empty view of a generated tree"
# The harness never reads the real HOME: a HOME it cannot use changes nothing.
HOME=/nonexistent/home "$CT" run --impl "$EPCACHE" --scenario scenarios/no-cache-home.json \
	--workdir "$WORK" --no-keep-failed >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "run with HOME unusable"; }
[ ! -e /nonexistent/home ] || fail "created the real HOME"
echo "cli: all error paths answered as documented"
