# bench-common.sh — sourced by the benchmark scripts (never run alone).
#
# What every benchmark repeats: its messages, the root and tool checks, a
# work directory, the throwaway network namespaces and background readers it
# makes (all removed on exit, however the script ends), building its C
# helpers, and filling a namespace's conntrack table with ctfill. bench_start
# sources conntrack-max.sh, so from then on the script holds the benchmark lock (one
# benchmark at a time: two at once would measure each other) and puts
# nf_conntrack_max back on exit.
#
#   . "$HERE/bench-common.sh"      # log, die, BUILD; nothing else yet
#   bench_options LINES OPTION VARIABLE... -- "$@"
#                                  # each OPTION sets VARIABLE to its value; -h
#                                  # prints the script's header LINES (e.g. 2,8)
#   bench_start TOOL...            # root and each TOOL on PATH, else die; takes the
#                                  # lock, makes WORK, sets the EXIT, INT, TERM, HUP traps
#   bench_build PROG SOURCE PKG... # $BUILD/PROG from SOURCE (pkg-config PKGs), when SOURCE is newer
#   bench_namespace NAME           # NS=NAME, created now, deleted on exit
#   bench_namespace_done           # delete $NS now
#   bench_background PID           # a reader to kill on exit
#   ctfill_into SIZE [OPTION...]   # fill $NS with ctfill (raises nf_conntrack_max for SIZE);
#                                  # sets CTFILL_LINE (its summary), CTFILL_SNAT, CTFILL_VIOLATIONS
#   median < numbers               # the median of one number a line
#
# die exits 3 (the environment is not fit to measure).
# --help and a usage error exit 2 before the lock is taken.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_NAME=$(basename "$0")
BUILD=${CTBENCH_BUILD:-$BENCH_DIR/.build}

log() { echo "$BENCH_NAME: $*" >&2; }
die() { log "$*"; exit 3; }

bench_options() {
	local lines=$1
	shift
	local -A variables=()
	while [ "$1" != -- ]; do variables[$1]=$2; shift 2; done
	shift
	while [ $# -gt 0 ]; do
		local variable=
		[ -z "$1" ] || variable=${variables[$1]:-}
		if [ -n "$variable" ] && [ $# -ge 2 ]; then
			printf -v "$variable" '%s' "$2"
			shift 2
			continue
		fi
		case $1 in
		-h|--help) ;;
		*) if [ -n "$variable" ]; then log "$1 needs a value"; else log "unknown argument $1"; fi ;;
		esac
		sed -n "${lines}p" "$0" | sed 's/^# \{0,1\}//' >&2
		exit 2
	done
}

BENCH_NAMESPACES=()
BENCH_PIDS=()
bench_start() {
	[ "$(id -u)" = 0 ] || die "must run as root (namespaces, ctnetlink)"
	local tool
	for tool in "$@"; do command -v "$tool" >/dev/null || die "missing $tool"; done
	. "$BENCH_DIR/conntrack-max.sh"
	WORK=$(mktemp -d "/tmp/${BENCH_NAME%.sh}.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

bench_cleanup() {
	local pid ns
	for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for ns in "${BENCH_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	conntrack_max_restore
	rm -rf "$WORK"
	return 0
}

bench_build() {
	local prog=$1 source=$2
	shift 2
	mkdir -p "$BUILD"
	if [ ! -x "$BUILD/$prog" ] || [ "$source" -nt "$BUILD/$prog" ]; then
		local flags
		flags=$(pkg-config --cflags --libs "$@") || die "pkg-config does not know $* (install their -dev packages)"
		# shellcheck disable=SC2086  # the flags must split into words
		gcc -O2 -Wall -Wextra -o "$BUILD/$prog" "$source" $flags || die "cannot compile $source"
	fi
}

bench_namespace() {
	NS=$1
	ip netns add "$NS"
	BENCH_NAMESPACES+=("$NS")
}

bench_namespace_done() {
	ip netns del "$NS"
	local ns kept=()
	for ns in "${BENCH_NAMESPACES[@]}"; do [ "$ns" = "$NS" ] || kept+=("$ns"); done
	BENCH_NAMESPACES=("${kept[@]}")
	NS=
}

bench_background() { BENCH_PIDS+=("$1"); }

ctfill_into() {
	local size=$1
	shift
	bench_build ctfill "$BENCH_DIR/ctfill.c" libmnl
	conntrack_max_need $(( size + size / 10 + 1000 ))
	CTFILL_LINE=$(ip netns exec "$NS" "$BUILD/ctfill" "$size" "$@") || die "ctfill failed: $CTFILL_LINE"
	CTFILL_SNAT=$(sed -n 's/.* snat=\([0-9]*\) .*/\1/p' <<< "$CTFILL_LINE")
	CTFILL_VIOLATIONS=$(sed -n 's/.* violations=\([0-9]*\) .*/\1/p' <<< "$CTFILL_LINE")
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
