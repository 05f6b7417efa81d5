import Conntrack

/// Writes violations and offender rows of the pretty-printed audit JSON
/// straight into bytes: exactly the text `JSONReportWriter.violation(_:)` and
/// `offender(_:)` give through `JSONValue` at array depth 2, without building
/// a tree of values per item (a node can have tens of thousands).
/// `ReportItemJSONEncoderTests` holds the two paths to the same bytes.
struct ReportItemJSONEncoder {
    /// The pod object is the same for every violation of one pod, and a
    /// pod's violations come together (sorted by pod): the last one rendered
    /// is reused. Only the last: a cache of every pod would grow with them.
    private var lastPod: (address: IPAddress, identity: PodIdentity?, bytes: [UInt8])?

    /// One violation object, starting at the current column (the caller wrote
    /// the array's indentation) and ending after its closing brace.
    mutating func append(_ violation: Violation, to out: inout JSONByteBuffer) {
        let flow = violation.flow
        out.append("{\n")
        out.key("id", indent: 6)
        optionalInt(flow.id.map(Int.init), to: &out)
        out.append(",\n")
        out.key("proto", indent: 6)
        out.append(quoted: flow.proto.name)
        out.append(",\n")
        out.key("family", indent: 6)
        out.append(flow.family == .ipv4 ? "\"ipv4\"" : "\"ipv6\"")
        out.append(",\n")
        out.key("original", indent: 6)
        tuple(flow.original, to: &out)
        out.append(",\n")
        out.key("reply", indent: 6)
        tuple(flow.reply, to: &out)
        out.append(",\n")
        out.key("translated", indent: 6)
        out.append("{\n")
        out.key("src", indent: 8)
        out.append(quoted: flow.translatedSource.description)
        out.append(",\n")
        out.key("sport", indent: 8)
        out.append(int: Int(flow.translatedSourcePort))
        out.append("\n      },\n")
        out.key("remapped", indent: 6)
        bool(flow.isPortRemapped, to: &out)
        out.append(",\n")
        out.key("state", indent: 6)
        if let state = flow.protocolState { out.append(quoted: state.name) } else { out.append("null") }
        out.append(",\n")
        out.key("unreplied", indent: 6)
        bool(flow.isUnreplied, to: &out)
        out.append(",\n")
        out.key("assured", indent: 6)
        bool(flow.isAssured, to: &out)
        out.append(",\n")
        out.key("timeout", indent: 6)
        optionalInt(flow.timeout.map(Int.init), to: &out)
        out.append(",\n")
        out.key("mark", indent: 6)
        out.append(int: Int(flow.mark))
        out.append(",\n")
        out.key("zone", indent: 6)
        out.append(int: Int(flow.zone))
        out.append(",\n")
        out.key("age", indent: 6)
        optionalInt(violation.ageSeconds.map(Int.init), to: &out)
        out.append(",\n")
        out.key("pod", indent: 6)
        pod(violation, to: &out)
        out.append("\n    }")
    }

    /// One offender row, like `append(_:to:)` for a violation.
    func append(_ group: OffenderGroup, to out: inout JSONByteBuffer) {
        out.append("{\n")
        out.key("pod", indent: 6)
        out.append(quoted: group.podSource.description)
        out.append(",\n")
        out.key("dst", indent: 6)
        out.append(quoted: group.destination.description)
        out.append(",\n")
        out.key("dport", indent: 6)
        out.append(int: Int(group.destinationPort))
        out.append(",\n")
        out.key("proto", indent: 6)
        out.append(quoted: group.proto.name)
        out.append(",\n")
        out.key("violations", indent: 6)
        out.append(int: group.violations)
        out.append(",\n")
        out.key("unreplied", indent: 6)
        out.append(int: group.unreplied)
        out.append(",\n")
        out.key("remapped", indent: 6)
        out.append(int: group.remapped)
        out.append(",\n")
        out.key("translated_ports", indent: 6)
        if group.translatedPorts.isEmpty {
            out.append("[]")
        } else {
            out.append("[\n")
            for (index, port) in group.translatedPorts.enumerated() {
                out.pad(8)
                out.append(int: Int(port))
                out.append(index < group.translatedPorts.count - 1 ? ",\n" : "\n")
            }
            out.append("      ]")
        }
        out.append("\n    }")
    }

    private func tuple(_ tuple: Tuple, to out: inout JSONByteBuffer) {
        let ports = tuple.proto.carriesPorts
        out.append("{\n")
        out.key("src", indent: 8)
        out.append(quoted: tuple.source.description)
        out.append(",\n")
        out.key("sport", indent: 8)
        optionalInt(ports ? Int(tuple.sourcePort) : nil, to: &out)
        out.append(",\n")
        out.key("dst", indent: 8)
        out.append(quoted: tuple.destination.description)
        out.append(",\n")
        out.key("dport", indent: 8)
        optionalInt(ports ? Int(tuple.destinationPort) : nil, to: &out)
        out.append("\n      }")
    }

    private mutating func pod(_ violation: Violation, to out: inout JSONByteBuffer) {
        let address = violation.podSource
        let identity = violation.pod
        if let cached = lastPod, cached.address == address, cached.identity == identity {
            out.append(contentsOf: cached.bytes)
            return
        }
        // The one source of truth for the pod object's fields.
        let value = JSONReportWriter.violationPod(violation)
        var text = ""
        value.write(into: &text, indent: 2, level: 3)
        let bytes = Array(text.utf8)
        lastPod = (address, identity, bytes)
        out.append(contentsOf: bytes)
    }

    private func optionalInt(_ value: Int?, to out: inout JSONByteBuffer) {
        if let value { out.append(int: value) } else { out.append("null") }
    }

    private func bool(_ value: Bool, to out: inout JSONByteBuffer) {
        out.append(value ? "true" : "false")
    }
}
