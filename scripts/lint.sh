#!/usr/bin/env bash
# Static analysis of src/ and tests/ (not bpf/ or vmlinux/): cppcheck and
# clang-tidy (.clang-tidy); and every C source in .clang-format's style
# (`make format` fixes that one). Needs the skeleton (make first). Prints one
# PASS:/FAIL: line per tool and exits non-zero on any finding.
# Usage: scripts/lint.sh [OUTPUT]   OUTPUT: the build folder (default build)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${1:-build}
[ -e "$out/tcpscope.skel.h" ] || { echo "FAIL: lint: no $out/tcpscope.skel.h; run make first"; exit 1; }
files=(src/*/*.c tests/unit/*.c tests/fuzz/*.c)
# The skeleton is generated: a system include, so neither tool reports it.
flags=(-std=gnu11 -D_GNU_SOURCE -DTCPSCOPE_VERSION='"lint"' -DPARSER=1 -Iinclude -Isrc
       -isystem "$out" -Itests/unit -Itests/fuzz)
rc=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if cppcheck --enable=warning,portability,performance --inline-suppr --std=c11 --quiet \
	-Iinclude -Isrc -Itests/unit -Itests/fuzz -D_GNU_SOURCE -DPARSER=1 \
	--suppress=missingIncludeSystem --error-exitcode=1 "${files[@]}" >"$log" 2>&1; then
	echo "PASS: lint/cppcheck"
else
	echo "FAIL: lint/cppcheck: $(grep -c 'error\|warning' "$log") findings"
	sed 's/^/    /' "$log"
	rc=1
fi
# One per core: the analyzer is the slow part. Its reports that end in the
# generated skeleton (inlined into tracer.c) are libbpf's, not ours.
printf '%s\n' "${files[@]}" |
	xargs -P "$(nproc)" -I{} clang-tidy --quiet {} -- "${flags[@]}" 2>&1 |
	grep -E 'warning:|error:' | grep -v "^$out/" >"$log"
if [ ! -s "$log" ]; then
	echo "PASS: lint/clang-tidy"
else
	echo "FAIL: lint/clang-tidy: $(wc -l <"$log") findings"
	sed 's/^/    /' "$log"
	rc=1
fi
# The files `make format` formats: the Makefile's list.
if make -s --no-print-directory format-check >"$log" 2>&1; then
	echo "PASS: lint/clang-format"
else
	echo "FAIL: lint/clang-format: $(grep -c 'error:' "$log") lines unlike .clang-format's style ('make format' fixes them)"
	grep 'error:' "$log" | head -20 | sed 's/^/    /'
	rc=1
fi
exit $rc
