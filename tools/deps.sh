#!/bin/sh
# tools/deps.sh: make sure the Debian packages the build needs are present.
# Run by the Makefile before compiling. As root it installs what is missing;
# otherwise it prints the exact apt-get line and fails, so a fresh machine
# either builds or says precisely what to do.
#
# usage: tools/deps.sh build|test
set -u
want=${1:-build}
missing=""

have_pc() { pkg-config --exists "$1" 2>/dev/null; }

command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
if command -v pkg-config >/dev/null 2>&1; then
	have_pc check || missing="$missing check"
	have_pc jansson || missing="$missing libjansson-dev"
else
	missing="$missing check libjansson-dev"
fi
if [ "$want" = test ]; then
	# The results schema test validates real output with a JSON Schema
	# validator; the system interpreter is used on purpose (see README).
	/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 || missing="$missing python3-jsonschema"
	command -v strace >/dev/null 2>&1 || missing="$missing strace"
	command -v mkfs.ext2 >/dev/null 2>&1 || missing="$missing e2fsprogs"
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing:$missing" >&2
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 || {
			echo "deps: apt-get install failed:$missing" >&2
			exit 1
		}
	fi
	exit 0
fi
echo "deps: missing Debian packages; install them with:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
