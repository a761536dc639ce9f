#!/usr/bin/env bash
# Every function libmsgbus exports is in its function table, msgbus_api
# (include/msgbus.h), under its name without the msgbus_ prefix: bindings
# that load libmsgbus at run time reach only what the table holds. The
# compiler checks each entry's signature (ffi/src/api.rs); this checks
# that none is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB=${LIB:-target/release}
table=$(sed -n '/^typedef struct msgbus_api {/,/^} msgbus_api;/p' include/msgbus.h |
  grep -oE '\(\*[a-z_0-9]+\)' | tr -d '(*)')
missing=0 total=0
for symbol in $(nm -D --defined-only "$LIB/libmsgbus.so" | awk '{print $3}'); do
  [[ $symbol == msgbus_api_get ]] && continue
  total=$((total + 1))
  if ! grep -qx "${symbol#msgbus_}" <<<"$table"; then
    echo "msgbus_api has no entry for $symbol"
    missing=$((missing + 1))
  fi
done
[[ $missing -eq 0 ]] || exit 1
echo "msgbus_api holds all $total exported functions"
