#!/usr/bin/env bash
# firewall-cost.sh — what judging flows against a --firewall file costs per
# source-NATed flow, compared with the plain --allow range check.
#
#   sudo scripts/bench/firewall-cost.sh [--size 200000] [--runs 5] [--seed 1]
#        [--ctaudit PATH]
#
# One network namespace is filled by ctfill (about half of the entries
# source-NATed, 3% with a translated port outside 32768-65535, IPv4/IPv6
# 80/20, TCP/UDP 70/30), then the release binary audits it --runs times each
#   (a) --allow 32768-65535                      one range check per flow
#   (b) --firewall Fixtures/firewall/robot-incident.json  (Hetzner Robot, 3 rules)
#   (c) --firewall Fixtures/firewall/gateway.iptables     (jump into a user chain)
#   (d) --firewall Fixtures/firewall/aws-network-acl.json (AWS network ACL)
#   (e) --firewall Fixtures/firewall/ufw-gateway.rules    (real ufw, iptables-save: ESTABLISHED first)
#   (f) --firewall Fixtures/firewall/ufw-gateway.nft.json (the same rules in nft -j: an xt match
#       whose outcome is unknown on every reply, so every packet takes the both-ways path)
# always `audit --netns NS --no-config --no-pods --pod-cidr ... --format json`.
# Reported: median user+sys CPU seconds and median wall seconds (GNU time),
# the source-NATed flow count from the JSON, and the extra CPU nanoseconds per
# source-NATed flow against (a). Everything but the verdict is the same work
# in every row (same dump, same JSON writer), so the difference is the
# classification (plus writing the extra violations (b) finds).
#
# Correctness, checked on every run (a row is FAIL otherwise):
#   - exit status 1 (violations found) and the same counts in every run;
#   - (a), (c), (d): violations = ctfill's count (the gateway drops TCP/UDP
#     replies to 0-32767 in both families; the ACL allows TCP/UDP replies to
#     32768-65535 in both families and denies the rest: both are --allow
#     32768-65535 for TCP/UDP);
#   - (e), (f): no violation, exit 0 (a stateful ufw gateway admits every reply);
#   - (b): violations = the Robot file's own meaning counted in awk on
#     `conntrack -L -f ipv4 --src-nat` (an independent view): every IPv4 UDP
#     reply is discarded (no UDP rule), IPv4 TCP replies only get through to
#     32768-65535 (ack rule), IPv6 is not filtered (filter_ipv6 false).
#
# Needs root, gcc, pkg-config, libmnl-dev, libnetfilter-conntrack-dev,
# conntrack, iproute2, jq, GNU time at /usr/bin/time. Build ctaudit first:
# swift build -c release --static-swift-stdlib.
#
# Writes only inside the namespace it creates (deleted on exit), except the
# global net.netfilter.nf_conntrack_max (a namespace's table is capped by it):
# raised only when --size needs it, restored on exit. Holds
# /run/lock/ctaudit-bench.lock so that two benchmark scripts never fight over
# that knob. ctfill is compiled into scripts/bench/.build (or $CTBENCH_BUILD).
# Prints a Markdown table; exit 0 when every check passed, 1 otherwise.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIZE=200000
RUNS=5
SEED=1
CTAUDIT=$ROOT/.build/release/ctaudit
TIME_BIN=/usr/bin/time
FIXTURES=$ROOT/Tests/Fixtures/firewall

. "$HERE/bench-common.sh"
bench_options 2,6 --size SIZE --runs RUNS --seed SEED --ctaudit CTAUDIT -- "$@"
bench_start gcc pkg-config conntrack ip jq awk flock
"$TIME_BIN" -f '%e' -o /dev/null true 2>/dev/null ||
	die "GNU time not found at $TIME_BIN (apt-get install time)"
[ -x "$CTAUDIT" ] || die "no ctaudit at $CTAUDIT (build: swift build -c release --static-swift-stdlib, or --ctaudit PATH)"
for file in robot-incident.json gateway.iptables aws-network-acl.json ufw-gateway.rules ufw-gateway.nft.json; do
	[ -r "$FIXTURES/$file" ] || die "missing fixture $FIXTURES/$file"
done

