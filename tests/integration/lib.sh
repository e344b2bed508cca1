# tests/integration/lib.sh: shared by the integration tests (sourced).
# Each test gets its own scratch directory, removed when it exits.
set -u
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
CT=${CT_BIN:-$BUILD/cachetorture}
EPCACHE=${EPCACHE_BIN:-$BUILD/epcache}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ct-it.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'rm -rf "$WORK"; exit 130' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# json_get FILE EXPRESSION: prints a Python expression over r, the document.
json_get() {
	"$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# json_check FILE CODE: runs Python statements over r; they sys.exit(1) to fail.
json_check() {
	"$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); exec(sys.argv[2])' "$1" "$2"
}

# Validates a results.json against harness/results.schema.json.
validate() {
	"$PYTHON" tests/integration/validate_results.py harness/results.schema.json "$1" ||
		fail "$1 does not validate against the schema"
}
