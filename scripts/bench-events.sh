#!/usr/bin/env bash
# bench-events.sh — how many conntrack events/s `ctaudit watch` handles without
# loss, side by side with `conntrack -E` on the same flood.
#
#   sudo scripts/bench-events.sh [--rates "50000 100000 200000 400000 0"]
#                                [--search "5000 10000 20000 50000 100000 200000"]
#                                [--bisect 2] [--entries 50000] [--violation-percent 3]
#                                [--buffer 8M] [--settle 1] [--ctaudit PATH]
#
# --settle: seconds between the reader subscribing and the flood starting. At
# flood rates, entries created in the first fraction of a second after a
# listener subscribed were seen to get no events at all (no drop counted);
# see docs/WATCH.md, "Accounting". 0 reproduces the old runs.
# For each rate (events/s; 0 = as fast as the kernel takes them) a fresh
# network namespace gets a flood from scripts/bench-events/ctflood.c: --entries
# source-NATed UDP entries created and then deleted over ctnetlink (2 events
# each; --violation-percent of them with a translated port below 32768). The
# same flood runs three times, once watched by each reader:
#   ctaudit watch --format ndjson --receive-buffer BUF   (violations written to a file)
#   conntrack -E -b BUF -o timestamp                     (every event written to a file)
#     with bench-events/rcvbuf-preload.so, which gives its event socket BUF
#     (SO_RCVBUFFORCE, as ctaudit does): conntrack-tools 1.4.7 applies -b to
#     another socket, so this is the like-for-like run
#   the same conntrack -E -b BUF without the shim, as people run it (lost only)
# Reported per run: the rate the flood achieved, events the reader handled,
# events lost (ctaudit: the kernel's per-socket drop counter from its summary;
# conntrack: generated minus lines printed), and the reader's CPU seconds.
# "Without loss" = lost 0. Not a timed test: numbers depend on the machine.
#
# Then, per tool, the highest lossless rate: the --search rates in ascending
# order, each a fresh namespace and the same flood (--entries, --buffer), until
# the tool first loses an event; then --bisect halvings between the last
# lossless and the first lossy rate. "Lossless" means no event lost in one run
# of 2 x --entries events, far more than the buffer holds (8 MiB forced is a
# 16 MiB sk_rcvbuf; an event skb is 1 280 bytes of it, so ~13 000 events): a
# reader that keeps up with less than ~87 % of the rate over a 100 000-event
# run loses some. A tool that never loses is reported as
# ">= the highest rate the flood achieved". --search "" skips this part.
#
# Needs root, gcc, pkg-config, libmnl-dev, conntrack, iproute2. Touches only
# the namespaces it creates (deleted on exit); reads nothing else.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RATES="50000 100000 200000 400000 0"
SEARCH="5000 10000 20000 50000 100000 200000"
BISECT=2
ENTRIES=50000
VIOLATION_PERCENT=3
BUFFER=8M
SETTLE=1
CTAUDIT=$ROOT/.build/release/ctaudit

. "$HERE/bench/bench-common.sh"
bench_options 2,10 --rates RATES --search SEARCH --bisect BISECT --entries ENTRIES \
	--violation-percent VIOLATION_PERCENT --buffer BUFFER --settle SETTLE --ctaudit CTAUDIT -- "$@"
bench_start gcc pkg-config conntrack ip
[ -x "$CTAUDIT" ] || die "no ctaudit at $CTAUDIT (swift build -c release, or --ctaudit PATH)"
bench_build ctflood "$HERE/bench-events/ctflood.c" libmnl
gcc -O2 -shared -fPIC -o "$BUILD/rcvbuf-preload.so" "$HERE/bench-events/rcvbuf-preload.c" -ldl

bytes() {  # 8M -> 8388608 (conntrack -b wants bytes)
	local n=${1%[KkMmGg]} unit=${1: -1}
	case $unit in K|k) echo $((n << 10)) ;; M|m) echo $((n << 20)) ;; G|g) echo $((n << 30)) ;; *) echo "$1" ;; esac
}
BUFFER_BYTES=$(bytes "$BUFFER")


cpu_seconds() {  # utime+stime of a pid, from /proc (before it is reaped)
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"
}

# run_flood NS RATE: sets ACHIEVED (the flood's rate, events/s) and GENERATED
# (events the kernel accepted: ctflood's events=, which leaves out refused
# messages; entries x 2 only when it refused none). Not run in $( ): it sets globals.
run_flood() {
	local line
	line=$(ip netns exec "$1" "$BUILD/ctflood" --entries "$ENTRIES" --violation-percent "$VIOLATION_PERCENT" --rate "$2" || true)
	ACHIEVED=$(sed -n 's/.* rate=\([0-9]*\) events\/s.*/\1/p' <<<"$line")
	GENERATED=$(sed -n 's/.* events=\([0-9]*\) .*/\1/p' <<<"$line")
	case $line in *errors=0*) ;; *) log "flood at rate $2: $line" ;; esac
}

