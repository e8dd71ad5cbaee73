import Foundation
import Testing
import PythonBridge

/// Set in the environment of the child process that `hostileEnvironment` starts: the path the
/// child writes its report to.
private let childReportVariable = "PYTHONBRIDGE_TEST_CHILD_REPORT"
/// Set for the child too: a directory the child passes to `Python.configure` before first use.
private let childSearchPathVariable = "PYTHONBRIDGE_TEST_CHILD_SEARCH_PATH"

/// What the interpreter reports about itself, as the child writes it (one "key=value" per line).
private func interpreterReport() throws -> [String: String] {
    try Python.withGIL { py throws(PythonError) in
        let probe = try py.makeModule(named: "probe", source: """
            import sys, numpy
            try:
                import bridge_probe
                probe = bridge_probe.where
            except ImportError as error:
                probe = "not importable: " + str(error)
            report = {
                "executable": sys.executable,
                "prefix": sys.prefix,
                "numpy": numpy.__file__,
                "numpy_version": numpy.__version__,
                "path": "|".join(sys.path),
                "bridge_probe": probe,
                "pth_dir_on_path": str(any(p.endswith("pth-added") for p in sys.path)),
            }
            """)
        return try [String: String](python: probe.attr("report"))
    }
}

@Suite("The embedded interpreter is Debian's")
struct InterpreterTests {
    @Test func systemInterpreterWithItsDistPackages() throws {
        let info = try Python.withGIL { py throws(PythonError) in try py.interpreterInfo() }
        #expect(Python.systemExecutable.hasPrefix("/usr/bin/python3."))
        #expect(info.executable == Python.systemExecutable)
        #expect(info.prefix == "/usr")
        #expect(info.searchPath.contains("/usr/lib/python3/dist-packages"))
        let numpyFile = try Python.withGIL { py throws(PythonError) in try String(python: py.numpy().attr("__file__")) }
        #expect(numpyFile.hasPrefix("/usr/lib/python3/dist-packages/numpy/"))
        let (isolated, noBytecode, userSite) = try Python.withGIL { py throws(PythonError) in
            let sys = try py.import("sys")
            return (try Int(python: sys.attr("flags").attr("isolated")), try Bool(python: sys.attr("dont_write_bytecode")),
                    try Int(python: sys.attr("flags").attr("no_user_site")))
        }
        #expect(isolated == 1 && noBytecode && userSite == 1)
        #expect(Python.headersVersion.hasPrefix(String(info.version.prefix(while: { $0 != " " }).split(separator: ".").prefix(2).joined(separator: "."))))
    }

    /// Runs in the child process only (a no-op in a normal test run): writes the report and exits.
    @Test func childReport() throws {
        guard let reportPath = ProcessInfo.processInfo.environment[childReportVariable] else { return }
        if let searchPath = ProcessInfo.processInfo.environment[childSearchPathVariable] {
            try Python.configure(PythonConfiguration(searchPaths: [searchPath]))
        }
        let report = try interpreterReport()
        let text = report.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        try text.write(toFile: reportPath, atomically: true, encoding: .utf8)
    }

