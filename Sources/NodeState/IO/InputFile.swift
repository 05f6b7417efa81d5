public import Conntrack
import SystemPackage

/// Why a file named on the command line could not be read or used (not
/// the report or rules it should hold); `reason` is the part after "PATH: "
/// in the one-line error. Exit status 2.
public struct InputFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Reads a file a person named (a config, a rules dump, an audit report)
/// whole through `BoundedFile`, refusing what cannot be one: a directory, a
/// device (`/dev/zero` would never end), or more than its limit. Pipes and
/// process substitution (`<(iptables-save -t nat)`) work. Nothing is
/// interpreted here.
public enum InputFile {
    public static func read(_ path: String, limit: BoundedFile.Limit = .namedInput) throws(InputFileError) -> [UInt8] {
        do {
            return try BoundedFile.read(path, limit: limit)
        } catch {
            throw InputFileError(error)
        }
    }

    /// Reads an already open descriptor to its end (standard input for `-`).
    public static func read(descriptor: Int32, name: String, limit: BoundedFile.Limit = .namedInput) throws(InputFileError) -> [UInt8] {
        do {
            return try BoundedFile.read(FileDescriptor(rawValue: descriptor), name: name, limit: limit)
        } catch {
            throw InputFileError(error)
        }
    }
}

extension InputFileError {
    public init(_ error: FileReadError) {
        self.init(path: error.path, reason: error.reason)
    }
}
