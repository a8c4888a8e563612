// CityscapesDataset: the Cityscapes target (spec §7.3): ROOT/leftImg8bit/SET/LINE, labels
// ROOT/gtFine/SET/LINE with "leftImg8bit" replaced by "gtFine_labelIds".

import Foundation

/// Cityscapes, listed by `cityscapes_list/{train,val}.txt`.
public struct CityscapesDataset: SegmentationDataset {
    let pairs: ListedPairs
    public let name: String

    /// Opens the dataset and checks that every listed file exists.
    ///
    /// - Parameters:
    ///   - root: DATA_DIRECTORY_TARGET.
    ///   - listPath: The list file (DATA_LIST_TARGET with `{}` replaced by the set).
    ///   - set: `train` or `val`.
    ///   - options: Sizes, NUM_CLASSES (19, 16 or 7), whether labels are read.
    /// - Throws: `DataError` (missing list or file, unsupported class count).
    /// Spec §7.3, Appendix B.1 (upstream `CityscapesDataSet`).
    public init(root: String, listPath: String, set: String, options: DatasetOptions) throws {
        let map = try LabelMaps.cityscapes(numClasses: options.numClasses)
        let list = try DatasetList(contentsOf: listPath)
        pairs = try ListedPairs(
            list: list, imagePath: { "\(root)/leftImg8bit/\(set)/\($0)" },
            labelPath: { "\(root)/gtFine/\(set)/" + $0.replacingOccurrences(of: "leftImg8bit", with: "gtFine_labelIds") },
            options: options, map: map)
        name = "Cityscapes \(set)"
    }

    public var count: Int { pairs.count }

    /// The label map in use.
    public var labelMap: LabelMap { pairs.map }

    public func sample(_ index: Int) throws -> SegmentationSample { try pairs.sample(index) }
}
