#!/usr/bin/env bash
# A bounded fuzz run of every parser (tests/fuzz/run): a few seconds per
# target on the committed corpus, enough to replay it and catch regressions
# in CI. Longer runs: tests/fuzz/run 600. Needs clang with libFuzzer.
. "$(dirname "$0")/../lib.sh"
need clang
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' > "$TMP/probe.c"
if ! clang -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" 2>/dev/null; then
	skip libfuzzer "clang has no -fsanitize=fuzzer (Debian: libclang-rt-14-dev)"
	exit 0
fi
"$TOP/tests/fuzz/run" "${FUZZ_SECONDS:-3}" | sed "s|^\(PASS\|FAIL\): fuzz/|\1: $T/|"