# fresh_namespace TAG: sets NS. Not called in $( ): the list cleanup reads
# must be the main shell's.
fresh_namespace() { bench_namespace "ctbev-$$-$1"; }

# wait_drained NS: until no event socket in NS has anything queued (Rmem in
# the namespace's own /proc/net/netlink), at most 10 s. A fixed sleep was not
# enough on a busy machine: a reader stopped with events still queued counts
# them as neither handled nor lost.
wait_drained() {
	local tries=0
	while ip netns exec "$1" awk '$2 == 12 && $4 != "00000000" && $5 != 0 { busy = 1 } END { exit !busy }' /proc/net/netlink; do
		tries=$((tries + 1))
		[ $tries -lt 500 ] || { log "warning: a reader in $1 still has events queued after 10 s"; return 0; }
		sleep 0.02
	done
	sleep 0.2  # the last datagram read is still being processed
}

# Each run's entries are deleted by the flood itself; the namespace goes at once
# so that a long search does not pile up namespaces (cleanup catches the rest).
drop_namespace() { ip netns del "$1" 2>/dev/null || true; }

EVENTS=$((ENTRIES * 2))
RUNS=0

# watch_ctaudit RATE: one flood watched by ctaudit; sets ACHIEVED HANDLED LOST CPU
watch_ctaudit() {
	local ns pid summary
	RUNS=$((RUNS + 1))
	fresh_namespace "a$RUNS"
	ns=$NS
	"$CTAUDIT" watch --netns "$ns" --format ndjson --receive-buffer "$BUFFER" -v \
		>"$WORK/ctaudit.out" 2>"$WORK/ctaudit.err" &
	pid=$!
	bench_background "$pid"
	until grep -q "watching conntrack events" "$WORK/ctaudit.err" 2>/dev/null; do
		kill -0 $pid 2>/dev/null || die "ctaudit watch failed: $(cat "$WORK/ctaudit.err")"
		sleep 0.05
	done
	sleep "$SETTLE"
	run_flood "$ns" "$1"

	wait_drained "$ns"
	CPU=$(cpu_seconds $pid)
	kill -TERM $pid
	wait $pid || true
	summary=$(tail -1 "$WORK/ctaudit.out")
	HANDLED=$(sed -n 's/.*"events":\([0-9]*\),.*/\1/p' <<<"$summary")
	LOST=$(sed -n 's/.*"events_lost":\([0-9]*\),.*/\1/p' <<<"$summary")
	local overruns
	overruns=$(sed -n 's/.*"overruns":\([0-9]*\),.*/\1/p' <<<"$summary")
	local malformed
	malformed=$(sed -n 's/.*"malformed":\([0-9]*\),.*/\1/p' <<<"$summary")
	# Every event the kernel accepted is handled, lost (drop counter) or
	# malformed; say so whenever the sum differs (docs/WATCH.md, "Accounting").
	if [ "$((HANDLED + LOST + ${malformed:-0}))" != "${GENERATED:-$EVENTS}" ] || [ "${overruns:-0}" != 0 ]; then
		log "rate $1: ctaudit handled $HANDLED + lost $LOST + malformed ${malformed:-0} of ${GENERATED:-$EVENTS} events generated, $overruns ENOBUFS report(s)"
	fi
	drop_namespace "$ns"
}

# watch_conntrack RATE: the same flood watched by conntrack -E, its event socket
# given the buffer (rcvbuf-preload.so); same outputs
watch_conntrack() { CONNTRACK_PRELOAD=$BUILD/rcvbuf-preload.so watch_conntrack_as_is "$1"; }

