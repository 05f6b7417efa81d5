#!/usr/bin/env bash
# Coverage-guided fuzzing of the netlink and BPF map decoders (libFuzzer + AddressSanitizer).
#
#   scripts/fuzz.sh [SECONDS]        fuzz for SECONDS (default 600), then exit
#   scripts/fuzz.sh --replay FILE..  run inputs once (reproduce a crash)
#
# The target (Sources/ConntrackFuzz) feeds each input to the decoder as one
# received datagram (FlowDecoder.decodeDatagram: framing, NLMSG_ERROR/DONE,
# conntrack entries, events, per-CPU statistics) and every decoded flow on
# through classification and all audit report writers. An input whose length
# is exactly one BPF map layout's key + value (Cilium SNAT 14+40 / 38+56,
# Calico conntrack 16+88 / 40+128) is also decoded as that map entry.
#
# Seeds: every captured kernel datagram in Tests/ConntrackTests/Fixtures/*.hex
# (each line one datagram), each of their messages alone, the same entries as
# events, hand-made NLMSG_ERROR/statistics replies, and every kept crasher in
# Tests/ConntrackTests/Fixtures/crashers/. The corpus grows in
# .build-fuzz/corpus and is reused by the next run.
#
# On a crash: exit 1, the input is saved as .build-fuzz/artifacts/crash-* and
# as hex in Tests/ConntrackTests/Fixtures/crashers/ so that
# FuzzRegressionTests replays it from then on. Fix the bug, keep the file.
#
# Environment: FUZZ_JOBS (default 1) parallel fuzzing processes;
# FUZZ_ARGS extra libFuzzer flags. Needs python3 (seed generation).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SCRATCH=$ROOT/.build-fuzz
# Swift's own crash backtracer fights ASan and libFuzzer over the crash (and
# can hang there); let libFuzzer report it and save the input.
export SWIFT_BACKTRACE=enable=no
FIXTURES=$ROOT/Tests/ConntrackTests/Fixtures
CRASHERS=$FIXTURES/crashers

build() {
    # -sanitize=fuzzer adds coverage instrumentation and links libFuzzer; the
    # target's main hands control to LLVMFuzzerRunDriver, found by dlsym, so
    # that symbol must be exported.
    swift build -c debug --scratch-path "$SCRATCH" --product ConntrackFuzz \
        -Xswiftc -sanitize=fuzzer,address \
        -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver 2>&1 \
        | grep -v "Cannot export local symbol" >&2 || true
    test -x "$SCRATCH/debug/ConntrackFuzz" || { echo "fuzz.sh: build failed" >&2; exit 3; }
}

if [ "${1:-}" = "--replay" ]; then
    shift
    build
    exec "$SCRATCH/debug/ConntrackFuzz" -runs=1 "$@"
fi

SECONDS_TO_RUN=${1:-600}
case "$SECONDS_TO_RUN" in (*[!0-9]*|'') echo "usage: scripts/fuzz.sh [SECONDS] | --replay FILE..." >&2; exit 2;; esac

build
SEEDS=$SCRATCH/seeds
CORPUS=$SCRATCH/corpus
ARTIFACTS=$SCRATCH/artifacts
rm -rf "$SEEDS"
mkdir -p "$SEEDS" "$CORPUS" "$ARTIFACTS" "$CRASHERS"

python3 - "$FIXTURES" "$SEEDS" <<'PY'
import glob, os, struct, sys
fixtures, seeds = sys.argv[1], sys.argv[2]
CT_NEW, CT_DELETE, CT_STATS_CPU = (1 << 8) | 0, (1 << 8) | 2, (1 << 8) | 4
count = 0
def put(name, data):
    global count
    with open(os.path.join(seeds, name), "wb") as f:
        f.write(data)
    count += 1
def header(length, kind, flags=0, seq=1, pid=0):
    return struct.pack("=IHHII", length, kind, flags, seq, pid)
def message(kind, payload, flags=0):
    body = header(16 + len(payload), kind, flags) + payload
    return body + b"\0" * (-len(body) % 4)
def attr(kind, payload):
    body = struct.pack("=HH", 4 + len(payload), kind) + payload
    return body + b"\0" * (-len(body) % 4)
