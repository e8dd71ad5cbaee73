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
    /// A report could not be written (stdout closed or full, --junit/--json path unwritable).
    case outputFailed = 5

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// stderr output, unbuffered; a closed or full stderr is ignored (there is nowhere left to say it).
func printError(_ text: String) {
    try? FileIO.writeAll(Data((text.hasSuffix("\n") ? text : text + "\n").utf8), fd: 2, path: "stderr")
}

/// Whether stdout was closed when the process started (`>&-`). Its descriptor is then held on
/// /dev/null, so nothing opened later (a file, an epoll descriptor) takes number 1 and receives
/// the report; `writeOut` reports it closed instead.
nonisolated(unsafe) private(set) var standardOutputWasClosed = false

/// Call first in main: reserves closed standard descriptors (see above).
func reserveClosedStandardDescriptors() {
    for fd: Int32 in [0, 1, 2] where fcntl(fd, F_GETFD) < 0 {
        let null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
        if null >= 0, null != fd {
            dup2(null, fd)
            close(null)
        }
        if fd == 1 { standardOutputWasClosed = true }
    }
}

/// stdout output, checked: a closed, full or broken stdout (EBADF, ENOSPC, EPIPE) is reported on
/// stderr and exits 5 instead of trapping inside FileHandle.
func writeOut(_ text: String) throws {
    if standardOutputWasClosed {
        printError("bce-conformance: cannot write the report to stdout: it is closed")
        throw ExitStatus.outputFailed.exitCode
    }
    do throws(FileIO.Failure) {
        try FileIO.writeAll(Data(text.utf8), fd: 1, path: "stdout")
    } catch {
        printError("bce-conformance: cannot write the report to \(error)")
        throw ExitStatus.outputFailed.exitCode
    }
}

/// A report file (--junit, --json): FileIO.write (atomic for regular files, written through for
/// FIFOs, devices and /dev/stdout); on failure a message naming the option and path, exit 5.
func writeReportFile(_ text: String, to path: String, option: String) throws {
    do throws(FileIO.Failure) {
        try FileIO.write(Data(text.utf8), to: path)
    } catch {
        printError("bce-conformance: cannot write the \(option) report: \(error)")
        throw ExitStatus.outputFailed.exitCode
    }
}

/// Prints a golden-file problem and exits 3.
func failGolden(_ error: GoldenFormatError) -> ExitCode {
    printError("bce-conformance: golden files: \(error)")
    return ExitStatus.goldenFilesBroken.exitCode
}
