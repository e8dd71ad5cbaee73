import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place the conformance tools open files given by a user: reading inputs (golden files,
/// --known-failures) and writing outputs (--junit, --json, reports on stdout).
///
/// Reading opens with `O_NONBLOCK` and checks with `fstat` that the file is a regular file before
/// reading a byte, so a FIFO, a device or a socket is refused at once instead of hanging or
/// streaming without end, and never reads more than a limit.
///
/// Writing replaces a regular file (or a path that does not exist yet) atomically: a temporary file
/// next to it, fsync, rename. Anything else that can be written (a FIFO, /dev/stdout, /dev/null, a
/// terminal, a process substitution) is written through, never replaced; a symlink is followed, so
/// the link stays and its target is written. What cannot be written gets a typed error naming the
/// path and the reason.
public enum FileIO {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case notFound(String)
        case symlinkLoop(String)
        case permissionDenied(String)
        case isDirectory(String)
        /// Reading needs a regular file; `kind` says what it is ("a FIFO", "a character device", ...).
        case notRegularFile(String, kind: String)
        case tooLarge(String, bytes: Int, limit: Int)
        /// Any other system error, with the operation and strerror's text.
        case system(String, operation: String, errno: Int32)

        public var description: String {
            switch self {
            case .notFound(let p): "\(p): no such file or directory"
            case .symlinkLoop(let p): "\(p): too many levels of symbolic links (a symlink loop)"
            case .permissionDenied(let p): "\(p): permission denied"
            case .isDirectory(let p): "\(p): is a directory"
            case .notRegularFile(let p, let kind): "\(p): is \(kind), not a regular file"
            case .tooLarge(let p, let bytes, let limit): "\(p): is \(bytes) bytes, more than the \(limit) bytes allowed"
            case .system(let p, let operation, let code): "\(p): \(operation) failed: \(String(cString: strerror(code)))"
            }
        }

        public static func from(errno code: Int32, path: String, operation: String) -> Failure {
            switch code {
            case ENOENT, ENOTDIR: .notFound(path)
            case ELOOP: .symlinkLoop(path)
            case EACCES, EPERM: .permissionDenied(path)
            case EISDIR: .isDirectory(path)
            default: .system(path, operation: operation, errno: code)
            }
        }
    }

    /// What `mode` is, in words, for messages.
    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    /// The bytes of the regular file at `path`, at most `limit` of them (more is `.tooLarge`).
    public static func readRegularFile(_ path: String, limit: Int) throws(Failure) -> Data {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .from(errno: errno, path: path, operation: "open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .from(errno: errno, path: path, operation: "fstat") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            if info.st_mode & S_IFMT == S_IFDIR { throw .isDirectory(path) }
            throw .notRegularFile(path, kind: kind(of: info.st_mode))
        }
        guard info.st_size <= limit else { throw .tooLarge(path, bytes: Int(info.st_size), limit: limit) }
        // The size is not trusted (a file still growing): never more than limit + 1 bytes.
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while data.count <= limit {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, limit + 1 - data.count)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .from(errno: errno, path: path, operation: "read")
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        guard data.count <= limit else { throw .tooLarge(path, bytes: data.count, limit: limit) }
        return data
    }

    /// Writes `data` to `path`: an atomic replacement for a regular file or a new path, written
    /// through for anything else (FIFO, device, /dev/stdout); a symlink's target is what is written.
    public static func write(_ data: Data, to path: String) throws(Failure) {
        // The process's own streams are written on the descriptor it already has (not reopened
        // at offset 0, not replaced when they point at a regular file).
        if let fd = standardStream(path) {
            try writeAll(data, fd: fd, path: path)
            return
        }
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            guard code == ENOENT else { throw .from(errno: code, path: path, operation: "stat") }
            // A dangling symlink: create its target, as a shell redirection would.
            try replaceAtomically(data, at: resolvedPath(path))
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG where !path.hasPrefix("/dev/") && !path.hasPrefix("/proc/"): try replaceAtomically(data, at: resolvedPath(path))
        case S_IFDIR: throw .isDirectory(path)
        default: try writeThrough(data, to: path)
        }
    }

    static func standardStream(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                if let fd = Int32(path.dropFirst(prefix.count)), fd >= 0 { return fd }
            }
            return nil
        }
    }

    /// The path with every symlink in it followed (its last component may not exist yet).
    static func resolvedPath(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : (current as NSString).deletingLastPathComponent + "/" + target
        }
        return current
    }

    static func replaceAtomically(_ data: Data, at path: String) throws(Failure) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/.\(name).tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .from(errno: errno, path: path, operation: "create a temporary file next to it") }
        let temporary = String(cString: template)
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do throws(Failure) {
            try writeAll(data, fd: fd, path: path)
            // mkstemp makes 0600; a report is as readable as any file the user creates.
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o666 & ~mask)
            guard fsync(fd) == 0 else { throw .from(errno: errno, path: path, operation: "fsync") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw .from(errno: errno, path: path, operation: "close") }
        guard rename(temporary, path) == 0 else { throw .from(errno: errno, path: path, operation: "rename") }
        renamed = true
    }

    static func writeThrough(_ data: Data, to path: String) throws(Failure) {
        // Blocking open: a FIFO waits for its reader, as a shell redirection does.
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .from(errno: errno, path: path, operation: "open for writing") }
        do throws(Failure) {
            try writeAll(data, fd: fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw .from(errno: errno, path: path, operation: "close") }
    }

    /// Every byte of `data` to `fd` (partial writes and EINTR retried); ENOSPC, EPIPE, EBADF... thrown.
    public static func writeAll(_ data: Data, fd: Int32, path: String) throws(Failure) {
        let failure: Failure? = data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Failure? in
            var offset = 0
            while offset < bytes.count {
                let n = posixWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return .from(errno: errno, path: path, operation: "write")
                }
                offset += n
            }
            return nil
        }
        if let failure { throw failure }
    }
}

private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
