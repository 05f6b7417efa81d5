#!/bin/sh
# Installs the Debian packages given that are not installed yet (make deps /
# make test-deps), without letting any of them change the host's firewall.
#
# ufw and firewalld are firewall managers the integration tests run inside
# their own network namespaces (scripts/firewall-manager.sh). Installing them
# must not start or enable them on the host: a started firewalld would
# rewrite the root namespace's rules (and drop incoming traffic). So, for the
# time of the install, services are not started (a policy-rc.d that says
# "forbidden", honoured by invoke-rc.d and deb-systemd-invoke), firewalld is
# masked on systemd hosts (it stays masked: it must not start on a reboot of
# a CI machine either), and the root namespace's iptables-save,
# ip6tables-save and `nft list ruleset` are compared before and after: any
# difference fails the install with the diff.
set -eu
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
missing=
for package in "$@"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -n "$missing" ] || exit 0
echo "installing:$missing"

rules() {
    { $SUDO iptables-save; $SUDO ip6tables-save; $SUDO nft list ruleset; } 2>/dev/null | grep -v '^#' || true
}
scratch=$(mktemp -d)
placed_policy=
cleanup() {
    [ -z "$placed_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
    rm -rf "$scratch"
}
trap cleanup EXIT INT TERM
rules >"$scratch/before"
case " $missing " in
*" ufw "*|*" firewalld "*)
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# ctaudit scripts/install-packages.sh: no service starts during this install\nexit 101\n' \
            | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod 0755 /usr/sbin/policy-rc.d
        placed_policy=yes
    fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        $SUDO systemctl mask firewalld.service >/dev/null 2>&1 || true
    fi
    ;;
esac
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
rules >"$scratch/after"
if ! diff -u "$scratch/before" "$scratch/after" >&2; then
    echo "install-packages: installing$missing changed the root namespace's firewall rules (diff above)" >&2
    exit 1
fi
