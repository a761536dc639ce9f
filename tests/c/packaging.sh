#!/usr/bin/env bash
# make test-install: what `make install` installs, used as a reader would.
#
# Into temporary prefixes (LIBDIR lib and lib64, with CARGO=false: install
# must not build), then for each:
#   - pkg-config, shared: the quick start (tests/c/installed.c) links
#     libmsgbus.so.0 and runs;
#   - pkg-config --static: with cc, a program with no NEEDED libmsgbus; with
#     cc -static, a fully static one; both run;
#   - CMake find_package(msgbus) (tests/c/cmake): msgbus::msgbus and
#     msgbus::msgbus_static, and the version rule of msgbusConfigVersion.cmake;
#   - the static programs run again with libmsgbus.so* taken out of the
#     prefix and LD_LIBRARY_PATH empty;
#   - make uninstall leaves no file in the prefix.
# Then a DESTDIR install, built against where it was staged (the CMake
# package is relocatable), whose uninstall leaves other packages' files
# alone; and make install without a built library fails and says why.
#
#   MAKE=make tests/c/packaging.sh
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
make=${MAKE:-make}
work=$(mktemp -d "${TMPDIR:-/tmp}/msgbus-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT
app=$repo/tests/c/installed.c
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
soname=$(readelf -d "$repo/target/release/libmsgbus.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
checks=0

fail() {
  echo "tests/c/packaging.sh: FAILED: $*" >&2
  exit 1
}

# Runs a command quietly; on failure prints the command and its output.
quiet() {
  if ! "$@" > "$work/out.log" 2>&1; then
    cat "$work/out.log" >&2
    fail "$(printf '%q ' "$@")"
  fi
}

mk() {
  "$make" --no-print-directory -C "$repo" "$@"
}

# Runs a program built from installed.c: it must succeed and say it works.
runs() {
  local program=$1 output
  shift
  output=$(env "$@" "$program" 2>&1) || fail "$program (env $*) exited $?: $output"
  [ "$output" = "installed libmsgbus $version: works" ] || fail "$program printed: $output"
  checks=$((checks + 1))
}

needed() {
  readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

needs_libmsgbus() {
  local program=$1
  needed "$program" | grep -qx "$soname" || fail "$program: no NEEDED $soname (has: $(needed "$program" | xargs))"
  checks=$((checks + 1))
}

needs_no_libmsgbus() {
  local program=$1
  if needed "$program" | grep -q libmsgbus; then
    fail "$program, linked statically, has NEEDED $(needed "$program" | grep libmsgbus | xargs)"
  fi
  checks=$((checks + 1))
}

no_files_left() {
  local root=$1 left
  left=$(find "$root" ! -type d | sort)
  [ -z "$left" ] || fail "make uninstall left files in $root:"$'\n'"$left"
  checks=$((checks + 1))
}

# Versions find_package must accept, and refuse, for the installed one
# (msgbusConfigVersion.cmake: same major, and for 0.x same minor).
IFS=. read -r major minor patch <<< "$version"
if [ "$major" = 0 ]; then
  accepted="0.$minor;$version;0.$minor...0.$((minor + 1));0.$minor...<0.$((minor + 1))"
  refused="0.$((minor + 1));1.0;$major.$minor.$((patch + 1));0.$((minor + 1))...0.$((minor + 2))"
  [ "$minor" = 0 ] || refused="$refused;0.$((minor - 1));0.$((minor - 1))...0.$minor"
else
  accepted="$major;$major.0;$version;$major.0...$((major + 1)).0"
  refused="$((major + 1)).0;$major.$minor.$((patch + 1));$((major - 1)).0...$major.$minor"
fi

# The suite for one prefix: $1 the prefix, $2 its LIBDIR, then what tells
# CMake where to look.
suite() {
  local prefix=$1 libdir=$2 build flags
  shift 2
  build=$work/build-$(basename "$libdir")
  echo "== make install PREFIX=$prefix LIBDIR=$libdir"
  quiet mk install PREFIX="$prefix" LIBDIR="$libdir" CARGO=false
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  mkdir -p "$build"

  echo "   pkg-config --libs msgbus: $(pkg-config --libs msgbus)"
  flags=$(pkg-config --cflags --libs msgbus) || fail "pkg-config --cflags --libs msgbus"
  # shellcheck disable=SC2086 # the flags are words
  quiet cc -std=c11 -Wall -Wextra -Werror "$app" $flags -Wl,-rpath,"$libdir" -o "$build/pc-shared"
  needs_libmsgbus "$build/pc-shared"
  runs "$build/pc-shared"

  echo "   pkg-config --static --libs msgbus: $(pkg-config --static --libs msgbus)"
  flags=$(pkg-config --static --cflags --libs msgbus) || fail "pkg-config --static --cflags --libs msgbus"
  # shellcheck disable=SC2086
  quiet cc -std=c11 -Wall -Wextra -Werror "$app" $flags -o "$build/pc-static"
  needs_no_libmsgbus "$build/pc-static"
  runs "$build/pc-static"
  # glibc warns that getaddrinfo and getpwuid_r (in Rust's std, unused by
  # msgbus) want its shared libraries at run time: a warning, not a failure.
  # shellcheck disable=SC2086
  quiet cc -static -std=c11 -Wall -Wextra -Werror "$app" $flags -o "$build/pc-full-static"
  readelf -d "$build/pc-full-static" | grep -q 'There is no dynamic section' \
    || fail "$build/pc-full-static (cc -static) is dynamically linked: $(needed "$build/pc-full-static" | xargs)"
  runs "$build/pc-full-static"

  echo "   cmake find_package(msgbus $version) with $*"
  quiet cmake -S "$repo/tests/c/cmake" -B "$build/cmake" "$@" \
    -DMSGBUS_APP="$app" -DMSGBUS_VERSION="$version" -DMSGBUS_ACCEPTED="$accepted" -DMSGBUS_REFUSED="$refused"
  grep -q "msgbus $version from $libdir/cmake/msgbus" "$work/out.log" \
    || fail "cmake found msgbus elsewhere than $libdir/cmake/msgbus: $(grep 'msgbus ' "$work/out.log")"
  quiet cmake --build "$build/cmake"
  needs_libmsgbus "$build/cmake/installed_shared"
  runs "$build/cmake/installed_shared"
  needs_no_libmsgbus "$build/cmake/installed_static"
  runs "$build/cmake/installed_static"

  echo "   the static programs, with libmsgbus.so* out of $libdir"
  mkdir "$work/away"
  mv "$libdir"/libmsgbus.so* "$work/away/"
  if ! ldconfig -p 2>/dev/null | grep -q "$soname"; then
    # The proof that the library is out of reach: a shared program fails.
    if env LD_LIBRARY_PATH= "$build/cmake/installed_shared" > /dev/null 2>&1; then
      fail "$build/cmake/installed_shared ran with libmsgbus.so* moved away"
    fi
  fi
  for program in pc-static pc-full-static cmake/installed_static; do
    runs "$build/$program" LD_LIBRARY_PATH=
  done
  mv "$work/away"/libmsgbus.so* "$libdir/"
  rmdir "$work/away"

  echo "== make uninstall PREFIX=$prefix LIBDIR=$libdir"
  quiet mk uninstall PREFIX="$prefix" LIBDIR="$libdir"
  no_files_left "$prefix"
  [ ! -e "$libdir/cmake/msgbus" ] || fail "make uninstall left $libdir/cmake/msgbus"
  unset PKG_CONFIG_PATH
}

echo "== make install with no library built"
if mk install LIB="$work/nothing-built" PREFIX="$work/never" > "$work/out.log" 2>&1; then
  fail "make install succeeded with no library in $work/nothing-built"
fi
grep -q "run make ffi first" "$work/out.log" || { cat "$work/out.log" >&2; fail "make install did not say: run make ffi first"; }
[ ! -e "$work/never" ] || fail "make install with no library built created $work/never"
checks=$((checks + 1))

suite "$work/prefix" "$work/prefix/lib" -DCMAKE_PREFIX_PATH="$work/prefix"
multiarch=$(cc -print-multiarch)
if [ -n "$multiarch" ]; then
  # Debian's layout, where its CMake looks (lib/<multiarch>/cmake).
  suite "$work/prefix-multiarch" "$work/prefix-multiarch/lib/$multiarch" -DCMAKE_PREFIX_PATH="$work/prefix-multiarch"
fi
# Debian's CMake does not search lib64 (other distributions' does): msgbus_DIR.
suite "$work/prefix64" "$work/prefix64/lib64" -Dmsgbus_DIR="$work/prefix64/lib64/cmake/msgbus"

stage=$work/stage
installed=/opt/msgbus-$version
echo "== make install DESTDIR=$stage PREFIX=$installed"
mkdir -p "$stage$installed/include" "$stage$installed/lib/pkgconfig"
touch "$stage$installed/include/other.h" "$stage$installed/lib/pkgconfig/other.pc"
quiet mk install DESTDIR="$stage" PREFIX="$installed" CARGO=false
grep -qx "libdir=$installed/lib" "$stage$installed/lib/pkgconfig/msgbus.pc" \
  || fail "msgbus.pc under DESTDIR does not say libdir=$installed/lib: $(grep libdir= "$stage$installed/lib/pkgconfig/msgbus.pc")"
echo "   cmake find_package(msgbus) from $stage$installed, where it was moved"
quiet cmake -S "$repo/tests/c/cmake" -B "$work/build-stage" -DCMAKE_PREFIX_PATH="$stage$installed" \
  -DMSGBUS_APP="$app" -DMSGBUS_VERSION="$version"
quiet cmake --build "$work/build-stage"
runs "$work/build-stage/installed_shared"
runs "$work/build-stage/installed_static"
echo "== make uninstall DESTDIR=$stage PREFIX=$installed"
quiet mk uninstall DESTDIR="$stage" PREFIX="$installed"
left=$(cd "$stage" && find . ! -type d | sort)
[ "$left" = "./opt/msgbus-$version/include/other.h"$'\n'"./opt/msgbus-$version/lib/pkgconfig/other.pc" ] \
  || fail "after make uninstall, $stage holds (only other.h and other.pc should stay):"$'\n'"$left"
checks=$((checks + 1))

echo "make install: $checks checks passed (pkg-config shared and static, cc -static, CMake msgbus::msgbus and msgbus::msgbus_static, LIBDIR, DESTDIR, make uninstall)"
