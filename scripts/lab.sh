#!/usr/bin/env bash
# ctaudit lab: the SNAT/masquerade port-range incident, reproduced in network namespaces.
#
#   scripts/lab.sh up      [--name PREFIX] [--cni]
#   scripts/lab.sh traffic [--name PREFIX] [--pairs N] [--timeout SECONDS] [--base-port P]
#   scripts/lab.sh status  [--name PREFIX]
#   scripts/lab.sh down    [--name PREFIX]
#
# Topology (PREFIX defaults to "ctlab"; every interface lives inside the lab's namespaces):
#
#   PREFIX-pod1 eth0 10.244.0.2 fd00:10:244::2 ┐
#   PREFIX-pod2 eth0 10.244.0.3 fd00:10:244::3 ├─ vpodN ── br0 10.244.0.1 fd00:10:244::1   PREFIX-node
#   PREFIX-pod3 eth0 10.244.0.4 fd00:10:244::4 ┘          ext0 198.51.100.2 2001:db8:1::2  (MASQUERADE)
#                (ip_local_port_range 1024 2047)                │
#                                                  PREFIX-gw   int0 198.51.100.1 2001:db8:1::1
#                                                  (drops tcp/udp towards int0 with dport 0-32767)
#                                                              srv0 203.0.113.1 2001:db8:2::1
#                                                                │
#                                                  PREFIX-srv  eth0 203.0.113.10 2001:db8:2::10
#                                                  (lab_peer.py server: tcp 8080, udp 5353)
#
# With --cni the pods are attached by the real CNI plugins (containernetworking-plugins: bridge
# with ipMasq, host-local IPAM, portmap) through the CNI protocol (scripts/lab_cni.py) instead of
# by hand: cni0 10.88.0.1 fd00:10:88::1 in the node, pods 10.88.0.2-4 fd00:10:88::2-4 (host-local,
# state under the lab's state dir), one CNI-<hash> masquerade chain per pod, pod1 with hostPort
# 30080 -> 8080. Gateway, server, pod3's port range and the traffic are the same.
#
# `traffic` prints one line per connection on stdout, nothing else:
#   conn pod=pod2 proto=tcp family=ipv4 src=10.244.0.3 sport=40001 dst=203.0.113.10 dport=8080 result=ok
# result is ok|timeout (error only if a socket call failed unexpectedly). See docs/LAB.md.
# Root network namespace is never touched. Needs root, iproute2, iptables/ip6tables, python3
# (stdlib only); conntrack(8) for `status` only.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
PEER="$SCRIPT_DIR/lab_peer.py"
CNI_RUNTIME="$SCRIPT_DIR/lab_cni.py"
CNI_NET_V4=10.88.0.0/24 CNI_NET_V6=fd00:10:88::/64
CNI_PATH=${CTLAB_CNI_PATH:-/usr/lib/cni}
STATE_ROOT=${CTLAB_STATE_ROOT:-/run/ctaudit-lab}

PREFIX=ctlab
PAIRS=8
TIMEOUT=3
BASE_PORT=40000
CNI=0
CMD=

ROLES=(pod1 pod2 pod3 node gw srv)
POD_V4=(10.244.0.2 10.244.0.3 10.244.0.4)
POD_V6=(fd00:10:244::2 fd00:10:244::3 fd00:10:244::4)
NODE_POD_V4=10.244.0.1   NODE_POD_V6=fd00:10:244::1
POD_NET_V4=10.244.0.0/24 POD_NET_V6=fd00:10:244::/64
NODE_EXT_V4=198.51.100.2 NODE_EXT_V6=2001:db8:1::2
GW_INT_V4=198.51.100.1   GW_INT_V6=2001:db8:1::1
GW_SRV_V4=203.0.113.1    GW_SRV_V6=2001:db8:2::1
SRV_V4=203.0.113.10      SRV_V6=2001:db8:2::10
TCP_PORT=8080 UDP_PORT=5353
ALLOWED_LOW=32768   # gateway lets replies in only to dport >= this

