#!/usr/bin/env bash
# Captures real iptables-save / nft -j output as fixtures for `ctaudit check`.
#
#   scripts/capture-rules.sh [OUTDIR]     (default Tests/Fixtures/rules)
#
# Each rule set below is loaded into its own throwaway network namespace with
# the real tools (iptables-nft, iptables-legacy, ip6tables, nft, ipset), then
# listed with the same commands ctaudit runs live:
#   NAME.iptables    iptables-save -t nat       (nf_tables backend unless the set says legacy)
#   NAME.ip6tables   ip6tables-save -t nat      (only for sets with IPv6 rules)
#   NAME.nft.json    nft -j list ruleset
# and each set's expected verdict (against the default --allow 32768-65535 and
# pods on the kernel default 32768-60999) is written to expected.txt, with the
# format that carries the rules (see the header written below).
# The root namespace is never touched; the namespaces are deleted on exit.
# Needs root, iproute2, iptables, nftables, ipset.
set -euo pipefail

OUT=${1:-$(cd "$(dirname "$0")/.." && pwd)/Tests/Fixtures/rules}
mkdir -p "$OUT"
NS="ctcap$$"
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
cat > "$OUT/expected.txt" <<'EOF'
# NAME VERDICT CARRIER  (written by scripts/capture-rules.sh)
# VERDICT: against --allow 32768-65535, pods on the kernel default 32768-60999.
# CARRIER: the format whose file alone holds the NAT rules.
#   iptables         iptables-nft: NAME.iptables has them; NAME.nft.json shows the tables but as
#                    xt expressions whose NAT options (--to-ports, --random-fully) nft JSON hides
#   iptables-legacy  iptables-legacy: NAME.nft.json does not see them at all
#   nft              native nft: NAME.iptables has no rules (or says the table belongs to nft)
EOF

# fresh: a new, empty namespace for the next rule set.
fresh() { cleanup; ip netns add "$NS"; }
in_ns() { ip netns exec "$NS" "$@"; }
# The header's timestamp changes on every run; drop it so fixtures diff cleanly.
strip_dates() { sed -E 's/ on [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]+ [0-9]{4}$//'; }
save() {  # save NAME VERDICT [ipv6] [legacy|nft]  (how the rules were loaded)
    local name=$1 verdict=$2 v6=${3:-} loader=${4:-}
    local v4tool=iptables-nft-save v6tool=ip6tables-nft-save carrier=iptables
    if [ "$loader" = legacy ]; then v4tool=iptables-legacy-save; v6tool=ip6tables-legacy-save; carrier=iptables-legacy; fi
    if [ "$loader" = nft ]; then carrier=nft; fi
    in_ns "$v4tool" -t nat | strip_dates > "$OUT/$name.iptables"
    if [ "$v6" = ipv6 ]; then in_ns "$v6tool" -t nat | strip_dates > "$OUT/$name.ip6tables"; fi
    in_ns nft -j list ruleset > "$OUT/$name.nft.json"
    printf '%s %s %s\n' "$name" "$verdict" "$carrier" >> "$OUT/expected.txt"
    echo "captured $name ($verdict)" >&2
}
ipt() { in_ns iptables-nft -t nat "$@"; }
ip6t() { in_ns ip6tables-nft -t nat "$@"; }

# --- k3s with flannel: kube-proxy and flanneld both masquerade --random-fully.
fresh
for t in ipt ip6t; do
    $t -N KUBE-POSTROUTING; $t -N FLANNEL-POSTRTG
    $t -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
    $t -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
    $t -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
    $t -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
    $t -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
    $t -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
done
ipt -A FLANNEL-POSTRTG -s 10.42.0.0/24 -d 10.42.0.0/16 -m comment --comment "flanneld masq" -j RETURN
ipt -A FLANNEL-POSTRTG -s 10.42.0.0/16 -d 10.42.0.0/24 -m comment --comment "flanneld masq" -j RETURN
ipt -A FLANNEL-POSTRTG ! -s 10.42.0.0/16 -d 10.42.0.0/24 -m comment --comment "flanneld masq" -j RETURN
ipt -A FLANNEL-POSTRTG -s 10.42.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
ipt -A FLANNEL-POSTRTG ! -s 10.42.0.0/16 -d 10.42.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
ip6t -A FLANNEL-POSTRTG -s 2001:cafe:42::/56 ! -d ff00::/8 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
save k3s-flannel broken ipv6

