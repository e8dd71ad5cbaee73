import Foundation
import Testing
import BCEConformance

/// Where the runner finds golden/: the release tarball's bundled copy, then the working tree's.
@Suite("ResourceLocator")
struct ResourceLocatorTests {
    /// A scratch tree: `bundle/bce-conformance` with `bundle/golden/`, and a checkout `work/golden/`
    /// whose subdirectory `work/sub` is the current directory.
    struct Tree {
        let root: URL
        var bundle: URL { root.appendingPathComponent("bundle") }
        var executable: URL { bundle.appendingPathComponent("bce-conformance") }
        var work: URL { root.appendingPathComponent("work") }
        var currentDirectory: URL { work.appendingPathComponent("sub") }

        init(bundled: Bool) throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("locator-\(UUID().uuidString)")
            let fm = FileManager.default
            var golden = [work.appendingPathComponent("golden")]
            if bundled { golden.append(bundle.appendingPathComponent("golden")) }
            for dir in golden {
                try fm.createDirectory(at: dir, withIntermediateDirectories: true)
                try Data("{}".utf8).write(to: dir.appendingPathComponent("MANIFEST.json"))
            }
            try fm.createDirectory(at: currentDirectory, withIntermediateDirectories: true)
            try fm.createDirectory(at: bundle, withIntermediateDirectories: true)
            try Data().write(to: executable)
        }

        func locate(explicit: String? = nil) -> URL? {
            let located = ResourceLocator.locate(explicit: explicit, environmentVariable: "BCE_LOCATOR_TEST_UNSET",
                                                 relativePath: "golden", marker: "MANIFEST.json",
                                                 currentDirectory: currentDirectory, executable: executable)
            if case .success(let url) = located { return url.standardizedFileURL }
            return nil
        }
    }

    @Test func bundledGoldenBesideTheExecutableWinsOverTheCurrentDirectorys() throws {
        let tree = try Tree(bundled: true)
        defer { try? FileManager.default.removeItem(at: tree.root) }
        #expect(tree.locate()?.path == tree.bundle.appendingPathComponent("golden").standardizedFileURL.path)
    }

    @Test func withoutABundleTheCurrentDirectorysAncestorIsFound() throws {
        let tree = try Tree(bundled: false)
        defer { try? FileManager.default.removeItem(at: tree.root) }
        #expect(tree.locate()?.path == tree.work.appendingPathComponent("golden").standardizedFileURL.path)
    }

    @Test func anExplicitDirectoryWinsOverTheBundle() throws {
        let tree = try Tree(bundled: true)
        defer { try? FileManager.default.removeItem(at: tree.root) }
        let explicit = tree.work.appendingPathComponent("golden").path
        #expect(tree.locate(explicit: explicit)?.path == tree.work.appendingPathComponent("golden").standardizedFileURL.path)
    }
}
