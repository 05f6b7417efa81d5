# ctaudit — build, audit this machine, test.
#   make audit   install what is missing, build, audit this machine's conntrack table
#   make test    install what is missing, build, run unit + integration tests
# Integration tests need root (they create and delete their own network
# namespaces); without root they are skipped with a reason.

SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
AUDIT_ARGS ?=

# Debian packages the build needs (all that `make audit` installs) ...
BUILD_PACKAGES := pkg-config libmnl-dev libnetfilter-conntrack-dev
# ... and what the tests and scripts need on top (lab, differential oracle,
# rule capture, benchmarks, HTML and metrics checks).
APT_PACKAGES := $(BUILD_PACKAGES) \
	iproute2 iptables nftables conntrack util-linux python3 gcc time jq \
	chromium prometheus ipset
# chromium: the HTML report test renders the page headless; prometheus: promtool
# checks the textfile metrics and deploy/ alert rules. PyPI: kubernetes-validate
# checks deploy/ manifests offline (no cluster).
PIP_PACKAGES := kubernetes-validate

MANDIR ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build release audit test unit clean share install

all: build

# Installs only what is missing: the build's packages ...
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(BUILD_PACKAGES)"

# ... or everything the tests use.
test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES)"
	@for p in $(PIP_PACKAGES); do \
		command -v $$p >/dev/null 2>&1 || python3 -m pip install -q $$p 2>/dev/null \
			|| python3 -m pip install -q --break-system-packages $$p; \
	done

install-packages:
	@missing=""; \
	for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

# Exit status is ctaudit's: 0 clean, 1 violations found, 2 usage, 3 environment.
audit: build
	$(SUDO) .build/release/ctaudit audit $(AUDIT_ARGS)

test: test-deps
	$(SWIFT) build --build-tests
	$(SUDO) $(SWIFT) test --skip-build

# Unit tests only: no root, no namespaces.
unit: deps
	$(SWIFT) test --skip IntegrationTests

# Man page and bash/zsh/fish completions, generated from the argument parser.
share: build
	$(SWIFT) build -c release --product generate-manual
	scripts/gen-share.sh .build/release/ctaudit .build/share "$$($(SWIFT) build -c release --show-bin-path)/generate-manual"

install: share
	install -D -m 0755 .build/release/ctaudit $(DESTDIR)$(PREFIX)/bin/ctaudit
	install -D -m 0644 .build/share/man/ctaudit.8 $(DESTDIR)$(MANDIR)/man8/ctaudit.8
	install -D -m 0644 .build/share/completions/ctaudit.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/ctaudit
	install -D -m 0644 .build/share/completions/_ctaudit $(DESTDIR)$(ZSH_COMPLETION_DIR)/_ctaudit
	install -D -m 0644 .build/share/completions/ctaudit.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/ctaudit.fish

clean:
	rm -rf .build
