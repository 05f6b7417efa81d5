import Foundation
import Glibc

/// scripts/bench-events/ctflood.c, the event flood the watch suites drive:
/// compiled with gcc against libmnl, or why it could not be.
enum CTFlood {
    /// Built once per run.
    static let binary: Result<String, Shell.Failure> = {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ctflood-\(getpid())").path
        let source = Shell.packageRoot.appendingPathComponent("scripts/bench-events/ctflood.c").path
        do {
            try Shell.sh("gcc -O2 -o \(output) \(source) $(pkg-config --cflags --libs libmnl)")
            return .success(output)
        } catch let failure as Shell.Failure {
            return .failure(failure)
        } catch {
            return .failure(Shell.Failure(command: "gcc", status: -1, stderr: "\(error)"))
        }
    }()
}
