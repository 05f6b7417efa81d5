import ArgumentParser

/// Report formats of `audit`.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text
    case json
}
