import ArgumentParser

/// A length of time on the command line: seconds (`300`, `1.5`) or with a
/// unit, as Prometheus and Kubernetes write them (`500ms`, `30s`, `5m`, `1h`).
struct DurationArgument: ExpressibleByArgument, Comparable, CustomStringConvertible, Sendable {
    var seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(argument)
        var scale = 1.0
        for unit in units where argument.hasSuffix(unit.suffix) {
            number = argument.dropLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number), value.isFinite
        else { return nil }
        seconds = value * scale
    }

    /// `5m`, `30s`, `1.5s`: how --help shows the default.
    var description: String {
        if seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int64(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int64(seconds))s" }
        return "\(seconds)s"
    }

    var defaultValueDescription: String { description }

    var nanoseconds: UInt64 { UInt64(seconds * 1e9) }

    static func < (a: DurationArgument, b: DurationArgument) -> Bool { a.seconds < b.seconds }
}
