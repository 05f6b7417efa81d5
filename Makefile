# ctaudit — build, audit this machine, test.
#   make audit   install what is missing, build, audit this machine's conntrack table
#   make test    install what is missing, build, run unit + integration tests
# Integration tests need root (they create and delete their own network
# namespaces); without root they are skipped with a reason.

# The Swift toolchain: on PATH, else the usual /opt/swift install (Debian has
# no Swift package; install one from swift.org and put it on PATH, or set SWIFT=).
SWIFT ?= $(shell command -v swift 2>/dev/null || { [ -x /opt/swift/usr/bin/swift ] && echo /opt/swift/usr/bin/swift; } || echo swift)
PREFIX ?= /usr/local
DESTDIR ?=
AUDIT_ARGS ?=
# Release builds link the Swift runtime and Foundation statically: the binary
# runs on a node without a Swift toolchain (copy it anywhere), and its
# resident memory is ~15 MiB at start instead of ~21 MiB (shared libraries
# touched at load). docs/BENCHMARKS.md measures this build.
RELEASE_FLAGS ?= -c release --static-swift-stdlib

# Debian packages the build needs (all that `make audit` installs) ...
BUILD_PACKAGES := pkg-config libmnl-dev libnetfilter-conntrack-dev libpcap-dev
# ... and what the tests and scripts need on top (lab, differential oracle,
# rule capture, benchmarks, HTML and metrics checks).
APT_PACKAGES := $(BUILD_PACKAGES) \
	iproute2 iptables nftables conntrack util-linux python3 gcc time jq \
	chromium prometheus ipset curl containernetworking-plugins ufw firewalld \
	dpkg-dev binutils systemd lintian debootstrap libcap2-bin tcpdump
# libpcap-dev: `who --pcap` reads capture files; tcpdump: the tests write captures inside test namespaces.
# ufw, firewalld: real firewall managers as the lab's gateway (FirewallManagerLabTests), run only inside
# test namespaces; scripts/install-packages.sh installs them without starting them and checks that the
# root namespace's rules did not change.
# chromium: the HTML report test renders the page headless; prometheus: promtool
# checks the textfile metrics and deploy/ alert rules; curl: the watch --listen tests scrape /metrics;
# containernetworking-plugins: the real CNI bridge/host-local/portmap plugins attach the lab's pods
# (scripts/lab.sh --cni, CNILabTests) and make the cni-bridge-portmap rule fixture.
# dpkg-dev, binutils: make deb (dpkg-shlibdeps, strip); systemd: systemd-analyze verify on the units;
# lintian: the package's lint; debootstrap: the image's runtime stage as a root filesystem
# (scripts/image/rootfs.py); libcap2-bin: setcap, as the image sets ctaudit's file capabilities.
# PyPI: kubernetes-validate checks deploy/ manifests offline (no cluster); helm-python-sdk is
# Helm's own Go code as a library (helm lint/template without the helm CLI: scripts/helm-sdk.py).
# Each as "package:module-or-command".
PIP_PACKAGES := kubernetes-validate:kubernetes-validate helm-python-sdk:helm_python

MANDIR ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: lint all deps test-deps install-packages swift-check build release audit test unit clean share install stripped runtime-deps deb deb-deps deb-test

all: build

# Installs only what is missing: the build's packages ...
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(BUILD_PACKAGES)"

