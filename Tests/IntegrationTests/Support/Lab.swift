import Foundation
import TestSupport

/// The incident lab (scripts/lab.sh) under a unique prefix, so tests can run
/// in parallel. Pods, node, gateway and server are namespaces the lab made;
/// nothing in the root namespace is touched. Always call `down()` (defer).
struct Lab {
    let prefix: String

    /// One connection the lab's traffic made, as the pod saw it.
    struct Connection: Hashable, CustomStringConvertible {
        var pod: String
        var proto: String
        var family: String
        var source: String
        var sourcePort: Int
        var destination: String
        var destinationPort: Int
        var timedOut: Bool

        var description: String {
            "\(pod) \(proto)/\(family) \(source):\(sourcePort) -> \(destination):\(destinationPort) \(timedOut ? "timeout" : "ok")"
        }
    }

    var nodeNamespace: String { "\(prefix)-node" }
    func podNamespace(_ index: Int) -> String { "\(prefix)-pod\(index)" }

    /// The CNI plugins `up(cni: true)` runs (Debian's containernetworking-plugins).
    static var hasCNIPlugins: Bool {
        ["bridge", "host-local", "portmap"].allSatisfy { FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/\($0)") }
    }

    static let script = Shell.packageRoot.appendingPathComponent("scripts/lab.sh").path

    /// A prefix unique to this process and call (namespace names stay short).
    static func uniquePrefix(_ tag: String) -> String {
        "\(tag)\(UniqueName.tag())"
    }

    /// `cni`: the pods are attached by the real CNI plugins (bridge with
    /// ipMasq, host-local, portmap; pods in 10.88.0.0/24 and fd00:10:88::/64).
    static func up(_ tag: String = "ct", cni: Bool = false) throws -> Lab {
        let lab = Lab(prefix: uniquePrefix(tag))
        do {
            try Shell.sh("\(script) up --name \(lab.prefix)\(cni ? " --cni" : "")")
        } catch {
            lab.down()
            throw error
        }
        return lab
    }

    /// Runs the clashing traffic; returns one record per connection.
    /// A second run in the same lab wants another `basePort`: the first run's
    /// conntrack entries and TIME_WAIT sockets still hold the old ports.
    func traffic(pairs: Int = 8, timeout: Int = 3, basePort: Int = 40000) throws -> [Connection] {
        let result = try Shell.sh("\(Lab.script) traffic --name \(prefix) --pairs \(pairs) --timeout \(timeout) --base-port \(basePort)")
        return result.stdout.split(separator: "\n").compactMap(Lab.parse)
    }

    func down() {
        _ = try? Shell.run("/bin/bash", [Lab.script, "down", "--name", prefix])
    }

    static func parse(_ line: Substring) -> Connection? {
        guard line.hasPrefix("conn ") else { return nil }
        var fields: [String: String] = [:]
        for pair in line.dropFirst(5).split(separator: " ") {
            guard let eq = pair.firstIndex(of: "=") else { continue }
            fields[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        guard let pod = fields["pod"], let proto = fields["proto"], let family = fields["family"],
            let source = fields["src"], let sport = fields["sport"].flatMap(Int.init),
            let destination = fields["dst"], let dport = fields["dport"].flatMap(Int.init),
            let result = fields["result"]
        else { return nil }
        return Connection(
            pod: pod, proto: proto, family: family, source: source, sourcePort: sport,
            destination: destination, destinationPort: dport, timedOut: result == "timeout")
    }
}
