#!/usr/bin/env bash
# The Debian packages a built ctaudit needs on a node, from what ldd says it
# loads (each library's owning package, as dpkg -S names it):
#
#   scripts/runtime-deps.sh [BINARY]      # default .build/release/ctaudit
#
# One "package  library..." line per package; `make runtime-deps` runs it on
# the release build, and README's list is its output.
set -euo pipefail
binary=${1:-.build/release/ctaudit}
[ -x "$binary" ] || { echo "runtime-deps: $binary is not built (make build)" >&2; exit 2; }
declare -A libraries
while read -r path; do
    real=$(readlink -f "$path")
    package=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || echo "(not from a Debian package): $path")
    package=${package%%:*}
    libraries[$package]+=" $(basename "$path")"
done < <(ldd "$binary" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }')
for package in $(printf '%s\n' "${!libraries[@]}" | sort); do
    printf '%-26s%s\n' "$package" "${libraries[$package]}"
done
