import ConntrackAudit

extension ReaderHintWording {
    /// The words ctaudit's CLI gives (Sources/ctaudit/ReaderHintWording+Flags.swift),
    /// for the golden files, which hold the CLI's output byte for byte.
    static let ctauditFlags = ReaderHintWording { hint in
        switch hint {
        case .everyRow: Phrase("--format json", isCommandLine: true)
        case .allRows: Phrase("--top 0", isCommandLine: true)
        case .moreRows: Phrase("--top N", isCommandLine: true)
        case .nodeLocalFlows: Phrase("--all", isCommandLine: true)
        case .podNetworks: Phrase("--pod-cidr", isCommandLine: true)
        case .perCPUCounters: Phrase("--per-cpu", isCommandLine: true)
        case .probeLimit: Phrase("--max-probes", isCommandLine: true)
        case .configFileUse: Phrase("use with: ctaudit audit --config THIS_FILE", isCommandLine: false)
        case .receiveBuffer: Phrase("--receive-buffer", isCommandLine: true)
        case .hostNamespace: Phrase("run 'ctaudit audit' on the node without --netns", isCommandLine: false)
        case .firewallFiles: Phrase("--firewall", isCommandLine: true)
        case .iptablesSaveFiles: Phrase("--iptables-save", isCommandLine: true)
        case .nftJSONFiles: Phrase("--nft-json", isCommandLine: true)
        case .declaredPortRanges: Phrase("--port-range", isCommandLine: true)
        case .auditJSONReport: Phrase("from 'ctaudit audit --format json'", isCommandLine: false)
        case .dataplaneCheck(let dataplane): Phrase("ctaudit check --\(dataplane.rawValue)-config FILE", isCommandLine: true)
        }
    }
}
