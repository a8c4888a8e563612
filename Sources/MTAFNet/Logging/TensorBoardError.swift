/// Why a TensorBoard event file could not be written.
public enum TensorBoardError: Error, CustomStringConvertible, Equatable {
    /// The log folder or the event file cannot be created.
    case cannotCreate(path: String, reason: String)
    /// Appending records to the event file failed.
    case cannotWrite(path: String, reason: String)
    /// An image summary cannot be encoded.
    case badImage(tag: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): "TensorBoard: cannot create \(path): \(reason)"
        case let .cannotWrite(path, reason): "TensorBoard: cannot write \(path): \(reason)"
        case let .badImage(tag, reason): "TensorBoard: image '\(tag)': \(reason)"
        }
    }
}
