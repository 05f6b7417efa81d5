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
CTAUDIT=$(cd "$HERE/../.." && pwd)/.build/release/ctaudit
SIZE=1000000
VSHARE=0.05
RUNS=3
SEED=1
TIME_BIN=/usr/bin/time

. "$HERE/bench-common.sh"
bench_options 2,7 --size SIZE --violation-share VSHARE --runs RUNS --ctaudit CTAUDIT --seed SEED -- "$@"
bench_start ip jq awk gcc pkg-config
[ -x "$CTAUDIT" ] || die "ctaudit not found at $CTAUDIT (make build)"
"$TIME_BIN" -f '%M' -o /dev/null true 2>/dev/null || die "GNU time not found at $TIME_BIN"

bench_namespace "ctmem-$$"
ctfill_into "$SIZE" --seed "$SEED" --violation-share "$VSHARE"
V=$CTFILL_VIOLATIONS
log "$CTFILL_LINE"

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
	prometheus) got=$(awk '/^ctaudit_audit_violation_flows[{]/ {s += $NF} END {print s + 0}' "$WORK/out") ;;
	html) got=$V; grep -q '<html' "$WORK/out" || got="no page" ;;
	esac
	[ "$got" = "$V" ] || { log "--format $fmt reported $got violations, ctfill made $V"; exit 1; }
	echo "| $fmt | $(median < "$WORK/walls") | $(median < "$WORK/users") | $(median < "$WORK/rsss") | $got |"
done
