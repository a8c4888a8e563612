// The shape of a DeepLab-v2 segmenter: ResNet block counts, base width, classes, heads.
// Sizes: blocks = (n₁, n₂, n₃, n₄) bottlenecks per stage; w = base width (64 real); C classes.

/// What to build: ResNet-101 ([3, 4, 23, 3]), ResNet-50 ([3, 4, 6, 3]) or a small variant,
/// at base width w (spec §2.11: stem w, planes w, 2w, 4w, 8w; classifier inputs 16w and 32w).
/// Spec §2.3, §2.5, §2.11 (upstream `get_deeplab_v2`).
public struct DeepLabV2Configuration: Sendable, Hashable, CustomStringConvertible {
    /// Bottlenecks per stage (four stages).
    public var blocks: [Int]
    /// Base width w (64 for the real model).
    public var width: Int
    /// C.
    public var classes: Int
    /// Whether the auxiliary classifier on layer3 exists (MULTI_LEVEL).
    public var multiLevel: Bool

    public init(blocks: [Int] = [3, 4, 23, 3], width: Int = 64, classes: Int = 7, multiLevel: Bool = true) {
        precondition(blocks.count == 4 && blocks.allSatisfy { $0 >= 1 },
                     "DeepLabV2Configuration: four stages of at least one block each, got \(blocks)")
        precondition(width >= 1 && classes >= 1, "DeepLabV2Configuration: width and classes must be positive")
        self.blocks = blocks
        self.width = width
        self.classes = classes
        self.multiLevel = multiLevel
    }

    /// ResNet-101 DeepLab-v2 (upstream's only model).
    public static func resNet101(classes: Int = 7, width: Int = 64, multiLevel: Bool = true) -> Self {
        Self(blocks: [3, 4, 23, 3], width: width, classes: classes, multiLevel: multiLevel)
    }

    /// Planes of stage s (0-based): w, 2w, 4w, 8w.
    public func planes(stage: Int) -> Int { width << stage }

    /// Stride of stage s: 1, 2, 1, 1.
    public static let stageStrides = [1, 2, 1, 1]
    /// Dilation of stage s: 1, 1, 2, 4.
    public static let stageDilations = [1, 1, 2, 4]

    /// Channels of layer3's output (aux classifier input), 16w.
    public var layer3Channels: Int { 16 * width }
    /// Channels of layer4's output (main classifier input), 32w.
    public var layer4Channels: Int { 32 * width }

    /// The logits' spatial extent for an input extent (spec §2.5 general rule).
    public static func outputSize(_ inputSize: Int) -> Int {
        let h1 = (inputSize - 1) / 2 + 1
        let h2 = maxPoolOutputSize(inputSize: h1, kernel: 3, stride: 2, padding: 1, ceilMode: true)
        return (h2 - 1) / 2 + 1
    }

    public var description: String {
        "DeepLab-v2 blocks \(blocks) width \(width) classes \(classes)\(multiLevel ? " multi-level" : "")"
    }
}
