#!/usr/bin/env bash
# cppcheck and clang-tidy clean on src/ and tests/ (scripts/lint.sh).
. "$(dirname "$0")/../lib.sh"
need cppcheck
need clang-tidy
"$TOP/scripts/lint.sh" | sed -u -E "s#^(PASS|FAIL): lint/#\\1: $T/#"
