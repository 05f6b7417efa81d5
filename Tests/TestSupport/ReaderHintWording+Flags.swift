import Policy
import NodeState
import Engines
import Reports

package extension ReaderHintWording {
    /// Marks where a writer puts each hint (`«everyRow»`), so tests see that
    /// the caller's words are used, not which words the CLI picks (its own
    /// tests check those).
    static let marked = ReaderHintWording { hint in
        let name = switch hint {
        case .dataplaneCheck(let dataplane): "dataplaneCheck-\(dataplane)"
        default: "\(hint)"
        }
        return Phrase("«\(name)»", isCommandLine: true)
    }

    /// The stats golden holds the CLI's output byte for byte: its two hints
    /// in the CLI's words (Sources/ctaudit/ReaderHintWording+Flags.swift).
    static let statsGolden = ReaderHintWording { hint in
        switch hint {
        case .perCPUCounters: Phrase("--per-cpu", isCommandLine: true)
        case .allRows: Phrase("--top 0", isCommandLine: true)
        default: ReaderHintWording.marked.phrase(hint)
        }
    }
}