done = message(3, struct.pack("=i", 0))
for path in sorted(glob.glob(os.path.join(fixtures, "*.hex")) + glob.glob(os.path.join(fixtures, "crashers", "*.hex"))):
    base = os.path.basename(path)[:-4]
    for i, line in enumerate(open(path).read().split()):
        data = bytes.fromhex(line)
        put(f"{base}-{i}", data)
        # Each message alone, as a dump datagram and as NEW/DESTROY events.
        offset, n = 0, 0
        while offset + 16 <= len(data):
            length, kind, flags = struct.unpack_from("=IHH", data, offset)
            if length < 16 or offset + length > len(data):
                break
            payload = data[offset + 16:offset + length]
            if kind == CT_NEW and n < 24:
                put(f"{base}-{i}-msg{n}", message(CT_NEW, payload, 0x2) + done)
                put(f"{base}-{i}-new{n}", message(CT_NEW, payload, 0x600))
                put(f"{base}-{i}-destroy{n}", message(CT_DELETE, payload))
                n += 1
            offset += (length + 3) & ~3
# NLMSG_ERROR mid-dump (EPERM, ENOBUFS, EINTR) and an acknowledgement.
for errno in (0, 1, 4, 71, 105):
    put(f"error-{errno}", message(2, struct.pack("=i", -errno) + header(20, CT_NEW, 0x301)))
put("overrun", message(4, b""))
# Per-CPU statistics replies (CTA_STATS_* u32, big-endian), CPU 0 and 1.
stats = b"".join(attr(k, struct.pack(">I", k * 7)) for k in range(1, 16))
put("stats-cpu", message(CT_STATS_CPU, bytes([0, 0, 0, 0]) + stats, 0x2)
    + message(CT_STATS_CPU, bytes([0, 0, 0, 1]) + stats, 0x2) + done)
# BPF map entries (key + value) laid out as the upstream structs: Cilium SNAT
# egress entries, Calico host-port NAT reverse entries (flag layouts v4 and v5).
def ip4(text): return bytes(int(x) for x in text.split("."))
def ip6(last): return bytes(15) + bytes([last])
for name, daddr, saddr, to in (("cilium-v4", ip4("1.1.1.1"), ip4("10.0.1.5"), ip4("192.0.2.10")),
                               ("cilium-v6", ip6(1), ip6(5), ip6(10))):
    for flags in (0, 1):
        key = daddr + saddr + struct.pack(">HH", 443, 40000) + bytes([6, flags])
        value = bytes(32) + to + struct.pack(">H", 1024)
        value += bytes((40 if len(to) == 4 else 56) - len(value))
        put(f"{name}-flags{flags}", key + value)
for family, size, addr in (("v4", 88, ip4), ("v6", 128, None)):
    a = ip4("10.0.2.7") if addr else ip6(7)
    b = ip4("192.0.2.10") if addr else ip6(10)
    key = struct.pack("<I", 6) + a + b + struct.pack("<HH", 6443, 20001)
    for version in (4, 5):
        value = bytearray(size)
        value[16] = 2
        if version == 4:
            value[23] = 2
        else:
            value[20:24] = struct.pack("<I", 1 << 9)
        value[48 + 8:48 + 12] = struct.pack("<I", 3)
        value[48 + 16:48 + 20] = struct.pack("<I", 1 << 5)
        put(f"calico-{family}-ct{version}", key + bytes(value))
print(f"fuzz.sh: {count} seed inputs", file=sys.stderr)
PY

echo "fuzz.sh: fuzzing for ${SECONDS_TO_RUN}s (corpus $CORPUS)" >&2
status=0
parallel=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"); fi
rm -f "$ARTIFACTS"/*
# -rss_limit_mb: a leak or a runaway allocation is a finding too.
"$SCRATCH/debug/ConntrackFuzz" "$CORPUS" "$SEEDS" \
    -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    ${parallel[@]+"${parallel[@]}"} \
    -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 ${FUZZ_ARGS:-} || status=$?

found=0
for crash in "$ARTIFACTS"/crash-* "$ARTIFACTS"/leak-* "$ARTIFACTS"/timeout-* "$ARTIFACTS"/oom-*; do
    [ -e "$crash" ] || continue
    name=$(basename "$crash")
    python3 -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' "$crash" > "$CRASHERS/$name.hex"
    echo "fuzz.sh: kept $name as Tests/ConntrackTests/Fixtures/crashers/$name.hex (replay: scripts/fuzz.sh --replay $crash)" >&2
    found=1
done
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "fuzz.sh: the fuzzer found a problem (exit $status)" >&2
    exit 1
fi
echo "fuzz.sh: no crash in ${SECONDS_TO_RUN}s" >&2
