import Foundation
import Testing
import BCEConformance
import BCEConformanceSwiftLibrary

/// The repository's golden files (golden/, written by scripts/generate_golden.py) against the
/// Swift library, and their integrity (issue #4).
enum RepositoryGolden {
    static let directory = Tool.packageRoot.appendingPathComponent("golden")
    static var manifestExists: Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(Manifest.fileName).path) }

    /// The case files the manifest lists, read when the tests are discovered.
    static func files() -> [String] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(Manifest.fileName)),
              let manifest = try? Manifest.read(data) else { return [] }
        return manifest.files.map(\.path)
    }

    /// Loaded and verified once for every test.
    static let suite: Result<GoldenSuite, GoldenFormatError> = Result { () throws(GoldenFormatError) in
        try GoldenSuite.load(from: directory)
    }
}

@Suite("Repository golden files")
struct GoldenSuiteTests {
    @Test func theManifestIsThereAndListsEveryCaseFile() throws {
        #expect(RepositoryGolden.manifestExists, "golden/MANIFEST.json is missing: run scripts/generate_golden.py")
        let files = RepositoryGolden.files()
        for loss in LossKind.allCases {
            for dtype in DType.allCases {
                #expect(files.contains("\(loss.rawValue)/\(dtype.rawValue).json"))
            }
        }
    }

    @Test func theManifestChecksumsMatch() throws {
        let data = try Data(contentsOf: RepositoryGolden.directory.appendingPathComponent(Manifest.fileName))
        let manifest = try Manifest.read(data)
        for entry in manifest.files {
            let bytes = try Data(contentsOf: RepositoryGolden.directory.appendingPathComponent(entry.path))
            #expect(sha256Hex(bytes) == entry.sha256, "\(entry.path): checksum differs from MANIFEST.json")
        }
        _ = try RepositoryGolden.suite.get()
    }

    @Test func corruptingOneByteIsDetectedAndNamesTheFile() throws {
        let fm = FileManager.default
        let copy = fm.temporaryDirectory.appendingPathComponent("golden-copy-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: copy) }
        try fm.copyItem(at: RepositoryGolden.directory, to: copy)
        let manifest = try Manifest.read(Data(contentsOf: copy.appendingPathComponent(Manifest.fileName)))
        let victim = try #require(manifest.files.last).path
        let url = copy.appendingPathComponent(victim)
        var data = try Data(contentsOf: url)
        data[data.count / 2] ^= 0x20
        try data.write(to: url)
        #expect {
            try GoldenSuite.load(from: copy)
        } throws: { error in
            guard let e = error as? GoldenFormatError, case .checksumMismatch = e.reason else { return false }
            return e.file == victim && e.description.contains(victim)
        }
    }

    /// One test per golden file: every case within --max-ulp 2 (and the tolerance), failures by id.
    @Test(arguments: RepositoryGolden.files())
    func theLibraryPassesEveryCaseOf(file: String) throws {
        let suite = try RepositoryGolden.suite.get()
        let cases = try #require(suite.files.first { $0.path == file }).cases
        let policy = ComparisonPolicy(maxULP: 2)
        var failures = [String]()
        for golden in cases {
            let comparison = policy.compare(golden, SwiftLibraryImplementation.evaluateNow(golden))
            // The library evaluates every dtype (bfloat16 through BrainFloat16): a skip is a failure.
            if comparison.status != .passed {
                failures.append("\(golden.id): \(comparison.summary.split(separator: "\n").first ?? "")")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) cases of \(file) fail:\n\(failures.joined(separator: "\n"))")
        #expect(!cases.isEmpty)
    }
}

/// The built executable on the repository's golden files and scripts.
@Suite("bce-conformance on the repository", .serialized)
struct RepositoryEndToEndTests {
    @Test func theSwiftLibraryPassesTheWholeSuiteStrictly() throws {
        let r = try Tool.run(["run", "--max-ulp", "2"])
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains("CONFORMANT"))
        #expect(r.stdout.contains(" 0 failed"))
    }

