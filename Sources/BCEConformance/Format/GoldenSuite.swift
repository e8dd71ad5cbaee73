import Dispatch
import Foundation
import Synchronization

/// The whole golden suite: the manifest and every case file it lists, checked against it.
///
/// Loading verifies, in order: the manifest's format (one file per loss and dtype, categories
/// adding up to the files' case counts); each file's SHA-256; each file's format; the file's
/// loss/dtype against its path; the case count; that every flag is explained in the manifest and
/// that `pytorch-arithmetic` is set exactly where an acceptable alternative widens the verdict;
/// that case ids are unique across the suite. The first problem is thrown.
public struct GoldenSuite: Sendable {
    public let directory: URL
    public let manifest: Manifest
    public let files: [GoldenFile]

    /// Every case, in manifest file order then file order.
    public var cases: [GoldenCase] { files.flatMap(\.cases) }

    public init(directory: URL, manifest: Manifest, files: [GoldenFile]) {
        self.directory = directory
        self.manifest = manifest
        self.files = files
    }

    /// Loads and verifies the suite in `directory` (the folder holding MANIFEST.json).
    public static func load(from directory: URL) throws(GoldenFormatError) -> GoldenSuite {
        let manifestData = try readBytes(directory.appendingPathComponent(Manifest.fileName), name: Manifest.fileName)
        let manifest = try Manifest.read(manifestData)
        // The files are independent: read, hashed and parsed in parallel; problems are then
        // reported in manifest order, so the first one named is always the same.
        let loaded = Mutex([Result<GoldenFile, GoldenFormatError>?](repeating: nil, count: manifest.files.count))
        DispatchQueue.concurrentPerform(iterations: manifest.files.count) { i in
            let result = Result { () throws(GoldenFormatError) in try loadFile(manifest.files[i], in: directory, manifest: manifest) }
            loaded.withLock { $0[i] = result }
        }
        var files = [GoldenFile]()
        var firstFileOfID = [String: String]()
        for (entry, result) in zip(manifest.files, loaded.withLock { $0 }) {
            guard let result else { continue }
            let file = try result.get()
            for c in file.cases {
                if let first = firstFileOfID[c.id] {
                    throw GoldenFormatError(file: entry.path, caseID: c.id, field: "id", reason: .duplicateID(firstIn: first))
                }
                firstFileOfID[c.id] = entry.path
            }
            files.append(file)
        }
        return GoldenSuite(directory: directory, manifest: manifest, files: files)
    }

    /// Checks one listed file: checksum first (a corrupt file is named as such), then its format.
    static func loadFile(_ entry: Manifest.FileEntry, in directory: URL, manifest: Manifest) throws(GoldenFormatError) -> GoldenFile {
        let data = try readBytes(directory.appendingPathComponent(entry.path), name: entry.path)
        let actual = sha256Hex(data)
        guard actual == entry.sha256 else {
            throw GoldenFormatError(file: entry.path, reason: .checksumMismatch(expected: entry.sha256, actual: actual))
        }
        let file = try GoldenFileReader.read(data, path: entry.path)
        let expectedPath = "\(file.loss.rawValue)/\(file.dtype.rawValue).json"
        guard entry.path == expectedPath else {
            throw GoldenFormatError(file: entry.path, reason: .inconsistent("holds \(file.loss.rawValue) \(file.dtype.rawValue) cases, so its path must be \(expectedPath)"))
        }
        guard file.cases.count == entry.cases else {
            throw GoldenFormatError(file: entry.path, reason: .caseCountMismatch(expected: entry.cases, actual: file.cases.count))
        }
        for c in file.cases {
            for flag in c.flags where manifest.flags[flag] == nil {
                throw GoldenFormatError(file: entry.path, caseID: c.id, field: "flags",
                                        reason: .inconsistent("flag \"\(flag)\" is not explained in MANIFEST.json \"flags\""))
            }
            let flag = ComparisonPolicy.widenedFlag
            switch (c.flags.contains(flag), ComparisonPolicy.firstWidening(c)) {
            case (true, nil):
                throw GoldenFormatError(file: entry.path, caseID: c.id, field: "flags", reason: .inconsistent(
                    "flag \"\(flag)\" is set, but every acceptable value matches the exact value within the tolerance"))
            case (false, let at?):
                throw GoldenFormatError(file: entry.path, caseID: c.id, field: "flags", reason: .inconsistent(
                    "an acceptable value (\(at)) is outside the tolerance of the exact value, but the case lacks flag \"\(flag)\""))
            default: break
            }
        }
        return file
    }

    /// Largest golden file (case file or manifest) read, in bytes: checked before reading, so a
    /// hostile or damaged file (a 2 GB line, a link to /dev/zero) costs at most this much memory.
    /// The largest file of suite 1.0.0 is about 7 MB.
    public static let maxFileBytes = 64 << 20

    private static func readBytes(_ url: URL, name: String) throws(GoldenFormatError) -> Data {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw GoldenFormatError(file: name, reason: .unreadable(url.path))
        }
        defer { try? handle.close() }
        var info = stat()
        if fstat(handle.fileDescriptor, &info) == 0, info.st_size > maxFileBytes {
            throw GoldenFormatError(file: name, reason: .tooLarge(bytes: Int(info.st_size), limit: maxFileBytes))
        }
        // Not trusting the size (a pipe, a device, a file still growing): never more than the limit + 1.
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw GoldenFormatError(file: name, reason: .unreadable(url.path))
        }
        guard data.count <= maxFileBytes else {
            throw GoldenFormatError(file: name, reason: .tooLarge(bytes: data.count, limit: maxFileBytes))
        }
        return data
    }
}
