import Conntrack
public import Policy

extension ConfigFile {
    /// Reads (through the one bounded reader) and parses a config file.
    public static func load(path: String) throws(ConfigError) -> ConfigFile {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.read(path, limit: .nodeFile)
        } catch {
            throw ConfigError(path: path, line: nil, message: error.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError(path: path, line: nil, message: "not UTF-8 text")
        }
        return try parse(text, path: path)
    }
}
