#!/usr/bin/env bash
# bench-events.sh — how many conntrack events/s `ctaudit watch` handles without
# loss, side by side with `conntrack -E` on the same flood.
#
#   sudo scripts/bench-events.sh [--rates "50000 100000 200000 400000 0"]
#                                [--entries 50000] [--violation-percent 3]
#                                [--buffer 8M] [--ctaudit PATH]
#
# For each rate (events/s; 0 = as fast as the kernel takes them) a fresh
# network namespace gets a flood from scripts/bench-events/ctflood.c: --entries
# source-NATed UDP entries created and then deleted over ctnetlink (2 events
# each; --violation-percent of them with a translated port below 32768). The
# same flood runs twice, once watched by each reader, with the same requested
# receive buffer (--buffer; both tools ask for it with SO_RCVBUFFORCE):
#   ctaudit watch --format ndjson --receive-buffer BUF   (violations written to a file)
#   conntrack -E -b BUF -o timestamp                     (every event written to a file)
# Reported per run: the rate the flood achieved, events the reader handled,
# events lost (ctaudit: the kernel's per-socket drop counter from its summary;
# conntrack: generated minus lines printed), and the reader's CPU seconds.
# "Without loss" = lost 0. Not a timed test: numbers depend on the machine.
#
# Needs root, gcc, pkg-config, libmnl-dev, conntrack, iproute2. Touches only
# the namespaces it creates (deleted on exit); reads nothing else.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RATES="50000 100000 200000 400000 0"
ENTRIES=50000
VIOLATION_PERCENT=3
BUFFER=8M
CTAUDIT=$ROOT/.build/release/ctaudit

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--rates) RATES=$2; shift 2 ;;
	--entries) ENTRIES=$2; shift 2 ;;
	--violation-percent) VIOLATION_PERCENT=$2; shift 2 ;;
	--buffer) BUFFER=$2; shift 2 ;;
	--ctaudit) CTAUDIT=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "bench-events.sh: unknown argument $1" >&2; usage ;;
	esac
done

die() { echo "bench-events.sh: $*" >&2; exit 3; }
log() { echo "bench-events.sh: $*" >&2; }
[ "$(id -u)" = 0 ] || die "must run as root (namespaces, ctnetlink)"
for tool in gcc pkg-config conntrack ip; do command -v $tool >/dev/null || die "missing $tool"; done
[ -x "$CTAUDIT" ] || die "no ctaudit at $CTAUDIT (swift build -c release, or --ctaudit PATH)"

WORK=$(mktemp -d)
BUILD=$WORK
NAMESPACES=()
cleanup() {
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
gcc -O2 -o "$BUILD/ctflood" "$HERE/bench-events/ctflood.c" $(pkg-config --cflags --libs libmnl)

bytes() {  # 8M -> 8388608 (conntrack -b wants bytes)
	local n=${1%[KkMmGg]} unit=${1: -1}
	case $unit in K|k) echo $((n << 10)) ;; M|m) echo $((n << 20)) ;; G|g) echo $((n << 30)) ;; *) echo "$1" ;; esac
}
BUFFER_BYTES=$(bytes "$BUFFER")


cpu_seconds() {  # utime+stime of a pid, from /proc (before it is reaped)
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"
}

# run_flood NS RATE -> prints the flood's achieved rate (events/s)
run_flood() {
	local line
	line=$(ip netns exec "$1" "$BUILD/ctflood" --entries "$ENTRIES" --violation-percent "$VIOLATION_PERCENT" --rate "$2")
	sed -n 's/.* rate=\([0-9]*\) events\/s.*/\1/p' <<<"$line"
}

fresh_namespace() {
	local ns=ctbev-$$-$1
	ip netns add "$ns"
	NAMESPACES+=("$ns")
	echo "$ns"
}

EVENTS=$((ENTRIES * 2))
printf '%-10s | %-11s %-9s %-8s %-6s | %-11s %-9s %-8s %-6s\n' \
	"rate" "flood ev/s" "ctaudit" "lost" "cpu s" "flood ev/s" "conntrack" "lost" "cpu s"
printf '%-10s | %-11s %-9s %-8s %-6s | %-11s %-9s %-8s %-6s\n' \
	"" "" "handled" "" "" "" "-E shown" "" ""
for rate in $RATES; do
	label=$([ "$rate" = 0 ] && echo "max" || echo "$rate")

	# ctaudit watch
	ns=$(fresh_namespace "a$rate")
	"$CTAUDIT" watch --netns "$ns" --format ndjson --receive-buffer "$BUFFER" -v \
		>"$WORK/ctaudit.out" 2>"$WORK/ctaudit.err" &
	pid=$!
	until grep -q "watching conntrack events" "$WORK/ctaudit.err" 2>/dev/null; do
		kill -0 $pid 2>/dev/null || die "ctaudit watch failed: $(cat "$WORK/ctaudit.err")"
		sleep 0.05
	done
	achieved_a=$(run_flood "$ns" "$rate")
	sleep 1.5
	cpu_a=$(cpu_seconds $pid)
	kill -TERM $pid
	wait $pid || true
	summary=$(tail -1 "$WORK/ctaudit.out")
	handled_a=$(sed -n 's/.*"events":\([0-9]*\),.*/\1/p' <<<"$summary")
	lost_a=$(sed -n 's/.*"events_lost":\([0-9]*\),.*/\1/p' <<<"$summary")

	# conntrack -E on a fresh namespace, same flood
	ns=$(fresh_namespace "c$rate")
	ip netns exec "$ns" conntrack -E -b "$BUFFER_BYTES" -o timestamp >"$WORK/conntrack.out" 2>"$WORK/conntrack.err" &
	pid=$!
	sleep 0.5  # conntrack -E has no ready signal; it subscribes at once
	achieved_c=$(run_flood "$ns" "$rate")
	sleep 1.5
	cpu_c=$(cpu_seconds $pid)  # ip netns exec execs conntrack: same pid
	kill -TERM $pid
	wait $pid || true
	shown_c=$(grep -c '\[NEW\]\|\[DESTROY\]' "$WORK/conntrack.out" || true)
	lost_c=$((EVENTS - shown_c))

	printf '%-10s | %-11s %-9s %-8s %-6s | %-11s %-9s %-8s %-6s\n' \
		"$label" "$achieved_a" "$handled_a" "$lost_a" "$cpu_a" "$achieved_c" "$shown_c" "$lost_c" "$cpu_c"
	if grep -q ENOBUFS "$WORK/conntrack.err"; then log "rate $label: conntrack -E reported ENOBUFS"; fi
done
log "$EVENTS events per run ($ENTRIES entries created and deleted), buffer $BUFFER requested by both tools"
