import Distributed

/// A system call on a file failed: the file, the call and its errno, e.g.
/// "…/losses.jsonl: write failed: No space left on device (ENOSPC)".
public struct FileIOError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let call: String
    public let errno: Int32

    public init(path: String, call: String, errno: Int32) {
        self.path = path
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(path): \(call) failed: \(errnoDescription(errno))" }
}
