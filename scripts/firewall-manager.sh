#!/usr/bin/env bash
# Runs a real firewall manager (Debian's ufw or firewalld) inside a network
# namespace, configured as the gateway of the lab (scripts/lab.sh), and leaves
# its rules there. Nothing outside that namespace changes:
#
#   * The manager runs in a private mount namespace (unshare -m) where its
#     configuration directories are bind mounts of scratch copies: ufw writes
#     /etc/ufw, /etc/default/ufw (and could write /lib/ufw), firewalld writes
#     /etc/firewalld; the host's files are never opened for writing.
#   * firewalld talks D-Bus: it gets a private dbus-daemon (system-bus type,
#     its own socket in the scratch directory, no service activation), found
#     through DBUS_SYSTEM_BUS_ADDRESS. The host's bus (if any) is never used.
#     firewalld runs with CleanupOnExit=no in the scratch copy, so its rules
#     stay in the namespace after it is stopped.
#   * Guard: the root namespace's iptables-save, ip6tables-save and
#     `nft list ruleset`, and checksums of /etc/ufw, /etc/default/ufw, /lib/ufw
#     and /etc/firewalld, are taken before and after; any difference is an
#     error (exit 1) that names what changed.
#
#   scripts/firewall-manager.sh ufw       NETNS INSIDE_IF OUTSIDE_IF
#   scripts/firewall-manager.sh firewalld NETNS INSIDE_IF OUTSIDE_IF [nftables|iptables]
#   scripts/firewall-manager.sh guard-snapshot FILE     # what the guard compares
#
# INSIDE_IF faces the node (the lab gateway's int0), OUTSIDE_IF the servers
# (srv0). Both are configured the way a user makes a gateway with the tool:
#   ufw:       defaults (incoming deny, routed deny), `ufw route allow in on
#              INSIDE_IF out on OUTSIDE_IF`, `ufw --force enable`
#   firewalld: INSIDE_IF in zone internal, OUTSIDE_IF in zone external
#              (masquerade off, so the gateway does not NAT a second time), a
#              policy internal -> external with target ACCEPT; backend as given
# Needs root, iproute2, util-linux (unshare), and the ufw/firewalld packages.
set -euo pipefail

die() { echo "firewall-manager: $*" >&2; exit 1; }

# Everything the guard compares, in one text: rules of the root namespace
# (comments with timestamps dropped) and checksums of the managers' files.
guard_snapshot() {
    {
        echo "## iptables-save"; iptables-save 2>/dev/null | grep -v '^#' || true
        echo "## ip6tables-save"; ip6tables-save 2>/dev/null | grep -v '^#' || true
        echo "## nft list ruleset"; nft list ruleset 2>/dev/null || true
        local path
        for path in /etc/ufw /etc/default/ufw /lib/ufw /etc/firewalld; do
            echo "## $path"
            if [ -e "$path" ]; then
                find "$path" -xdev \( -type f -o -type l \) -print0 | sort -z \
                    | xargs -0 -r sha256sum 2>/dev/null || true
            fi
        done
    }
}

