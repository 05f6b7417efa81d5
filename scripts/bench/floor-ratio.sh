#!/usr/bin/env bash
# floor-ratio.sh — ctaudit audit (text and JSON) against the kernel-filtered
# dump floor on one large table (issue 25: 1M entries, 5% violations).
#
#   sudo scripts/bench/floor-ratio.sh [--size 1000000] [--violation-share 0.05]
#                                     [--runs 7] [--seed 1] [--ctaudit PATH]
#                                     [--scratch-path .build] [--baseline PATH]
#
# Builds ctaudit as `make build` does (release, static Swift runtime) into
# the scratch path (unless --ctaudit names a binary), fills a namespace of its own with
# ctfill, then runs three things interleaved, --runs rounds of each:
#   floor  ctdump-raw --status-filter  the kernel keeps only IPS_SRC_NAT
#          entries; every datagram received and discarded, nothing decoded
#   text   ctaudit audit (the kernel filter is its default), text report
#   json   the same with -o json (every violation listed)
# and, with --baseline (another ctaudit binary, e.g. main's), its text and
# JSON runs in the same rounds, so before and after meet the same load.
# ctaudit runs with bench.sh's fixed policy (--no-config --no-pods, the
# filler's pod CIDRs). Reported: min and median wall time, the ratios to the
# floor's (min/min and median/median), median user and sys time and their
# sum against the floor's (CPU is less disturbed by other load), peak RSS
# (GNU time %M, median and max), and nproc and the load average before and
# after: the machine may be shared, and the min is the least disturbed run.
# Checks every run's exit status and the last run's counts against ctfill's.
#
# Writes only into the namespace it creates; raises nf_conntrack_max for the
# run if needed and restores it on exit (bench-common.sh).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIZE=1000000
VSHARE=0.05
RUNS=7
SEED=1
CTAUDIT=
SCRATCH=.build
BASELINE=
TIME_BIN=/usr/bin/time

. "$HERE/bench-common.sh"
bench_options 2,8 --size SIZE --violation-share VSHARE --runs RUNS --seed SEED --ctaudit CTAUDIT --scratch-path SCRATCH --baseline BASELINE -- "$@"
bench_start ip jq awk gcc pkg-config
"$TIME_BIN" -f '%M' -o /dev/null true 2>/dev/null || die "GNU time not found at $TIME_BIN (apt-get install time)"

if [ -z "$CTAUDIT" ]; then
	SWIFT=$(command -v swift || echo /opt/swift/usr/bin/swift)
	[ -x "$SWIFT" ] || die "swift not found (PATH or /opt/swift/usr/bin)"
	log "building ctaudit (release, static Swift runtime)"
	( cd "$ROOT" && "$SWIFT" build -c release --static-swift-stdlib --scratch-path "$SCRATCH" > "$WORK/build.log" 2>&1 ) ||
		die "swift build failed: $(tail -n 5 "$WORK/build.log")"
	CTAUDIT=$(cd "$ROOT" && cd "$SCRATCH" && pwd)/release/ctaudit
fi
[ -x "$CTAUDIT" ] || die "ctaudit not found at $CTAUDIT"
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || die "baseline ctaudit not found at $BASELINE"
NAMES="floor text json"
[ -z "$BASELINE" ] || NAMES="$NAMES base-text base-json"
bench_build ctdump-raw "$HERE/ctdump-raw.c" libnetfilter_conntrack libmnl

bench_namespace "ctfloor-$$"
ctfill_into "$SIZE" --seed "$SEED" --violation-share "$VSHARE"
S=$CTFILL_SNAT
V=$CTFILL_VIOLATIONS
log "$CTFILL_LINE"

AUDIT=(audit --no-config --no-pods --pod-cidr 10.244.0.0/16 --pod-cidr fd00:10:244::/48)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# run NAME CMD... : one run; appends "wall_s user_s sys_s rss_kib" to $WORK/NAME,
# leaves its stdout in $WORK/NAME.out. Wall time in ns around GNU time.
run() {
	local name=$1 t0 t1 rc=0
	shift
	t0=$(date +%s%N)
	"$TIME_BIN" -f '%U %S %M' -o "$WORK/time" ip netns exec "$NS" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
	t1=$(date +%s%N)
	case $name:$rc in
	floor:0 | text:[01] | json:[01] | base-text:[01] | base-json:[01]) ;;
	*) die "$name exited $rc: $(head -c 300 "$WORK/$name.err")" ;;
	esac
	echo "$(( (t1 - t0) / 1000 )) $(tail -n 1 "$WORK/time")" |
		awk '{printf "%.6f %s %s %s\n", $1 / 1e6, $2, $3, $4}' >> "$WORK/$name"
}

