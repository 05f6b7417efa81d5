import Conntrack

/// A writer for a person at a terminal: ANSI styling only when `color` is on
/// (the CLI turns it on for a TTY without NO_COLOR).
protocol TerminalStyled {
    var color: Bool { get }
}

extension TerminalStyled {
    func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func bold(_ text: String) -> String { paint(text, "1") }
    func red(_ text: String) -> String { paint(text, "31") }
    func green(_ text: String) -> String { paint(text, "32") }
    func yellow(_ text: String) -> String { paint(text, "33") }
}

/// Text shared by the terminal writers.
enum TerminalText {
    /// `10.0.0.1:443`, `[fd00::1]:443`; the bare address without a port.
    static func endpoint(_ address: String, _ port: Int?) -> String {
        guard let port else { return address }
        return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    static func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
        endpoint(address.description, Int(port))
    }

    /// Columns as wide as their widest cell, two spaces apart, the header
    /// first. The last column is padded only when `padLastColumn` (a line
    /// with trailing spaces otherwise).
    static func table(
        header: [String], rows: [[String]], rightAligned: Set<Int>,
        indent: String = "", padLastColumn: Bool = false
    ) -> [String] {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            indent
                + cells.enumerated().map { index, cell in
                    if index == cells.count - 1 && !padLastColumn { return cell }
                    let padding = String(repeating: " ", count: widths[index] - cell.count)
                    return rightAligned.contains(index) ? padding + cell : cell + padding
                }.joined(separator: "  ")
        }
        return [line(header)] + rows.map(line)
    }
}
