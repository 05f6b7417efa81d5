/// How a caller words `ReaderHint`s: a short phrase that fits where the
/// writer puts it ("(X lists all)", "no X", "a larger X helps").
/// `isCommandLine`: the phrase is something to type (HTML shows it as code).
public struct ReaderHintWording: Sendable {
    public struct Phrase: Hashable, Sendable {
        public var text: String
        public var isCommandLine: Bool

        public init(_ text: String, isCommandLine: Bool) {
            self.text = text
            self.isCommandLine = isCommandLine
        }
    }

    private let wording: @Sendable (ReaderHint) -> Phrase

    public init(_ wording: @escaping @Sendable (ReaderHint) -> Phrase) {
        self.wording = wording
    }

    public func phrase(_ hint: ReaderHint) -> Phrase { wording(hint) }

    /// The phrase, in backticks when it is something to type (plain-text reports).
    public func quoted(_ hint: ReaderHint) -> String {
        let phrase = wording(hint)
        return phrase.isCommandLine ? "`\(phrase.text)`" : phrase.text
    }

    /// The phrase's text.
    public func callAsFunction(_ hint: ReaderHint) -> String { wording(hint).text }

    /// For callers without a command line: names no flag.
    public static let plain = ReaderHintWording { hint in
        switch hint {
        case .everyRow: Phrase("the JSON report", isCommandLine: false)
        case .allRows: Phrase("a limit of 0", isCommandLine: false)
        case .moreRows: Phrase("a larger limit", isCommandLine: false)
        case .nodeLocalFlows: Phrase("a report of every remap", isCommandLine: false)
        case .podNetworks: Phrase("pod network given", isCommandLine: false)
        case .perCPUCounters: Phrase("the per-CPU view", isCommandLine: false)
        case .probeLimit: Phrase("probe limit", isCommandLine: false)
        case .configFileUse: Phrase("a config file for ctaudit audit", isCommandLine: false)
        case .receiveBuffer: Phrase("receive buffer", isCommandLine: false)
        case .hostNamespace: Phrase("audit the node's own network namespace", isCommandLine: false)
        case .firewallFiles: Phrase("the firewall", isCommandLine: false)
        case .iptablesSaveFiles: Phrase("iptables-save", isCommandLine: false)
        case .nftJSONFiles: Phrase("nft JSON", isCommandLine: false)
        case .declaredPortRanges: Phrase("declared", isCommandLine: false)
        case .podPortRanges: Phrase("", isCommandLine: false)
        case .auditJSONReport: Phrase("in JSON", isCommandLine: false)
        case .dataplaneCheck(let dataplane):
            Phrase(
                "a check with the cluster's \(dataplane.description.prefix(1).uppercased() + dataplane.description.dropFirst()) configuration",
                isCommandLine: false)
        }
    }
}
