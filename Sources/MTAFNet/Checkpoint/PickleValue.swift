// The values a restricted pickle can hold (torch.load weights_only semantics): plain values,
// tuples, lists, dicts, the few allowed globals, storages named by persistent ids, and tensors.
// Compound values live in a `PickleArena` and are named by index, so a deep or cyclic structure
// costs neither recursion (in use or in deallocation) nor reference cycles.

/// An element type of a torch storage.
public enum TorchDType: String, Sendable, CaseIterable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether values are floating-point (read as F32).
    public var isFloat: Bool { self == .float32 || self == .float64 || self == .float16 || self == .bfloat16 }

    /// The dtype of a `torch.<Name>Storage` class.
    static func ofStorageClass(_ name: String) -> TorchDType? {
        switch name {
        case "FloatStorage": return .float32
        case "DoubleStorage": return .float64
        case "HalfStorage": return .float16
        case "BFloat16Storage": return .bfloat16
        case "LongStorage": return .int64
        case "IntStorage": return .int32
        case "ShortStorage": return .int16
        case "CharStorage": return .int8
        case "ByteStorage", "UntypedStorage": return .uint8
        case "BoolStorage": return .bool
        default: return nil
        }
    }

    /// The dtype of a `torch.<name>` dtype global (`torch.float32`, `torch.long`, …).
    static func ofDTypeGlobal(_ name: String) -> TorchDType? {
        switch name {
        case "float32", "float": return .float32
        case "float64", "double": return .float64
        case "float16", "half": return .float16
        case "bfloat16": return .bfloat16
        case "int64", "long": return .int64
        case "int32", "int": return .int32
        case "int16", "short": return .int16
        case "int8": return .int8
        case "uint8": return .uint8
        case "bool": return .bool
        default: return nil
        }
    }
}

/// A global the restricted unpickler lets a pickle name.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensor          // torch._utils._rebuild_tensor (storage, offset, size, stride)
    case rebuildTensorV2        // torch._utils._rebuild_tensor_v2 (…, requires_grad, hooks[, metadata])
    case rebuildParameter       // torch._utils._rebuild_parameter (tensor, requires_grad, hooks)
    case rebuildParameterWithState
    case codecsEncode           // _codecs.encode (str, "latin1"): how protocol 2 pickles bytes
    case size                   // torch.Size (a tuple of ints), as older torch pickled sizes
    case storageClass(TorchDType)
    case dtype(TorchDType)

    /// The allowed global `module.name`, or nil.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("_codecs", "encode"): self = .codecsEncode
        case ("torch", "Size"): self = .size
        case ("torch", _):
            if let dtype = TorchDType.ofStorageClass(name) {
                self = .storageClass(dtype)
            } else if let dtype = TorchDType.ofDTypeGlobal(name) {
                self = .dtype(dtype)
            } else {
                return nil
            }
        default: return nil
        }
    }
}

/// A storage named by a persistent id: `('storage', type, key, location, numel[, view])`.
struct TorchStorageReference: Equatable {
    /// The storage's key: the zip entry `data/<key>` or a legacy storage key.
    var key: String
    var dtype: TorchDType
    /// The element count the pickle declares for the whole storage.
    var declaredCount: Int
    /// A legacy storage view: its first element in the root storage and its length.
    var viewOffset = 0
    var viewCount: Int? = nil

    /// The elements a tensor may address.
    var usableCount: Int { viewCount ?? declaredCount }
}

/// A tensor rebuilt from a storage: `storage[offset + Σ index_i · stride_i]`.
struct TorchTensorRecord {
    var storage: TorchStorageReference
    var offset: Int
    var size: [Int]
    var stride: [Int]
}

/// A pickled value.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer beyond 64 bits, as its little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(Int)
    case list(Int)
    case dict(Int)
    case global(PickleGlobal)
    case storage(TorchStorageReference)
    case tensor(Int)

    /// What the value is, for errors.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global: return "class or function"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// Where compound values live.
struct PickleArena {
    var tuples: [[PickleValue]] = []
    var lists: [[PickleValue]] = []
    var dicts: [[(key: PickleValue, value: PickleValue)]] = []
    var tensors: [TorchTensorRecord] = []
    /// Every storage a persistent id named, in pickle order (also those outside the state dict).
    var storages: [TorchStorageReference] = []

    /// How many compound values exist (each costs an allocation, whatever its size).
    var compoundCount: Int { tuples.count + lists.count + dicts.count + tensors.count }

    mutating func tuple(_ items: [PickleValue]) -> PickleValue {
        tuples.append(items)
        return .tuple(tuples.count - 1)
    }

    mutating func list(_ items: [PickleValue]) -> PickleValue {
        lists.append(items)
        return .list(lists.count - 1)
    }

    mutating func dict() -> PickleValue {
        dicts.append([])
        return .dict(dicts.count - 1)
    }

    /// The items of a tuple or list, or nil.
    func items(_ value: PickleValue) -> [PickleValue]? {
        switch value {
        case let .tuple(id): return tuples[id]
        case let .list(id): return lists[id]
        default: return nil
        }
    }

    /// A dict's entry under a string key (the last one, as in Python).
    func lookup(_ dict: Int, _ key: String) -> PickleValue? {
        for entry in dicts[dict].reversed() {
            if case let .string(text) = entry.key, text == key { return entry.value }
        }
        return nil
    }
}
