#if canImport(Glibc)
import Glibc
#endif

/// Writes every byte to a file descriptor with `write(2)`, retrying after EINTR and partial
/// writes. Returns 0 on success, else the errno of the failing call (ENOSPC, EPIPE, EIO, …): the
/// one write loop of the project, wrapped by each caller in an error that names its file.
public func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    guard var cursor = bytes.baseAddress else { return 0 }
    var left = bytes.count
    while left > 0 {
        let written = write(fd, cursor, left)
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        cursor += written
        left -= written
    }
    return 0
}

/// The text of an errno with its symbolic name when it is a common one, e.g.
/// "No space left on device (ENOSPC)".
public func errnoDescription(_ code: Int32) -> String {
    let names: [Int32: String] = [ENOSPC: "ENOSPC", EPIPE: "EPIPE", EIO: "EIO", EDQUOT: "EDQUOT", EFBIG: "EFBIG",
                                  EACCES: "EACCES", EROFS: "EROFS", ENOENT: "ENOENT", EBADF: "EBADF"]
    return String(cString: strerror(code)) + " (" + (names[code] ?? "errno \(code)") + ")"
}

/// Writes a line to standard error (file descriptor 2) without touching C's shared `stderr`.
/// A failing standard error has nowhere left to be reported, so its errors are dropped.
public func printToStandardError(_ line: String) {
    let text = line.hasSuffix("\n") ? line : line + "\n"
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { writeFully(2, $0) }
}
