import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("Reports: HTML")
struct ReportsHTMLTests {
    @Test func matchesGolden() throws {
        Golden.expectMatches("audit-report.html", HTMLReportWriter().render(ReportsFixtures.report()))
    }

    @Test func isSelfContained() {
        let html = HTMLReportWriter().render(ReportsFixtures.report())
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src=\""))
        #expect(!html.contains("href="))
        #expect(!html.contains("<img"))
        #expect(!html.contains("url("))
        #expect(!html.contains("@import"))
        // The only URL is the SVG namespace, which is an identifier, not a fetch.
        #expect(html.components(separatedBy: "http").count == 2)
    }

    @Test func escapesEverythingFromTheHostAndTable() {
        let report = ReportsFixtures.report(host: "evil<script>alert(1)</script>&\"'", netns: "<b>ns</b>")
        let html = HTMLReportWriter().render(report)
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("evil&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"))
        #expect(!html.contains("<b>ns</b>"))
        #expect(HTML.escape("a\u{1}b") == "a&#xFFFD;b")
    }

    @Test func chartShadesTheAllowedBandAndColoursViolations() {
        let html = HTMLReportWriter().render(ReportsFixtures.report())
        #expect(html.contains("<rect class=\"allowed-band\" data-low=\"32768\" data-high=\"65535\" x=\"560\""))
        // Violations at 1100, 1500, 9000 and 23310: four 256-port bins.
        #expect(html.components(separatedBy: "class=\"bar violation\"").count - 1 == 4)
        #expect(html.contains("data-low=\"1024\" data-high=\"1279\" data-count=\"1\""))
        #expect(html.contains("data-low=\"1280\" data-high=\"1535\" data-count=\"1\""))
        #expect(!html.contains("class=\"bar allowed\" data-low=\"1"))  // no allowed flow below 32768
    }

    @Test func histogramBinsAllowedAndViolatingFlows() {
        var histogram = PortHistogram()
        histogram.add(port: 0, violation: true)
        histogram.add(port: 63, violation: true)
        histogram.add(port: 64, violation: false)
        histogram.add(port: 65535, violation: false)
        #expect(histogram.violating[0] == 2 && histogram.allowed[1] == 1 && histogram.allowed[1023] == 1)
        #expect(histogram.total == 4)
        let wide = histogram.rebinned(into: 256)
        #expect(wide.violating[0] == 2 && wide.allowed[0] == 1 && wide.allowed[255] == 1)
        #expect(PortHistogram.ports(ofBin: 1023) == 65472...65535)
    }

    // MARK: - In a real browser

    static let hasChromium = ExternalTool.has("chromium")

    /// Writes the page and lets headless Chromium load it.
    static func render(_ html: String, _ arguments: [String]) throws -> (ExternalTool.Result, URL) {
        let directory = try ReportsFixtures.temporaryDirectory("html")
        let page = directory.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let result = try ExternalTool.run(
            "chromium",
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(directory.path)/profile", "--force-color-profile=srgb", "--window-size=1200,900",
            ] + arguments.map { $0.replacingOccurrences(of: "DIR", with: directory.path) } + [page.absoluteString])
        return (result, directory)
    }

    @Test(.enabled(if: hasChromium, "chromium missing: apt-get install chromium (make deps does)"))
    func browserBuildsTheExpectedDOMAndRunsNothingInjected() throws {
        let report = ReportsFixtures.report(host: "evil<script>document.title='pwned'</script>")
        let (result, directory) = try Self.render(HTMLReportWriter().render(report), ["--dump-dom"])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.status == 0, "chromium: \(result.stderr.suffix(500))")
        let dom = result.stdout
        #expect(dom.contains("<svg id=\"port-histogram\""))
        #expect(dom.components(separatedBy: "class=\"bar violation\"").count - 1 == 4)
        #expect(dom.contains("id=\"offender-table\""))
        #expect(dom.contains("id=\"violation-table\""))
        #expect(!dom.contains("<script"), "an injected script element reached the DOM")
        #expect(!dom.contains("<title>pwned</title>"))
        #expect(dom.contains("4 violation(s)"))
    }

    @Test(.enabled(if: hasChromium && ExternalTool.has("python3"), "chromium or python3 missing (make deps installs chromium)"))
    func screenshotShowsViolationsLeftOfTheShadedBand() throws {
        let (result, directory) = try Self.render(HTMLReportWriter().render(ReportsFixtures.report()), ["--screenshot=DIR/shot.png"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let shot = directory.appendingPathComponent("shot.png")
        #expect(FileManager.default.fileExists(atPath: shot.path), "no screenshot: \(result.stderr.suffix(500))")
        let colours = try ExternalTool.run("python3", ["-c", Self.pngColourScript, shot.path])
        #expect(colours.status == 0, "decoding the screenshot failed: \(colours.stderr)")
        let found = try #require(try JSONSerialization.jsonObject(with: Data(colours.stdout.utf8)) as? [String: [Int]])
        let band = try #require(found["band"])
        let red = try #require(found["red"])
        let blue = try #require(found["blue"])
        // [count, minX, maxX, minY, maxY]
        #expect(band[0] > 10_000, "the allowed band is not shaded")
        #expect(red[0] > 20, "no violation bars drawn")
        #expect(blue[0] > 20, "no allowed bars drawn")
        #expect(red[2] < band[1], "violation bars must lie left of the allowed band (32768-65535)")
        // A bar on the band's first bin hides its first pixels: allow one bar width.
        #expect(blue[1] >= band[1] - 5 && blue[2] <= band[2], "allowed bars must lie inside the band")
        // The band covers half the axis: its width is about the distance from 0 to its start.
        #expect(abs((band[2] - band[1]) - (band[1] - red[1])) < 40)
    }

    /// A small PNG decoder (stdlib only) that reports where three exact colours are.
    static let pngColourScript = #"""
        import json, struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\x89PNG\r\n\x1a\n'
        pos, idat = 8, b''
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b'IHDR':
                width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            elif kind == b'IDAT':
                idat += body
            pos += 12 + length
        assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        bpp = 4 if ctype == 6 else 3
        raw, stride = zlib.decompress(idat), width * bpp
        previous, rows, i = bytearray(stride), [], 0
        for _ in range(height):
            f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = previous[x]
                c = previous[x - bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + b) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(line); previous = line
        want = {'band': (0xd9, 0xf2, 0xd9), 'red': (0xd6, 0x27, 0x28), 'blue': (0x3b, 0x6f, 0xb6)}
        found = {k: [0, 10**9, -1, 10**9, -1] for k in want}
        # The legend's swatches share the colours: only rows crossing the band (hundreds of its pixels) are the chart.
        band = want['band']
        for y, line in enumerate(rows):
            pixels = [tuple(line[x * bpp:x * bpp + 3]) for x in range(width)]
            if sum(1 for px in pixels if px == band) < 100:
                continue
            for x, px in enumerate(pixels):
                for k, rgb in want.items():
                    if px == rgb:
                        s = found[k]; s[0] += 1
                        s[1] = min(s[1], x); s[2] = max(s[2], x); s[3] = min(s[3], y); s[4] = max(s[4], y)
        print(json.dumps(found))
        """#
}
