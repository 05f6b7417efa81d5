#!/usr/bin/env bash
# Speed and memory of reading Cilium's SNAT map: N translated connections
# (2N map entries: egress + reverse), 1% of them translated below 32768, in a
# bpffs mounted inside a private mount namespace (nothing is pinned on the
# host), audited against an empty network namespace so that only the BPF
# walk is measured. Prints one line per size: median wall and CPU (user +
# system) seconds of 3 runs, peak RSS, violations found. CTAUDIT_BPF_BATCH=0
# measures the key-by-key walk of kernels without BPF_MAP_LOOKUP_BATCH.
#
#   scripts/bench/bpf-dataplane.sh [SIZES...]     default: 10000 100000 500000
#
# Needs root, gcc, unshare, /usr/bin/time and a built ctaudit (.build/release
# or .build/debug; CTAUDIT=path to choose).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CTAUDIT=${CTAUDIT:-$( [ -x "$ROOT/.build/release/ctaudit" ] && echo "$ROOT/.build/release/ctaudit" || echo "$ROOT/.build/debug/ctaudit")}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 500000)
WORK=$(mktemp -d /tmp/ctaudit-bpfbench-XXXXXX)
NS=bpfbench$$
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
gcc -O2 -o "$WORK/bpfnatfill" "$ROOT/scripts/bpf-lab/bpfnatfill.c"
ip netns add "$NS"
mkdir -p "$WORK/bpffs"
echo "binary: $CTAUDIT"
printf '%10s %10s %12s %12s %12s %10s\n' pairs entries "median s" "median CPU s" "peak RSS MiB" violations
for n in "${SIZES[@]}"; do
    # LRU maps evict before they are full (per-CPU free lists): room for 4N.
    printf 'cilium-map v4 %d\ncilium-fill %d 1\n' $((4 * n + 1024)) "$n" > "$WORK/spec"
    # One mount namespace per size: fill once, audit three times, gone on exit.
    unshare -m --propagation private /bin/bash -c '
        set -e
        mount -t bpf bpf "$1/bpffs"
        "$1/bpfnatfill" "$1/bpffs" < "$1/spec"
        for run in 1 2 3; do
            /usr/bin/time -f "%e %M %U %S" -o "$1/time.$run" "$2" audit --no-config --no-pods --netns "$3" \
                --bpffs "$1/bpffs" --format json > "$1/out.json" || [ $? -eq 1 ]
        done' bench "$WORK" "$CTAUDIT" "$NS"
    median=$(for run in 1 2 3; do tail -1 "$WORK/time.$run" | cut -d" " -f1; done | sort -n | sed -n 2p)
    cpu=$(for run in 1 2 3; do tail -1 "$WORK/time.$run" | awk '{printf "%.2f\n", $3 + $4}'; done | sort -n | sed -n 2p)
    rss=$(for run in 1 2 3; do tail -1 "$WORK/time.$run" | cut -d" " -f2; done | sort -n | tail -1)
    violations=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["violations"])' "$WORK/out.json")
    printf '%10d %10d %12s %12s %12.1f %10s\n' "$n" $((2 * n)) "$median" "$cpu" "$(echo "$rss / 1024" | bc -l)" "$violations"
done
