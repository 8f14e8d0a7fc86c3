#!/usr/bin/env bash
# valgrind memcheck on the unit tests: no invalid access, no use of
# uninitialised memory, no definite leak.
. "$(dirname "$0")/../lib.sh"
need valgrind
[ -x "$TOP/build/unit-tests" ] || make -s -C "$TOP" unit >/dev/null
valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite \
	--log-file="$TMP/vg.log" "$TOP/build/unit-tests" >"$TMP/unit.out" 2>&1
rc=$?
check_eq unit_tests_pass_under_memcheck "$(tail -n 1 "$TMP/unit.out" | grep -c ' 0 failed')" 1
if [ "$rc" -ne 3 ]; then
	pass memcheck_clean
else
	fail memcheck_clean "$(grep -c '^==[0-9]*== [A-Z]' "$TMP/vg.log") report lines"
	head -n 40 "$TMP/vg.log" | sed 's/^/    /'
fi