[ $# -ge 1 ] || die "usage: firewall-manager.sh ufw|firewalld NETNS INSIDE_IF OUTSIDE_IF [backend] | guard-snapshot FILE"
[ "$(id -u)" -eq 0 ] || die "must run as root"
TOOL=$1
if [ "$TOOL" = guard-snapshot ]; then
    [ $# -eq 2 ] || die "usage: firewall-manager.sh guard-snapshot FILE"
    guard_snapshot >"$2"
    exit 0
fi
[ $# -ge 4 ] || die "usage: firewall-manager.sh $TOOL NETNS INSIDE_IF OUTSIDE_IF"
NETNS=$2 INSIDE=$3 OUTSIDE=$4 BACKEND=${5:-nftables}
[ -e "/run/netns/$NETNS" ] || die "no network namespace $NETNS"
case $BACKEND in nftables|iptables) ;; *) die "backend must be nftables or iptables" ;; esac

SCRATCH=$(mktemp -d /tmp/ctaudit-fwmgr.XXXXXX)
cleanup() { rm -rf -- "$SCRATCH"; }
trap cleanup EXIT
guard_snapshot >"$SCRATCH/before"

# The part that runs in the private mount namespace.
cat >"$SCRATCH/inside.sh" <<'EOF'
set -euo pipefail
TOOL=$1 NETNS=$2 INSIDE=$3 OUTSIDE=$4 BACKEND=$5 SCRATCH=$6
in_ns() { ip netns exec "$NETNS" "$@"; }
case $TOOL in
ufw)
    command -v ufw >/dev/null || { echo "ufw is not installed (apt-get install ufw)" >&2; exit 3; }
    cp -a /etc/ufw "$SCRATCH/etc-ufw"
    cp -a /etc/default/ufw "$SCRATCH/default-ufw"
    cp -a /lib/ufw "$SCRATCH/lib-ufw"
    mount --bind "$SCRATCH/etc-ufw" /etc/ufw
    mount --bind "$SCRATCH/default-ufw" /etc/default/ufw
    mount --bind "$SCRATCH/lib-ufw" /lib/ufw
    in_ns ufw route allow in on "$INSIDE" out on "$OUTSIDE" >/dev/null
    in_ns ufw --force enable >/dev/null
    ;;
firewalld)
    command -v firewalld >/dev/null || { echo "firewalld is not installed (apt-get install firewalld)" >&2; exit 3; }
    cp -a /etc/firewalld "$SCRATCH/etc-firewalld"
    conf="$SCRATCH/etc-firewalld/firewalld.conf"
    sed -i -e 's/^CleanupOnExit=.*/CleanupOnExit=no/' -e "s/^FirewallBackend=.*/FirewallBackend=$BACKEND/" "$conf"
    grep -q '^CleanupOnExit=no' "$conf" || echo CleanupOnExit=no >>"$conf"
    mount --bind "$SCRATCH/etc-firewalld" /etc/firewalld
    # A private system bus: its own socket, root only, no service activation.
    cat >"$SCRATCH/bus.conf" <<BUS
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$SCRATCH/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
BUS
    dbus-daemon --config-file="$SCRATCH/bus.conf" --nofork --nopidfile 2>"$SCRATCH/dbus.log" &
    bus=$!
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$SCRATCH/bus.sock"
    for _ in $(seq 100); do [ -S "$SCRATCH/bus.sock" ] && break; sleep 0.05; done
    in_ns firewalld --nofork --nopid --log-target console >"$SCRATCH/firewalld.log" 2>&1 &
    daemon=$!
    stop() {
        kill -TERM "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true
        kill -TERM "$bus" 2>/dev/null || true; wait "$bus" 2>/dev/null || true
    }
    trap stop EXIT
    state=
    for _ in $(seq 150); do
        state=$(in_ns firewall-cmd --state 2>/dev/null || true)
        [ "$state" = running ] && break
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.1
    done
    if [ "$state" != running ]; then
        cat "$SCRATCH/firewalld.log" >&2
        echo "firewalld did not start" >&2
        exit 1
    fi
    fw() { in_ns firewall-cmd --permanent "$@" >/dev/null; }
    fw --zone=internal --add-interface="$INSIDE"
    fw --zone=external --add-interface="$OUTSIDE"
    fw --zone=external --remove-masquerade
    fw --new-policy=ctaudit-out
    fw --policy=ctaudit-out --add-ingress-zone=internal
    fw --policy=ctaudit-out --add-egress-zone=external
    fw --policy=ctaudit-out --set-target=ACCEPT
    in_ns firewall-cmd --reload >/dev/null
    in_ns firewall-cmd --get-active-zones >&2
    ;;
*)
    echo "unknown tool $TOOL (ufw or firewalld)" >&2
    exit 2
    ;;
esac
EOF

rc=0
unshare --mount --propagation private bash "$SCRATCH/inside.sh" "$TOOL" "$NETNS" "$INSIDE" "$OUTSIDE" "$BACKEND" "$SCRATCH" || rc=$?
guard_snapshot >"$SCRATCH/after"
if ! diff -u "$SCRATCH/before" "$SCRATCH/after" >&2; then
    die "the root namespace or the host's $TOOL files changed (diff above): this must never happen"
fi
exit "$rc"
