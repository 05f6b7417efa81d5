// swift-tools-version: 6.0
import PackageDescription

// Layers; each target imports only targets below it (docs/ARCHITECTURE.md):
//   CConntrack + CConntrackShim <- Conntrack (the kernel) <- Policy (pure decisions)
//   <- NodeState (reads the node) <- Engines (audit, check, watch, ...) <- Reports (formats)
//   <- CtauditCLI (commands, exit codes) <- ctaudit (main.swift)
// Only Conntrack imports CConntrack, CConntrackShim and CPcap.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ctaudit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ctaudit", targets: ["ctaudit"]),
        .library(name: "Conntrack", targets: ["Conntrack"]),
        .library(name: "ConntrackAudit", targets: ["Policy", "NodeState", "Engines", "Reports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CConntrack",
            pkgConfig: "libnetfilter_conntrack",
            providers: [.apt(["libnetfilter-conntrack-dev", "libmnl-dev"])]
        ),
        // libpcap, for reading capture files offline (`who --pcap`).
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // The compiled C helpers (include/ctaudit_shim.h, shim.c): built with
        // _GNU_SOURCE, and _Static_asserts pin the kernel layouts Swift reads.
        .target(
            name: "CConntrackShim",
            dependencies: ["CConntrack"],
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("netfilter_conntrack"), .linkedLibrary("mnl")]
        ),
        .target(
            name: "Conntrack",
            dependencies: [
                "CConntrack",
                "CConntrackShim",
                "CPcap",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // Policy: pure values and decisions (ports, networks, the audit
        // policy and flow classification, the firewall program, profiles,
        // the config file's text, the wording of hints). No I/O.
        .target(
            name: "Policy",
            dependencies: ["Conntrack"],
            swiftSettings: strictSettings
        ),
        // NodeState: everything that reads the node or an input file (the
        // one bounded file reader, child processes, the clock, NAT rule
        // dumps, firewall exports, Kubernetes files, BPF dataplanes).
        .target(
            name: "NodeState",
            dependencies: [
                "Conntrack",
                "Policy",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // Engines: audit, check, watch, stats, merge, probe and the remedy
        // engine; each returns a finished report value.
        .target(
            name: "Engines",
            dependencies: ["Conntrack", "Policy", "NodeState"],
            swiftSettings: strictSettings
        ),
        // Reports: one folder per format (Text, JSON, Prometheus, HTML);
        // writers only format what the engines decided.
        .target(
            name: "Reports",
            dependencies: ["Conntrack", "Policy", "NodeState", "Engines"],
            swiftSettings: strictSettings
        ),
        // The command line: commands, option groups, exit mapping, the
        // metrics HTTP server.
        .target(
            name: "CtauditCLI",
            dependencies: [
                "Conntrack", "Policy", "NodeState", "Engines", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // The executable: main.swift only.
        .executableTarget(
            name: "ctaudit",
            dependencies: ["CtauditCLI"],
            swiftSettings: strictSettings
        ),
        // libFuzzer target for the netlink decoder; scripts/fuzz.sh builds it
        // with -sanitize=fuzzer. A plain build makes an empty program.
        .executableTarget(
            name: "ConntrackFuzz",
            dependencies: ["Conntrack", "Policy", "NodeState", "Engines", "Reports"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConntrackTests",
            dependencies: ["Conntrack", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        // Shared builders and fixture paths for the test targets (not a test target itself).
        .target(
            name: "TestSupport",
            dependencies: ["Conntrack", "Policy", "NodeState", "Engines", "Reports"],
            path: "Tests/TestSupport",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .testTarget(
            name: "PolicyTests",
            // Yams only here: the config parser is checked against it.
            dependencies: ["Conntrack", "Policy", "TestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NodeStateTests",
            dependencies: ["Conntrack", "Policy", "NodeState", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EnginesTests",
            dependencies: ["Conntrack", "Policy", "NodeState", "Engines", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReportsTests",
            // Yams reads the deploy/ manifests and the chart's rendered YAML.
            dependencies: [
                "Conntrack", "Policy", "NodeState", "Engines", "Reports", "TestSupport",
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "Conntrack", "Policy", "NodeState", "Engines", "Reports", "CtauditCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Conntrack", "Policy", "NodeState", "Engines", "Reports", "TestSupport"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
