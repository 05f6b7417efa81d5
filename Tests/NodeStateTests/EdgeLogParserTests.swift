import Conntrack
import NodeState
import Testing

/// `who --from-log`: tcpdump -n lines and the kernel's LOG lines, as they are printed.
@Suite struct EdgeLogParserTests {
    static func packet(_ line: String) throws -> EdgePacket {
        guard case .packet(let packet) = EdgeLogParser.parse(line) else {
            Issue.record("not parsed: \(line)")
            throw EdgeLogFailure()
        }
        return packet
    }
    struct EdgeLogFailure: Error {}

    @Test func tcpdumpIPv4SYN() throws {
        let packet = try Self.packet(
            "00:32:47.583620 IP 198.51.100.2.2589 > 203.0.113.10.8080: Flags [S], seq 3667114178, win 64240, options [mss 1460,sackOK,TS val 3008040935 ecr 0,nop,wscale 10], length 0"
        )
        #expect(packet.proto == .tcp)
        #expect(packet.source == (try Endpoint(parsing: "198.51.100.2:2589")))
        #expect(packet.destination == (try Endpoint(parsing: "203.0.113.10:8080")))
        #expect(packet.flags == "[S]")
        #expect(packet.format == "tcpdump")
    }

    @Test func tcpdumpIPv6AndUDP() throws {
        let six = try Self.packet("00:32:47.600001 IP6 2001:db8:1::2.1516 > 2001:db8:2::10.8080: Flags [S], seq 1, win 64800, length 0")
        #expect(six.source == (try Endpoint(parsing: "[2001:db8:1::2]:1516")))
        #expect(six.proto == .tcp)
        let udp = try Self.packet("12:00:00.000000 IP 198.51.100.2.32156 > 203.0.113.10.53: UDP, length 5")
        #expect(udp.proto == .udp)
        // A port tcpdump decodes as an application: the protocol is not said.
        let mdns = try Self.packet(
            "00:32:47.7 IP 198.51.100.2.1117 > 203.0.113.10.5353: 26725 updateMA [b2&3=0x7069] [28271a] [26989q] [29285n] [24941au][|domain]"
        )
        #expect(mdns.proto == nil)
        #expect(mdns.source.port == 1117)
    }

    @Test func tcpdumpWithInterfaceAndLinkHeaders() throws {
        let any = try Self.packet("00:32:47.583620 int0  Out IP 198.51.100.2.2589 > 203.0.113.10.8080: Flags [S], seq 1, length 0")
        #expect(any.source.port == 2589)
        let ethernet = try Self.packet(
            "00:32:47.583620 ca:9a:27:15:77:35 > 4e:21:0c:aa:00:01, ethertype IPv4 (0x0800), length 74: 198.51.100.2.2589 > 203.0.113.10.8080: Flags [S], seq 1, length 0"
        )
        #expect(ethernet.destination.port == 8080)
        let verbose = try Self.packet("    198.51.100.2.2589 > 203.0.113.10.8080: Flags [S], cksum 0x1c2d (correct), seq 1, length 0")
        #expect(verbose.proto == .tcp)
    }

    @Test func iptablesLOG() throws {
        let packet = try Self.packet(
            "Dec  6 00:32:48 gw kernel: [12345.678901] ctaudit-drop: IN=srv0 OUT=int0 MAC=ca:9a:27:15:77:35:4e:21:0c:aa:00:01:08:00 SRC=203.0.113.10 DST=198.51.100.2 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=0 DF PROTO=TCP SPT=8080 DPT=2589 WINDOW=65160 RES=0x00 ACK SYN URGP=0"
        )
        #expect(packet.format == "log")
        #expect(packet.proto == .tcp)
        #expect(packet.source == (try Endpoint(parsing: "203.0.113.10:8080")))
        #expect(packet.destination == (try Endpoint(parsing: "198.51.100.2:2589")))
        #expect(packet.flags == "ACK SYN")
    }

    @Test func nftLogIPv6UDP() throws {
        // nft's `log prefix` and the kernel's expanded IPv6 form; UDP's own LEN= comes second.
        let packet = try Self.packet(
            "[ 9876.543210] drop-low IN=srv0 OUT=int0 MAC=ca:9a:27:15:77:35:4e:21:0c:aa:00:01:86:dd SRC=2001:0db8:0002:0000:0000:0000:0000:0010 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=53 TC=0 HOPLIMIT=63 FLOWLBL=123456 PROTO=UDP SPT=5353 DPT=26802 LEN=13"
        )
        #expect(packet.proto == .udp)
        #expect(packet.destination == (try Endpoint(parsing: "[2001:db8:1::2]:26802")))
        #expect(packet.source.address == IPAddress("2001:db8:2::10"))
    }

    @Test(arguments: [
        ("00:32:47.583612 ARP, Request who-has 198.51.100.1 tell 198.51.100.2, length 28", "no 'SRC > DST'"),
        ("00:32:45.8 IP6 fe80::1 > ff02::16: HBH ICMP6, multicast listener report v2, length 68", "without ports"),
        ("00:00:01.0 IP gw.example.2589 > srv.example.http: Flags [S]", "is not ADDR.PORT"),
        ("IN=eth0 OUT= SRC=203.0.113.10 DST=198.51.100.2 LEN=84 PROTO=ICMP TYPE=0 CODE=0 ID=1 SEQ=1", "has no ports"),
        ("IN=eth0 OUT= SRC=203.0.113.10 DST=198.51.100.2 LEN=60 PROTO=TCP", "no SPT=/DPT="),
        ("IN=eth0 SRC=not-an-ip DST=198.51.100.2 PROTO=TCP SPT=1 DPT=2", "SRC= is not"),
        ("", "empty line"),
    ])
    func unparsedLinesSayWhy(line: String, reason: String) {
        guard case .unparsed(let why) = EdgeLogParser.parse(line) else {
            Issue.record("parsed: \(line)")
            return
        }
        #expect(why.contains(reason), "\(why)")
    }
}