    @Test func serveThroughThePortProtocolPassesToo() throws {
        let r = try Tool.run(["run", "--port", Tool.servePort, "--max-ulp", "2"])
        #expect(r.status == 0, "\(r.description)")
    }

    @Test func theNumPyExamplePortPasses() throws {
        let port = Tool.packageRoot.appendingPathComponent("scripts/ports/numpy_port.py")
        try #require(FileManager.default.fileExists(atPath: port.path), "scripts/ports/numpy_port.py is not there yet")
        let r = try Tool.run(["run", "--port", "/usr/bin/python3 -I \(port.path)", "--timeout", "60"], limit: 600)
        #expect(r.status == 0, "\(r.description)")
    }

    @Test func aPortThatStopsReadingTimesOutEvenWhileTheRunnerIsBlockedWriting() throws {
        let start = Date()
        let r = try Tool.run(["run", "--port", "/bin/sh \(Tool.portsDirectory.path)/deaf_port.sh", "--timeout", "1",
                              "--dtype", "float64", "--id", "*-100k"])
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("within the timeout"), "\(r.description)")
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test func theInstalledBinaryFindsTheSuiteFromOutsideTheRepository() throws {
        // From / the walk up from the current directory finds nothing; the walk up from the
        // executable (.build/debug inside the package) finds golden/.
        let r = try Tool.run(["verify"], currentDirectory: URL(fileURLWithPath: "/"))
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains(RepositoryGolden.directory.path))
    }

    @Test func aCopiedBinaryWithoutTheRepositoryAsksForTheDirectory() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("installed-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("bce-conformance")
        try fm.copyItem(at: Tool.executable, to: binary)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["verify"]
        process.currentDirectoryURL = dir
        process.environment = ["PATH": "/usr/bin:/bin"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 3)
        #expect(message.contains("BCE_GOLDEN_DIR"), "\(message)")
        let process2 = Process()
        process2.executableURL = binary
        process2.arguments = ["list", "--ids-only", "--dtype", "float64", "--loss", "bce", "--reduction", "sum"]
        process2.currentDirectoryURL = dir
        process2.environment = ["PATH": "/usr/bin:/bin", "BCE_GOLDEN_DIR": RepositoryGolden.directory.path]
        let out = Pipe()
        process2.standardOutput = out
        try process2.run()
        let ids = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process2.waitUntilExit()
        #expect(process2.terminationStatus == 0)
        #expect(!ids.isEmpty && ids.split(separator: "\n").allSatisfy { $0.hasPrefix("bce/float64/sum/") })
    }

    @Test func liveFindsNoMismatchOnAKnownGoodSeed() throws {
        let r = try Tool.run(["live", "--cases", "300", "--seed", "1"])
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains("cases/s"))
    }
}

/// `regenerate` on the repository: NumPy generator runs (about 40 s together), in a suite of their
/// own so that they run beside the suite above instead of after it (the test run's longest chain);
/// still one after the other.
@Suite("bce-conformance regenerate on the repository", .serialized)
struct RepositoryRegenerateTests {
    @Test func regenerateCheckAgreesWithTheCommittedFiles() throws {
        let r = try Tool.run(["regenerate", "--check"], limit: 300)
        #expect(r.status == 0, "\(r.description)")
    }

    @Test func regenerateWritesAVerifiableSuiteAndCheckSeesATamperedOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("regen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let written = try Tool.run(["regenerate", "--golden", dir.path], limit: 300)
        #expect(written.status == 0, "\(written.description)")
        #expect(try Tool.run(["verify", "--golden", dir.path]).status == 0)
        let file = dir.appendingPathComponent("bce/float32.json")
        var data = try Data(contentsOf: file)
        data[data.count / 2] ^= 0x01
        try data.write(to: file)
        let check = try Tool.run(["regenerate", "--check", "--golden", dir.path], limit: 300)
        #expect(check.status == 1, "\(check.description)")
    }
}