# watch_conntrack_as_is RATE: conntrack -E -b as shipped (the event socket keeps
# the default buffer); same outputs
watch_conntrack_as_is() {
	local ns pid
	RUNS=$((RUNS + 1))
	fresh_namespace "c$RUNS"
	ns=$NS
	ip netns exec "$ns" env CTBENCH_RCVBUF="$BUFFER_BYTES" LD_PRELOAD="${CONNTRACK_PRELOAD:-}" \
		conntrack -E -b "$BUFFER_BYTES" -o timestamp >"$WORK/conntrack.out" 2>"$WORK/conntrack.err" &
	pid=$!
	bench_background "$pid"
	# conntrack -E prints no ready line: wait until a NETLINK_NETFILTER (12)
	# socket in the namespace has joined event groups (/proc/net/netlink is
	# per namespace), so that a busy machine cannot turn a late start into "loss".
	local tries=0
	until ip netns exec "$ns" awk '$2 == 12 && $4 != "00000000" { found = 1 } END { exit !found }' /proc/net/netlink; do
		kill -0 $pid 2>/dev/null || die "conntrack -E failed: $(cat "$WORK/conntrack.err")"
		tries=$((tries + 1))
		[ $tries -lt 250 ] || die "conntrack -E did not subscribe within 5 s"
		sleep 0.02
	done
	sleep "$SETTLE"
	run_flood "$ns" "$1"
	wait_drained "$ns"
	CPU=$(cpu_seconds $pid)  # ip netns exec and env exec conntrack: same pid
	kill -TERM $pid
	wait $pid || true
	HANDLED=$(grep -c '\[NEW\]\|\[DESTROY\]' "$WORK/conntrack.out" || true)
	LOST=$((${GENERATED:-$EVENTS} - HANDLED))
	if grep -q ENOBUFS "$WORK/conntrack.err"; then log "rate $1: conntrack -E${CONNTRACK_PRELOAD:+ (buffer shim)} reported ENOBUFS"; fi
	drop_namespace "$ns"
}

FORMAT='%-10s | %-11s %-9s %-8s %-6s | %-11s %-9s %-8s %-6s | %-8s\n'
printf "$FORMAT" "rate" "flood ev/s" "ctaudit" "lost" "cpu s" "flood ev/s" "conntrack" "lost" "cpu s" "-b only"
printf "$FORMAT" "" "" "handled" "" "" "" "-E shown" "" "" "lost"
for rate in $RATES; do
	label=$([ "$rate" = 0 ] && echo "max" || echo "$rate")
	watch_ctaudit "$rate"
	a_achieved=$ACHIEVED a_handled=$HANDLED a_lost=$LOST a_cpu=$CPU
	watch_conntrack "$rate"
	c_achieved=$ACHIEVED c_handled=$HANDLED c_lost=$LOST c_cpu=$CPU
	watch_conntrack_as_is "$rate"
	printf "$FORMAT" "$label" "$a_achieved" "$a_handled" "$a_lost" "$a_cpu" \
		"$c_achieved" "$c_handled" "$c_lost" "$c_cpu" "$LOST"
done
log "$EVENTS events per run ($ENTRIES entries created and deleted), buffer $BUFFER requested by both tools"

# highest_lossless TOOL: steps up through $SEARCH, then bisects; sets BEST (one summary line)
highest_lossless() {
	local tool=$1 rate good="" good_achieved="" bad="" bad_achieved="" i mid
	for rate in $SEARCH; do
		"watch_$tool" "$rate"
		log "search $tool: requested $rate, achieved $ACHIEVED ev/s, lost $LOST"
		if [ "${LOST:-1}" = 0 ]; then good=$rate good_achieved=$ACHIEVED; else bad=$rate bad_achieved=$ACHIEVED; break; fi
	done
	if [ -n "$bad" ] && [ -n "$good" ]; then
		for ((i = 0; i < BISECT; i++)); do
			mid=$(((good + bad) / 2))
			"watch_$tool" "$mid"
			log "search $tool: requested $mid, achieved $ACHIEVED ev/s, lost $LOST"
			if [ "${LOST:-1}" = 0 ]; then good=$mid good_achieved=$ACHIEVED; else bad=$mid bad_achieved=$ACHIEVED; fi
		done
	fi
	if [ -z "$good" ]; then
		BEST="< $bad (lost events at $bad_achieved ev/s, the lowest rate tried)"
	elif [ -z "$bad" ]; then
		BEST=">= $good_achieved (no loss at any rate tried; the flood, not the reader, is the limit)"
	else
		BEST="$good_achieved (lossless at $good requested; lost events at $bad requested, $bad_achieved achieved)"
	fi
}

if [ -n "$SEARCH" ]; then
	highest_lossless ctaudit
	ctaudit_best=$BEST
	highest_lossless conntrack
	conntrack_best=$BEST
	highest_lossless conntrack_as_is
	as_is_best=$BEST
	echo
	echo "highest lossless rate, events/s ($EVENTS events per run, receive buffer $BUFFER asked for):"
	echo "  ctaudit watch                        $ctaudit_best"
	echo "  conntrack -E (event socket given it) $conntrack_best"
	echo "  conntrack -E -b as shipped           $as_is_best"
fi
