import Glibc

/// Without libFuzzer: feeds each file (or each file in a directory) to the
/// fuzz target once, so a corpus or a crasher can be replayed with a plain build.
enum FuzzReplay {
    static func run(paths: [String]) -> Int32 {
        guard !paths.isEmpty else {
            complain("usage: ConntrackFuzz FILE|DIR...  (replays inputs; scripts/fuzz.sh builds the fuzzer)")
            return 2
        }
        var replayed = 0
        for path in paths {
            for file in files(at: path) {
                guard let bytes = read(file) else {
                    complain("ConntrackFuzz: cannot read \(file)")
                    return 2
                }
                bytes.withUnsafeBytes { FuzzedReport.decode($0) }
                replayed += 1
            }
        }
        print("replayed \(replayed) inputs without a crash")
        return 0
    }

    private static func complain(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }

    private static func files(at path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[..<count]
            if count < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}