# ... or everything the tests use.
test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES)"
	@for entry in $(PIP_PACKAGES); do \
		p=$${entry%%:*}; m=$${entry#*:}; \
		{ command -v $$m >/dev/null 2>&1 || python3 -c "import $$m" >/dev/null 2>&1; } \
			|| { echo "installing from PyPI: $$p (pip; with --break-system-packages if this Python is externally managed)"; \
				python3 -m pip install -q $$p 2>/dev/null \
				|| python3 -m pip install -q --break-system-packages $$p; }; \
	done

install-packages:
	@scripts/install-packages.sh $(PACKAGES)

# One clear line instead of "swift: not found" deep in a recipe.
swift-check:
	@$(SWIFT) --version >/dev/null 2>&1 || { echo "make: no Swift toolchain ($(SWIFT)): install Swift 6 from swift.org and put it on PATH, or run make SWIFT=/path/to/swift" >&2; exit 3; }

build: deps swift-check
	$(SWIFT) build $(RELEASE_FLAGS)

# make exits 0 when ctaudit does; on any other code it says "Error N" and exits 2.
# For ctaudit's own code (0 clean, 1 violations, 2 usage, 3 environment) run .build/release/ctaudit.
audit: build
	$(SUDO) .build/release/ctaudit audit $(AUDIT_ARGS)

# Our targets build with warnings as errors (SwiftPM compiles the remote
# dependencies with -suppress-warnings and drops this flag for them, so their
# warnings cannot fail it). A different flag set rebuilds everything once.
WARNINGS_AS_ERRORS := -Xswiftc -warnings-as-errors

test: test-deps swift-check
	$(SWIFT) build --build-tests $(WARNINGS_AS_ERRORS)
	$(SUDO) env PATH="$(PATH)" $(SWIFT) test --skip-build

# swift-format (ships with the toolchain) with the repository's .swift-format;
# CI fails on any finding. `swift format format -i -r Sources Tests Package.swift`
# fixes what it reports.
lint: swift-check
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

# The Debian packages the release binary needs on a node, from ldd (README lists them).
runtime-deps: build
	@scripts/runtime-deps.sh .build/release/ctaudit

# Unit tests only: no root, no namespaces.
unit: deps swift-check
	$(SWIFT) test --skip IntegrationTests

# Man page and bash/zsh/fish completions, generated from the argument parser.
share: build
	$(SWIFT) build $(RELEASE_FLAGS) --product generate-manual
	scripts/gen-share.sh .build/release/ctaudit .build/share "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/generate-manual"

# The release binary without symbols (about a third smaller; docs/BENCHMARKS.md
# has the sizes) and its symbols beside it: the one strip step, which
# make deb's scripts/deb/build.sh runs too.
STRIPPED_DIR := .build/release/stripped
stripped: build
	scripts/strip-binary.sh .build/release/ctaudit $(STRIPPED_DIR)/ctaudit $(STRIPPED_DIR)/ctaudit.debug
	@ls -l $(STRIPPED_DIR)/ctaudit $(STRIPPED_DIR)/ctaudit.debug | awk '{ printf "make: %s %.1f MiB\n", $$NF, $$5 / 1048576 }'

# The stripped binary; INSTALL_DEBUG=1 also installs its symbols where gdb
# looks for them (DEBUGDIR, default /usr/lib/debug, + the binary's directory).
DEBUGDIR ?= /usr/lib/debug
INSTALL_DEBUG ?=
install: share stripped
	install -D -m 0755 $(STRIPPED_DIR)/ctaudit $(DESTDIR)$(PREFIX)/bin/ctaudit
	if [ -n "$(INSTALL_DEBUG)" ]; then install -D -m 0644 $(STRIPPED_DIR)/ctaudit.debug $(DESTDIR)$(DEBUGDIR)$(PREFIX)/bin/ctaudit.debug; fi
	install -D -m 0644 .build/share/man/ctaudit.8 $(DESTDIR)$(MANDIR)/man8/ctaudit.8
	install -D -m 0644 .build/share/completions/ctaudit.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/ctaudit
	install -D -m 0644 .build/share/completions/_ctaudit $(DESTDIR)$(ZSH_COMPLETION_DIR)/_ctaudit
	install -D -m 0644 .build/share/completions/ctaudit.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/ctaudit.fish

# The Debian package: .build/deb/ctaudit_VERSION_ARCH.deb (stripped binary,
# man page, completions, conffiles, systemd units; Depends from
# dpkg-shlibdeps) and the binary's symbols in .build/deb/ctaudit_VERSION_ARCH.debug.
DEB_PACKAGES := dpkg-dev binutils
deb-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES)"

deb: deb-deps share
	@mkdir -p .build/deb
	scripts/deb/build.sh .build/release/ctaudit .build/share .build/deb

# Installs the package with dpkg -i, checks it (files, conffiles, Depends,
# systemd-analyze verify, lintian), runs the installed binary, and purges it
# (CI runs this; it changes the machine's package set while it runs).
deb-test: deb
	scripts/deb/check.sh .build/deb/ctaudit_*_$$(dpkg --print-architecture).deb

clean:
	rm -rf .build
