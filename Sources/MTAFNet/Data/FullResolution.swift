// FullResolution: where a test sample's ground truth lives at its own (native) resolution, for
// predictions exported at that size (`test --export`): the logits are upsampled to `canvas` and
// the top-left `size` pixels are kept.

/// The ground truth's native geometry of one test sample.
public struct FullResolution: Sendable, Equatable {
    /// The label file's own W×H (the size of an exported prediction).
    public let size: ImageSize
    /// The W×H the network's output covers at native scale: `size` for Cityscapes and IDD, whose
    /// images are resized without keeping the aspect ratio; for Mapillary, whose images are pasted
    /// top-left on a padded canvas, the native size padded to the label aspect ratio (spec §7.5).
    public let canvas: ImageSize

    public init(size: ImageSize, canvas: ImageSize) {
        precondition(canvas.width >= size.width && canvas.height >= size.height,
                     "FullResolution: canvas \(canvas) smaller than \(size)")
        self.size = size
        self.canvas = canvas
    }

    /// A ground truth whose canvas is its own size (Cityscapes, IDD).
    public init(size: ImageSize) {
        self.init(size: size, canvas: size)
    }
}
