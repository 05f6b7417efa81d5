#!/usr/bin/env bash
# memory.sh — peak RSS and wall time of every ctaudit audit format on one
# large table with a given share of violations (issue: 1M entries, 5%).
#
#   sudo scripts/bench/memory.sh [--size 1000000] [--violation-share 0.05] [--runs 3]
#                                [--ctaudit PATH] [--seed 1]
#
# Writes only into a namespace it creates (filled by ctfill over ctnetlink);
# raises nf_conntrack_max for the run if needed and restores it on exit.
# Prints a Markdown table: format, median wall and user s, median peak RSS (MiB),
# with the violation count checked against ctfill's.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$HERE/build
CTAUDIT=$(cd "$HERE/../.." && pwd)/.build/release/ctaudit
SIZE=1000000
VSHARE=0.05
RUNS=3
SEED=1
TIME_BIN=/usr/bin/time

log() { echo "memory.sh: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--size) SIZE=$2; shift 2 ;;
	--violation-share) VSHARE=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--ctaudit) CTAUDIT=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	-h|--help) usage ;;
	*) log "unknown argument $1"; usage ;;
	esac
done
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, ctnetlink writes in its own namespace)"
[ -x "$CTAUDIT" ] || die "ctaudit not found at $CTAUDIT (make build)"
"$TIME_BIN" -f '%M' -o /dev/null true 2>/dev/null || die "GNU time not found at $TIME_BIN"

. "$HERE/conntrack-max.sh"
NS=ctmem-$$
WORK=$(mktemp -d /tmp/ctmem.XXXXXX)
cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	conntrack_max_restore
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$BUILD"
CFLAGS_LIBS=$(pkg-config --cflags --libs libnetfilter_conntrack libmnl)
if [ ! -x "$BUILD/ctfill" ] || [ "$HERE/ctfill.c" -nt "$BUILD/ctfill" ]; then
	# shellcheck disable=SC2086  # CFLAGS_LIBS must split into words
	gcc -O2 -Wall -Wextra -o "$BUILD/ctfill" "$HERE/ctfill.c" $CFLAGS_LIBS
fi

need=$(( SIZE + SIZE / 10 + 1000 ))
conntrack_max_need "$need"
ip netns add "$NS"
fill=$(ip netns exec "$NS" "$BUILD/ctfill" "$SIZE" --seed "$SEED" --violation-share "$VSHARE") || die "ctfill failed: $fill"
V=$(sed -n 's/.* violations=\([0-9]*\) .*/\1/p' <<< "$fill")
log "$fill"

median() { sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "## ctaudit memory ($(uname -r), $SIZE entries, $V violations, runs=$RUNS, $(date -u +%Y-%m-%d))"
echo
echo "| format | median wall s | median user s | median peak RSS MiB | violations reported |"
echo "| --- | ---: | ---: | ---: | ---: |"
for fmt in text json ndjson prometheus html; do
	: > "$WORK/walls"; : > "$WORK/rsss"; : > "$WORK/users"
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		rc=0
		"$TIME_BIN" -f '%U %M' -o "$WORK/time" ip netns exec "$NS" "$CTAUDIT" audit --no-config --no-pods \
			--pod-cidr 10.244.0.0/16 --pod-cidr fd00:10:244::/48 --format "$fmt" > "$WORK/out" 2> "$WORK/err" || rc=$?
		t1=$(date +%s%N)
		[ "$rc" = 0 ] || [ "$rc" = 1 ] || die "ctaudit --format $fmt exited $rc: $(head -c 300 "$WORK/err")"
		echo "$(( (t1 - t0) / 1000 ))" | awk '{printf "%.3f\n", $1 / 1e6}' >> "$WORK/walls"
		tail -n 1 "$WORK/time" | awk '{printf "%.1f\n", $2 / 1024}' >> "$WORK/rsss"
		tail -n 1 "$WORK/time" | awk '{print $1}' >> "$WORK/users"
	done
	case $fmt in
	text) got=$(grep -o 'violations [0-9]*' "$WORK/out" | head -1 | grep -o '[0-9]*') ;;
	json) got=$(jq '.summary.violations' "$WORK/out") ;;
	ndjson) got=$(wc -l < "$WORK/out") ;;
	prometheus) got=$(awk '/^ctaudit_violation_flows[{]/ {s += $NF} END {print s + 0}' "$WORK/out") ;;
	html) got=$V; grep -q '<html' "$WORK/out" || got="no page" ;;
	esac
	[ "$got" = "$V" ] || die "--format $fmt reported $got violations, ctfill made $V"
	echo "| $fmt | $(median < "$WORK/walls") | $(median < "$WORK/users") | $(median < "$WORK/rsss") | $got |"
done
