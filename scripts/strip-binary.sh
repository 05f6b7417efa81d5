#!/usr/bin/env bash
# The one strip step, for `make install` (the Makefile's `stripped` target)
# and `make deb` (scripts/deb/build.sh):
#
#   scripts/strip-binary.sh BINARY OUT_BINARY OUT_DEBUG
#
# Writes OUT_BINARY without symbols or debug info and OUT_DEBUG with them,
# linked by name and CRC (.gnu_debuglink: gdb finds OUT_DEBUG beside the
# binary or under /usr/lib/debug/<the binary's directory>/). BINARY is left
# as it is. Uses the Swift toolchain's llvm-objcopy when there is one (it is
# beside swift), else binutils' objcopy.
set -euo pipefail
binary=${1:?usage: strip-binary.sh BINARY OUT_BINARY OUT_DEBUG}
stripped=${2:?usage: strip-binary.sh BINARY OUT_BINARY OUT_DEBUG}
debug=${3:?usage: strip-binary.sh BINARY OUT_BINARY OUT_DEBUG}
objcopy=$(command -v llvm-objcopy || true)
if [ -z "$objcopy" ] && command -v swift >/dev/null; then
    candidate="$(dirname "$(readlink -f "$(command -v swift)")")/llvm-objcopy"
    [ -x "$candidate" ] && objcopy=$candidate
fi
[ -n "$objcopy" ] || objcopy=$(command -v objcopy || true)
[ -n "$objcopy" ] || { echo "strip: neither llvm-objcopy nor objcopy (binutils) is installed" >&2; exit 3; }
mkdir -p "$(dirname "$stripped")" "$(dirname "$debug")"
"$objcopy" --only-keep-debug "$binary" "$debug"
"$objcopy" --strip-all --add-gnu-debuglink="$debug" "$binary" "$stripped"
chmod 0755 "$stripped"
chmod 0644 "$debug"
