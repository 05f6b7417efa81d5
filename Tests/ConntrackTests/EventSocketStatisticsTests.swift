import Testing

@testable import Conntrack

@Suite("Event socket drop counter and per-CPU statistics")
struct EventSocketStatisticsTests {
    static let netlinkTable = """
        sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
        000000008ec58179 0   0          00000000 0        0        0     2        0        4
        00000000fd2b7a0e 12  3735       00000007 8192     0        0     2        36131    91237
        000000000cf103db 12  3736       00000000 0        0        0     2        5        91238
        """

    @Test("the Drops column of the socket's own row (by inode) is the loss count")
    func dropsByInode() {
        #expect(ConntrackEventSocket.dropCount(inNetlinkTable: Self.netlinkTable, inode: 91237) == 36131)
        #expect(ConntrackEventSocket.dropCount(inNetlinkTable: Self.netlinkTable, inode: 91238) == 5)
        #expect(ConntrackEventSocket.dropCount(inNetlinkTable: Self.netlinkTable, inode: 1) == nil)
    }

    @Test("a table without a Drops column gives no count rather than a wrong one")
    func missingColumn() {
        let text = "sk Eth Pid Inode\n0 12 1 91237\n"
        #expect(ConntrackEventSocket.dropCount(inNetlinkTable: text, inode: 91237) == nil)
    }

    static func attribute(_ type: UInt16, _ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: UInt16(8).littleEndian, Array.init) + withUnsafeBytes(of: type.littleEndian, Array.init)
            + withUnsafeBytes(of: value.bigEndian, Array.init)
    }

    @Test("a per-CPU reply decodes the CPU from res_id and every counter conntrack -S shows")
    func cpuStatistics() throws {
        // nfgenmsg: AF_UNSPEC, version 0, res_id = CPU 3 (big-endian)
        var payload: [UInt8] = [0, 0, 0, 3]
        let values: [(UInt16, UInt32)] = [(2, 16), (4, 1), (8, 2), (9, 3), (10, 4), (11, 5), (12, 6), (13, 7), (14, 8), (15, 9), (99, 42)]
        for (type, value) in values { payload += Self.attribute(type, value) }
        let stats = try payload.withUnsafeBytes { try ConntrackSocket.decodeCPUStatistics($0) }
        #expect(stats.cpu == 3)
        #expect(stats.counters.map(\.value) == [16, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(
            stats.counters.map(\.name) == [
                "found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart",
                "clash_resolve", "chaintoolong",
            ])
    }

    @Test("a short counter attribute is a decode error")
    func shortCounter() {
        let payload: [UInt8] = [0, 0, 0, 0, 6, 0, 2, 0, 0, 1, 0, 0]
        #expect(throws: DecodeError.self) {
            _ = try payload.withUnsafeBytes { try ConntrackSocket.decodeCPUStatistics($0) }
        }
    }

    @Test("sums add every counter and have no CPU")
    func sum() {
        var a = CPUStatistics(cpu: 0)
        a.found = 3
        a.insertFailed = 1
        var b = CPUStatistics(cpu: 1)
        b.found = UInt64(UInt32.max)
        b.clashResolve = 2
        let total = CPUStatistics.sum([a, b])
        #expect(total.cpu == nil)
        #expect(total.found == UInt64(UInt32.max) + 3)
        #expect(total.insertFailed == 1)
        #expect(total.clashResolve == 2)
    }
}
