import MTAFNet

/// Why a fixture could not be loaded or read; every case names the file and the key at fault.
public enum FixtureError: Error, CustomStringConvertible {
    /// The sidecar JSON could not be read or is not a JSON object.
    case badSidecar(file: String, reason: String)
    /// The safetensors file could not be read.
    case badTensors(SafeTensorsError)
    /// The sidecar has no such key.
    case missingKey(file: String, key: String)
    /// The sidecar's value for the key is not of the requested type.
    case wrongType(file: String, key: String, wanted: String)
    /// The safetensors file has no such tensor.
    case missingTensor(file: String, tensor: String)
    /// The tensor's dtype is not what the accessor reads.
    case wrongDType(file: String, tensor: String, dtype: String, wanted: String)
    /// A runner cannot run this case (a configuration it does not support, an inconsistent input).
    case unsupported(file: String, reason: String)

    public var description: String {
        switch self {
        case let .badSidecar(file, reason):
            return "\(file): cannot read the sidecar: \(reason)"
        case let .badTensors(error):
            return error.description
        case let .missingKey(file, key):
            return "\(file): sidecar has no key '\(key)'"
        case let .wrongType(file, key, wanted):
            return "\(file): sidecar key '\(key)' is not \(wanted)"
        case let .missingTensor(file, tensor):
            return "\(file): no tensor '\(tensor)'"
        case let .wrongDType(file, tensor, dtype, wanted):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), wanted \(wanted)"
        case let .unsupported(file, reason):
            return "\(file): \(reason)"
        }
    }
}
