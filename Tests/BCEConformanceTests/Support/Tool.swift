import Foundation

/// Runs the built `bce-conformance` executable (built by `swift test`: the test target depends on it).
enum Tool {
    /// The package root, from this file's location.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let portsDirectory = packageRoot.appendingPathComponent("Tests/Fixtures/ports")

    /// Next to the test bundle (the build products directory), else .build/debug.
    static let executable: URL = {
        let fm = FileManager.default
        var candidates = [URL]()
        if let bundle = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("bce-conformance"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bce-conformance"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("bce-conformance"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/bce-conformance"))
        return candidates.first { fm.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\n--- stdout ---\n\(stdout.prefix(4000))\n--- stderr ---\n\(stderr.prefix(4000))" }
    }

    /// Runs the tool with `arguments`; stdout and stderr go to files (no pipe can fill up).
    static func run(_ arguments: [String], currentDirectory: URL? = nil, environment: [String: String] = [:],
                    limit: TimeInterval = 120, program: URL = executable) throws -> Result {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("bce-tool-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: out.path, contents: nil)
        _ = fm.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = currentDirectory ?? packageRoot
        var env = ProcessInfo.processInfo.environment
        env["BCE_GOLDEN_DIR"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(limit)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw ToolError.timedOut(arguments)
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    enum ToolError: Error {
        case timedOut([String])
    }

    /// A port command line for a Python fixture, run with Debian's interpreter.
    static func pythonPort(_ script: String, _ arguments: String = "") -> String {
        "/usr/bin/python3 -I \(portsDirectory.appendingPathComponent(script).path) \(arguments)"
    }

    /// `bce-conformance serve`, as a port command.
    static var servePort: String { "\(executable.path) serve" }
}
