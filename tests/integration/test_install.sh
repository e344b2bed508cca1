#!/bin/sh
# make install puts the command, the library, its header and the man page
# under DESTDIR/PREFIX, and the installed command works.
. tests/integration/lib.sh
make -s BUILD="$BUILD" SAN="${SAN:-0}" install DESTDIR="$WORK/root" PREFIX=/opt/ep >"$WORK/log" 2>&1 ||
	{ cat "$WORK/log"; fail "make install"; }
for f in bin/epcache lib/libepcache.a include/epcache.h share/man/man1/epcache.1; do
	[ -f "$WORK/root/opt/ep/$f" ] || fail "make install did not install $f"
done
mkdir "$WORK/site"
"$CT" gen --dists 20 "$WORK/site" || fail "gen"
HOME="$WORK" XDG_CACHE_HOME="$WORK/cache" "$WORK/root/opt/ep/bin/epcache" "$WORK/site" >"$WORK/out" ||
	fail "the installed epcache did not answer"
"$CT" view "$WORK/site" | cmp -s - "$WORK/out" || fail "the installed epcache answered differently"
# The header is self-contained C11.
printf '#include <epcache.h>\nint main(void){return epcache_version()[0]==0;}\n' >"$WORK/t.c"
san=
[ "${SAN:-0}" = 1 ] && san="-fsanitize=address,undefined"
${CC:-cc} -std=c11 -Wall -Wextra -Werror $san -I"$WORK/root/opt/ep/include" -o "$WORK/t" "$WORK/t.c" \
	"$WORK/root/opt/ep/lib/libepcache.a" || fail "a program using the installed header and library does not build"
"$WORK/t" || fail "epcache_version()"
echo "install: command, library, header and man page installed and working"
