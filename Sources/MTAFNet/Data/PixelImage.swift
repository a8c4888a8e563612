/// An 8-bit image, row-major with interleaved channels (H×W×C), as PIL holds "RGB" and "L" images.
public struct PixelImage: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Samples per pixel (1 gray or label, 3 RGB, 4 RGBA).
    public let channels: Int
    /// `height × width × channels` samples.
    public var pixels: [UInt8]

    /// Wraps samples.
    ///
    /// - Parameters:
    ///   - width: Pixels per row.
    ///   - height: Rows.
    ///   - channels: Samples per pixel.
    ///   - pixels: `height × width × channels` samples, row-major.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && channels > 0 && pixels.count == width * height * channels,
                     "PixelImage: \(pixels.count) samples for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A zero (black) image.
    public init(width: Int, height: Int, channels: Int) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    /// The size.
    public var size: ImageSize { ImageSize(width: width, height: height) }
}
