#!/usr/bin/env bash
# Checks a built ctaudit .deb the way an operator meets it, then removes it:
#   scripts/deb/check.sh PATH.deb      (root; `make deb-test`, CI)
# 1. contents: a stripped binary under the size bound, the man page, the
#    completions, the units, the conffiles; Depends from dpkg-shlibdeps;
# 2. dpkg -i; the installed binary runs (--version, --help, check offline);
# 3. systemd-analyze verify on the installed units;
# 4. lintian, when it is installed (errors fail; warnings are printed);
# 5. dpkg --purge, and nothing of the package is left on disk.
# Refuses to run when ctaudit is already installed from a package.
set -euo pipefail
deb=${1:?usage: check.sh PATH.deb}
[ "$(id -u)" = 0 ] || { echo "deb-check: needs root (dpkg -i)" >&2; exit 3; }
# The size bound for the stripped binary (MiB): the measured size with room
# to grow, so that an accidental debug or static-library bloat is caught.
max_mib=${CTAUDIT_DEB_MAX_BINARY_MIB:-64}
fail() { echo "deb-check: FAIL: $*" >&2; exit 1; }
if dpkg-query -W -f='${Status}' ctaudit 2>/dev/null | grep -q "install ok installed"; then
    echo "deb-check: ctaudit is already installed as a package; not touching it" >&2
    exit 3
fi
work=$(mktemp -d)
installed=0
cleanup() {
    [ "$installed" = 1 ] && dpkg --purge ctaudit >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== contents of $(basename "$deb")"
dpkg-deb --contents "$deb" | awk '{print $6}' > "$work/files"
for path in ./usr/bin/ctaudit ./usr/share/man/man8/ctaudit.8.gz ./usr/share/bash-completion/completions/ctaudit \
            ./usr/share/zsh/vendor-completions/_ctaudit ./usr/share/fish/vendor_completions.d/ctaudit.fish \
            ./etc/ctaudit/config.yaml ./etc/default/ctaudit ./lib/systemd/system/ctaudit-audit.service \
            ./lib/systemd/system/ctaudit-audit.timer ./lib/systemd/system/ctaudit-watch.service \
            ./usr/share/doc/ctaudit/copyright; do
    grep -qx "$path" "$work/files" || fail "$path is not in the package"
done
dpkg-deb --field "$deb" Depends | tee "$work/depends"
for library in libnetfilter-conntrack3 libmnl0 libc6; do
    grep -q "$library" "$work/depends" || fail "Depends lacks $library"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles > "$work/conffiles"
grep -qx /etc/ctaudit/config.yaml "$work/conffiles" || fail "/etc/ctaudit/config.yaml is not a conffile"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./usr/bin/ctaudit ./usr/share/man/man8/ctaudit.8.gz
bytes=$(stat -c %s "$work/usr/bin/ctaudit")
echo "stripped binary: $bytes bytes ($((bytes / 1048576)) MiB; bound $max_mib MiB)"
[ "$bytes" -lt $((max_mib * 1048576)) ] || fail "the binary is $bytes bytes, over $max_mib MiB"
if readelf -S "$work/usr/bin/ctaudit" | grep -Eq '\.debug_|\.symtab'; then fail "the binary is not stripped"; fi
readelf -S "$work/usr/bin/ctaudit" | grep -q gnu_debuglink || fail "no .gnu_debuglink to the separate debug file"
zcat "$work/usr/share/man/man8/ctaudit.8.gz" > "$work/ctaudit.8"
grep -q '^\.Dt CTAUDIT 8' "$work/ctaudit.8" || fail "the man page is not an mdoc page for ctaudit(8)"

echo "== dpkg -i"
dpkg -i "$deb"
installed=1
/usr/bin/ctaudit --version
/usr/bin/ctaudit check --help > "$work/help.txt"
grep -q "EXIT STATUS" "$work/help.txt" || fail "ctaudit check --help"
# An offline check: no kernel, the installed binary and its libraries only.
printf '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE\nCOMMIT\n' > "$work/nat.rules"
set +e
/usr/bin/ctaudit check --iptables-save "$work/nat.rules" --pod-cidr 10.244.0.0/16 --no-config > "$work/check.txt"
status=$?
set -e
[ "$status" = 1 ] || fail "ctaudit check on a plain MASQUERADE rule exited $status, not 1 (at risk)"
grep -q "at risk" "$work/check.txt" || fail "check did not say at risk: $(head -3 "$work/check.txt")"
man -l /usr/share/man/man8/ctaudit.8.gz >/dev/null 2>&1 || echo "deb-check: (man not installed: page not rendered)"

echo "== systemd-analyze verify"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (apt-get install systemd)"
# --man=no: the Documentation= man page check needs man-db; the page itself was checked above.
systemd-analyze verify --man=no /lib/systemd/system/ctaudit-audit.service /lib/systemd/system/ctaudit-audit.timer \
    /lib/systemd/system/ctaudit-watch.service 2>&1 | tee "$work/verify"
[ ! -s "$work/verify" ] || fail "systemd-analyze verify reported the above"

echo "== lintian"
if command -v lintian >/dev/null; then
    # Errors fail; the tags below are decisions (docs/DEPLOY.md), not oversights.
    set +e
    lintian --tag-display-limit 0 --suppress-tags statically-linked-binary,embedded-library,no-manual-page \
        "$deb" > "$work/lintian" 2>&1
    set -e
    cat "$work/lintian"
    if grep -q '^E: ' "$work/lintian"; then fail "lintian reported errors"; fi
else
    echo "deb-check: lintian is not installed; skipped"
fi

echo "== dpkg --purge"
dpkg-query -L ctaudit > "$work/installed-paths"
dpkg --purge ctaudit
installed=0
left=""
while read -r path; do
    [ -e "$path" ] || continue
    [ -d "$path" ] && continue   # shared directories (/usr/bin, /etc) stay
    left="$left $path"
done < "$work/installed-paths"
[ -z "$left" ] || fail "left on disk after purge:$left"
for path in /etc/ctaudit /etc/systemd/system/timers.target.wants/ctaudit-audit.timer /var/lib/systemd/deb-systemd-helper-enabled/ctaudit-audit.timer.dsh-also; do
    [ ! -e "$path" ] || fail "$path left after purge"
done
echo "deb-check: $(basename "$deb") passed"
