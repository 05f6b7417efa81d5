import ArgumentParser

/// A subcommand's report formats, picked with `-o`/`--format` as in
/// conntrack (`-o extended`) and kubectl (`-o json`). Every command has
/// `text`, its default.
protocol ReportFormat: ExpressibleByArgument, CaseIterable, RawRepresentable<String>, Equatable, Sendable {
    static var text: Self { get }
    /// One line per format, for `--help`: what each is for.
    static var formatHelp: String { get }
}
