/// Something a reader of a report can do next that the library cannot word:
/// the library says *that* there is more (every row, the per-CPU counters, a
/// larger receive buffer); how to get it is the caller's to say, because the
/// CLI names its own flags and another caller has no flags at all.
public enum ReaderHint: Hashable, Sendable {
    /// Where every row of a cut table is listed (CLI: `--format json`).
    case everyRow
    /// How to list all of a cut list in the same format (CLI: `--top 0`).
    case allRows
    /// How to list more of a cut list (CLI: `--top N`).
    case moreRows
    /// How to list node-local flows too (CLI: `--node-local`).
    case nodeLocalFlows
    /// How pod networks are given (CLI: `--pod-cidr`).
    case podNetworks
    /// How to see each CPU's counters (CLI: `--per-cpu`).
    case perCPUCounters
    /// What bounds the number of probes (CLI: `--max-probes`).
    case probeLimit
    /// How a generated config file is used (CLI: `use with: ctaudit audit --config THIS_FILE`).
    case configFileUse
    /// What to enlarge when the event queue overflows (CLI: `--receive-buffer`).
    case receiveBuffer
    /// What prints a BPF dataplane's change for the cluster's real
    /// configuration (CLI: `ctaudit check --cilium-config FILE`).
    case dataplaneCheck(Dataplane)
    /// How firewall files are given (CLI: `--firewall`).
    case firewallFiles
    /// How iptables-save output is given to check (CLI: `--iptables-save`).
    case iptablesSaveFiles
    /// How nft JSON output is given to check (CLI: `--nft-json`).
    case nftJSONFiles
    /// How pods' port ranges are declared to check (CLI: `--port-range`).
    case declaredPortRanges
    /// How check learns the pods' port ranges at all, read or declared
    /// (CLI: `--pods or --port-range`); plain wording has none to offer.
    case podPortRanges
    /// Where a mergeable audit report comes from (CLI: `'ctaudit audit --format json'`).
    case auditJSONReport
    /// How to audit the node's own namespace from inside another (CLI: `run 'ctaudit audit' on the node without --netns`).
    case hostNamespace
}
