import ArgumentParser

/// Report formats of `audit`.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text
    case json
    /// Prometheus text exposition (node_exporter textfile collector).
    case prometheus
    /// One JSON violation per line, for log shippers.
    case ndjson
    /// One self-contained HTML page with a port chart (use with --output).
    case html
}
