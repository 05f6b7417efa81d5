#!/usr/bin/env bash
# bench-watch.sh — what continuous monitoring costs: `ctaudit watch` in
# counters mode (--listen) at a given rate of new flows, against the 60 s
# audit loop on a big table; and whether the watch's memory stays flat.
#
#   sudo scripts/bench-watch.sh [--rates "1000 10000 100000"] [--seconds 20]
#                               [--tables "100000 1000000"] [--audits 3]
#                               [--soak-seconds 600] [--soak-rate 10000]
#                               [--ctaudit PATH]
#
# 1. Watch CPU: for each --rates R (new source-NATed flows per second), a fresh
#    namespace, `ctaudit watch --listen 127.0.0.1:0` in it, and
#    scripts/bench-events/ctflood making R flows/s for --seconds (each flow
#    created and deleted over ctnetlink: NEW + DESTROY, 2 events; 3 % of them
#    violations; the table holds at most 10 000 of them at a time). The
#    watch's utime+stime over the flood, scaled to one hour; events lost (from
#    /metrics) say whether it kept up. The flood is one process on the same
#    machine: the rate it achieved is printed, not assumed.
# 2. The audit loop: for each --tables N, a namespace filled with N entries by
#    scripts/bench/ctfill (about half source-NATed), `ctaudit audit` run
#    --audits times; CPU per audit x 60 = CPU per hour of a 60 s loop. The same
#    table's cost for the watch: its start (the initial dump) and 30 s idle.
# 3. Soak: the watch at --soak-rate flows/s for --soak-seconds; VmRSS and the
#    tracked state sampled every 10 s; start (after the first 10 s) vs end.
#    --soak-seconds 0 skips it.
#
# Needs root, gcc, pkg-config, libmnl-dev, curl, iproute2; a release build
# (swift build -c release) or --ctaudit PATH. Touches only the namespaces it
# creates (deleted on exit); raises nf_conntrack_max only if a table needs it,
# and restores it. Not a timed test: the numbers depend on the machine.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RATES="1000 10000 100000"
SECONDS_PER_RATE=20
TABLES="100000 1000000"
AUDITS=3
SOAK_SECONDS=600
SOAK_RATE=10000
CTAUDIT=$ROOT/.build/release/ctaudit

. "$HERE/bench/bench-common.sh"
bench_options 2,10 --rates RATES --seconds SECONDS_PER_RATE --tables TABLES --audits AUDITS \
	--soak-seconds SOAK_SECONDS --soak-rate SOAK_RATE --ctaudit CTAUDIT -- "$@"
bench_start gcc pkg-config curl ip
[ -x "$CTAUDIT" ] || die "no ctaudit at $CTAUDIT (swift build -c release, or --ctaudit PATH)"
bench_build ctflood "$HERE/bench-events/ctflood.c" libmnl
HZ=$(getconf CLK_TCK)
POLICY=(--no-config --no-pods --pod-cidr 10.244.0.0/16 --pod-cidr fd00:10:244::/48)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
metric() { curl -s "$URL" | awk -v name="$1" '$1 == name { print $2 }'; }

# start_watch NS: starts the counters-mode watch in NS; sets PID and URL once
# /metrics answers (the initial dump is done).
start_watch() {
	"$CTAUDIT" watch --netns "$1" "${POLICY[@]}" --listen 127.0.0.1:0 --receive-buffer 8M -v \
		>"$WORK/watch.out" 2>"$WORK/watch.err" &
	PID=$!
	bench_background "$PID"
	local tries=0
	until URL=$(sed -n 's/.*serving metrics on \(http:[^ ]*\)$/\1/p' "$WORK/watch.err") && [ -n "$URL" ] \
		&& [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" = 200 ]; do
		kill -0 "$PID" 2>/dev/null || die "watch failed: $(cat "$WORK/watch.err")"
		tries=$((tries + 1))
		[ $tries -lt 6000 ] || die "watch did not become ready in 10 minutes"
		sleep 0.1
	done
}
stop_watch() { kill -TERM "$PID"; wait "$PID" || true; }

# flood NS FLOWS_PER_S SECONDS: sets ACHIEVED (flows/s) and FLOOD_SECONDS
flood() {
	local entries=10000 rounds line
	rounds=$(( ($2 * $3 + entries - 1) / entries ))
	[ "$rounds" -ge 1 ] || rounds=1
	if [ $(( $2 * $3 )) -lt $entries ]; then entries=$(( $2 * $3 )); rounds=1; fi
	line=$(ip netns exec "$1" "$BUILD/ctflood" --entries "$entries" --rounds "$rounds" --violation-percent 3 --rate $(( $2 * 2 )) || true)
	FLOOD_SECONDS=$(sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p' <<<"$line")
	ACHIEVED=$(awk -v r="$(sed -n 's/.* rate=\([0-9]*\) events.*/\1/p' <<<"$line")" 'BEGIN { printf "%d", r / 2 }')
	case $line in *errors=0*) ;; *) log "flood: $line" ;; esac
}