usage() {
    cat >&2 <<'EOF'
usage: lab.sh up|traffic|status|down [--name PREFIX] [--pairs N] [--timeout SECONDS] [--base-port P] [--cni]
  up       create namespaces PREFIX-{pod1,pod2,pod3,node,gw,srv}, rules, server
           (--cni: pods attached by the real CNI bridge/host-local/portmap plugins)
  traffic  pod1 then pod2 (same source ports) then pod3 (unbound, low range) connect to the server;
           one "conn key=value ..." line per connection on stdout
  status   namespaces, server, gateway drop counters, conntrack -L -o extended (node ns)
  down     kill lab processes, delete the namespaces and state dir (always exits 0)
PREFIX defaults to ctlab ([A-Za-z0-9_-], at most 32 chars); --pairs 8, --timeout 3, --base-port 40000.
EOF
}

log() { printf 'lab[%s]: %s\n' "$PREFIX" "$*" >&2; }
die() { log "error: $*"; exit 1; }

ns() { printf '%s-%s' "$PREFIX" "$1"; }
nsx() { local r=$1; shift; ip netns exec "$(ns "$r")" "$@"; }
ns_exists() { [ -e "/run/netns/$1" ] || [ -e "/var/run/netns/$1" ]; }
state_dir() { printf '%s/%s' "$STATE_ROOT" "$PREFIX"; }

parse_args() {
    while [ $# -gt 0 ]; do
        local opt=$1 val=
        case $opt in
            --*=*) val=${opt#*=}; opt=${opt%%=*} ;;
        esac
        case $opt in
            --name|--pairs|--timeout|--base-port)
                if [ -z "$val" ]; then
                    [ $# -ge 2 ] || { usage; die "$opt needs a value"; }
                    val=$2; shift
                fi
                case $opt in
                    --name) PREFIX=$val ;;
                    --pairs) PAIRS=$val ;;
                    --timeout) TIMEOUT=$val ;;
                    --base-port) BASE_PORT=$val ;;
                esac ;;
            --cni) CNI=1 ;;
            -h|--help) usage; exit 0 ;;
            up|traffic|status|down)
                [ -z "$CMD" ] || { usage; die "more than one command"; }
                CMD=$opt ;;
            *) usage; die "unknown argument: $opt" ;;
        esac
        shift
    done
    [ -n "$CMD" ] || { usage; exit 2; }
    [[ $PREFIX =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$ ]] || die "bad --name '$PREFIX' (use [A-Za-z0-9_-], max 32)"
    [[ $PAIRS =~ ^[0-9]+$ ]] && [ "$PAIRS" -ge 1 ] && [ "$PAIRS" -le 1000 ] || die "--pairs must be 1..1000"
    [[ $TIMEOUT =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--timeout must be a number of seconds"
    [[ $BASE_PORT =~ ^[0-9]+$ ]] && [ "$BASE_PORT" -ge 1024 ] && [ $((BASE_PORT + PAIRS - 1)) -le 65535 ] \
        || die "--base-port must be >= 1024 and base+pairs-1 <= 65535"
}

need_root_tools() {
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    local t
    for t in ip iptables ip6tables "$@"; do
        command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
    done
    PYTHON=${PYTHON:-$(command -v python3 || true)}
    [ -n "$PYTHON" ] || die "missing python3"
    # resolve wrappers (pyenv shims etc.) once: faster start inside namespaces
    PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)') || die "python3 does not run"
}

# ---------------------------------------------------------------------------------------- down

