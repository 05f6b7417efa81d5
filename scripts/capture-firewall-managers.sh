#!/usr/bin/env bash
# Captures the rule sets Debian's ufw and firewalld write for a gateway, as
# their users export them, into Tests/Fixtures/firewall/:
#
#   ufw-gateway.rules              iptables-save + ip6tables-save (ufw writes through iptables-nft)
#   ufw-gateway.nft.json           nft -j list ruleset of the same rules (iptables-nft tables: xt matches)
#   firewalld-gateway.nft.json     firewalld's default nftables backend
#   firewalld-gateway.iptables     firewalld with FirewallBackend=iptables (raw, mangle, nat, filter, security)
#
# Each manager runs in a throwaway network namespace with two interfaces,
# int0 (towards the node) and srv0 (towards the servers), through
# scripts/firewall-manager.sh, which keeps the host's files and the root
# namespace unchanged and checks that it did. Needs root, ufw, firewalld.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../Tests/Fixtures/firewall}
NS=ctaudit-capture-fw-$$
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT

fresh() {
    cleanup
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    ip -n "$NS" link add int0 type veth peer name srv0
    ip -n "$NS" link set int0 up
    ip -n "$NS" link set srv0 up
}

fresh
"$HERE/firewall-manager.sh" ufw "$NS" int0 srv0
{ ip netns exec "$NS" iptables-save; ip netns exec "$NS" ip6tables-save; } >"$OUT/ufw-gateway.rules"
ip netns exec "$NS" nft -j list ruleset >"$OUT/ufw-gateway.nft.json"

fresh
"$HERE/firewall-manager.sh" firewalld "$NS" int0 srv0 nftables
ip netns exec "$NS" nft -j list ruleset >"$OUT/firewalld-gateway.nft.json"

fresh
"$HERE/firewall-manager.sh" firewalld "$NS" int0 srv0 iptables
{ ip netns exec "$NS" iptables-save; ip netns exec "$NS" ip6tables-save; } >"$OUT/firewalld-gateway.iptables"

echo "captured into $OUT: ufw-gateway.rules ufw-gateway.nft.json firewalld-gateway.nft.json firewalld-gateway.iptables" >&2
