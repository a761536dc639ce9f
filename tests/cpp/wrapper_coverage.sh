#!/usr/bin/env bash
# Every function libmsgbus exports is used by the C++ wrapper
# (bindings/cpp/msgbus.hpp), or is named below with the reason it has no
# C++ form: a new C function without its wrapper fails `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB=${LIB:-target/release}
declare -A WITHOUT_WRAPPER=(
  [msgbus_api_get]="the function table is for bindings that dlopen the library; C++ links it"
  [msgbus_runtime_register]="runtime hooks are for interpreters with a global lock (Python's GIL); C++ has none"
  [msgbus_bus_register_listener_in_runtime]="as msgbus_runtime_register"
  [msgbus_bus_add_interceptor_in_runtime]="as msgbus_runtime_register"
  [msgbus_value_set_twin]="a twin caches a binding's own object for a value; C++ reads values in place"
  [msgbus_value_twin]="as msgbus_value_set_twin"
  [msgbus_message_set_payload_string]="C shorthand for what Message::set_payload(text) does through a view"
  [msgbus_message_payload_string]="C shorthand for payload().as_string()"
  [msgbus_message_payload_view]="a binding's one-call read of a value to convert; C++ reads values in place through ValueRef"
  [msgbus_message_get_view]="as msgbus_message_payload_view"
)
missing=0 total=0
for symbol in $(nm -D --defined-only "$LIB/libmsgbus.so" | awk '{print $3}'); do
  total=$((total + 1))
  used=$(grep -cw "$symbol" bindings/cpp/msgbus.hpp || true)
  if [[ -v WITHOUT_WRAPPER[$symbol] ]]; then
    if [[ $used -gt 0 ]]; then
      echo "$symbol is wrapped now: take it off the list in $0"
      missing=$((missing + 1))
    fi
  elif [[ $used -eq 0 ]]; then
    echo "no C++ form for $symbol (bindings/cpp/msgbus.hpp)"
    missing=$((missing + 1))
  fi
done
[[ $missing -eq 0 ]] || exit 1
echo "the C++ wrapper uses $((total - ${#WITHOUT_WRAPPER[@]})) of $total exported functions; ${#WITHOUT_WRAPPER[@]} have no C++ form on purpose"
