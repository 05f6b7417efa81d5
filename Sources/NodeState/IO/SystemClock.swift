import Glibc

/// The one clock: wall time for report stamps, records and textfile
/// timestamps; monotonic time for durations and --duration (immune to the
/// wall clock being set); and the host name reports carry.
public enum SystemClock {
    /// Wall clock, nanoseconds since the epoch.
    public static func wallNanoseconds() -> UInt64 { read(CLOCK_REALTIME) }

    /// Monotonic clock, nanoseconds since an arbitrary start.
    public static func monotonicNanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }

    /// Unix time in seconds with millisecond precision (Prometheus timestamps).
    public static func unixSeconds(_ nanoseconds: UInt64 = wallNanoseconds()) -> Double {
        Double(nanoseconds / 1_000_000_000) + Double(nanoseconds % 1_000_000_000 / 1_000_000) / 1000
    }

    /// This machine's host name.
    public static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "unknown" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// RFC 3339 UTC: `2026-11-25T04:50:12Z` (reports), or with
    /// `milliseconds` `2026-11-25T04:50:12.345Z` (watch records).
    public static func rfc3339(_ nanoseconds: UInt64, milliseconds: Bool = true) -> String {
        let (parts, millis) = split(nanoseconds, utc: true)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))"
            + (milliseconds ? ".\(pad(millis, 3))Z" : "Z")
    }

    /// Local time of day with milliseconds, for a terminal: `14:50:12.345`.
    public static func timeOfDay(_ nanoseconds: UInt64) -> String {
        let (parts, millis) = split(nanoseconds, utc: false)
        return "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(millis, 3))"
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    private static func split(_ nanoseconds: UInt64, utc: Bool) -> (tm, Int32) {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        return (parts, Int32(nanoseconds % 1_000_000_000 / 1_000_000))
    }

    private static func pad(_ value: Int32, _ width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
