/// A batch of preprocessed samples (spec §7.1): images N×3×H×W, labels N×H'×W'.
public struct DataBatch: Sendable {
    /// The network input, N×3×H×W.
    public let images: Tensor
    /// Train ids, N×H'×W' row-major, or nil when the dataset does not read labels.
    public let labels: [Int32]?
    /// H'×W' of each label map (nil without labels).
    public let labelSize: ImageSize?
    /// The sample names (list entries), one per image.
    public let names: [String]
    /// The list index of each sample.
    public let indices: [Int]
    /// The loader position after this batch: pass it to a new loader to continue from here.
    public let nextPosition: Int

    /// The number of samples (N).
    public var count: Int { names.count }
}
