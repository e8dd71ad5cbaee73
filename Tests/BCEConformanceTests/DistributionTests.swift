import BinaryCrossEntropy
import Foundation
import Testing

/// What the release tarball relies on, checked on the built runner (scripts/package.sh and
/// scripts/clean-root-test.sh check the statically linked release build itself).
@Suite("The runner as a download")
struct DistributionTests {
    /// The shared libraries the runner's ELF file asks the dynamic linker for.
    static func neededLibraries(of executable: URL) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        process.arguments = ["--dynamic", executable.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "readelf failed: \(text)")
        // "0x0000000000000001 (NEEDED)  Shared library: [libm.so.6]"
        return text.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    @Test func theRunnerDoesNotLinkLibpython() throws {
        let needed = try Self.neededLibraries(of: Tool.executable)
        #expect(needed.contains { $0.hasPrefix("libc.so") }, "readelf found no NEEDED entries: \(needed)")
        #expect(!needed.contains { $0.hasPrefix("libpython") }, "\(needed)")
    }

    @Test func versionPrintsThePackageVersionFirst() throws {
        let r = try Tool.run(["--version"])
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.split(separator: "\n").first.map(String.init) == "bce-conformance \(SwiftBCEVersion.current)")
        #expect(r.stdout.contains("libpython3."), "\(r.stdout)")
    }

    /// `run` never opens libpython (the clean root proves it without libpython installed; here the
    /// dynamic linker's log says which libraries the process loaded).
    @Test func runDoesNotLoadLibpython() throws {
        let golden = try SyntheticSuite.write()
        // LD_DEBUG=libs makes the dynamic linker log every library it loads, dlopen included.
        let r = try Tool.run(["run", "--golden", golden.path], environment: ["LD_DEBUG": "libs"])
        #expect(r.status == 0, "\(r.description)")
        #expect(!r.stderr.contains("libpython"), "run loaded libpython:\n\(r.stderr.split(separator: "\n").filter { $0.contains("libpython") }.prefix(5).joined(separator: "\n"))")
        #expect(r.stderr.contains("calling init"), "LD_DEBUG=libs logged nothing: the check would prove nothing")
    }

    /// The control for the test above: `live` does open libpython, and the log shows it.
    @Test func liveLoadsLibpythonOnFirstUse() throws {
        let r = try Tool.run(["live", "--cases", "2", "--seed", "1"], environment: ["LD_DEBUG": "libs"])
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stderr.contains("libpython3."), "live did not load libpython:\n\(r.stderr.suffix(2000))")
    }
}
