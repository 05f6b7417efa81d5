// Coverage-guided fuzzing of the netlink and BPF map decoders (libFuzzer).
//
// scripts/fuzz.sh builds this with -sanitize=fuzzer,address and exports
// LLVMFuzzerRunDriver, which is then found below and given control: the
// usual libFuzzer command line applies (corpus directories, -max_total_time,
// -runs, a crash file to reproduce). A plain `swift build` has no libFuzzer:
// the program then replays the files it is given, one datagram per file.
import Conntrack
import Engines
import Glibc
import NodeState
import Policy
import Reports

/// One input is one received datagram, as the socket readers see it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneDatagram(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzedReport.decode(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : count))
    return 0
}

typealias FuzzerCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
typealias FuzzerRunDriver =
    @convention(c) (
        UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>, FuzzerCallback
    ) -> CInt

if let symbol = dlsym(dlopen(nil, RTLD_NOW), "LLVMFuzzerRunDriver") {
    let runDriver = unsafeBitCast(symbol, to: FuzzerRunDriver.self)
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, fuzzOneDatagram))
}
exit(FuzzReplay.run(paths: Array(CommandLine.arguments.dropFirst())))
