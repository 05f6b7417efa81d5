import Engines
import Policy

/// watch's series about the periodic re-check of the node's NAT rules and
/// dataplane settings (`RuleDrift`, docs/WATCH.md). Bounded labels: the
/// verdict words, and one `family` per rule family found (iptables and nft always).
extension PrometheusWriter.MetricText {
    mutating func ruleDrift(_ rules: RuleDrift, intervalSeconds: Double) {
        gauge(
            "ctaudit_watch_rules_verdict",
            "1 for the verdict of the last re-check of the node's NAT rules and dataplane settings (as 'ctaudit check'): safe, uncertain, at-risk, broken, or unknown when the rules could not be read.",
            RuleDrift.verdictLabels.map { (["verdict": $0], $0 == rules.verdictLabel ? 1 : 0) })
        // Unknown after a failed check: no sample rather than a stale one.
        if !rules.riskyShare.isEmpty {
            gauge(
                "ctaudit_watch_rules_risky_share",
                "Per rule family, the largest share (0-1) of remapped pod flows that get a translated port outside the allowed ranges, over the family's rules pod traffic reaches (0: pinned inside them).",
                rules.riskyShare.keys.sorted().map { (["family": $0], (rules.riskyShare[$0]! * 1e6).rounded() / 1e6) })
        }
        gauge(
            "ctaudit_watch_rules_last_check_timestamp_seconds", "Unix time of the last re-check of the node's NAT rules.",
            rules.lastCheckSeconds ?? 0)
        gauge(
            "ctaudit_watch_rules_check_interval_seconds", "--check-interval: seconds between re-checks of the node's NAT rules.",
            intervalSeconds)
        counter(
            "ctaudit_watch_rules_checks_total", "Re-checks of the node's NAT rules run (including failed ones).",
            [([:], Double(rules.checks))])
        counter(
            "ctaudit_watch_rules_changes_total",
            "Re-checks that found the NAT rules or dataplane settings changed since the previous one (the first check is the baseline).",
            [([:], Double(rules.changes))])
        counter(
            "ctaudit_watch_rules_verdict_changes_total", "Re-checks whose verdict differed from the previous one's.",
            [([:], Double(rules.verdictChanges))])
    }
}
