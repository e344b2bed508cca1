#!/bin/sh
# scenarios/CATALOGUE.md and scenarios/*.json agree: every file is in the
# catalogue as "here", every "here" row has a file, and every file loads.
. tests/integration/lib.sh
here=$(awk -F'|' '/^\| [a-z-]+ \| here/ { gsub(/ /, "", $2); print $2 }' scenarios/CATALOGUE.md | sort)
files=$(for f in scenarios/*.json; do basename "$f" .json; done | sort)
[ -n "$here" ] || fail "no scenario marked here in scenarios/CATALOGUE.md"
if [ "$here" != "$files" ]; then
	echo "catalogue: $here" | tr '\n' ' '
	echo
	echo "files:     $files" | tr '\n' ' '
	echo
	fail "scenarios/CATALOGUE.md and scenarios/*.json disagree"
fi
"$CT" check scenarios >/dev/null || fail "a scenario file does not load"
echo "catalogue: $(echo "$files" | wc -l) scenarios, all in the catalogue, all load"