# --- kube-proxy plus the bridge CNI plugin's per-pod CNI-* chain (ipMasq: true).
fresh
ipt -N KUBE-POSTROUTING; ipt -N CNI-2b8f0c5e1a9d4e7f6c3b2a10
ipt -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
ipt -A POSTROUTING -s 10.244.1.7/32 -m comment --comment "name: \"cbr0\" id: \"7f3a9c\"" -j CNI-2b8f0c5e1a9d4e7f6c3b2a10
ipt -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
ipt -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
ipt -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
ipt -A CNI-2b8f0c5e1a9d4e7f6c3b2a10 -d 10.244.1.0/24 -m comment --comment "name: \"cbr0\" id: \"7f3a9c\"" -j ACCEPT
ipt -A CNI-2b8f0c5e1a9d4e7f6c3b2a10 ! -d 224.0.0.0/4 -m comment --comment "name: \"cbr0\" id: \"7f3a9c\"" -j MASQUERADE
save kube-proxy-bridge broken

# --- Calico (iptables dataplane), natOutgoing with its default --random-fully.
fresh
in_ns ipset create cali40masq-ipam-pools hash:net
in_ns ipset create cali40all-ipam-pools hash:net
ipt -N cali-POSTROUTING; ipt -N cali-fip-snat; ipt -N cali-nat-outgoing
ipt -A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING
ipt -A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat
ipt -A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing
ipt -A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully
save calico broken

# --- Calico with natPortRange 32768:65535: per-protocol rules, then the rest.
fresh
in_ns ipset create cali40masq-ipam-pools hash:net
in_ns ipset create cali40all-ipam-pools hash:net
ipt -N cali-POSTROUTING; ipt -N cali-nat-outgoing
ipt -A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING
ipt -A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing
for p in tcp udp; do
    ipt -A cali-nat-outgoing -p $p -m comment --comment "cali:natportrange-$p" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --to-ports 32768-65535 --random-fully
done
ipt -A cali-nat-outgoing -m comment --comment "cali:natportrange-other" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully
save calico-natportrange safe

# --- MicroK8s (the incident's cluster): Calico and kube-proxy on iptables-legacy.
fresh
in_ns ipset create cali40masq-ipam-pools hash:net
in_ns ipset create cali40all-ipam-pools hash:net
lipt() { in_ns iptables-legacy -t nat "$@"; }
lipt -N KUBE-POSTROUTING; lipt -N cali-POSTROUTING; lipt -N cali-nat-outgoing
lipt -A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING
lipt -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
lipt -A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing
lipt -A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE
lipt -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
lipt -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
lipt -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
save microk8s broken "" legacy

# --- Plain masquerade (Docker-style / hand-written), IPv4 and IPv6: clashes remap into 1024-65535.
fresh
ipt -A POSTROUTING -s 10.244.0.0/16 ! -o br0 -j MASQUERADE
ip6t -A POSTROUTING -s fd00:10:244::/64 ! -o br0 -j MASQUERADE
save plain-masquerade at-risk ipv6

# --- Fixed range: tcp and udp pinned to 32768-65535, the rest (ICMP) after them.
fresh
for t in ipt ip6t; do
    src=10.244.0.0/16; [ $t = ip6t ] && src=fd00:10:244::/64
    $t -A POSTROUTING -s $src -o eth0 -p tcp -j MASQUERADE --to-ports 32768-65535
    $t -A POSTROUTING -s $src -o eth0 -p udp -j MASQUERADE --to-ports 32768-65535
    $t -A POSTROUTING -s $src -o eth0 -j MASQUERADE
done
save fixed-range safe ipv6

# --- A fixed range that is too wide: no random flag, so only clashes leave the allowed range.
fresh
ipt -A POSTROUTING -s 10.244.0.0/16 -p tcp -j MASQUERADE --to-ports 1024-65535
ipt -A POSTROUTING -s 10.244.0.0/16 -p udp -j MASQUERADE --to-ports 1024-65535
save wide-range at-risk

# --- random-fully with no range.
fresh
ipt -A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE --random-fully
save random-fully broken

# --- SNAT to a fixed address with a port range outside the allowed one.
fresh
ipt -A POSTROUTING -s 10.244.0.0/16 -p tcp -j SNAT --to-source 198.51.100.2:1024-29999
save snat-low-range broken

# --- nft masquerade without a range.
fresh
in_ns nft -f - <<'EOF'
table inet nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 10.244.0.0/16 oifname "eth0" masquerade
        ip6 saddr fd00:10:244::/64 oifname "eth0" masquerade
    }
}
EOF
save nft-masquerade at-risk "" nft

# --- nft masquerade pinned with `to :32768-65535`, the rest after it; reached through a jump.
fresh
in_ns nft -f - <<'EOF'
table inet nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 10.244.0.0/16 jump pod-masq
    }
    chain pod-masq {
        ip daddr 10.244.0.0/16 return
        meta l4proto { tcp, udp } masquerade to :32768-65535
        masquerade
    }
}
EOF
save nft-masquerade-range safe "" nft

# --- nft masquerade fully-random.
fresh
in_ns nft -f - <<'EOF'
table ip nat {
    chain POSTROUTING {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 masquerade fully-random
    }
}
EOF
save nft-fully-random broken "" nft

echo "fixtures in $OUT" >&2
