// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mtaf-swift",
    products: [
        .executable(name: "mtaf-mpi", targets: ["mtaf-mpi"]),
        .library(name: "MTAFNet", targets: ["MTAFNet"]),
        .library(name: "Distributed", targets: ["Distributed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MPI's macro handles as inline functions (architecture §1.1). Nothing else lives here.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        // OpenBLAS's cblas.h.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // libpng behind a shim that turns its longjmp errors into return codes.
        .target(name: "CPNG", path: "Sources/CPNG",
                linkerSettings: [.linkedLibrary("png16")]),
        // libjpeg behind a shim that turns its error_exit longjmp into return codes.
        .target(name: "CJPEG", path: "Sources/CJPEG",
                linkerSettings: [.linkedLibrary("jpeg")]),
        // Our AVX-512 sgemm and its bf16 variant (run-time dispatched from Ops/BLAS.swift; builds for
        // baseline x86-64).
        .target(name: "CGEMM", path: "Sources/CGEMM",
                cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Distributed", dependencies: ["CMPI"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // The suite behind `mtaf-mpi selfcheck` (and the thread-world tests): a test harness, so
        // not part of the library a trainer links.
        .target(name: "CollectiveChecks", dependencies: ["Distributed"]),
        .target(name: "MTAFNet", dependencies: ["Distributed", "CBLAS", "CGEMM", "CPNG", "CJPEG", "Yams"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // The fixture runners behind `mtaf-mpi verify` (and the fixture tests): a test harness, so
        // not part of the library a trainer links.
        .target(name: "MTAFVerify", dependencies: ["MTAFNet"]),
        .executableTarget(name: "mtaf-mpi", dependencies: [
            "MTAFNet", "MTAFVerify", "Distributed", "CollectiveChecks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "CollectiveChecks"]),
        .testTarget(name: "MTAFNetTests", dependencies: ["MTAFNet", "MTAFVerify"],
                    resources: [.copy("Fixtures")]),
    ]
)
