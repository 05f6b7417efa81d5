extension Shell {
    /// `text` as one sh word: single-quoted, its own quotes escaped.
    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
