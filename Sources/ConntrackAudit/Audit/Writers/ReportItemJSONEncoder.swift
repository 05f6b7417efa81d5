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
        out.openObject()
        out.member("id")
        optionalInt(flow.id.map(Int.init), to: &out)
        out.member("proto")
        out.append(quoted: flow.proto.name)
        out.member("family")
        out.append(flow.family == .ipv4 ? "\"ipv4\"" : "\"ipv6\"")
        out.member("original")
        tuple(flow.original, to: &out)
        out.member("reply")
        tuple(flow.reply, to: &out)
        out.member("translated")
        out.openObject()
        out.member("src")
        out.append(quotedAddress: flow.translatedSource)
        out.member("sport")
        out.append(int: Int(flow.translatedSourcePort))
        out.closeObject()
        out.member("remapped")
        bool(flow.isPortRemapped, to: &out)
        out.member("state")
        if let state = flow.protocolState { out.append(quoted: state.name) } else { out.append("null") }
        out.member("unreplied")
        bool(flow.isUnreplied, to: &out)
        out.member("assured")
        bool(flow.isAssured, to: &out)
        out.member("timeout")
        optionalInt(flow.timeout.map(Int.init), to: &out)
        out.member("mark")
        out.append(int: Int(flow.mark))
        out.member("zone")
        out.append(int: Int(flow.zone))
        out.member("age")
        optionalInt(violation.ageSeconds.map(Int.init), to: &out)
        out.member("pod")
        pod(violation, to: &out)
        out.member("dataplane")
        out.append(quoted: violation.dataplane.rawValue)
        out.closeObject()
    }

    /// One offender row, like `append(_:to:)` for a violation.
    func append(_ group: OffenderGroup, to out: inout JSONByteBuffer) {
        out.openObject()
        out.member("pod")
        out.append(quotedAddress: group.podSource)
        out.member("dst")
        out.append(quotedAddress: group.destination)
        out.member("dport")
        out.append(int: Int(group.destinationPort))
        out.member("proto")
        out.append(quoted: group.proto.name)
        out.member("violations")
        out.append(int: group.violations)
        out.member("unreplied")
        out.append(int: group.unreplied)
        out.member("remapped")
        out.append(int: group.remapped)
        out.member("translated_ports")
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
        out.closeObject()
    }

    private func tuple(_ tuple: Tuple, to out: inout JSONByteBuffer) {
        let ports = tuple.proto.carriesPorts
        out.openObject()
        out.member("src")
        out.append(quotedAddress: tuple.source)
        out.member("sport")
        optionalInt(ports ? Int(tuple.sourcePort) : nil, to: &out)
        out.member("dst")
        out.append(quotedAddress: tuple.destination)
        out.member("dport")
        optionalInt(ports ? Int(tuple.destinationPort) : nil, to: &out)
        out.closeObject()
    }

    private mutating func pod(_ violation: Violation, to out: inout JSONByteBuffer) {
        let address = violation.podSource
        let identity = violation.pod
        if let cached = lastPod, cached.address == address, cached.identity == identity {
            out.append(contentsOf: cached.bytes)
            return
        }
        // The fields of `JSONReportWriter.pod(_:)` / `pod(notLookedUp:)`.
        var pod = JSONByteBuffer(capacity: 512)
        pod.baseLevel = 3
        let shown = identity ?? PodIdentity(ip: address)
        pod.openObject()
        pod.member("ip")
        pod.append(quotedAddress: shown.ip)
        pod.member("lookup")
        pod.append(quoted: (identity.map(PodLookup.init) ?? .disabled).rawValue)
        for (name, value) in [("container_id", shown.containerID), ("netns", shown.netns), ("name", shown.name),
                              ("namespace", shown.namespace), ("uid", shown.uid), ("ipam_network", shown.ipamNetwork)] {
            pod.member(name)
            if let value { pod.append(quoted: value) } else { pod.append("null") }
        }
        pod.member("other_netns")
        stringArray(shown.otherNetns, to: &pod)
        pod.member("evidence")
        stringArray(shown.evidence, to: &pod)
        pod.closeObject()
        lastPod = (address, identity, pod.bytes)
        out.append(contentsOf: pod.bytes)
    }

    /// A pretty-printed array of strings as a member of a depth-1 object.
    private func stringArray(_ items: [String], to out: inout JSONByteBuffer) {
        if items.isEmpty { out.append("[]"); return }
        out.append("[\n")
        for (index, item) in items.enumerated() {
            out.pad(2 * (out.baseLevel + 2))
            out.append(quoted: item)
            out.append(index < items.count - 1 ? ",\n" : "\n")
        }
        out.pad(2 * (out.baseLevel + 1))
        out.append("]")
    }

    private func optionalInt(_ value: Int?, to out: inout JSONByteBuffer) {
        if let value { out.append(int: value) } else { out.append("null") }
    }

    private func bool(_ value: Bool, to out: inout JSONByteBuffer) {
        out.append(value ? "true" : "false")
    }
}
