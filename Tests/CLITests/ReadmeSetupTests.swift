import Foundation
import Testing

/// Honest set-up (issue 23.7): README says everything `make build` and
/// `make test` install, as the Makefile lists it; a package added to the
/// Makefile and not to README fails here.
@Suite("README: what make installs")
struct ReadmeSetupTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The words of a Makefile variable (`NAME := a b \` continued lines), `$(OTHER)` expanded.
    static func variable(_ name: String, in makefile: String) -> [String] {
        let lines = makefile.components(separatedBy: "\n")
        guard var index = lines.firstIndex(where: { $0.hasPrefix("\(name) :=") }) else { return [] }
        var text = String(lines[index].dropFirst("\(name) :=".count))
        while text.hasSuffix("\\"), index + 1 < lines.count {
            index += 1
            text = String(text.dropLast()) + " " + lines[index]
        }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" }).flatMap { word -> [String] in
            if word.hasPrefix("$("), word.hasSuffix(")") { return variable(String(word.dropFirst(2).dropLast()), in: makefile) }
            return [String(word)]
        }
    }

    @Test func everyPackageTheMakefileInstallsIsInTheReadme() throws {
        let makefile = try String(contentsOf: Self.root.appendingPathComponent("Makefile"), encoding: .utf8)
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let apt = Self.variable("APT_PACKAGES", in: makefile)
        let pip = Self.variable("PIP_PACKAGES", in: makefile).map { String($0.split(separator: ":")[0]) }
        #expect(apt.count > 20 && pip.count >= 2, "\(apt) \(pip)")
        for package in apt + pip {
            #expect(
                readme.range(of: #"[`\s]"# + NSRegularExpression.escapedPattern(for: package) + #"[`\s)]"#, options: .regularExpression)
                    != nil,
                "README.md does not say make installs \(package)")
        }
        #expect(readme.contains("--break-system-packages"))
    }
}
