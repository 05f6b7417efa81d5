import Engines
import NodeState
import Policy
import Reports

extension ReaderHintWording {
    /// Marks where a writer puts each hint (`«everyRow»`), so tests see that
    /// the caller's words are used, not which words the CLI picks (its own
    /// tests check those).
    package static let marked = ReaderHintWording { hint in
        let name =
            switch hint {
            case .dataplaneCheck(let dataplane): "dataplaneCheck-\(dataplane)"
            default: "\(hint)"
            }
        return Phrase("«\(name)»", isCommandLine: true)
    }

    /// The stats golden holds the CLI's output byte for byte: its two hints
    /// in the CLI's words (Sources/ctaudit/ReaderHintWording+Flags.swift).
    package static let statsGolden = ReaderHintWording { hint in
        switch hint {
        case .perCPUCounters: Phrase("--per-cpu", isCommandLine: true)
        case .allRows: Phrase("--top 0", isCommandLine: true)
        default: ReaderHintWording.marked.phrase(hint)
        }
    }
}