bench_namespace "ctfwcost-$$"
log "filling $NS with $SIZE entries"
ctfill_into "$SIZE" --seed "$SEED"
V=$CTFILL_VIOLATIONS
# The Robot file's meaning, on conntrack's own text: the reply tuple's
# destination port is the second dport=; IPv4 UDP is always discarded.
ROBOT_V=$(ip netns exec "$NS" conntrack -L -f ipv4 --src-nat 2>/dev/null | awk '
	{ n = 0; rdp = ""
	  for (i = 1; i <= NF; i++) if ($i ~ /^dport=/ && ++n == 2) rdp = substr($i, 7) + 0
	  if ($1 == "udp" || ($1 == "tcp" && (rdp < 32768))) v++ }
	END { print v + 0 }')

BASE=(audit --netns "$NS" --no-config --no-pods --pod-cidr 10.244.0.0/16 --pod-cidr fd00:10:244::/48 --format json)
FAILED=0
BASE_CPU=
echo "| policy | runs | median CPU s (user+sys) | median wall s | source-NATed flows | violations | expected violations | extra CPU ns per source-NATed flow vs (a) | check |"
echo "|---|---|---|---|---|---|---|---|---|"
row() { # row LABEL EXPECTED_VIOLATIONS ARGS...
	local label=$1 expected=$2; shift 2
	local seen="" check=PASS
	: > "$WORK/cpus"; : > "$WORK/walls"
	log "$label: $RUNS runs"
	for _ in $(seq "$RUNS"); do
		local rc=0
		"$TIME_BIN" -f '%e %U %S' -o "$WORK/time" "$CTAUDIT" "${BASE[@]}" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
		tail -n 1 "$WORK/time" | awk '{ printf "%.2f\n", $2 + $3 }' >> "$WORK/cpus"
		tail -n 1 "$WORK/time" | awk '{ print $1 }' >> "$WORK/walls"
		local got
		got=$(jq -r '"\(.summary.snat) \(.summary.violations) \(.violations | length)"' "$WORK/out" 2>/dev/null || echo "unparsable")
		local want=1
		[ "$expected" != 0 ] || want=0
		if [ "$rc" != "$want" ]; then log "$label: exit $rc (want $want): $(head -c 300 "$WORK/err")"; check=FAIL; fi
		if [ -n "$seen" ] && [ "$got" != "$seen" ]; then log "$label: counts changed between runs: $seen then $got"; check=FAIL; fi
		seen=$got
	done
	local snat violations listed cpu wall extra
	read -r snat violations listed <<< "$seen"
	if [ "$violations" != "$expected" ] || [ "$listed" != "$expected" ]; then
		log "$label: violations $violations (listed $listed), expected $expected"; check=FAIL
	fi
	cpu=$(median < "$WORK/cpus"); wall=$(median < "$WORK/walls")
	if [ -z "$BASE_CPU" ]; then BASE_CPU=$cpu; extra="(baseline)"
	else extra=$(awk -v c="$cpu" -v b="$BASE_CPU" -v n="$snat" 'BEGIN { printf "%.0f", (c - b) * 1e9 / n }'); fi
	[ "$check" = PASS ] || FAILED=1
	echo "| $label | $RUNS | $cpu | $wall | $snat | $violations | $expected | $extra | $check |"
}

row "(a) \`--allow 32768-65535\`" "$V" --allow 32768-65535
row "(b) \`--firewall robot-incident.json\`" "$ROBOT_V" --firewall "$FIXTURES/robot-incident.json"
row "(c) \`--firewall gateway.iptables\`" "$V" --firewall "$FIXTURES/gateway.iptables"
row "(d) \`--firewall aws-network-acl.json\`" "$V" --firewall "$FIXTURES/aws-network-acl.json"
row "(e) \`--firewall ufw-gateway.rules\`" 0 --firewall "$FIXTURES/ufw-gateway.rules"
row "(f) \`--firewall ufw-gateway.nft.json\`" 0 --firewall "$FIXTURES/ufw-gateway.nft.json"
echo
echo "ctaudit $("$CTAUDIT" --version 2>/dev/null || echo '(version unknown)'), $SIZE entries ($CTFILL_LINE), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
exit $FAILED
