#!/usr/bin/env bash
# Builds ctaudit_VERSION_ARCH.deb with dpkg-deb from a release build
# (`make deb` runs this after `make share`):
#
#   scripts/deb/build.sh BINARY SHARE_DIR OUT_DIR
#
# BINARY is the release ctaudit (static Swift runtime); SHARE_DIR holds
# man/ctaudit.8 and completions/ from scripts/gen-share.sh. The package has:
#   /usr/bin/ctaudit                     stripped; the symbols go to
#                                        OUT_DIR/ctaudit_VERSION_ARCH.debug (gnu-debuglink)
#   /usr/share/man/man8/ctaudit.8.gz, bash/zsh/fish completions
#   /etc/ctaudit/config.yaml, /etc/default/ctaudit     conffiles
#   /lib/systemd/system/ctaudit-audit.{service,timer}, ctaudit-watch.service
#   /usr/lib/tmpfiles.d/ctaudit.conf     node_exporter's textfile directory
# Depends: what dpkg-shlibdeps derives from the binary's NEEDED libraries
# (the same ones ldd lists). Needs dpkg-dev, binutils or the Swift toolchain's llvm-objcopy.
set -euo pipefail
binary=${1:?usage: build.sh BINARY SHARE_DIR OUT_DIR}
share=${2:?usage: build.sh BINARY SHARE_DIR OUT_DIR}
out=${3:?usage: build.sh BINARY SHARE_DIR OUT_DIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
debian="$root/deploy/debian"

for tool in dpkg-deb dpkg-shlibdeps dpkg-architecture gzip; do
    command -v "$tool" >/dev/null || { echo "deb: $tool is missing: apt-get install dpkg-dev" >&2; exit 3; }
done
version=$("$binary" --version)
arch=$(dpkg --print-architecture)
name="ctaudit_${version}_${arch}"
stage="$out/$name"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin"

# Strip: debug info and symbols into a separate file, linked by name and CRC
# (the same step as make install's).
"$root/scripts/strip-binary.sh" "$binary" "$stage/usr/bin/ctaudit" "$out/$name.debug"

# argument-parser's page has blank lines, which groff warns about (mdoc
# spaces paragraphs with .Pp); the bash script's #! is pointless in a file
# bash-completion sources.
install -d "$stage/usr/share/man/man8" "$stage/usr/share/bash-completion/completions"
sed '/^$/d' "$share/man/ctaudit.8" > "$stage/usr/share/man/man8/ctaudit.8"
gzip -9n "$stage/usr/share/man/man8/ctaudit.8"
sed '1{/^#!/d}' "$share/completions/ctaudit.bash" > "$stage/usr/share/bash-completion/completions/ctaudit"
chmod 0644 "$stage/usr/share/man/man8/ctaudit.8.gz" "$stage/usr/share/bash-completion/completions/ctaudit"
install -D -m 0644 "$share/completions/_ctaudit" "$stage/usr/share/zsh/vendor-completions/_ctaudit"
install -D -m 0644 "$share/completions/ctaudit.fish" "$stage/usr/share/fish/vendor_completions.d/ctaudit.fish"
install -D -m 0644 "$root/deploy/config.yaml" "$stage/etc/ctaudit/config.yaml"
install -D -m 0644 "$debian/default" "$stage/etc/default/ctaudit"
for unit in ctaudit-audit.service ctaudit-audit.timer ctaudit-watch.service; do
    install -D -m 0644 "$debian/$unit" "$stage/lib/systemd/system/$unit"
done
install -D -m 0644 "$debian/tmpfiles.conf" "$stage/usr/lib/tmpfiles.d/ctaudit.conf"
install -D -m 0644 "$debian/README.Debian" "$stage/usr/share/doc/ctaudit/README.Debian"
install -D -m 0644 "$debian/copyright" "$stage/usr/share/doc/ctaudit/copyright"
date=$(git -C "$root" log -1 --format=%aD 2>/dev/null || date -R)
printf 'ctaudit (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- ctaudit maintainers <ctaudit@example.org>  %s\n' \
    "$version" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo 'a source tree')" "$date" \
    | gzip -9n > "$stage/usr/share/doc/ctaudit/changelog.gz"
chmod 0644 "$stage/usr/share/doc/ctaudit/changelog.gz"
for script in postinst prerm postrm; do
    install -m 0755 "$debian/$script" "$stage/DEBIAN/$script"
done
printf '/etc/ctaudit/config.yaml\n/etc/default/ctaudit\n' > "$stage/DEBIAN/conffiles"

# Depends from the binary's NEEDED entries, as dpkg-shlibdeps resolves them
# to the packages that own the libraries (ldd's list, with versions).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: ctaudit\n\nPackage: ctaudit\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -e"$stage/usr/bin/ctaudit" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependencies for $stage/usr/bin/ctaudit" >&2; exit 3; }

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: ctaudit
Version: $version
Architecture: $arch
Maintainer: ctaudit maintainers <ctaudit@example.org>
Installed-Size: $size
Depends: $depends
Recommends: nftables | iptables
Suggests: prometheus-node-exporter
Section: net
Priority: optional
Homepage: https://github.com/example/ctaudit
Description: finds pod flows whose SNAT source port an upstream firewall drops
 ctaudit reads the conntrack table over netlink, finds flows from pod
 networks that were source-NATed, and reports every one whose translated
 source port is outside the upstream firewall's allowed range, with the
 evidence and the exact fix. It also checks NAT rules before a node goes
 live (check), follows conntrack events (watch) and writes Prometheus
 textfiles; ctaudit-audit.timer runs it every minute for node_exporter.
CONTROL
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/$name.deb" >/dev/null
echo "$out/$name.deb"
