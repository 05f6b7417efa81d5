#!/usr/bin/env bash
# id-collisions.sh — conntrack ids are 32-bit hashes and collide; check that
# ctaudit keeps every entry anyway, on big tables filled afresh.
#
#   sudo scripts/bench/id-collisions.sh [--fills 5] [--audits 3] [--size 1000000]
#        [--snat-share 0.5] [--violation-share 0.05] [--ctaudit PATH]
#
# Each fill: a new network namespace is filled by ctfill (kernel-real entries
# over ctnetlink; new entries, so new ids, every fill), audited --audits times
# with --format json, and the counts compared with the filler's. The ids the
# kernel gave are read with `conntrack -L --src-nat -o id` (an independent
# view) to count the entries whose id another source-NATed entry shares, and
# ctaudit's own violation ids to count violations that share one. Deduplicating
# by id alone would have dropped one entry of each such pair.
#
# Prints a Markdown table (one row per audit) and a summary; exit 0 when every
# audit's snat and violation counts equal the filler's, 1 otherwise.
#
# Writes only inside the namespaces it creates, except the global
# net.netfilter.nf_conntrack_max (a namespace's table is capped by it): raised
# when the size needs it, restored on exit. Holds /run/lock/ctaudit-bench.lock
# so that two benchmark scripts never fight over that knob.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
FILLS=5
AUDITS=3
SIZE=1000000
SNAT_SHARE=0.5
VIOLATION_SHARE=0.05
CTAUDIT=$(cd "$HERE/../.." && pwd)/.build/release/ctaudit

. "$HERE/bench-common.sh"
bench_options 2,8 --fills FILLS --audits AUDITS --size SIZE --snat-share SNAT_SHARE \
	--violation-share VIOLATION_SHARE --ctaudit CTAUDIT -- "$@"
bench_start gcc pkg-config conntrack ip jq flock
[ -x "$CTAUDIT" ] || die "no ctaudit at $CTAUDIT (build: swift build -c release, or --ctaudit PATH)"

echo "| fill | audit | filler snat | filler violations | ctaudit snat | ctaudit violations | dump duplicates | snat entries sharing an id | violations sharing an id | result |"
echo "|---|---|---|---|---|---|---|---|---|---|"
failed=0; audits=0; shared_snat_total=0; shared_violations_total=0
for fill in $(seq "$FILLS"); do
	bench_namespace "ctidc-$$-$fill"
	ctfill_into "$SIZE" --seed $(( $$ * 100 + fill )) --snat-share "$SNAT_SHARE" --violation-share "$VIOLATION_SHARE"
	S=$CTFILL_SNAT
	V=$CTFILL_VIOLATIONS
	# Entries whose id another source-NATed entry shares, from conntrack's own view.
	shared_snat=$(ip netns exec "$NS" conntrack -L --src-nat -o id 2>/dev/null \
		| grep -o ' id=[0-9]*' | sort | uniq -c | awk '$1 > 1 { n += $1 } END { print n + 0 }')
	for audit in $(seq "$AUDITS"); do
		json=$("$CTAUDIT" audit --netns "$NS" --no-config --no-pods --pod-cidr 10.244.0.0/16 \
			--pod-cidr fd00:10:244::/48 --format json) && rc=0 || rc=$?
		[ "$rc" -le 1 ] || die "ctaudit exited $rc"
		snat=$(jq '.summary.snat' <<< "$json")
		violations=$(jq '.summary.violations' <<< "$json")
		duplicates=$(jq '.dump.duplicates' <<< "$json")
		shared_violations=$(jq -r '.violations[].id' <<< "$json" | sort | uniq -c | awk '$1 > 1 { n += $1 } END { print n + 0 }')
		result=PASS
		if [ "$snat" != "$S" ] || [ "$violations" != "$V" ]; then result=FAIL; failed=1; fi
		echo "| $fill | $audit | $S | $V | $snat | $violations | $duplicates | $shared_snat | $shared_violations | $result |"
		audits=$((audits + 1))
	done
	shared_snat_total=$((shared_snat_total + shared_snat))
	shared_violations_total=$((shared_violations_total + shared_violations))
	bench_namespace_done
done
echo
echo "fills $FILLS, audits $audits, size $SIZE: source-NATed entries sharing an id with another: $shared_snat_total (all kept), violations sharing an id: $shared_violations_total (all kept); $([ $failed = 0 ] && echo 'every count equals the filler' || echo 'MISMATCH')"
exit $failed
