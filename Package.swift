// swift-tools-version: 6.0
import PackageDescription

// Four layers; imports only go down, never up or sideways:
//   CConntrack (C headers) + CConntrackShim (shim.c) <- Conntrack (kernel, netlink) <- ConntrackAudit (policy, reports) <- ctaudit (CLI)
// Only Conntrack imports CConntrack and CConntrackShim. ctaudit also imports Conntrack, for the
// value types ConntrackAudit's API is made of (NetworkNamespace, Flow,
// ConntrackError) and SystemCall's one EINTR retry: it never opens a socket or decodes netlink itself.
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
        .library(name: "ConntrackAudit", targets: ["ConntrackAudit"]),
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
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConntrackAudit",
            dependencies: [
                "Conntrack",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ctaudit",
            dependencies: [
                "Conntrack",
                "ConntrackAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // libFuzzer target for the netlink decoder; scripts/fuzz.sh builds it
        // with -sanitize=fuzzer. A plain build makes an empty program.
        .executableTarget(
            name: "ConntrackFuzz",
            dependencies: ["Conntrack", "ConntrackAudit"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConntrackTests",
            dependencies: ["Conntrack"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConntrackAuditTests",
            dependencies: ["ConntrackAudit", "Conntrack"],
            resources: [.copy("Golden"), .copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["ConntrackAudit", "Conntrack"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
