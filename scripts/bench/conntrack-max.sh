# conntrack-max.sh — sourced by the benchmark scripts (never run alone).
#
# A namespace's conntrack table is capped by the global
# net.netfilter.nf_conntrack_max, so a benchmark that fills a big table must
# raise it and put it back. Two scripts doing that at once save each other's
# raised value and "restore" it, so every script takes one lock first and
# keeps it until it exits.
#
#   . "$HERE/conntrack-max.sh"      # takes the lock, saves the value
#   conntrack_max_need N            # raise to N if lower (say so on stderr)
#   conntrack_max_restore           # from the EXIT trap: back to the saved value
CONNTRACK_MAX_SYSCTL=/proc/sys/net/netfilter/nf_conntrack_max
exec 9> /run/lock/ctaudit-bench.lock
flock 9
CONNTRACK_MAX_SAVED=$(cat "$CONNTRACK_MAX_SYSCTL")
CONNTRACK_MAX_RAISED=

conntrack_max_need() {
	if [ "$(cat "$CONNTRACK_MAX_SYSCTL")" -lt "$1" ]; then
		echo "$1" > "$CONNTRACK_MAX_SYSCTL"
		CONNTRACK_MAX_RAISED=$1
		echo "$(basename "$0"): raised nf_conntrack_max to $1 for this run (restored on exit)" >&2
	fi
}

conntrack_max_restore() {
	[ -n "$CONNTRACK_MAX_RAISED" ] || return 0
	local now
	now=$(cat "$CONNTRACK_MAX_SYSCTL")
	[ "$now" = "$CONNTRACK_MAX_RAISED" ] ||
		echo "$(basename "$0"): warning: nf_conntrack_max changed to $now behind our back" >&2
	echo "$CONNTRACK_MAX_SAVED" > "$CONNTRACK_MAX_SYSCTL" &&
		echo "$(basename "$0"): restored nf_conntrack_max=$CONNTRACK_MAX_SAVED" >&2
}
