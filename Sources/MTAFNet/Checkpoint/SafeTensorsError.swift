import Distributed
/// Why a safetensors file could not be read or written. Every case names the file, and the tensor
/// where one is at fault.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened, read, written, synced or renamed (`call` is the C function).
    case io(path: String, call: String, errno: Int32)
    /// The file is shorter than its 8-byte header length.
    case tooShort(path: String, size: Int)
    /// The header length is larger than the file or than the 100 MB the format allows.
    case headerLength(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is not a UTF-8 JSON object.
    case headerNotJSONObject(path: String, reason: String)
    /// `__metadata__` is not an object of strings.
    case badMetadata(path: String)
    /// A tensor's entry is not an object with `dtype`, `shape` and `data_offsets`.
    case badEntry(path: String, tensor: String, reason: String)
    /// A tensor's dtype is not one this reader knows.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A tensor's shape has a negative or non-integer dimension, or its size overflows.
    case badShape(path: String, tensor: String, reason: String)
    /// A tensor's data_offsets are out of range, overlap, leave a gap, or do not match its size.
    case badOffsets(path: String, tensor: String, reason: String)
    /// The data section is longer or shorter than the tensors cover.
    case dataSizeMismatch(path: String, covered: Int, actual: Int)
    /// The file has no tensor of that name.
    case missingTensor(path: String, tensor: String)
    /// A tensor has a dtype the requested accessor cannot convert from.
    case wrongDType(path: String, tensor: String, dtype: String, wanted: String)
    /// An integer tensor holds a value outside the requested integer type.
    case valueOutOfRange(path: String, tensor: String)
    /// A tensor to write has values that do not match its shape, or a reserved or empty name.
    case badTensorToWrite(path: String, tensor: String, reason: String)
    /// A float tensor holds ±Inf or NaN (`value` is the first such value, e.g. "inf", "nan").
    /// `writing`: refused before anything was written; otherwise found while reading.
    case nonFinite(path: String, tensor: String, element: Int, count: Int, value: String, writing: Bool)

    public var description: String {
        switch self {
        case let .io(path, call, errno):
            return "\(path): \(call) failed: \(errnoDescription(errno))"
        case let .tooShort(path, size):
            return "\(path): not a safetensors file: \(size) bytes, shorter than the 8-byte header length"
        case let .headerLength(path, n, size):
            return "\(path): header length \(n) does not fit in the file of \(size) bytes (limit 100000000)"
        case let .headerNotJSONObject(path, reason):
            return "\(path): header is not a JSON object: \(reason)"
        case let .badMetadata(path):
            return "\(path): __metadata__ is not an object of string values"
        case let .badEntry(path, tensor, reason):
            return "\(path): tensor '\(tensor)': bad header entry: \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)': unknown dtype '\(dtype)'"
        case let .badShape(path, tensor, reason):
            return "\(path): tensor '\(tensor)': bad shape: \(reason)"
        case let .badOffsets(path, tensor, reason):
            return "\(path): tensor '\(tensor)': bad data_offsets: \(reason)"
        case let .dataSizeMismatch(path, covered, actual):
            return "\(path): the tensors cover \(covered) data bytes but the data section has \(actual)"
        case let .missingTensor(path, tensor):
            return "\(path): no tensor '\(tensor)'"
        case let .wrongDType(path, tensor, dtype, wanted):
            return "\(path): tensor '\(tensor)' has dtype \(dtype), cannot read it as \(wanted)"
        case let .valueOutOfRange(path, tensor):
            return "\(path): tensor '\(tensor)' holds a value out of range for the requested type"
        case let .badTensorToWrite(path, tensor, reason):
            return "\(path): cannot write tensor '\(tensor)': \(reason)"
        case let .nonFinite(path, tensor, element, count, value, writing):
            let found = "tensor '\(tensor)' holds \(value) at element \(element) of \(count)"
            return writing
                ? "\(path): not written: \(found) (the weights or statistics diverged)"
                : "\(path): \(found): the weights come from a run that diverged, or the file is damaged; "
                    + "use an earlier snapshot"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
