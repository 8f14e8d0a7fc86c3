#!/usr/bin/env bash
# The suite's core under ASan+UBSan (LeakSanitizer included): builds
# `make SANITIZE=1 OUTPUT=build-san`, runs its unit tests and a subset of
# the integration scripts against build-san/tcpscope (tests/lib.sh honours
# TCPSCOPE), each check renamed sanitize/<script>/<check>; then checks that
# no sanitizer wrote a report (a report aborts the process, and the report
# itself goes to a file, so no check can miss it).
# SANITIZE_SCRIPTS overrides the subset.
. "$(dirname "$0")/../lib.sh"
SAN=${SAN_OUTPUT:-build-san}
scripts=${SANITIZE_SCRIPTS:-cli load_errors monitor_cli monitor_states faults privs}
if ! make -s -C "$TOP" -j"$(nproc)" SANITIZE=1 OUTPUT="$SAN" all unit >"$TMP/build.log" 2>&1; then
	fail build "make SANITIZE=1 OUTPUT=$SAN failed: $(grep -m1 -E 'error' "$TMP/build.log")"
	exit 0
fi
mkdir -p "$TMP/reports"
export ASAN_OPTIONS="log_path=$TMP/reports/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$TMP/reports/ubsan:print_stacktrace=1"
relabel() { sed -u -E "s#^(PASS|FAIL|SKIP): #\\1: $T/#"; }
"$TOP/$SAN/unit-tests" | relabel
for s in $scripts; do
	TCPSCOPE="$TOP/$SAN/tcpscope" timeout -k 10 300 bash "$TOP/tests/integration/$s.sh" 2>&1 |
		relabel
done
reports=$(ls "$TMP/reports" 2>/dev/null | wc -l)
if [ "$reports" -eq 0 ]; then
	pass no_sanitizer_reports
else
	fail no_sanitizer_reports "$reports reports:"
	head -n 40 "$TMP"/reports/* | sed 's/^/    /'
fi
