import Conntrack
import Testing

@Suite("Namespace names")
struct NetworkNamespaceTests {
    @Test func resolvesNamesPathsAndPIDs() throws {
        #expect(try NetworkNamespace.resolve("cni-1234").path == "/run/netns/cni-1234")
        #expect(try NetworkNamespace.resolve("/proc/1/ns/net").path == "/proc/1/ns/net")
        #expect(try NetworkNamespace.resolve("4242").path == "/proc/4242/ns/net")
    }

    @Test("names cannot escape /run/netns", arguments: ["", ".", ".."])
    func rejectsEscapes(name: String) {
        #expect(throws: ConntrackError.invalidNamespaceName(name)) { try NetworkNamespace.resolve(name) }
    }

    @Test func missingNamespaceIsAClearError() throws {
        let namespace = try NetworkNamespace.resolve("ctaudit-test-does-not-exist")
        #expect(throws: ConntrackError.namespaceNotFound("/run/netns/ctaudit-test-does-not-exist")) {
            try namespace.withEntered { () }
        }
    }

    @Test func aFileThatIsNotANamespace() throws {
        let namespace = try NetworkNamespace.resolve("/proc/self/status")
        #expect(throws: ConntrackError.self) { try namespace.withEntered { () } }
    }
}
