#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error (file descriptor 2) without touching C's shared `stderr`.
public func printToStandardError(_ line: String) {
    let text = line.hasSuffix("\n") ? line : line + "\n"
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}
