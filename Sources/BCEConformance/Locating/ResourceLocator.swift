import Foundation

/// Finds the repository resources (golden files, Python scripts) an installed binary needs:
/// an explicit path, else an environment variable, else the folder bundled beside the executable
/// (the release tarball: `bce-conformance` next to `golden/`), else walking up from the current
/// directory, else walking up from the executable's directory.
///
/// The bundle comes before the current directory so that the unpacked runner checks a port
/// against the suite it was released with, even when run from a checkout holding another golden/.
public enum ResourceLocator {
    public enum Located: Sendable {
        case success(URL)
        /// Where it looked, for the error message.
        case failure(String)
    }

    /// - Parameters:
    ///   - relativePath: the folder to find inside an ancestor, e.g. "golden" or "scripts".
    ///   - marker: a file that must exist inside it, e.g. "MANIFEST.json".
    public static func locate(explicit: String?, environmentVariable: String, relativePath: String, marker: String,
                              currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                              executable: URL? = executableURL()) -> Located {
        let fm = FileManager.default
        func has(_ dir: URL) -> Bool { fm.fileExists(atPath: dir.appendingPathComponent(marker).path) }
        if let explicit {
            let url = URL(fileURLWithPath: explicit, relativeTo: currentDirectory).standardizedFileURL
            return has(url) ? .success(url) : .failure("\(url.path)/\(marker) does not exist")
        }
        if let value = ProcessInfo.processInfo.environment[environmentVariable], !value.isEmpty {
            let url = URL(fileURLWithPath: value, relativeTo: currentDirectory).standardizedFileURL
            return has(url) ? .success(url) : .failure("$\(environmentVariable)=\(value): \(url.path)/\(marker) does not exist")
        }
        if let executable {
            let bundled = executable.deletingLastPathComponent().appendingPathComponent(relativePath).standardizedFileURL
            if has(bundled) { return .success(bundled) }
        }
        var starts = [currentDirectory]
        if let executable { starts.append(executable.deletingLastPathComponent()) }
        for start in starts {
            var dir = start.standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent(relativePath)
                if has(candidate) { return .success(candidate) }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return .failure("no \(relativePath)/\(marker) above \(starts.map(\.path).joined(separator: " or ")); pass the directory explicitly or set $\(environmentVariable)")
    }

    /// This process's executable (via /proc/self/exe on Linux, so symlinks resolve to the real file).
    public static func executableURL() -> URL? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        guard let first = CommandLine.arguments.first else { return nil }
        return URL(fileURLWithPath: first).standardizedFileURL
    }
}
