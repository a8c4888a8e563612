// AtomicFile: replace a file so that readers see either the old or the complete new content,
// even across a crash: temporary file in the same directory, write, fsync, rename, fsync directory.

import Distributed
import Foundation

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
    /// The folder of a path and a temporary file beside it, `.<name>.tmp.<pid>.<tag>`: hidden,
    /// and naming the writer so that a later run can tell an abandoned one (`writerPID(of:)`).
    static func temporaryPath(for path: String, tag: String) -> (directory: String, temporary: String) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return (directory, directory + "/." + base + ".tmp.\(getpid()).\(tag)")
    }

    /// The writer's PID of a temporary file name `temporaryPath` made, nil for other names.
    static func writerPID(of name: String) -> Int32? {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp.", options: .backwards) else { return nil }
        let fields = name[marker.upperBound...].split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 2, !fields[1].isEmpty else { return nil }
        return Int32(fields[0])
    }

    /// Writes a file atomically.
    ///
    /// - Parameters:
    ///   - path: The destination.
    ///   - body: Receives a sink that appends bytes to the temporary file.
    /// - Returns: The CRC32C of the bytes written.
    @discardableResult
    static func write(to path: String,
                      _ body: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> UInt32 {
        var directory = "", temporary = ""
        var fd: Int32 = -1
        for attempt in 0..<100 {
            (directory, temporary) = temporaryPath(for: path, tag: "\(attempt)")
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw SafeTensorsError.io(path: temporary, call: "open", errno: errno) }
        var renamed = false
        defer {
            if fd >= 0 { close(fd) }
            if !renamed { unlink(temporary) }
        }
        var checksum = CRC32C.Accumulator()
        try body { bytes in
            checksum.add(bytes)
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
        return checksum.checksum
    }

    /// Creates a file with the given contents unless one exists, atomically (a complete
    /// temporary file hard-linked to the name: `link(2)` fails on an existing name, also on NFS).
    ///
    /// - Returns: false when the file exists already.
    static func create(at path: String, contents: [UInt8]) throws -> Bool {
        let temporary = temporaryPath(for: path, tag: "create").temporary
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SafeTensorsError.io(path: temporary, call: "open", errno: errno) }
        defer { unlink(temporary) }
        let code = contents.withUnsafeBytes { writeFully(fd, $0) }
        let synced = code == 0 ? fsync(fd) : 0
        let syncErrno = errno
        close(fd)
        if code != 0 { throw SafeTensorsError.io(path: temporary, call: "write", errno: code) }
        if synced != 0 { throw SafeTensorsError.io(path: temporary, call: "fsync", errno: syncErrno) }
        if link(temporary, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw SafeTensorsError.io(path: path, call: "link", errno: errno)
    }

    /// The CRC32C and size of a whole file, read in 1 MiB pieces.
    static func checksum(ofFile path: String) throws -> (crc32c: UInt32, bytes: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.io(path: path, call: "open", errno: errno) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var checksum = CRC32C.Accumulator(), total = 0
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError.io(path: path, call: "read", errno: errno)
            }
            if n == 0 { return (checksum.checksum, total) }
            checksum.add(UnsafeRawBufferPointer(rebasing: buffer[0 ..< n]))
            total += n
        }
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
