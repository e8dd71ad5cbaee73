import Foundation
import Testing
import BCEConformance

/// Issue 15 through the built executable: output paths, stdout failures, numeric options, empty
/// selections, special files as inputs, `serve`'s line limit, ports that leave daemons behind and
/// signals to the runner.
@Suite("Hostile use of the built runner (issue 15)", .serialized)
struct HostileUseTests {
    let golden: URL
    let scratch: URL

    init() throws {
        golden = try SyntheticSuite.write()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: golden)
        try? FileManager.default.removeItem(at: scratch)
    }

    func run(_ arguments: [String]) throws -> Tool.Result {
        try Tool.run(arguments + ["--golden", golden.path])
    }

    /// `/bin/sh -c SCRIPT` with $BIN and $G set (for redirections the Process API cannot make).
    func shell(_ script: String, limit: TimeInterval = 60) throws -> Tool.Result {
        try Tool.run(["-c", script], environment: ["BIN": Tool.executable.path, "G": golden.path], limit: limit,
                     program: URL(fileURLWithPath: "/bin/sh"))
    }

    static func fileType(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    static let one = ["run", "--id", "bce/float32/none/basic"]

    // MARK: item 1: output paths are written, not replaced

    @Test func aJUnitPathThatIsASymlinkIsWrittenThroughAndStaysALink() throws {
        defer { cleanUp() }
        let target = scratch.appendingPathComponent("target.xml").path
        let link = scratch.appendingPathComponent("link.xml").path
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let r = try run(Self.one + ["--junit", link])
        #expect(r.status == 0, "\(r.description)")
        #expect(Self.fileType(link) == S_IFLNK, "the symlink was replaced")
        #expect(try String(contentsOfFile: target, encoding: .utf8).contains("<testsuite"))
    }

    @Test func aJUnitPathThatIsAFIFOIsWrittenToItsReader() throws {
        defer { cleanUp() }
        let fifo = scratch.appendingPathComponent("junit.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // A FIFO replaced by a regular file never gets a writer: the reader is killed after 10 s.
        let received = scratch.appendingPathComponent("received.xml")
        _ = FileManager.default.createFile(atPath: received.path, contents: nil)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [fifo]
        reader.standardOutput = try FileHandle(forWritingTo: received)
        try reader.run()
        let r = try run(Self.one + ["--junit", fifo])
        let deadline = Date().addingTimeInterval(10)
        while reader.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if reader.isRunning { kill(reader.processIdentifier, SIGKILL) }
        reader.waitUntilExit()
        #expect(r.status == 0, "\(r.description)")
        #expect(Self.fileType(fifo) == S_IFIFO, "the FIFO was replaced")
        #expect(reader.terminationStatus == 0, "the FIFO's reader got no writer")
        #expect(try String(contentsOf: received, encoding: .utf8).contains("<testsuite"))
    }

    /// A device node of our own (mknod, as root) or the system's /dev/null and /dev/full otherwise.
    func device(_ name: String, minor: UInt32) -> String {
        let path = scratch.appendingPathComponent(name).path
        // dev_t((1 << 8) | minor): glibc's makedev(1, minor), a macro Swift cannot call.
        return mknod(path, S_IFCHR | 0o666, dev_t((1 << 8) | minor)) == 0 ? path : "/dev/\(name)"
    }

    @Test func aJUnitPathThatIsADeviceIsWrittenAndAFullOneIsAnError() throws {
        defer { cleanUp() }
        let null = device("null", minor: 3)
        let ok = try run(Self.one + ["--junit", null])
        #expect(ok.status == 0, "\(ok.description)")
        #expect(Self.fileType(null) == S_IFCHR, "\(null) was replaced")

        let full = device("full", minor: 7)
        let r = try run(Self.one + ["--junit", full])
        #expect(r.status == 5, "\(r.description)")
        #expect(r.stderr.contains("cannot write the --junit report: \(full): write failed: No space left on device"), "\(r.description)")
        #expect(Self.fileType(full) == S_IFCHR, "\(full) was replaced")
    }

    @Test func aJUnitPathThatCannotBeWrittenIsAClearError() throws {
        defer { cleanUp() }
        let r = try run(Self.one + ["--junit", scratch.path])
        #expect(r.status == 5, "\(r.description)")
        #expect(r.stderr.contains("\(scratch.path): is a directory"), "\(r.description)")
        let missing = try run(Self.one + ["--junit", scratch.appendingPathComponent("no/such/dir/j.xml").path])
        #expect(missing.status == 5, "\(missing.description)")
        #expect(missing.stderr.contains("no such file or directory"), "\(missing.description)")
    }

    @Test func aJUnitPathOnStdoutIsWrittenOnTheDescriptor() throws {
        defer { cleanUp() }
        let r = try shell(#"exec "$BIN" run --golden "$G" --id bce/float32/none/basic --junit /dev/stdout"#)
        #expect(r.status == 0, "\(r.description)")
        #expect(r.stdout.contains("CONFORMANT") && r.stdout.contains("<testsuite"), "\(r.description)")
    }

    // MARK: item 4: a failing stdout is an error, not a trap

    @Test(arguments: [
        #"exec "$BIN" verify --golden "$G" > /dev/full"#,
        #"exec "$BIN" run --golden "$G" --format json > /dev/full"#,
        #"exec "$BIN" list --golden "$G" > /dev/full"#,
        #"exec "$BIN" verify --golden "$G" >&-"#,
        #"exec "$BIN" run --golden "$G" >&-"#,
    ])
    func aStdoutThatCannotBeWrittenExits5WithAMessage(_ script: String) throws {
        defer { cleanUp() }
        let r = try shell(script)
        #expect(r.status == 5, "\(script): \(r.description)")
        #expect(r.stderr.contains("cannot write the report to stdout: " + (script.hasSuffix(">&-") ? "it is closed" : "write failed: No space left on device")),
                "\(script): \(r.description)")
    }

    // MARK: items 4, 9, 10: numeric options and usage errors

    @Test(arguments: [
        (["run", "--timeout", "1e16"], "--timeout must be a number of seconds from 0.001 to 1000000 (got \"1e16\")"),
        (["run", "--timeout", "0.0001"], "--timeout must be a number of seconds from 0.001 to 1000000"),
        (["run", "--timeout", "nan"], "--timeout must be a number of seconds"),
        (["run", "--max-ulp", "nan"], "--max-ulp must be a number from 0 to 1000000000000000 (got \"nan\")"),
        (["run", "--max-ulp", "inf"], "--max-ulp must be a number from 0 to 1000000000000000 (got \"inf\")"),
        (["run", "--max-ulp", "1e400"], "--max-ulp must be a number from 0 to 1000000000000000 (got \"1e400\")"),
        (["run", "--max-ulp", "1e308"], "--max-ulp must be a number from 0 to 1000000000000000 (got \"1e308\")"),
        (["live", "--first", "9223372036854775807", "--cases", "1"], "--first + --cases must be at most 9223372036854775807"),
        (["live", "--first", "99999999999999999999"], "--first must be a whole number from 0 to 9223372036854775807"),
        (["live", "--max-ulp", "inf"], "--max-ulp must be a number from 0"),
        (["regenerate", "--seed=-1"], "--seed must be a whole number from 0 to 9223372036854775807 (got \"-1\")"),
        (["run", "--port", ""], "--port needs a command"),
        (["run", "--id", ""], "--id needs a pattern"),
        (["run", "--shard", "-1/3"], "--shard must be I/N with 1 ≤ I ≤ N, e.g. 2/4 (got \"-1/3\")"),
        (["bench", "--repetitions", "0"], "--repetitions must be a whole number from 1 to 1000000 (got \"0\")"),
        (["bench", "--threads", "0"], "--threads must be a whole number from 1 to 4096 (got \"0\")"),
        (["bench", "--dtypes", "float8"], "--dtypes: unknown dtype float8 (float16, bfloat16, float32, float64)"),
    ] as [([String], String)])
    func aBadOptionValueIsAUsageErrorThatSaysWhatIsAllowed(_ arguments: [String], _ message: String) throws {
        defer { cleanUp() }
        let r = try Tool.run(arguments + ["--golden", golden.path].filter { _ in arguments[0] == "run" })
        #expect(r.status == 2, "\(arguments): \(r.description)")
        #expect(r.stderr.contains(message), "\(arguments): \(r.description)")
    }

    @Test func regenerateIntoAFileIsRefusedBeforeAnythingIsWritten() throws {
        defer { cleanUp() }
        let manifest = golden.appendingPathComponent(Manifest.fileName)
        let before = try Data(contentsOf: manifest)
        let r = try Tool.run(["regenerate", "--golden", manifest.path, "--scripts", Tool.packageRoot.appendingPathComponent("scripts").path])
        #expect(r.status == 2, "\(r.description)")
        #expect(r.stderr.contains("is not a directory"), "\(r.description)")
        #expect(!r.stderr.contains("Traceback"), "\(r.description)")
        #expect(Self.fileType(manifest.path) == S_IFREG)
        #expect(try Data(contentsOf: manifest) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: golden.path).allSatisfy { !$0.hasPrefix(".") })
    }

    // MARK: item 6: no silent passes

    @Test(arguments: [
        (["--id", "typo"], "no case of the"),
        (["--shard", "1500/2000"], "no case of the"),
        (["--flag", "log_clamp"], "--flag log_clamp is not a flag of this suite (its flags: boundary, signed-zero, weighted)"),
    ] as [([String], String)])
    func selectingNoCaseIsNotConformant(_ filters: [String], _ message: String) throws {
        defer { cleanUp() }
        let r = try run(["run"] + filters)
        #expect(r.status == 2, "\(filters): \(r.description)")
        #expect(!r.stdout.contains("CONFORMANT"), "\(filters): \(r.description)")
        #expect(r.stderr.contains(message), "\(filters): \(r.description)")
    }

    @Test func listChecksFlagsButMayListNothing() throws {
        defer { cleanUp() }
        let typo = try run(["list", "--flag", "log_clamp"])
        #expect(typo.status == 2, "\(typo.description)")
        let none = try run(["list", "--id", "typo"])
        #expect(none.status == 0, "\(none.description)")
        #expect(none.stdout.contains("0 of \(SyntheticSuite.allIDs.count) cases"), "\(none.description)")
    }

    @Test func aPortExitingNonZeroAfterStopIsNotConformant() throws {
        defer { cleanUp() }
        let r = try run(["run", "--format", "json", "--port", Tool.pythonPort("daemon_port.py", "exit3 \(scratch.path)")])
        defer { for name in ["daemon", "grandchild"] { if let p = try? pid(name) { kill(p, SIGKILL) } } }
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("the port exited with code 3 after \"stop\" (expected exit code 0)"), "\(r.description)")
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((report?["summary"] as? [String: Any])?["conformant"] as? Bool == false)
    }

    // MARK: item 10: exit 4 in text mode still reports

    @Test func aBrokenPortInTextModePrintsThePartialReport() throws {
        defer { cleanUp() }
        let r = try run(["run", "--port", Tool.pythonPort("crash_port.py")])
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stdout.contains("NOT CONFORMANT"), "\(r.description)")
        #expect(r.stdout.contains("the implementation broke on case bce/"), "\(r.description)")
    }

    // MARK: items 8, 10: special files as inputs

    @Test(arguments: ["verify", "run", "list"])
    func aFIFOInTheGoldenDirectoryIsRefusedAtOnce(_ command: String) throws {
        defer { cleanUp() }
        for victim in [Manifest.fileName, "bce/float32.json"] {
            let copy = scratch.appendingPathComponent("golden-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: golden, to: copy)
            let path = copy.appendingPathComponent(victim).path
            try FileManager.default.removeItem(atPath: path)
            #expect(mkfifo(path, 0o600) == 0)
            let start = Date()
            let r = try Tool.run([command, "--golden", copy.path], limit: 20)
            #expect(Date().timeIntervalSince(start) < 10)
            #expect(r.status == 3, "\(command) \(victim): \(r.description)")
            #expect(r.stderr.contains("\(victim)") && r.stderr.contains("is a FIFO, not a regular file"), "\(command) \(victim): \(r.description)")
        }
    }

    @Test func aGoldenDirectoryThatIsASymlinkLoopIsNamedAsSuch() throws {
        defer { cleanUp() }
        let loop = scratch.appendingPathComponent("loop").path
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        let r = try Tool.run(["verify", "--golden", loop])
        #expect(r.status == 3, "\(r.description)")
        #expect(r.stderr.contains("too many levels of symbolic links (a symlink loop)"), "\(r.description)")
    }

    @Test func aKnownFailuresFileThatIsADeviceIsNamedAsSuch() throws {
        defer { cleanUp() }
        let r = try run(["run", "--known-failures", "/dev/zero"])
        #expect(r.status == 2, "\(r.description)")
        #expect(r.stderr.contains("cannot read --known-failures: /dev/zero: is a character device, not a regular file"), "\(r.description)")
    }

    // MARK: item 5: serve reads bounded lines

    @Test func serveRefusesAnOverlongLineBeforeReadingItAll() throws {
        defer { cleanUp() }
        // 80 MB without a newline, under a 1.5 GB address-space limit.
        let r = try shell(#"head -c 80000000 /dev/zero | tr '\0' a | (ulimit -v 1500000; exec "$BIN" serve)"#)
        #expect(r.status == 4, "\(r.description)")
        #expect(r.stderr.contains("a request line longer than \(PortServer.maxLineBytes) bytes"), "\(r.description)")
    }

    // MARK: item 3: nothing of the port survives, signals write the partial report

    static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    func pid(_ name: String) throws -> Int32 {
        try #require(Int32(try String(contentsOf: scratch.appendingPathComponent(name), encoding: .utf8)))
    }

    @Test func aDaemonThePortLeftBehindIsKilledWhenTheRunEnds() throws {
        defer { cleanUp() }
        let r = try run(["run", "--port", Tool.pythonPort("daemon_port.py", "clean \(scratch.path)")])
        // It skips every case: a complete run that compared nothing (exit 1), not a broken port (4).
        #expect(r.status == 1 && r.stdout.hasSuffix("NOTHING COMPARED\n"), "\(r.description)")
        let daemon = try pid("daemon"), grandchild = try pid("grandchild")
        defer { kill(daemon, SIGKILL); kill(grandchild, SIGKILL) }
        #expect(!Self.alive(daemon), "the port's setsid'd daemon \(daemon) survived the run")
        #expect(!Self.alive(grandchild), "the daemon's child \(grandchild) survived the run")
    }

    @Test func anInterruptedLiveRunPrintsWhatItFoundSoFar() throws {
        // Before: live died of SIGINT (exit 130) with nothing on stdout.
        defer { cleanUp() }
        let r = try shell(#"""
            err=$(mktemp); "$BIN" live --cases 100000000 --seed 3 2>"$err" & p=$!
            i=0; until grep -q "^live: seed" "$err" || [ $i -ge 600 ]; do sleep 0.1; i=$((i+1)); done
            sleep 1; kill -INT $p; wait $p; s=$?; rm -f "$err"; exit $s
            """#)
        #expect(r.status == 130, "\(r.description)")
        #expect(r.stdout.contains("interrupted by SIGINT after "), "\(r.description)")
        #expect(r.stdout.contains("cases/s): no mismatch"), "\(r.description)")
    }

    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func aSignalKillsThePortTreeAndWritesThePartialReports(_ signal: Int32) throws {
        defer { cleanUp() }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        let junit = scratch.appendingPathComponent("junit.xml")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = Tool.executable
        p.arguments = ["run", "--golden", golden.path, "--format", "json", "--junit", junit.path, "--timeout", "60",
                       "--port", Tool.pythonPort("daemon_port.py", "hang-third \(scratch.path)")]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        let cases = scratch.appendingPathComponent("cases")
        let deadline = Date().addingTimeInterval(30)
        while ((try? String(contentsOf: cases, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 3, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let port = try pid("port"), daemon = try pid("daemon"), grandchild = try pid("grandchild")
        defer { for p in [port, daemon, grandchild] { kill(p, SIGKILL) } }
        kill(p.processIdentifier, signal)
        let signalled = Date()
        while p.isRunning, Date().timeIntervalSince(signalled) < 10 { Thread.sleep(forTimeInterval: 0.01) }
        #expect(!p.isRunning, "the runner is still running 10 s after signal \(signal)")
        if p.isRunning { p.terminate() }
        Thread.sleep(forTimeInterval: max(0, 2 - Date().timeIntervalSince(signalled)))
        for (name, pid) in [("port", port), ("setsid'd daemon", daemon), ("daemon's child", grandchild)] {
            #expect(!Self.alive(pid), "signal \(signal): the \(name) \(pid) is alive 2 s later")
        }
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(p.terminationStatus == 128 + signal, "signal \(signal): exit \(p.terminationStatus); \(stderr)")
        let stdout = try Data(contentsOf: out)
        let report = try #require(try? JSONSerialization.jsonObject(with: stdout) as? [String: Any],
                                  "signal \(signal): no JSON report: \(String(decoding: stdout, as: UTF8.self)) \(stderr)")
        let statuses = (report["cases"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        #expect(statuses == ["not_covered", "not_covered"], "signal \(signal): the two answered cases are in the partial report")
        #expect((report["implementation_failure"] as? [String: Any])?["message"] as? String
                == "the run was interrupted by \(PortProcessTree.signalName(signal))")
        #expect(((try? String(contentsOf: junit, encoding: .utf8)) ?? "").contains("<testsuite"), "signal \(signal): no JUnit report")
    }
}
