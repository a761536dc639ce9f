#!/usr/bin/env bash
# Builds every tests/c/test_*.c and runs it four ways: against the shared
# library, against the static library, under ASan+UBSan (shared), and under
# valgrind (shared, no ASan; with --fair-sched, without which threads that
# spin-wait on each other crawl under valgrind's one-at-a-time scheduler).
# Each program prints "N passed, M failed"; a run that crashes, leaks or
# exits non-zero counts as one more failure. Ends with one
# "N passed, M failed" line summing every run.
set -uo pipefail
cd "$(dirname "$0")/../.."
LIB=${LIB:-target/release}
OUT=${OUT:-target/c-tests}
CC=${CC:-cc}
mkdir -p "$OUT"
CFLAGS=(-std=c11 -Wall -Wextra -Werror -Iinclude -g -pthread)
SHARED=(-L"$LIB" -lmsgbus -Wl,-rpath,"$PWD/$LIB")
STATIC=("$LIB/libmsgbus.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl)
SANITIZE=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
passed=0 failed=0

# run NAME COMMAND...: runs one test binary, adds its counts.
run() {
  local label=$1; shift
  local log="$OUT/$label.log"
  "$@" >"$log" 2>&1
  local status=$?
  local counts
  counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  local p=${counts%% passed*} f=${counts##*, }
  f=${f%% failed}
  if [[ -z $counts ]]; then p=0 f=0; fi
  if [[ $status -ne 0 && $f -eq 0 ]]; then f=1; fi
  passed=$((passed + p)) failed=$((failed + f))
  if [[ $f -ne 0 ]]; then
    echo "FAIL $label (exit $status)"; sed 's/^/    /' "$log" | tail -40
  else
    echo "ok   $label: $counts"
  fi
}

# compile LABEL FLAGS...: builds one binary, counts a failure if it does not.
compile() {
  local label=$1; shift
  if ! "$CC" "$@" -o "$OUT/$label" 2>"$OUT/$label.build.log"; then
    echo "FAIL $label does not compile"; sed 's/^/    /' "$OUT/$label.build.log"
    failed=$((failed + 1))
    return 1
  fi
}

for src in tests/c/test_*.c; do
  name=$(basename "$src" .c)
  compile "$name-shared" "${CFLAGS[@]}" "$src" "${SHARED[@]}" &&
    run "$name-shared" "$OUT/$name-shared"
  compile "$name-static" "${CFLAGS[@]}" "$src" "${STATIC[@]}" &&
    run "$name-static" "$OUT/$name-static"
  compile "$name-asan" "${CFLAGS[@]}" "${SANITIZE[@]}" "$src" "${SHARED[@]}" &&
    ASAN_OPTIONS=detect_leaks=1 run "$name-asan" "$OUT/$name-asan"
  [[ -x $OUT/$name-shared ]] &&
    run "$name-valgrind" valgrind -q --fair-sched=yes --leak-check=full --error-exitcode=99 \
      --suppressions=tests/c/valgrind.supp "$OUT/$name-shared"
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
