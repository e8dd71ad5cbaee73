// swift-tools-version: 6.2
// swift-bce: PyTorch-exact binary cross-entropy losses in Swift, and a conformance suite for any port.
//
// Architecture (the target list is the table of contents):
//   BinaryCrossEntropy   the loss library (Swift; no Python): the product most users want.
//   BCESIMDKernels       its AVX2/AVX-512 forward kernels in C, chosen at run time (Swift cannot
//                        target an instruction set per function without unsafeFlags).
//   CPythonShim          the only C code that includes Python.h (Debian's python3-dev headers, found by
//                        path: no pkg-config): macros, globals, version-specific calls. It does not link
//                        libpython: it opens it with dlopen on first use, so the runner starts without it.
//   PythonBridge         Swift API over the shim: one embedded interpreter, GIL scopes, NumPy arrays.
//   SwiftBCEShared       the package version and the binary16 rounding, shared by the two libraries below.
//   BCEConformance       golden-file format, comparison policy, port protocol, reports (no Python, and
//                        not the loss library: it checks any implementation).
//   BCEConformanceSwiftLibrary  the adapter that puts the loss library under test (`run`'s default).
//   bce-conformance      the command-line runner (golden checks, ports, live fuzzing, regeneration, benchmarks).
import PackageDescription

let package = Package(
    name: "swift-bce",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BinaryCrossEntropy", targets: ["BinaryCrossEntropy"]),
        .library(name: "PythonBridge", targets: ["PythonBridge"]),
        .library(name: "BCEConformance", targets: ["BCEConformance"]),
        .executable(name: "bce-conformance", targets: ["bce-conformance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        .target(
            name: "SwiftBCEShared",
            exclude: ["README.md"]
        ),
        .target(
            name: "BinaryCrossEntropy",
            dependencies: ["BCESIMDKernels", "SwiftBCEShared", .product(name: "RealModule", package: "swift-numerics")],
            exclude: ["README.md"]
        ),
        .target(
            name: "BCESIMDKernels",
            exclude: ["README.md"]
        ),
        .target(
            name: "CPythonShim",
            exclude: ["README.md"]
        ),
        .target(
            name: "PythonBridge",
            dependencies: ["CPythonShim"],
            exclude: ["README.md"]
        ),
        .target(
            name: "BCEConformance",
            dependencies: [
                "SwiftBCEShared",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "BCEConformanceSwiftLibrary",
            dependencies: ["BCEConformance", "BinaryCrossEntropy"]
        ),
        .executableTarget(
            name: "bce-conformance",
            dependencies: [
                "BinaryCrossEntropy",
                "BCEConformance",
                "BCEConformanceSwiftLibrary",
                "PythonBridge",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test support: counts heap allocations (the buffer API's "allocates nothing" test).
        .target(
            name: "AllocationCounting",
            path: "Tests/AllocationCounting"
        ),
        .testTarget(
            name: "BinaryCrossEntropyTests",
            // BCESIMDKernels: KernelMathAccuracyTests calls its test-only entry point directly.
            dependencies: ["BinaryCrossEntropy", "BCESIMDKernels", "AllocationCounting"]
        ),
        .testTarget(
            name: "PythonBridgeTests",
            dependencies: ["PythonBridge"]
        ),
        .testTarget(
            name: "BCEConformanceTests",
            // "bce-conformance": the end-to-end tests run the built executable, so swift test must build it first.
            dependencies: ["BCEConformance", "BCEConformanceSwiftLibrary", "BinaryCrossEntropy", "bce-conformance"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
