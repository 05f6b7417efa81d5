#!/usr/bin/env bash
# bench.sh — compare ctaudit with the raw netlink dump floor and the conntrack
# CLI on synthetic conntrack tables of several sizes.
#
#   sudo scripts/bench/bench.sh [--sizes "10000 100000 1000000"] [--runs 5]
#                               [--ctaudit PATH] [--seed 1]
#
# For each size: a fresh network namespace is filled with ctfill (about half
# of the entries source-NATed, 3% with a translated port outside 32768-65535,
# IPv4/IPv6 80/20, TCP/UDP), then each tool runs --runs times on the same
# table; the median wall time and median peak RSS are reported:
#   (a) ctdump-raw                       full dump, nothing decoded (floor)
#   (b) ctdump-raw --status-filter       kernel keeps only IPS_SRC_NAT entries
#   (c) ctaudit audit                    kernel filter on (the default), text
#       and --format json (every violation listed)
#   (d) ctaudit audit --no-kernel-filter  text and json
#       (both with --no-config --no-pods and the filler's pod CIDRs, so that
#       the host's own config and pods do not change the numbers)
#   (e) conntrack -L -o extended --src-nat
#   (f) conntrack -L | awk               same audit done in awk on the text
# (c)/(d) are skipped with a note when the ctaudit binary is missing.
# Correctness: ctaudit's .summary.violations == the awk count == ctfill's V.
#
# Needs root, gcc, pkg-config, libmnl-dev, libnetfilter-conntrack-dev,
# conntrack, iproute2, jq, and GNU time at /usr/bin/time (Debian package
# `time`: apt-get install time). Peak RSS is GNU time's %M: for a pipeline
# it is the largest single process of it, not the sum.
#
# Nothing outside the namespaces it creates is touched, except the global
# net.netfilter.nf_conntrack_max (per-namespace tables are capped by it),
# which is raised only when a size needs it and always restored on exit.
# The C helpers are compiled into scripts/bench/.build (or $CTBENCH_BUILD).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SIZES="10000 100000 1000000"
RUNS=5
SEED=1
CTAUDIT=$(cd "$HERE/../.." && pwd)/.build/release/ctaudit
TIME_BIN=/usr/bin/time

. "$HERE/bench-common.sh"
bench_options 2,8 --sizes SIZES --runs RUNS --ctaudit CTAUDIT --seed SEED -- "$@"
bench_start gcc pkg-config conntrack ip jq awk
"$TIME_BIN" -f '%e %M' -o /dev/null true 2>/dev/null ||
	die "GNU time not found at $TIME_BIN (apt-get install time)"
bench_build ctfill "$HERE/ctfill.c" libmnl
bench_build ctdump-raw "$HERE/ctdump-raw.c" libnetfilter_conntrack libmnl
HAVE_CTAUDIT=1
if [ ! -x "$CTAUDIT" ]; then
	HAVE_CTAUDIT=0
	log "ctaudit not found at $CTAUDIT: (c)/(d) skipped (build: swift build -c release)"
fi

# The audit done on conntrack's text output. The first src/sport are the
# original tuple, the second dst/dport the reply tuple. Source NAT changed
# the reply's destination (address or port) away from the original source;
# that stands in for IPS_SRC_NAT, which the text output does not show.
cat > "$WORK/audit.awk" <<'EOF'
{
	ns = nd = nsp = ndp = 0; osrc = rdst = osp = rdp = ""
	for (i = 1; i <= NF; i++) {
		p = index($i, "="); if (!p) continue
		k = substr($i, 1, p - 1); v = substr($i, p + 1)
		if (k == "src" && ++ns == 1) osrc = v
		else if (k == "dst" && ++nd == 2) rdst = v
		else if (k == "sport" && ++nsp == 1) osp = v
		else if (k == "dport" && ++ndp == 2) rdp = v
	}
	if (rdst == "" || (osrc == rdst && osp == rdp)) next
	snat++
	if (rdp != "" && (rdp + 0 < 32768 || rdp + 0 > 65535)) viol++
}
END { printf "snat=%d violations=%d\n", snat, viol }
EOF

# measure LABEL CMD... : RUNS runs; appends "label wall_s rss_kib" to $WORK/rows
# (tab-separated) and leaves the last run's stdout/stderr in $WORK/out, $WORK/err, exit in $RC.
# Wall time is taken around GNU time with ns resolution (its %e has only
# 10 ms); the ~1 ms it adds is the same for every tool.
measure() {
	local label=$1; shift
	: > "$WORK/walls"; : > "$WORK/rsss"
	for _ in $(seq "$RUNS"); do
		local t0 t1
		t0=$(date +%s%N)
		RC=0
		"$TIME_BIN" -f '%e %M' -o "$WORK/time" "$@" > "$WORK/out" 2> "$WORK/err" || RC=$?
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 ))" | awk '{printf "%.6f\n", $1 / 1e6}' >> "$WORK/walls"
		tail -n 1 "$WORK/time" | awk '{print $2}' >> "$WORK/rsss"
	done
	printf '%s\t%s\t%s\t%s\n' "$SIZE" "$label" "$(median < "$WORK/walls")" "$(median < "$WORK/rsss")" >> "$WORK/rows"
}

CHECKS=()
FAILED=0
check() { # check SIZE DESCRIPTION EXPECTED ACTUAL
	if [ "$3" = "$4" ]; then CHECKS+=("| $1 | $2 | $3 | $4 | PASS |")
	else CHECKS+=("| $1 | $2 | $3 | $4 | FAIL |"); FAILED=1; fi
}
FILLS=()
: > "$WORK/rows"

