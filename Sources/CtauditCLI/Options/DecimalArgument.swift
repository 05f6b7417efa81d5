import ArgumentParser

/// A number of seconds (or per second) given on the command line. Its own
/// type only so that `--help` shows a default of 15 as "15", not "15.0".
struct DecimalArgument: ExpressibleByArgument, Comparable, CustomStringConvertible, Sendable {
    var value: Double

    init(_ value: Double) { self.value = value }

    init?(argument: String) {
        guard let value = Double(argument), value.isFinite else { return nil }
        self.value = value
    }

    var description: String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    var defaultValueDescription: String { description }

    static func < (a: DecimalArgument, b: DecimalArgument) -> Bool { a.value < b.value }
}
