import Engines
import Glibc
import Policy

/// The inline SVG chart of an HTML report: translated source ports over
/// 0-65535, the allowed ranges shaded, allowed flows in blue and violations
/// in red. Counts use a log scale so three violations stay visible next to
/// thirty thousand allowed flows; every bar has a tooltip with exact numbers.
struct PortHistogramSVG {
    static let bins = 256
    static let plotWidth = 1024
    static let plotHeight = 180
    static let left = 48
    static let top = 16
    static let width = left + plotWidth + 16
    static let height = top + plotHeight + 56

    /// Colours the browser test looks for in the screenshot.
    static let bandColor = "#d9f2d9"
    static let allowedColor = "#3b6fb6"
    static let violationColor = "#d62728"

    var histogram: PortHistogram
    var allowed: PortRangeSet

    func render() -> String {
        let (allowedCounts, violatingCounts) = histogram.rebinned(into: Self.bins)
        let tallest = zip(allowedCounts, violatingCounts).map { $0 + $1 }.max() ?? 0
        let portsPerBin = 65536 / Self.bins
        let barWidth = Double(Self.plotWidth) / Double(Self.bins)
        let bottom = Self.top + Self.plotHeight
        var out = """
            <svg id="port-histogram" xmlns="http://www.w3.org/2000/svg" width="\(Self.width)" height="\(Self.height)" \
            viewBox="0 0 \(Self.width) \(Self.height)" role="img" aria-labelledby="port-histogram-title">
            <title id="port-histogram-title">Translated source ports, 0-65535: allowed \(HTML.escape(allowed.description)) shaded, violations red</title>

            """
        out +=
            "<rect class=\"plot\" x=\"\(Self.left)\" y=\"\(Self.top)\" width=\"\(Self.plotWidth)\" height=\"\(Self.plotHeight)\" fill=\"#ffffff\" stroke=\"#999999\"/>\n"
        for range in allowed.ranges {
            let start = x(ofPort: Int(range.low))
            let end = x(ofPort: Int(range.high) + 1)
            out +=
                "<rect class=\"allowed-band\" data-low=\"\(range.low)\" data-high=\"\(range.high)\" x=\"\(fmt(start))\" y=\"\(Self.top)\" "
                + "width=\"\(fmt(max(end - start, 1)))\" height=\"\(Self.plotHeight)\" fill=\"\(Self.bandColor)\"/>\n"
        }
        for bin in 0..<Self.bins where allowedCounts[bin] + violatingCounts[bin] > 0 {
            let allowedCount = allowedCounts[bin]
            let violating = violatingCounts[bin]
            let total = allowedCount + violating
            let height = scaled(total, tallest: tallest)
            let barX = Double(Self.left) + Double(bin) * barWidth
            let low = bin * portsPerBin
            let high = low + portsPerBin - 1
            let tip = "ports \(low)-\(high): \(violating) violating, \(allowedCount) allowed"
            // Violations at the foot of the bar, at least 3 px so one flow shows.
            let violationHeight = violating == 0 ? 0 : min(height, max(3, height * Double(violating) / Double(total)))
            if violating > 0 {
                out +=
                    "<rect class=\"bar violation\" data-low=\"\(low)\" data-high=\"\(high)\" data-count=\"\(violating)\" "
                    + "x=\"\(fmt(barX))\" y=\"\(fmt(Double(bottom) - violationHeight))\" width=\"\(fmt(barWidth))\" "
                    + "height=\"\(fmt(violationHeight))\" fill=\"\(Self.violationColor)\"><title>\(HTML.escape(tip))</title></rect>\n"
            }
            if allowedCount > 0 {
                let allowedHeight = max(1, height - violationHeight)
                out +=
                    "<rect class=\"bar allowed\" data-low=\"\(low)\" data-high=\"\(high)\" data-count=\"\(allowedCount)\" "
                    + "x=\"\(fmt(barX))\" y=\"\(fmt(Double(bottom) - violationHeight - allowedHeight))\" width=\"\(fmt(barWidth))\" "
                    + "height=\"\(fmt(allowedHeight))\" fill=\"\(Self.allowedColor)\"><title>\(HTML.escape(tip))</title></rect>\n"
            }
        }
        out += axis(bottom: bottom, tallest: tallest)
        return out + "</svg>\n"
    }

    private func axis(bottom: Int, tallest: Int) -> String {
        var out = ""
        for port in [0, 16384, 32768, 49152, 61000, 65535] {
            let tickX = x(ofPort: port == 65535 ? 65536 : port)
            out += "<line x1=\"\(fmt(tickX))\" y1=\"\(bottom)\" x2=\"\(fmt(tickX))\" y2=\"\(bottom + 5)\" stroke=\"#555555\"/>"
            out += "<text class=\"tick\" x=\"\(fmt(tickX))\" y=\"\(bottom + 18)\" text-anchor=\"middle\">\(port)</text>\n"
        }
        out +=
            "<text class=\"axis-label\" x=\"\(Self.left + Self.plotWidth / 2)\" y=\"\(bottom + 38)\" text-anchor=\"middle\">"
            + "translated source port (\(65536 / Self.bins) ports per bar)</text>\n"
        out += "<text class=\"tick\" x=\"\(Self.left - 6)\" y=\"\(Self.top + 10)\" text-anchor=\"end\">\(tallest)</text>"
        out += "<text class=\"tick\" x=\"\(Self.left - 6)\" y=\"\(bottom)\" text-anchor=\"end\">0</text>\n"
        out +=
            "<text class=\"axis-label\" transform=\"rotate(-90)\" x=\"\(-(Self.top + Self.plotHeight / 2))\" y=\"14\" "
            + "text-anchor=\"middle\">flows (log)</text>\n"
        return out
    }

    private func x(ofPort port: Int) -> Double {
        Double(Self.left) + Double(port) * Double(Self.plotWidth) / 65536
    }

    private func scaled(_ count: Int, tallest: Int) -> Double {
        guard count > 0, tallest > 0 else { return 0 }
        let ratio = log(1 + Double(count)) / log(1 + Double(tallest))
        return max(2, ratio * Double(Self.plotHeight))
    }

    private func fmt(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : rounded.description
    }
}
