/// A dataset of images with optional label maps, indexed 0..<count, decoded on demand (spec §7).
///
/// `sample(_:)` may be called from any thread (the loader decodes ahead on a background thread).
public protocol SegmentationDataset: Sendable {
    /// A short name for messages ("Cityscapes val").
    var name: String { get }
    /// The number of samples (list entries).
    var count: Int { get }
    /// Decodes and preprocesses one sample.
    ///
    /// - Parameter index: 0..<count.
    /// - Returns: The image (3×H×W, BGR minus IMG_MEAN), its train-id label map when the dataset
    ///   reads labels, and its name (the list entry).
    /// - Throws: `DataError` naming the file at fault.
    func sample(_ index: Int) throws -> SegmentationSample
}
