public import Policy

/// Finds which local ports replies come back to with few probes: a control
/// probe in the middle of the range, the two ends, then bisection between
/// every pair of neighbouring probes that disagree, then a few random
/// samples inside every band to confirm it (a disagreeing sample splits the
/// band and bisection goes on). Never more than `maxProbes`; one probe at a
/// time (the prober paces them).
public struct ReplyPortSearch<Prober: ReplyProber> {
    public var range: PortRange
    public var maxProbes: Int
    /// Random confirmation probes per band.
    public var samplesPerBand: Int
    public var prober: Prober
    private var generator: SplitMix64
    /// Called after each probe (the CLI paces and prints progress).
    public var afterProbe: (ProbeEvidence) -> Void = { _ in }
    /// Milliseconds since some fixed point, for the evidence.
    public var clock: () -> Int = { 0 }

    private var results: [UInt16: Bool] = [:]
    private var evidence: [ProbeEvidence] = []
    private var skipped: [UInt16] = []
    private var tried = Set<UInt16>()
    private var sent = 0

    public init(range: PortRange, maxProbes: Int = 64, samplesPerBand: Int = 3, prober: Prober, seed: UInt64) {
        self.range = range
        self.maxProbes = maxProbes
        self.samplesPerBand = samplesPerBand
        self.prober = prober
        self.generator = SplitMix64(seed: seed)
    }

    public mutating func run(target: String, proto: String, netns: String?) throws -> ProbeResult {
        let low = Int(range.low)
        let high = Int(range.high)
        let middle = (low + high) / 2
        _ = try probe(near: middle, within: low...high, phase: .control)
        // A control probe that got nothing back anywhere near the middle, and
        // nothing at the ends either, means the target is down: stop early.
        _ = try probe(near: low, within: low...high, phase: .edge)
        _ = try probe(near: high, within: low...high, phase: .edge)
        if results.values.allSatisfy({ !$0 }) && !results.isEmpty {
            return result(target: target, proto: proto, netns: netns)
        }
        while sent < maxProbes {
            if try bisectOnce() { continue }
            if try sampleBands() { continue }
            break
        }
        return result(target: target, proto: proto, netns: netns)
    }

    /// Probes the middle of the first gap whose ends disagree; false when none is left.
    private mutating func bisectOnce() throws -> Bool {
        let ports = results.keys.sorted()
        for (a, b) in zip(ports, ports.dropFirst()) where results[a] != results[b] && Int(b) - Int(a) > 1 {
            let open = (Int(a) + 1)...(Int(b) - 1)
            if try probe(near: (Int(a) + Int(b)) / 2, within: open, phase: .bisect) != nil { return true }
            // Every port in the gap was in use: it stays unknown.
        }
        return false
    }

    /// Samples each band once per round; true when a sample was sent.
    private mutating func sampleBands() throws -> Bool {
        var sampledAny = false
        for band in bands() where band.samples < samplesPerBand && band.high - band.low > 1 {
            guard sent < maxProbes else { return sampledAny }
            let candidates = (band.low + 1)...(band.high - 1)
            let pick = Int(generator.next() % UInt64(candidates.count)) + candidates.lowerBound
            if try probe(near: pick, within: candidates, phase: .sample) != nil {
                sampledAny = true
                if results[UInt16(pick)] != band.cameBack { return true }  // a split: bisect first
            }
        }
        return sampledAny
    }

    private struct Band {
        var low: Int
        var high: Int
        var cameBack: Bool
        var samples: Int
    }

    /// Maximal runs of agreeing probes, with the samples already inside each.
    private func bands() -> [Band] {
        let ports = results.keys.sorted()
        var bands: [Band] = []
        for port in ports {
            let value = results[port]!
            if var last = bands.last, last.cameBack == value {
                last.high = Int(port)
                bands[bands.count - 1] = last
            } else {
                bands.append(Band(low: Int(port), high: Int(port), cameBack: value, samples: 0))
            }
        }
        let sampled = evidence.filter { $0.phase == .sample }.map { Int($0.localPort) }
        return bands.map { band in
            var band = band
            band.samples = sampled.filter { band.low < $0 && $0 < band.high }.count
            return band
        }
    }

    /// Probes `port`, or the nearest untried port inside `within` when it is in
    /// use or already probed. Returns the port probed, nil when none could be.
    private mutating func probe(near port: Int, within: ClosedRange<Int>, phase: ProbeEvidence.Phase) throws -> UInt16? {
        var offset = 0
        // Bounded: a crowded node does not turn into a port scan of itself.
        var attempts = 0
        while attempts < 64 && sent < maxProbes {
            let candidates = offset == 0 ? [port] : [port + offset, port - offset]
            offset += 1
            if candidates.allSatisfy({ !within.contains($0) }) { return nil }
            for candidate in candidates where within.contains(candidate) {
                let local = UInt16(candidate)
                guard tried.insert(local).inserted else { continue }
                attempts += 1
                let started = clock()
                let outcome = try prober.probe(localPort: local)
                let record = ProbeEvidence(localPort: local, phase: phase, outcome: outcome, milliseconds: clock() - started)
                switch outcome {
                case .portInUse:
                    skipped.append(local)
                    continue
                case .failed:
                    sent += 1
                    evidence.append(record)
                    afterProbe(record)
                    continue
                case .replied, .noReply:
                    sent += 1
                    evidence.append(record)
                    results[local] = record.cameBack
                    afterProbe(record)
                    return local
                }
            }
        }
        return nil
    }

    private func result(target: String, proto: String, netns: String?) -> ProbeResult {
        var allowed: [PortRange] = []
        var blocked: [PortRange] = []
        var unknown: [PortRange] = []
        let ports = results.keys.sorted()
        func add(_ low: Int, _ high: Int, _ cameBack: Bool?) {
            guard low <= high, let range = PortRange(low: UInt16(low), high: UInt16(high)) else { return }
            switch cameBack {
            case true?: allowed.append(range)
            case false?: blocked.append(range)
            case nil: unknown.append(range)
            }
        }
        if let first = ports.first {
            // Beyond the outermost probes (ports in use at the ends): unknown.
            add(Int(range.low), Int(first) - 1, nil)
            for (a, b) in zip(ports, ports.dropFirst()) {
                add(Int(a), Int(a), results[a])
                if results[a] == results[b] { add(Int(a) + 1, Int(b) - 1, results[a]) } else { add(Int(a) + 1, Int(b) - 1, nil) }
            }
            add(Int(ports.last!), Int(ports.last!), results[ports.last!])
            add(Int(ports.last!) + 1, Int(range.high), nil)
        } else {
            add(Int(range.low), Int(range.high), nil)
        }
        return ProbeResult(
            target: target, proto: proto, netns: netns, range: range, allowed: PortRangeSet(allowed),
            blocked: PortRangeSet(blocked), unknown: PortRangeSet(unknown), probes: sent,
            maxProbes: maxProbes, evidence: evidence, skipped: skipped)
    }
}

/// A small seeded generator: the same seed samples the same ports, so a
/// probe run can be repeated and tests are exact.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
