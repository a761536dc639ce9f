#!/usr/bin/env bash
# Every function libmsgbus exports has at least one row in the bad-input
# table (tests/c/test_bad_input.c): a new function without its bad-input
# rows fails `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB=${LIB:-target/release}
missing=0 total=0
for symbol in $(nm -D --defined-only "$LIB/libmsgbus.so" | awk '{print $3}'); do
  total=$((total + 1))
  if ! grep -qE "(ROW|NULL_ROW|VOID_ROW)\($symbol," tests/c/test_bad_input.c; then
    echo "no bad-input row for $symbol"
    missing=$((missing + 1))
  fi
done
[[ $missing -eq 0 ]] || exit 1
echo "the bad-input table covers all $total exported functions"
