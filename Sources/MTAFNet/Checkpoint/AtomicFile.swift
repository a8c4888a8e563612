// AtomicFile: replace a file so that readers see either the old or the complete new content,
// even across a crash: temporary file in the same directory, write, fsync, rename, fsync directory.

import Distributed

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic file replacement and small POSIX read helpers; the only file-descriptor code of
/// `Checkpoint/`.
enum AtomicFile {
    /// Writes a file atomically.
    ///
    /// - Parameters:
    ///   - path: The destination.
    ///   - body: Receives a sink that appends bytes to the temporary file.
    static func write(to path: String,
                      _ body: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var fd: Int32 = -1
        var temporary = ""
        for attempt in 0..<100 {
            temporary = directory + "/." + base + ".tmp.\(getpid()).\(attempt)"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw SafeTensorsError.io(path: temporary, call: "open", errno: errno) }
        var renamed = false
        defer {
            if fd >= 0 { close(fd) }
            if !renamed { unlink(temporary) }
        }
        try body { bytes in
            let code = writeFully(fd, bytes)
            if code != 0 { throw SafeTensorsError.io(path: temporary, call: "write", errno: code) }
        }
        guard fsync(fd) == 0 else { throw SafeTensorsError.io(path: temporary, call: "fsync", errno: errno) }
        let closed = close(fd)
        fd = -1
        guard closed == 0 else { throw SafeTensorsError.io(path: temporary, call: "close", errno: errno) }
        guard rename(temporary, path) == 0 else {
            throw SafeTensorsError.io(path: path, call: "rename", errno: errno)
        }
        renamed = true
        let dfd = open(directory, O_RDONLY | O_CLOEXEC)
        guard dfd >= 0 else { throw SafeTensorsError.io(path: directory, call: "open", errno: errno) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw SafeTensorsError.io(path: directory, call: "fsync", errno: errno) }
    }

    /// Reads exactly `count` bytes at `offset` into `buffer`.
    static func read(fd: Int32, path: String, into buffer: UnsafeMutableRawPointer, count: Int,
                     at offset: Int) throws {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError.io(path: path, call: "pread", errno: errno)
            }
            if n == 0 { throw SafeTensorsError.tooShort(path: path, size: offset + done) }
            done += n
        }
    }
}
