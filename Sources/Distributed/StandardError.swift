#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error (file descriptor 2) without touching C's shared `stderr`.
/// A failing standard error has nowhere left to be reported, so its errors are dropped.
public func printToStandardError(_ line: String) {
    let text = line.hasSuffix("\n") ? line : line + "\n"
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { writeFully(2, $0) }
}
