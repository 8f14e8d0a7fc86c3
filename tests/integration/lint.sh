#!/usr/bin/env bash
# cppcheck and clang-tidy clean on src/ and tests/, every C source in
# .clang-format's style (scripts/lint.sh).
. "$(dirname "$0")/../lib.sh"
need cppcheck
need clang-tidy
need clang-format
"$TOP/scripts/lint.sh" | sed -u -E "s#^(PASS|FAIL): lint/#\\1: $T/#"
