#!/bin/sh
# Generates ctaudit's man page and shell completions from its argument parser,
# so they never drift from --help.
#
#   scripts/gen-share.sh CTAUDIT_BINARY OUTDIR [GENERATE_MANUAL_BINARY]
#
# OUTDIR/man/ctaudit.8, OUTDIR/completions/{ctaudit.bash,_ctaudit,ctaudit.fish}.
# The man page comes from swift-argument-parser's generate-manual tool (built
# offline from the package's own dependency: `swift build --product
# generate-manual`); without it, a plain page is made from --help.
set -eu
bin=$1
out=$2
generate_manual=${3:-}
# Reproducible: the date of the last commit, not today's.
date=$(git log -1 --format=%cs 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u +%Y-%m-%d)

mkdir -p "$out/man" "$out/completions"
"$bin" --generate-completion-script bash > "$out/completions/ctaudit.bash"
"$bin" --generate-completion-script zsh > "$out/completions/_ctaudit"
"$bin" --generate-completion-script fish > "$out/completions/ctaudit.fish"

if [ -n "$generate_manual" ] && [ -x "$generate_manual" ]; then
	"$generate_manual" "$bin" --section 8 --date "$date" --output-directory "$out/man"
else
	{
		printf '.TH CTAUDIT 8 "%s" "ctaudit %s" "System Administration"\n' "$date" "$("$bin" --version)"
		printf '.SH NAME\nctaudit \\- find pod connections whose SNAT source port an upstream firewall drops\n'
		# Every subcommand the root --help lists (audit, merge, and whatever is added later).
		subcommands=$("$bin" --help | awk '/^SUBCOMMANDS:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on=0}')
		for command in "" $subcommands; do
			if [ -z "$command" ]; then printf '.SH DESCRIPTION\n'; else printf '.SH "ctaudit %s"\n' "$command"; fi
			printf '.nf\n'
			# shellcheck disable=SC2086
			"$bin" $command --help | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"
			printf '.fi\n'
		done
	} > "$out/man/ctaudit.8"
fi
echo "generated $out/man/ctaudit.8 and $out/completions/{ctaudit.bash,_ctaudit,ctaudit.fish}"
