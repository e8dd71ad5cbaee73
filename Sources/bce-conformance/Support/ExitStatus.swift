import ArgumentParser
import BCEConformance
import Foundation

/// The documented exit codes (docs/RUNNER.md).
enum ExitStatus: Int32 {
    case conformant = 0
    case failures = 1
    case usage = 2
    case goldenFilesBroken = 3
    case portBroken = 4

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// stderr output, unbuffered.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// stdout output without `print`'s per-call locking cost on large reports.
func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Prints a golden-file problem and exits 3.
func failGolden(_ error: GoldenFormatError) -> ExitCode {
    printError("bce-conformance: golden files: \(error)")
    return ExitStatus.goldenFilesBroken.exitCode
}
