/// How a dataset prepares its samples (spec §7.1, §6.2).
public struct DatasetOptions: Sendable, Equatable {
    /// The network input size (INPUT_SIZE_SOURCE / INPUT_SIZE_TARGET / TEST.INPUT_SIZE_TARGET).
    public var imageSize: ImageSize
    /// The label size: the image size in training, TEST.OUTPUT_SIZE_TARGET in testing.
    public var labelSize: ImageSize
    /// NUM_CLASSES, which picks the label map.
    public var numClasses: Int
    /// Whether `sample(_:)` reads labels (false for target domains during training: their labels
    /// are unused, spec §7.5).
    public var readLabels: Bool
    /// Mapillary only: resize the label with padding to `labelSize` (true), or keep its native
    /// resolution padded to the aspect ratio (false), spec §7.5.
    public var scaleLabel: Bool

    /// Creates options.
    ///
    /// - Parameters:
    ///   - imageSize: The input size.
    ///   - labelSize: The label size; nil means the input size.
    ///   - numClasses: NUM_CLASSES.
    ///   - readLabels: Whether labels are read.
    ///   - scaleLabel: Mapillary's label scaling (TEST.SCALE_LABEL, default true).
    public init(imageSize: ImageSize, labelSize: ImageSize? = nil, numClasses: Int = 7,
                readLabels: Bool = true, scaleLabel: Bool = true) {
        self.imageSize = imageSize
        self.labelSize = labelSize ?? imageSize
        self.numClasses = numClasses
        self.readLabels = readLabels
        self.scaleLabel = scaleLabel
    }
}