echo "## watch CPU by rate of new flows (each flow: NEW + DESTROY)"
echo
echo "| flows/s asked | achieved | flood s | watch CPU s | CPU s per hour | events | lost |"
echo "|---|---|---|---|---|---|---|"
for rate in $RATES; do
	bench_namespace "ctbw-$$-r$rate"
	start_watch "$NS"
	sleep 1
	before=$(cpu_ticks "$PID")
	flood "$NS" "$rate" "$SECONDS_PER_RATE"
	sleep 1  # the last events are read
	after=$(cpu_ticks "$PID")
	events=$(metric ctaudit_watch_events_total)
	lost=$(metric ctaudit_watch_events_lost_total)
	stop_watch
	awk -v a="$after" -v b="$before" -v hz="$HZ" -v s="$FLOOD_SECONDS" -v r="$rate" -v ach="$ACHIEVED" -v e="$events" -v l="$lost" \
		'BEGIN { cpu = (a - b) / hz; printf "| %d | %d | %.1f | %.2f | %.0f | %s | %s |\n", r, ach, s, cpu, cpu / (s + 1) * 3600, e, l }'
	bench_namespace_done
done

echo
echo "## the 60 s audit loop against the watch on a filled table"
echo
echo "| table entries | audit CPU s (mean of $AUDITS) | audit loop CPU s per hour | watch start CPU s (initial dump) | watch RSS after start, MiB | watch CPU s over 30 s idle |"
echo "|---|---|---|---|---|---|"
for size in $TABLES; do
	bench_namespace "ctbw-$$-t$size"
	log "filling $NS with $size entries"
	ctfill_into "$size"
	total=0
	for ((i = 0; i < AUDITS; i++)); do
		start=$(awk '{ print $16 + $17 }' /proc/$$/stat)
		"$CTAUDIT" audit --netns "$NS" "${POLICY[@]}" --quiet >/dev/null 2>&1 || true
		end=$(awk '{ print $16 + $17 }' /proc/$$/stat)  # cutime+cstime: reaped children (the audit)
		total=$(( total + end - start ))
	done
	start_watch "$NS"
	started=$(cpu_ticks "$PID")
	rss=$(rss_kib "$PID")
	sleep 30
	idle=$(( $(cpu_ticks "$PID") - started ))
	stop_watch
	awk -v t="$total" -v n="$AUDITS" -v hz="$HZ" -v size="$size" -v w="$started" -v rss="$rss" -v idle="$idle" \
		'BEGIN { a = t / n / hz; printf "| %d | %.2f | %.0f | %.2f | %.0f | %.2f |\n", size, a, a * 60, w / hz, rss / 1024, idle / hz }'
	bench_namespace_done
done

if [ "$SOAK_SECONDS" -gt 0 ]; then
	echo
	echo "## soak: $SOAK_RATE new flows/s for $SOAK_SECONDS s"
	echo
	bench_namespace "ctbw-$$-soak"
	start_watch "$NS"
	ip netns exec "$NS" "$BUILD/ctflood" --entries 10000 --rounds $(( (SOAK_RATE * SOAK_SECONDS + 9999) / 10000 )) \
		--violation-percent 3 --rate $(( SOAK_RATE * 2 )) >"$WORK/soak.flood" 2>&1 &
	FLOOD=$!
	bench_background "$FLOOD"
	echo "| s | VmRSS KiB | events | lost | violating_flows_total |"
	echo "|---|---|---|---|---|"
	t=0
	while kill -0 $FLOOD 2>/dev/null; do
		sleep 10
		t=$((t + 10))
		echo "| $t | $(rss_kib "$PID") | $(metric ctaudit_watch_events_total) | $(metric ctaudit_watch_events_lost_total) | $(curl -s "$URL" | awk '/^ctaudit_watch_violation_flows_total/ { s += $2 } END { print s }') |"
	done
	wait $FLOOD || true
	log "soak flood: $(cat "$WORK/soak.flood")"
	stop_watch
fi
