import Foundation

/// Tests/Fixtures: captured rule sets, firewall files and node trees that
/// several test targets read (found from this file, not from a bundle, so
/// every target sees the same files).
package enum TestFixtures {
    package static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The repository's root, for tests that check shipped files (deploy/, docs/).
    package static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    package static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }
}
