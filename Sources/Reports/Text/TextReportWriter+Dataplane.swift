import Engines

extension TextReportWriter {
    /// Which dataplanes were read, and a warning for every BPF NAT map that
    /// exists but could not be read.
    func dataplaneNotes(_ report: AuditReport) -> [String] {
        let survey = report.dataplanes
        let planes = survey.read.map { plane -> String in
            guard plane != .conntrack else { return "conntrack" }
            let translations = survey.maps.reduce(0) { total, reading in
                guard reading.dataplane == plane, case .read(_, let count, _, _) = reading.outcome else { return total }
                return total + count
            }
            return "\(plane) (BPF, \(translations) translation(s))"
        }
        var lines = ["dataplanes read: " + planes.joined(separator: ", ")]
        for reading in survey.maps {
            guard case let .read(_, _, malformed, unpaired) = reading.outcome else { continue }
            if malformed > 0 { lines.append(yellow("note: \(malformed) entr(ies) of \(reading.path) did not decode and were skipped")) }
            if unpaired > 0 {
                lines.append(
                    "note: \(unpaired) egress entr(ies) of \(reading.path) without a reverse entry were not audited (NodePort DSR replies, or pairs being created or expiring)"
                )
            }
        }
        lines += survey.warnings.map { yellow("warning: " + $0) }
        return lines
    }
}
