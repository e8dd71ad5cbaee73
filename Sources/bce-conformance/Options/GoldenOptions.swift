import ArgumentParser
import BCEConformance
import Foundation

/// `--golden DIR`: where golden/MANIFEST.json is, for every subcommand that reads the suite.
struct GoldenOptions: ParsableArguments {
    @Option(name: .customLong("golden"), help: ArgumentHelp(
        "The golden directory (the one holding MANIFEST.json).",
        discussion: "Default: $BCE_GOLDEN_DIR, else golden/ beside the executable (the release tarball's), else the first golden/MANIFEST.json found walking up from the current directory, then from the executable's directory.",
        valueName: "dir"))
    var directory: String?

    /// The directory, or a message saying where it looked.
    func locate() throws(GoldenFormatError) -> URL {
        let located = ResourceLocator.locate(explicit: directory, environmentVariable: "BCE_GOLDEN_DIR",
                                             relativePath: "golden", marker: Manifest.fileName)
        switch located {
        case .success(let url): return url
        case .failure(let message):
            // An explicit directory: say why its manifest is not there (a symlink loop, a
            // permission, not a directory) rather than only that it "does not exist".
            if let directory {
                let manifest = URL(fileURLWithPath: directory).appendingPathComponent(Manifest.fileName).path
                var info = stat()
                if stat(manifest, &info) != 0, errno != ENOENT {
                    throw GoldenFormatError(file: Manifest.fileName, reason: .unreadable(
                        FileIO.Failure.from(errno: errno, path: manifest, operation: "stat").description))
                }
            }
            throw GoldenFormatError(file: Manifest.fileName, reason: .unreadable(message))
        }
    }

    /// Locates and loads the suite, verifying it against the manifest; on any problem prints it
    /// and throws exit code 3.
    func loadSuite() throws -> GoldenSuite {
        do throws(GoldenFormatError) {
            return try GoldenSuite.load(from: try locate())
        } catch {
            throw failGolden(error)
        }
    }
}