for SIZE in $SIZES; do
	bench_namespace "ctbench-$$-$SIZE"
	IN_NS=(ip netns exec "$NS")

	log "size $SIZE: filling $NS"
	ctfill_into "$SIZE" --seed "$SEED"
	FILLS+=("| $SIZE | $CTFILL_LINE |")
	S=$CTFILL_SNAT
	V=$CTFILL_VIOLATIONS
	check "$SIZE" "conntrack -C = N" "$SIZE" "$("${IN_NS[@]}" conntrack -C)"

	log "size $SIZE: (a) ctdump-raw"
	measure "ctdump-raw (floor)" "${IN_NS[@]}" "$BUILD/ctdump-raw"
	check "$SIZE" "ctdump-raw messages = N" "messages=$SIZE" "$(cat "$WORK/out")"

	log "size $SIZE: (b) ctdump-raw --status-filter"
	measure "ctdump-raw --status-filter" "${IN_NS[@]}" "$BUILD/ctdump-raw" --status-filter
	check "$SIZE" "status-filtered messages = snat" "messages=$S" "$(cat "$WORK/out")"

	if [ $HAVE_CTAUDIT = 1 ]; then
		for mode in kernel-filter no-kernel-filter; do
		for fmt in text json; do
			# Run like the others (ip netns exec), with a fixed policy: the
			# filler's pod networks, no config file, no pod discovery or naming,
			# so the numbers do not depend on what the host happens to run.
			# text is the default report (summary, top offenders, first 50
			# flows); json lists every violation (~1.1 KB each).
			args=(audit --no-config --no-pods --pod-cidr 10.244.0.0/16 --pod-cidr fd00:10:244::/48 --format "$fmt")
			want_filtered=true
			if [ $mode = no-kernel-filter ]; then args+=(--no-kernel-filter); want_filtered=false; fi
			label="ctaudit $fmt ($mode)"
			log "size $SIZE: $label"
			measure "$label" "${IN_NS[@]}" "$CTAUDIT" "${args[@]}"
			# Exit 1 means "violations found": expected whenever V > 0.
			if [ "$RC" != 0 ] && [ "$RC" != 1 ]; then
				log "ctaudit exited $RC: $(head -c 500 "$WORK/err")"
				check "$SIZE" "$label exit status" "0 or 1" "$RC"
				continue
			fi
			if [ "$fmt" = text ]; then
				check "$SIZE" "$label summary" "flows $SIZE snat $S violations $V" \
					"$(grep -o 'flows [0-9]* *snat [0-9]* *remapped [0-9]* *violations [0-9]*' "$WORK/out" | sed 's/ *remapped [0-9]* */ /; s/  */ /g')"
				continue
			fi
			got=$(jq -r '"flows=\(.summary.flows) snat=\(.summary.snat) violations=\(.summary.violations) listed=\(.violations | length)"' \
				"$WORK/out" 2>/dev/null || echo "unparsable JSON")
			check "$SIZE" "$label summary" "flows=$SIZE snat=$S violations=$V listed=$V" "$got"
			# The kernel filter returns only source-NATed entries; without it, all.
			want_read=$SIZE; [ $mode = kernel-filter ] && want_read=$S
			check "$SIZE" "$label read" "kernel_filtered=$want_filtered flows_read=$want_read" \
				"$(jq -r '"kernel_filtered=\(.dump.kernel_filtered) flows_read=\(.dump.flows_read)"' "$WORK/out" 2>/dev/null)"
		done
		done
	else
		printf '%s\tctaudit (%s)\tskipped\t\n' "$SIZE" kernel-filter "$SIZE" no-kernel-filter >> "$WORK/rows"
	fi

	log "size $SIZE: (e) conntrack -L -o extended --src-nat"
	measure "conntrack -L -o extended --src-nat" "${IN_NS[@]}" conntrack -L -o extended --src-nat
	check "$SIZE" "conntrack --src-nat count = snat" \
		"$S flow entries" "$(grep -o '[0-9]* flow entries' "$WORK/err")"

	log "size $SIZE: (f) conntrack -L | awk"
	measure "conntrack -L \\| awk" sh -c 'ip netns exec "$1" conntrack -L 2>/dev/null | awk -f "$2"' sh "$NS" "$WORK/audit.awk"
	check "$SIZE" "awk audit = ctfill" "snat=$S violations=$V" "$(cat "$WORK/out")"

	bench_namespace_done
done

# --- report -----------------------------------------------------------------
echo "## ctaudit benchmark ($(uname -r), runs=$RUNS, seed=$SEED)"
echo
echo "| size | fill |"
echo "| ---: | --- |"
printf '%s\n' "${FILLS[@]}"
echo
echo "| size | tool | median wall s | peak RSS MiB | x floor | x conntrack-extended |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
awk -F'\t' '
	{ size[NR] = $1; tool[NR] = $2; wall[NR] = $3; rss[NR] = $4 }
	$2 == "ctdump-raw (floor)" { floor[$1] = $3 }
	$2 ~ /^conntrack -L -o extended/ { ext[$1] = $3 }
	END {
		for (i = 1; i <= NR; i++) {
			if (wall[i] == "skipped") {
				printf "| %s | %s | skipped (no binary) | | | |\n", size[i], tool[i]; continue
			}
			printf "| %s | %s | %.3f | %.1f | %.2f | %.2f |\n", size[i], tool[i], wall[i],
				rss[i] / 1024, wall[i] / floor[size[i]], wall[i] / ext[size[i]]
		}
	}' "$WORK/rows"
echo
echo "| size | check | expected | got | result |"
echo "| ---: | --- | --- | --- | --- |"
printf '%s\n' "${CHECKS[@]}"
echo
if [ $FAILED = 0 ]; then echo "PASS"; else echo "FAIL"; fi
[ $HAVE_CTAUDIT = 1 ] || echo "(ctaudit not measured: $CTAUDIT missing)"
exit $FAILED
