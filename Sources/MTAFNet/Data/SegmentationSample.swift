/// One preprocessed sample of a `SegmentationDataset` (spec §7.1).
public struct SegmentationSample: Sendable {
    /// The network input, 3×H×W float32 (BGR minus IMG_MEAN).
    public let image: Tensor
    /// Train ids (0…C−1, 255 ignored), H'×W' (the label size), or nil when labels are not read.
    public let label: LabelImage?
    /// The list entry (file name relative to the set folder).
    public let name: String
    /// The ground truth's native geometry when labels are read (test exports), else nil.
    public let fullResolution: FullResolution?

    /// Creates a sample.
    public init(image: Tensor, label: LabelImage?, name: String, fullResolution: FullResolution? = nil) {
        precondition(image.shape.count == 3 && image.shape[0] == 3,
                     "SegmentationSample: image of shape \(image.shape), wanted 3×H×W")
        self.image = image
        self.label = label
        self.name = name
        self.fullResolution = fullResolution
    }
}
