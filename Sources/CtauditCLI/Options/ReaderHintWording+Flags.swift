import Policy

extension ReaderHintWording {
    /// The CLI's words for what a reader can do next: its own flags. The
    /// libraries only say that there is more; naming the flag is ours.
    static let flags = ReaderHintWording { hint in
        switch hint {
        case .everyRow: Phrase("--format json", isCommandLine: true)
        case .allRows: Phrase("--top 0", isCommandLine: true)
        case .moreRows: Phrase("--top N", isCommandLine: true)
        case .nodeLocalFlows: Phrase("--node-local", isCommandLine: true)
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
        case .podPortRanges: Phrase("--pods or --port-range", isCommandLine: true)
        case .auditJSONReport: Phrase("from 'ctaudit audit --format json'", isCommandLine: false)
        case .dataplaneCheck(let dataplane): Phrase("ctaudit check --\(dataplane.rawValue)-config FILE", isCommandLine: true)
        }
    }
}