for name in $NAMES; do : > "$WORK/$name"; done
read -r -a ORDER <<< "$NAMES"
for round in $(seq "$RUNS"); do
	log "round $round of $RUNS"
	# Interleaved, the order turning each round, so a burst of load on the
	# machine falls on every run alike.
	for step in $(seq 0 $(( ${#ORDER[@]} - 1 ))); do
		name=${ORDER[$(( (round + step) % ${#ORDER[@]} ))]}
		case $name in
		floor) run floor "$BUILD/ctdump-raw" --status-filter ;;
		text) run text "$CTAUDIT" "${AUDIT[@]}" ;;
		json) run json "$CTAUDIT" "${AUDIT[@]}" -o json ;;
		base-text) run base-text "$BASELINE" "${AUDIT[@]}" ;;
		base-json) run base-json "$BASELINE" "${AUDIT[@]}" -o json ;;
		esac
	done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# Checks on the last run of each.
FAILED=0
check() { # DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then echo "| $1 | $2 | $3 | PASS |"; else echo "| $1 | $2 | $3 | FAIL |"; FAILED=1; fi
}
column() { awk -v c="$2" '{print $c}' "$WORK/$1"; }
stat_of() { # NAME COLUMN min|median|max
	case $3 in
	min) column "$1" "$2" | sort -g | awk 'NR == 1' ;;
	max) column "$1" "$2" | sort -g | tail -n 1 ;;
	median) column "$1" "$2" | median ;;
	esac
}

echo "## ctaudit against the kernel-filtered dump floor ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "$(uname -r), nproc $(nproc), load average $LOAD_BEFORE before, $LOAD_AFTER after;" \
	"$SIZE entries (snat $S, violations $V, seed $SEED), $RUNS interleaved runs each; $CTAUDIT${BASELINE:+, baseline $BASELINE}"
echo
echo "| run | min wall s | median wall s | min × floor | median × floor | median user s | median sys s | median CPU × floor | median peak RSS MiB | max peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in $NAMES; do awk '{print $2 + $3}' "$WORK/$name" > "$WORK/$name.cpu"; done
FLOOR_MIN=$(stat_of floor 1 min)
FLOOR_MEDIAN=$(stat_of floor 1 median)
FLOOR_CPU=$(median < "$WORK/floor.cpu")
for name in $NAMES; do
	awk -v n="$name" -v mn="$(stat_of "$name" 1 min)" -v md="$(stat_of "$name" 1 median)" \
		-v fmn="$FLOOR_MIN" -v fmd="$FLOOR_MEDIAN" -v u="$(stat_of "$name" 2 median)" -v s="$(stat_of "$name" 3 median)" \
		-v c="$(median < "$WORK/$name.cpu")" -v fc="$FLOOR_CPU" \
		-v r="$(stat_of "$name" 4 median)" -v rx="$(stat_of "$name" 4 max)" 'BEGIN {
		printf "| %s | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f | %.3f | %.1f | %.1f |\n", n, mn, md, mn / fmn, md / fmd, u, s, c / fc, r / 1024, rx / 1024
	}'
done
echo
echo "| check | expected | got | result |"
echo "| --- | --- | --- | --- |"
check "floor: messages = snat" "messages=$S" "$(cat "$WORK/floor.out")"
check "text: summary" "flows $SIZE snat $S violations $V" \
	"$(grep -o 'flows [0-9]* *snat [0-9]* *remapped [0-9]* *violations [0-9]*' "$WORK/text.out" | sed 's/ *remapped [0-9]* */ /; s/  */ /g')"
check "json: summary" "flows=$SIZE snat=$S violations=$V listed=$V kernel_filtered=true flows_read=$S" \
	"$(jq -r '"flows=\(.summary.flows) snat=\(.summary.snat) violations=\(.summary.violations) listed=\(.violations | length) kernel_filtered=\(.dump.kernel_filtered) flows_read=\(.dump.flows_read)"' \
		"$WORK/json.out" 2>/dev/null || echo "unparsable JSON")"
if [ -n "$BASELINE" ]; then
	check "baseline json: summary" "flows=$SIZE snat=$S violations=$V listed=$V" \
		"$(jq -r '"flows=\(.summary.flows) snat=\(.summary.snat) violations=\(.summary.violations) listed=\(.violations | length)"' \
			"$WORK/base-json.out" 2>/dev/null || echo "unparsable JSON")"
fi
echo
echo "Raw runs (wall s, user s, sys s, peak RSS KiB), in order:"
echo
for name in $NAMES; do
	echo "- $name: $(awk '{printf "%s%s/%s/%s/%s", (NR > 1 ? "; " : ""), $1, $2, $3, $4}' "$WORK/$name")"
done
echo
if [ $FAILED = 0 ]; then echo "PASS"; else echo "FAIL"; fi
exit $FAILED
