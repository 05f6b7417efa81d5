import Conntrack
import Glibc
public import Policy

/// Finds the BPF NAT maps of Cilium and Calico under a bpffs directory and
/// feeds every translation they hold into an audit, as flows of their
/// dataplane. Read-only (BPF_F_RDONLY descriptors); a map that exists but
/// cannot be read is reported, never guessed at.
public struct BPFDataplaneReader: Sendable {
    /// The bpffs mount point (/sys/fs/bpf, or ROOT/sys/fs/bpf).
    public var bpffs: String
    /// BPF_MAP_LOOKUP_BATCH where the kernel has it; false: key by key.
    public var batchLookup: Bool

    public init(bpffs: String, batchLookup: Bool = true) {
        var trimmed = bpffs
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.bpffs = trimmed
        self.batchLookup = batchLookup
    }

    /// Where Cilium and Calico pin their global maps (iproute2's tc convention).
    public var globals: String { bpffs + "/tc/globals" }

    /// Reads every map found into `accumulator` (an audit) and says what was read.
    public func read<Sink: DataplaneFlowSink>(into accumulator: inout Sink) -> DataplaneSurvey {
        var survey = DataplaneSurvey(bpffs: bpffs)
        if let problem = globalsProblem() {
            if !problem.isEmpty { survey.problems.append(problem) }
            return survey
        }
        for layout in [CiliumSNATLayout.ipv4, .ipv6] {
            let path = globals + "/" + layout.pinnedName
            guard exists(path) else { continue }
            survey.maps.append(
                DataplaneMapReading(
                    dataplane: .cilium, path: path,
                    outcome: readCilium(path: path, layout: layout, into: &accumulator, problems: &survey.problems)))
        }
        for name in NodeFiles.list(globals) {
            guard let (family, version) = CalicoConntrackLayout.parse(pinnedName: name) else { continue }
            let path = globals + "/" + name
            let outcome: DataplaneMapReading.Outcome
            if let layout = CalicoConntrackLayout(family: family, version: version) {
                outcome = readCalico(path: path, layout: layout, into: &accumulator, problems: &survey.problems)
            } else {
                let known = CalicoConntrackLayout.supportedVersions.map { "cali_\(family == .ipv4 ? "v4" : "v6")_ct\($0)" }
                outcome = .unreadable(
                    reason:
                        "\(path): conntrack map version \(version) has an unknown layout (ctaudit decodes \(known.joined(separator: ", ")))"
                )
            }
            survey.maps.append(DataplaneMapReading(dataplane: .calico, path: path, outcome: outcome))
        }
        return survey
    }

    /// The NAT maps pinned under `globals`, found by name only: nothing is
    /// opened or read. For `watch`, whose conntrack events never show these
    /// translations, so that it says what it cannot see. `problem` is set
    /// when the directory exists but cannot be searched.
    public func pinnedNATMaps() -> (maps: [(dataplane: Dataplane, path: String)], problem: String?) {
        if let problem = globalsProblem() { return ([], problem.isEmpty ? nil : problem) }
        var maps: [(dataplane: Dataplane, path: String)] = []
        for layout in [CiliumSNATLayout.ipv4, .ipv6] where exists(globals + "/" + layout.pinnedName) {
            maps.append((.cilium, globals + "/" + layout.pinnedName))
        }
        for name in NodeFiles.list(globals) where CalicoConntrackLayout.parse(pinnedName: name) != nil {
            maps.append((.calico, globals + "/" + name))
        }
        return (maps, nil)
    }

    /// nil when `globals` can be searched; "" when it does not exist (no BPF
    /// dataplane); else why it cannot be searched. A directory ctaudit may not
    /// search hides every map in it: that is said, never taken for "no BPF dataplane".
    private func globalsProblem() -> String? {
        var info = stat()
        if lstat(globals, &info) != 0 {
            let error = errno
            return error == ENOENT || error == ENOTDIR
                ? "" : "cannot look for BPF NAT maps in \(globals): \(String(cString: strerror(error)))"
        }
        if access(globals, R_OK | X_OK) != 0 {
            return "cannot look for BPF NAT maps in \(globals): \(String(cString: strerror(errno))) (needs root)"
        }
        return nil
    }

    private func readCilium(
        path: String, layout: CiliumSNATLayout, into accumulator: inout some DataplaneFlowSink, problems: inout [String]
    ) -> DataplaneMapReading.Outcome {
        var translations = 0
        var malformed = 0
        var unpaired = 0
        return walk(
            path: path, matches: layout.matches, expectation: layout.expectation, problems: &problems,
            counts: { (translations, malformed, unpaired) }
        ) { map, key, value throws(BPFError) in
            guard let entry = try? CiliumSNATEntry.decode(key: key, value: value, layout: layout) else {
                malformed += 1
                return
            }
            guard let flow = entry.flow, let reverseKey = entry.reverseKey else { return }
            translations += 1
            // An egress entry whose reverse entry is missing translates
            // nothing coming back (NodePort DSR replies, or a pair half
            // created or half expired): counted, not audited.
            if case .violation = accumulator.policy.classify(flow), try map.value(forKey: reverseKey) == nil {
                unpaired += 1
                return
            }
            accumulator.add(flow, dataplane: .cilium)
        }
    }

    private func readCalico(
        path: String, layout: CalicoConntrackLayout, into accumulator: inout some DataplaneFlowSink, problems: inout [String]
    ) -> DataplaneMapReading.Outcome {
        var translations = 0
        var malformed = 0
        return walk(
            path: path, matches: layout.matches, expectation: layout.expectation, problems: &problems,
            counts: { (translations, malformed, 0) }
        ) { _, key, value throws(BPFError) in
            let flow: Flow?
            do { flow = try CalicoHostPortNAT.decode(key: key, value: value, layout: layout) } catch {
                malformed += 1
                return
            }
            guard let flow else { return }
            translations += 1
            accumulator.add(flow, dataplane: .calico)
        }
    }

    /// Opens the map, checks its layout and walks it with `visit`; what the
    /// dataplanes' reads share. `counts` gives (translations, malformed,
    /// unpaired) once the walk is done.
    private func walk(
        path: String, matches: (BPFMapFacts) -> Bool, expectation: String, problems: inout [String],
        counts: () -> (Int, Int, Int),
        visit: (BPFMap, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(BPFError) -> Void
    ) -> DataplaneMapReading.Outcome {
        do {
            let map = try BPFMap(path: path)
            guard matches(map.facts) else {
                throw BPFError.unknownLayout(path: path, found: map.facts, expected: expectation)
            }
            let walk = try map.forEachEntry(batched: batchLookup) { (key, value) throws(BPFError) in try visit(map, key, value) }
            if walk.mayHaveRepeated { problems.append(Self.repeatedWarning(path)) }
            let (translations, malformed, unpaired) = counts()
            return .read(entries: walk.entries, translations: translations, malformed: malformed, unpaired: unpaired)
        } catch let error as BPFError {
            return .unreadable(reason: error.description)
        } catch {
            return .unreadable(reason: "\(path): \(error)")
        }
    }

    /// Said when a key-by-key walk could not rule out reading entries twice.
    static func repeatedWarning(_ path: String) -> String {
        "\(path) changed faster than it could be walked key by key (no batch lookup on this kernel): "
            + "some of its translations may be counted twice; audit again"
    }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