# Kill every process inside the lab's namespaces (TERM, then KILL), never ourselves.
kill_ns_procs() {
    local pids=() r n p
    for r in "${ROLES[@]}"; do
        n=$(ns "$r")
        ns_exists "$n" || continue
        for p in $(ip netns pids "$n" 2>/dev/null || true); do
            [ "$p" = "$$" ] || [ "$p" = "${BASHPID:-}" ] || pids+=("$p")
        done
    done
    [ ${#pids[@]} -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local i alive
    for i in $(seq 1 40); do
        alive=()
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
        [ ${#alive[@]} -gt 0 ] || return 0
        sleep 0.05
    done
    kill -KILL "${alive[@]}" 2>/dev/null || true
}

cmd_down() {
    local sd r n pid
    sd=$(state_dir)
    # the server, by its recorded pid, only if it is still our lab_peer.py in our srv namespace
    if [ -f "$sd/server.pid" ]; then
        pid=$(cat "$sd/server.pid" 2>/dev/null || true)
        if [[ $pid =~ ^[0-9]+$ ]] && [ "$(ip netns identify "$pid" 2>/dev/null || true)" = "$(ns srv)" ] \
            && grep -q lab_peer.py "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    fi
    kill_ns_procs
    cni_del
    for r in "${ROLES[@]}"; do
        n=$(ns "$r")
        if ns_exists "$n"; then
            ip netns del "$n" 2>/dev/null || log "warning: could not delete namespace $n"
        fi
    done
    rm -rf -- "$sd"
    rmdir "$STATE_ROOT" 2>/dev/null || true
    return 0
}

# ------------------------------------------------------------------------------------------ cni

# The network configuration list the pods are attached with (--cni).
write_conflist() {
    local dir=$1
    cat >"$dir/net.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "ctlab", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$dir/ipam",
            "ranges": [[{"subnet": "$CNI_NET_V4"}], [{"subnet": "$CNI_NET_V6"}]],
            "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true}]}
EOF
}

# pod1 publishes hostPort 30080 (portmap); ADD and DEL are given the same runtimeConfig.
cni_port_mappings() { [ "$1" -ne 1 ] || echo "--port-mapping 30080:8080/tcp"; }

# ADD: the plugins run in the node namespace (the host side) and set up each pod's eth0.
cni_add() {
    local dir i mapping
    dir="$(state_dir)/cni"
    mkdir -p "$dir"
    write_conflist "$dir"
    for i in 1 2 3; do
        mapping=($(cni_port_mappings "$i"))
        nsx node "$PYTHON" "$CNI_RUNTIME" add --conflist "$dir/net.conflist" --netns "/run/netns/$(ns pod$i)" \
            --container-id "$PREFIX-pod$i" --cni-path "$CNI_PATH" "${mapping[@]}" >"$dir/pod$i.json"
    done
    # The addresses host-local gave, for lab.env.
    POD_V4=() POD_V6=()
    for i in 1 2 3; do
        POD_V4+=("$("$PYTHON" -c 'import json,sys; print([ip["address"].split("/")[0] for ip in json.load(open(sys.argv[1]))["ips"] if ":" not in ip["address"]][0])' "$dir/pod$i.json")")
        POD_V6+=("$("$PYTHON" -c 'import json,sys; print([ip["address"].split("/")[0] for ip in json.load(open(sys.argv[1]))["ips"] if ":" in ip["address"]][0])' "$dir/pod$i.json")")
    done
}

# DEL in reverse plugin order, each pod with its ADD result; best effort (down always succeeds).
cni_del() {
    local dir i python mapping
    dir="$(state_dir)/cni"
    [ -f "$dir/net.conflist" ] || return 0
    python=${PYTHON:-$(command -v python3 || true)}
    for i in 3 2 1; do
        [ -f "$dir/pod$i.json" ] && ns_exists "$(ns node)" && ns_exists "$(ns pod$i)" || continue
        mapping=($(cni_port_mappings "$i"))
        nsx node "$python" "$CNI_RUNTIME" del --conflist "$dir/net.conflist" --netns "/run/netns/$(ns pod$i)" \
            --container-id "$PREFIX-pod$i" --cni-path "$CNI_PATH" --result "$dir/pod$i.json" "${mapping[@]}" 2>/dev/null \
            || log "warning: CNI DEL for pod$i failed"
    done
}

# ------------------------------------------------------------------------------------------ up

UP_DONE=0
up_cleanup() {
    local rc=$?
    if [ "$UP_DONE" -ne 1 ]; then
        log "up failed (exit $rc); removing the partial lab"
        set +e
        cmd_down
        exit $(( rc == 0 ? 1 : rc ))
    fi
}

cmd_up() {
    need_root_tools
    if [ "$CNI" -eq 1 ]; then
        local plugin
        for plugin in bridge host-local portmap; do
            [ -x "$CNI_PATH/$plugin" ] || die "missing CNI plugin $CNI_PATH/$plugin (install containernetworking-plugins, or set CTLAB_CNI_PATH)"
        done
    fi
    local r n i sd
    for r in "${ROLES[@]}"; do
        ns_exists "$(ns "$r")" && die "namespace $(ns "$r") already exists: run 'lab.sh down --name $PREFIX' first"
    done
    sd=$(state_dir)
    [ ! -e "$sd" ] || die "state dir $sd exists: run 'lab.sh down --name $PREFIX' first"
    trap up_cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$sd"

    for r in "${ROLES[@]}"; do
        n=$(ns "$r")
        ip netns add "$n"
        ip -n "$n" link set lo up
        # all addresses are nodad anyway; this also keeps link-locals from being tentative
        nsx "$r" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done

    # links (created directly inside the namespaces); with --cni the plugins make the pods' side
    if [ "$CNI" -eq 0 ]; then
        ip -n "$(ns node)" link add br0 type bridge
        for i in 1 2 3; do
            ip -n "$(ns pod$i)" link add eth0 type veth peer name "vpod$i" netns "$(ns node)"
            ip -n "$(ns node)" link set "vpod$i" master br0
        done
    fi
    ip -n "$(ns node)" link add ext0 type veth peer name int0 netns "$(ns gw)"
    ip -n "$(ns gw)" link add srv0 type veth peer name eth0 netns "$(ns srv)"

    if [ "$CNI" -eq 0 ]; then
        for i in 1 2 3; do
            ip -n "$(ns pod$i)" link set eth0 up
            ip -n "$(ns node)" link set "vpod$i" up
        done
        ip -n "$(ns node)" link set br0 up
    fi
    ip -n "$(ns node)" link set ext0 up
    ip -n "$(ns gw)" link set int0 up
    ip -n "$(ns gw)" link set srv0 up
    ip -n "$(ns srv)" link set eth0 up

    # addresses
    if [ "$CNI" -eq 0 ]; then
        for i in 1 2 3; do
            ip -n "$(ns pod$i)" addr add "${POD_V4[i-1]}/24" dev eth0
            ip -n "$(ns pod$i)" addr add "${POD_V6[i-1]}/64" dev eth0 nodad
        done
        ip -n "$(ns node)" addr add "$NODE_POD_V4/24" dev br0
        ip -n "$(ns node)" addr add "$NODE_POD_V6/64" dev br0 nodad
    fi
    ip -n "$(ns node)" addr add "$NODE_EXT_V4/24" dev ext0
    ip -n "$(ns node)" addr add "$NODE_EXT_V6/64" dev ext0 nodad
    ip -n "$(ns gw)" addr add "$GW_INT_V4/24" dev int0
    ip -n "$(ns gw)" addr add "$GW_INT_V6/64" dev int0 nodad
    ip -n "$(ns gw)" addr add "$GW_SRV_V4/24" dev srv0
    ip -n "$(ns gw)" addr add "$GW_SRV_V6/64" dev srv0 nodad
    ip -n "$(ns srv)" addr add "$SRV_V4/24" dev eth0
    ip -n "$(ns srv)" addr add "$SRV_V6/64" dev eth0 nodad

    # routes (the gateway has none towards the pod network: only masqueraded traffic works)
    if [ "$CNI" -eq 0 ]; then
        for i in 1 2 3; do
            ip -n "$(ns pod$i)" route add default via "$NODE_POD_V4"
            ip -n "$(ns pod$i)" -6 route add default via "$NODE_POD_V6"
        done
    fi
    ip -n "$(ns node)" route add default via "$GW_INT_V4"
    ip -n "$(ns node)" -6 route add default via "$GW_INT_V6"
    ip -n "$(ns srv)" route add default via "$GW_SRV_V4"
    ip -n "$(ns srv)" -6 route add default via "$GW_SRV_V6"

    # sysctls, only inside the lab namespaces
    for r in node gw; do
        nsx "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    done
    nsx pod3 sysctl -qw net.ipv4.ip_local_port_range="1024 2047"
    local kv
    for kv in net.netfilter.nf_conntrack_udp_timeout=120 net.netfilter.nf_conntrack_udp_timeout_stream=180 \
              net.netfilter.nf_conntrack_timestamp=1 net.netfilter.nf_conntrack_acct=1; do
        nsx node sysctl -qw "$kv" 2>/dev/null || log "warning: cannot set $kv in $(ns node) (not per-netns here?)"
    done

    # node: the incident's masquerade (no port range); with --cni, the bridge plugin's per pod
    if [ "$CNI" -eq 0 ]; then
        nsx node iptables -t nat -A POSTROUTING -s "$POD_NET_V4" ! -d "$POD_NET_V4" -j MASQUERADE
        nsx node ip6tables -t nat -A POSTROUTING -s "$POD_NET_V6" ! -d "$POD_NET_V6" -j MASQUERADE
    else
        cni_add
        POD_NET_V4=$CNI_NET_V4 POD_NET_V6=$CNI_NET_V6
    fi

    # gateway: the upstream firewall, drops replies (towards the node) to dport 0-32767
    local ipt p
    for ipt in iptables ip6tables; do
        for p in tcp udp; do
            nsx gw "$ipt" -A FORWARD -o int0 -p "$p" --dport "0:$((ALLOWED_LOW - 1))" -j DROP
        done
    done

    # server
    : >"$sd/server.log"
    ip netns exec "$(ns srv)" "$PYTHON" "$PEER" server --tcp-port "$TCP_PORT" --udp-port "$UDP_PORT" \
        --pidfile "$sd/server.pid" </dev/null >>"$sd/server.log" 2>&1 &
    local spid=$! t
    for t in $(seq 1 200); do
        [ -s "$sd/server.pid" ] && break
        kill -0 "$spid" 2>/dev/null || { cat "$sd/server.log" >&2; die "server exited"; }
        sleep 0.025
    done
    [ -s "$sd/server.pid" ] || { cat "$sd/server.log" >&2; die "server did not start"; }

    cat >"$sd/lab.env" <<EOF
PREFIX=$PREFIX
NS_POD1=$(ns pod1)
NS_POD2=$(ns pod2)
NS_POD3=$(ns pod3)
NS_NODE=$(ns node)
NS_GW=$(ns gw)
NS_SRV=$(ns srv)
POD_V4="${POD_V4[*]}"
POD_V6="${POD_V6[*]}"
POD_NET_V4=$POD_NET_V4
POD_NET_V6=$POD_NET_V6
CNI=$CNI
NODE_EXT_V4=$NODE_EXT_V4
NODE_EXT_V6=$NODE_EXT_V6
SRV_V4=$SRV_V4
SRV_V6=$SRV_V6
TCP_PORT=$TCP_PORT
UDP_PORT=$UDP_PORT
ALLOWED_PORTS=$ALLOWED_LOW-65535
SERVER_PID=$(cat "$sd/server.pid")
EOF
    UP_DONE=1
    trap - EXIT INT TERM
    log "up: namespaces $(ns pod1) $(ns pod2) $(ns pod3) $(ns node) $(ns gw) $(ns srv); server pid $(cat "$sd/server.pid")"
}

# ------------------------------------------------------------------------------------- traffic

TRAFFIC_TMP=
POD1_PID= POD2_PID= POD3_PID=
traffic_cleanup() {
    local p
    for p in $POD1_PID $POD2_PID $POD3_PID; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    [ -z "$TRAFFIC_TMP" ] || rm -rf -- "$TRAFFIC_TMP"
}

require_up() {
    local r
    for r in "${ROLES[@]}"; do
        ns_exists "$(ns "$r")" || die "lab '$PREFIX' is not up (no namespace $(ns "$r")): run 'lab.sh up --name $PREFIX'"
    done
}

cmd_traffic() {
    need_root_tools
    require_up
    local sd pid
    sd=$(state_dir)
    pid=$(cat "$sd/server.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || die "server is not running (see $sd/server.log)"

    TRAFFIC_TMP=$(mktemp -d "$sd/traffic.XXXXXX")
    trap traffic_cleanup EXIT
    trap 'exit 130' INT TERM
    local tmp=$TRAFFIC_TMP
    local common=(--server4 "$SRV_V4" --server6 "$SRV_V6" --tcp-port "$TCP_PORT" --udp-port "$UDP_PORT"
                  --timeout "$TIMEOUT")
    local t0
    t0=$(date +%s%N)

    # 1. pod1 takes the source ports and keeps its flows open
    ip netns exec "$(ns pod1)" "$PYTHON" "$PEER" client --pod pod1 --count "$PAIRS" --base-port "$BASE_PORT" \
        "${common[@]}" --ready-file "$tmp/pod1.ready" --release-file "$tmp/release" \
        --hold-max "$(awk -v t="$TIMEOUT" 'BEGIN { print t * 4 + 60 }')" \
        >"$tmp/pod1.out" 2>"$tmp/pod1.err" &
    POD1_PID=$!
    while [ ! -e "$tmp/pod1.ready" ]; do
        if ! kill -0 "$POD1_PID" 2>/dev/null; then
            cat "$tmp/pod1.err" >&2
            die "pod1 client exited before its connections were set up"
        fi
        sleep 0.02
    done

    # 2. pod2 (same source ports -> masquerade remaps) and pod3 (low ephemeral range) meanwhile
    local rc2=0 rc3=0
    ip netns exec "$(ns pod2)" "$PYTHON" "$PEER" client --pod pod2 --count "$PAIRS" --base-port "$BASE_PORT" \
        "${common[@]}" >"$tmp/pod2.out" 2>"$tmp/pod2.err" &
    POD2_PID=$!
    ip netns exec "$(ns pod3)" "$PYTHON" "$PEER" client --pod pod3 --count 2 --no-bind \
        "${common[@]}" >"$tmp/pod3.out" 2>"$tmp/pod3.err" &
    POD3_PID=$!
    wait "$POD2_PID" || rc2=$?
    wait "$POD3_PID" || rc3=$?
    POD2_PID= POD3_PID=

    # 3. release pod1 (its TCP entries then go to TIME_WAIT/CLOSE, UDP ones live on)
    : >"$tmp/release"
    local rc1=0
    wait "$POD1_PID" || rc1=$?
    POD1_PID=

    cat "$tmp/pod1.err" "$tmp/pod2.err" "$tmp/pod3.err" >&2
    cat "$tmp/pod1.out" "$tmp/pod2.out" "$tmp/pod3.out"

    local want=$((PAIRS * 4 * 2 + 2 * 4)) got
    got=$(cat "$tmp/pod1.out" "$tmp/pod2.out" "$tmp/pod3.out" | grep -c '^conn ' || true)
    cat "$tmp/pod1.out" "$tmp/pod2.out" "$tmp/pod3.out" | awk -v ms=$(( ($(date +%s%N) - t0) / 1000000 )) -v pfx="$PREFIX" '
        { pod = ""; res = ""
          for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "pod") pod = kv[2]; if (kv[1] == "result") res = kv[2] }
          n[pod]++; r[pod, res]++; tot++; all[res]++ }
        END {
          s = sprintf("lab[%s]: traffic: %d connections in %.1fs:", pfx, tot, ms / 1000)
          split("pod1 pod2 pod3", pods, " ")
          for (k = 1; k <= 3; k++) { p = pods[k]
            s = s sprintf(" %s ok=%d timeout=%d", p, r[p, "ok"], r[p, "timeout"])
            if (r[p, "error"]) s = s sprintf(" error=%d", r[p, "error"])
            s = s ";" }
          print s > "/dev/stderr" }'
    if grep -q '^conn pod=pod1 .* result=timeout' "$tmp/pod1.out"; then
        log "warning: some pod1 connections timed out (--base-port below 32768, or the port is held by an older flow)"
    fi
    if [ "$rc1" -ne 0 ] || [ "$rc2" -ne 0 ] || [ "$rc3" -ne 0 ] || [ "$got" -ne "$want" ]; then
        die "traffic incomplete: exit codes pod1=$rc1 pod2=$rc2 pod3=$rc3, $got/$want lines"
    fi
}

# -------------------------------------------------------------------------------------- status

cmd_status() {
    local r n up=1 sd pid
    sd=$(state_dir)
    echo "# namespaces ($PREFIX)"
    for r in "${ROLES[@]}"; do
        n=$(ns "$r")
        if ns_exists "$n"; then echo "$n"; else echo "$n (missing)"; up=0; fi
    done
    if [ "$up" -ne 1 ]; then
        echo "# lab '$PREFIX' is not (fully) up"
        return 1
    fi
    pid=$(cat "$sd/server.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "# server pid $pid running (log $sd/server.log)"
    else
        echo "# server NOT running (log $sd/server.log)"
    fi
    echo "# gateway drops (FORWARD -o int0, dport 0:$((ALLOWED_LOW - 1)))"
    nsx gw iptables -L FORWARD -n -v -x | sed 's/^/ipv4 /'
    nsx gw ip6tables -L FORWARD -n -v -x | sed 's/^/ipv6 /'
    if command -v conntrack >/dev/null 2>&1; then
        echo "# conntrack -L -o extended -f ipv4 ($(ns node))"
        nsx node conntrack -L -o extended -f ipv4 2>&1 || true
        echo "# conntrack -L -o extended -f ipv6 ($(ns node))"
        nsx node conntrack -L -o extended -f ipv6 2>&1 || true
    else
        echo "# conntrack(8) not installed: no table listing"
    fi
}

main() {
    parse_args "$@"
    case $CMD in
        up) cmd_up ;;
        traffic) cmd_traffic ;;
        status) cmd_status ;;
        down)
            set +e
            [ "$(id -u)" -eq 0 ] || { log "error: must run as root"; exit 1; }
            cmd_down
            exit 0 ;;
    esac
}

main "$@"
