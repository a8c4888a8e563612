/// A label map: one integer per pixel, row-major (H×W). Raw ids as read from a PNG, or train ids
/// (0…C−1, 255 ignored) after a `LabelMap`.
public struct LabelImage: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Rows.
    public let height: Int
    /// `height × width` values.
    public var values: [Int32]

    /// Wraps values.
    ///
    /// - Parameters:
    ///   - width: Pixels per row.
    ///   - height: Rows.
    ///   - values: `height × width` values, row-major.
    public init(width: Int, height: Int, values: [Int32]) {
        precondition(width >= 0 && height >= 0 && values.count == width * height,
                     "LabelImage: \(values.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// A map filled with one value.
    public init(width: Int, height: Int, filledWith value: Int32) {
        self.init(width: width, height: height, values: [Int32](repeating: value, count: width * height))
    }

    /// The size.
    public var size: ImageSize { ImageSize(width: width, height: height) }
}
