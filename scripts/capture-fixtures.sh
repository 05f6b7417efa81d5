#!/usr/bin/env bash
# Captures decoder test fixtures from the real kernel: runs the incident lab
# (scripts/lab.sh, namespaces only), then records, from the lab's node
# namespace, the raw ctnetlink dump datagrams as hex (whole table, and with
# the kernel's IPS_SRC_NAT status filter) and conntrack(8)'s own view of the
# same table. Tests decode the hex and compare it with conntrack(8)'s text.
#
# Writes (overwrites): Tests/ConntrackTests/Fixtures/lab-dump.hex,
#   lab-dump-snat.hex, lab-conntrack.txt
# Needs root, gcc, libmnl-dev, libnetfilter-conntrack-dev, conntrack, python3.
# WRITES only inside the lab's own namespaces, which it deletes afterwards.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/Tests/ConntrackTests/Fixtures
BUILD=$(mktemp -d)
PREFIX=ctfix$$
trap '"$ROOT/scripts/lab.sh" down --name "$PREFIX" >/dev/null 2>&1 || true; rm -rf "$BUILD"' EXIT

gcc -O2 -Wall -o "$BUILD/ctdump-raw" "$ROOT/scripts/bench/ctdump-raw.c" \
    $(pkg-config --cflags --libs libnetfilter_conntrack libmnl)
"$ROOT/scripts/lab.sh" up --name "$PREFIX"
"$ROOT/scripts/lab.sh" traffic --name "$PREFIX" --pairs 4 >/dev/null
# An ICMP flow too, so the fixture holds a protocol without ports.
ip netns exec "$PREFIX-pod1" python3 - <<'PY' || true
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1)
payload = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + b"ctaudit"
csum = 0
for i in range(0, len(payload), 2):
    csum += (payload[i] << 8) + (payload[i + 1] if i + 1 < len(payload) else 0)
csum = (csum >> 16) + (csum & 0xffff); csum = ~(csum + (csum >> 16)) & 0xffff
payload = payload[:2] + struct.pack("!H", csum) + payload[4:]
s.sendto(payload, ("203.0.113.10", 0))
try: s.recv(1024)
except Exception: pass
PY
# Flows the node does not NAT (pod -> the node's own bridge address, inside
# the pod network), so the status-filtered dump really differs from the whole.
for target in 10.244.0.1 fd00:10:244::1; do
    ip netns exec "$PREFIX-pod1" python3 -c '
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.sendto(b"ctaudit", (sys.argv[1], 9))' "$target"
done
NODE=$PREFIX-node
ip netns exec "$NODE" "$BUILD/ctdump-raw" --hex "$OUT/lab-dump.hex" >/dev/null
ip netns exec "$NODE" "$BUILD/ctdump-raw" --status-filter --hex "$OUT/lab-dump-snat.hex" >/dev/null
{
    ip netns exec "$NODE" conntrack -L -o extended -f ipv4 2>/dev/null
    ip netns exec "$NODE" conntrack -L -o extended -f ipv6 2>/dev/null
} | sed "s/$PREFIX/ctfix/g" >"$OUT/lab-conntrack.txt"
echo "captured $(wc -l <"$OUT/lab-conntrack.txt") entries into $OUT"
