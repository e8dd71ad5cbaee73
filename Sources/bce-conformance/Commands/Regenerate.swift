import ArgumentParser
import BCEConformance
import Foundation
import PythonBridge

/// `bce-conformance regenerate`: scripts/generate_golden.py in the embedded interpreter.
struct Regenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the golden files with scripts/generate_golden.py inside the embedded interpreter.",
        discussion: """
            The golden files then come from the same Python and NumPy as `live`. The generator writes the \
            whole set atomically (a staging directory exchanged with the golden directory in one rename). \
            Exit codes: 0 written (or --check: unchanged), 1 --check found differences, 2 usage error, \
            4 the generator raised.
            """)

    @OptionGroup var scripts: ScriptsOptions

    @Option(name: .customLong("golden"), help: ArgumentHelp(
        "The golden directory to write (default: the located golden directory, else SCRIPTS/../golden).", valueName: "dir"))
    var golden: String?

    @Flag(help: "Do not write: exit 1, naming cases and fields, if regenerating would change the golden files.")
    var check = false

    @Option(help: "The generator's random seed, 0 to 2^63 - 1 (default: the generator's own).",
            transform: { try NumericOption.int($0, "--seed", 0...Int.max) })
    var seed: Int?

    func run() throws {
        let scriptsDirectory = try scripts.locate()
        let out: URL
        if let golden {
            out = URL(fileURLWithPath: golden).standardizedFileURL
        } else if case .success(let located) = ResourceLocator.locate(explicit: nil, environmentVariable: "BCE_GOLDEN_DIR",
                                                                        relativePath: "golden", marker: Manifest.fileName) {
            out = located
        } else {
            out = scriptsDirectory.deletingLastPathComponent().appendingPathComponent("golden")
        }
        // Refused before the generator renders anything (a minute): the swap needs a directory.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--golden \(out.path) is not a directory (give the golden directory, not a file in it)")
        }
        var arguments = ["--out", out.path]
        if check { arguments.append("--check") }
        if let seed { arguments += ["--seed", String(seed)] }
        let status: Int
        do {
            try Python.configure(PythonConfiguration(searchPaths: [scriptsDirectory.path]))
            status = try Python.withGIL { py throws(PythonError) -> Int in
                defer { _ = try? py.import("sys").attr("stdout").callMethod("flush") }
                let value: PythonObject
                do throws(PythonError) {
                    value = try py.import("generate_golden").attr("main").call(arguments)
                } catch {
                    // argparse and explicit exits raise SystemExit(code).
                    if let exception = error.exception, exception.isInstance(of: "SystemExit") {
                        return exception.message.isEmpty ? 0 : Int(exception.message) ?? 2
                    }
                    // The directory cannot be swapped as asked (a file, a FIFO inside): nothing was
                    // written; a usage error, its message without a traceback.
                    if let exception = error.exception, exception.isInstance(of: "GoldenSwapError") {
                        printError("bce-conformance regenerate: \(exception.message)")
                        return 2
                    }
                    throw error
                }
                return value.isNone ? 0 : try Int(python: value)
            }
        } catch {
            printError("bce-conformance regenerate: \(scriptsDirectory.path)/generate_golden.py failed: \(error)")
            throw ExitStatus.portBroken.exitCode
        }
        switch status {
        case 0: return
        case 1: throw ExitStatus.failures.exitCode
        default: throw ExitStatus.usage.exitCode
        }
    }
}