    #if os(Linux)
    /// An environment that would mislead a plainly initialized interpreter: a foreign `python3`
    /// first on PATH (besides any pyenv or conda already there), PYTHONHOME pointing nowhere,
    /// PYTHONPATH offering a fake NumPy. The child also configures a search path with a `.pth` file.
    @Test func hostileEnvironment() throws {
        guard ProcessInfo.processInfo.environment[childReportVariable] == nil else { return }
        let fileManager = FileManager.default
        let scratch = try ScratchDirectory()
        let foreignBin = scratch.url.appendingPathComponent("foreign-bin")
        let fakeSite = scratch.url.appendingPathComponent("fake-site")
        let searchPath = scratch.url.appendingPathComponent("search-path")
        let pthTarget = scratch.url.appendingPathComponent("pth-added")
        for directory in [foreignBin, fakeSite.appendingPathComponent("numpy"), searchPath, pthTarget] {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        for name in ["python3", "python3.11", "python"] {
            let script = foreignBin.appendingPathComponent(name)
            try "#!/bin/sh\necho foreign python >&2\nexit 3\n".write(to: script, atomically: true, encoding: .utf8)
            try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        }
        try "raise ImportError('the fake NumPy on PYTHONPATH was imported')\n"
            .write(to: fakeSite.appendingPathComponent("numpy/__init__.py"), atomically: true, encoding: .utf8)
        try "where = __file__\n".write(to: searchPath.appendingPathComponent("bridge_probe.py"), atomically: true, encoding: .utf8)
        try "\(pthTarget.path)\n".write(to: searchPath.appendingPathComponent("extra.pth"), atomically: true, encoding: .utf8)

        let currentPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let report = try runChild(in: scratch, environment: [
            "PATH": foreignBin.path + ":" + currentPath,
            "PYTHONHOME": scratch.url.appendingPathComponent("no-such-python-home").path,
            "PYTHONPATH": fakeSite.path,
            childSearchPathVariable: searchPath.path,
        ])
        expectDebianInterpreter(report)
        let path = report["path"]?.split(separator: "|").map(String.init) ?? []
        #expect(!path.contains(fakeSite.path), "PYTHONPATH leaked into sys.path")
        // The configured search path comes first, with what its .pth file adds.
        #expect(path.first == searchPath.path)
        #expect(report["bridge_probe"] == searchPath.appendingPathComponent("bridge_probe.py").path)
        #expect(report["pth_dir_on_path"] == "True")
    }

    /// The insidious case: a complete, working foreign Python (pyenv, conda, /usr/local) with its
    /// own NumPy, first on PATH and named by PYTHONHOME and PYTHONPATH. Needs one on this machine's
    /// PATH; without one there is nothing foreign to resist, and the test passes vacuously.
    @Test func foreignPythonOnPathAndInPythonHome() throws {
        guard ProcessInfo.processInfo.environment[childReportVariable] == nil else { return }
        guard let foreign = foreignPython() else { return }
        let scratch = try ScratchDirectory()
        let report = try runChild(in: scratch, environment: [
            "PATH": foreign.binDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "PYTHONHOME": foreign.prefix,
            "PYTHONPATH": foreign.sitePackages,
        ])
        expectDebianInterpreter(report)
        #expect(report["numpy"]?.hasPrefix(foreign.prefix) == false)
        let path = report["path"]?.split(separator: "|").map(String.init) ?? []
        #expect(!path.contains(foreign.sitePackages), "the foreign site-packages is on sys.path: \(path)")
    }
    #endif
}

#if os(Linux)
private func expectDebianInterpreter(_ report: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(report["executable"] == Python.systemExecutable, sourceLocation: sourceLocation)
    #expect(report["prefix"] == "/usr", sourceLocation: sourceLocation)
    #expect(report["numpy"]?.hasPrefix("/usr/lib/python3/dist-packages/numpy/") == true,
            "NumPy came from \(report["numpy"] ?? "nowhere")", sourceLocation: sourceLocation)
    let path = report["path"]?.split(separator: "|").map(String.init) ?? []
    #expect(path.contains("/usr/lib/python3/dist-packages"), sourceLocation: sourceLocation)
}

/// A temporary directory, removed when the value is.
private final class ScratchDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("pythonbridge-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Re-runs this test binary (Swift Testing, only `childReport` selected) with `environment`
/// changes, and returns the report the child wrote.
private func runChild(in scratch: ScratchDirectory, environment changes: [String: String]) throws -> [String: String] {
    let reportFile = scratch.url.appendingPathComponent("report-\(UUID().uuidString).txt")
    var environment = ProcessInfo.processInfo.environment
    environment.merge(changes) { $1 }
    environment[childReportVariable] = reportFile.path

    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    child.arguments = ["--testing-library", "swift-testing", "--filter", "InterpreterTests/childReport"]
    child.environment = environment
    let output = Pipe()
    child.standardOutput = output
    child.standardError = output
    try child.run()
    let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    child.waitUntilExit()
    #expect(child.terminationStatus == 0, "child failed:\n\(log)")

    let text = try String(contentsOf: reportFile, encoding: .utf8)
    var report: [String: String] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        report[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return report
}

/// The first `python3` on PATH that is not the system's, with its prefix and site-packages.
private func foreignPython() -> (binDirectory: String, prefix: String, sitePackages: String)? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":").map(String.init) where !["/usr/bin", "/bin"].contains(directory) {
        let candidate = directory + "/python3"
        guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: candidate)
        process.arguments = ["-c", "import sys, sysconfig; print(sys.prefix); print(sysconfig.get_paths()['purelib'])"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { continue }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n").map(String.init)
        guard process.terminationStatus == 0, lines.count == 2, lines[0] != "/usr" else { continue }
        return (directory, lines[0], lines[1])
    }
    return nil
}
#endif

/// The README's recipe for a directory of modules once the interpreter runs (how the runner
/// reaches scripts/bce_reference.py).
@Test func runtimeSearchPathRecipe() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pythonbridge-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let moduleName = "recipe_\(UUID().uuidString.prefix(8).lowercased())"
    try "def answer():\n    return 42\n".write(to: directory.appendingPathComponent(moduleName + ".py"), atomically: true, encoding: .utf8)
    let answer = try Python.withGIL { py throws(PythonError) in
        try py.import("sys").attr("path").callMethod("insert", 0, directory.path)
        defer { _ = try? py.import("sys").attr("path").callMethod("remove", directory.path) }
        return try Int(python: py.import(moduleName).callMethod("answer"))
    }
    #expect(answer == 42)
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("__pycache__").path))
}
