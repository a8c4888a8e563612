#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Distributed

/// Why a PyTorch `.pth` file (zip or legacy format) could not be read. Every case names the file;
/// pickle problems also name the stream, the byte offset and the opcode or global at fault.
public enum PyTorchFileError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read (`call` is the C function).
    case io(path: String, call: String, errno: Int32)
    /// The zip container is malformed, compressed, or lacks a record torch writes.
    case zip(path: String, reason: String)
    /// A pickle stream is truncated or malformed, or uses an opcode this reader does not accept.
    case pickle(path: String, stream: String, offset: Int, reason: String)
    /// A pickle names a global outside the `weights_only` allow-list (e.g. `os.system`).
    case forbiddenGlobal(path: String, stream: String, offset: Int, name: String)
    /// A storage's declared size does not match its data, or its data is missing.
    case storage(path: String, key: String, reason: String)
    /// A tensor's view (offset, size, stride) or dtype cannot be read.
    case tensor(path: String, key: String, reason: String)
    /// The pickled object is not a state dict (a dict of string keys to tensors).
    case notStateDict(path: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, call, errno):
            return "\(path): \(call) failed: \(errnoDescription(errno))"
        case let .zip(path, reason):
            return "\(path): not a readable PyTorch zip checkpoint: \(reason)"
        case let .pickle(path, stream, offset, reason):
            return "\(path): pickle \(stream) at byte \(offset): \(reason)"
        case let .forbiddenGlobal(path, stream, offset, name):
            return "\(path): pickle \(stream) at byte \(offset): refused global '\(name)': only tensors, storages, "
                + "OrderedDicts and plain values may be loaded (torch.load weights_only semantics)"
        case let .storage(path, key, reason):
            return "\(path): storage '\(key)': \(reason)"
        case let .tensor(path, key, reason):
            return "\(path): tensor '\(key)': \(reason)"
        case let .notStateDict(path, reason):
            return "\(path): not a state dict: \(reason)"
        }
    }
}
