/// A width and a height in pixels (configs write sizes as [W, H], spec §6.2).
public struct ImageSize: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Pixels per row.
    public var width: Int
    /// Rows.
    public var height: Int

    /// Creates a size.
    ///
    /// - Parameters:
    ///   - width: Pixels per row, positive.
    ///   - height: Rows, positive.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "ImageSize(width: \(width), height: \(height)): sizes must be positive")
        self.width = width
        self.height = height
    }

    /// `width × height`.
    public var pixelCount: Int { width * height }

    public var description: String { "\(width)x\(height)" }
}
