// IDDDataset: the India Driving Dataset target (spec §7.4): ROOT/leftImg8bit/SET/LINE, labels
// ROOT/gtFine/SET/LINE with "leftImg8bit" replaced by "gtFine_labelids" (IDD's `id` values 0…39).

import Foundation

/// IDD, listed by `idd_list/{train,val}.txt`; 7 or 19 classes.
public struct IDDDataset: SegmentationDataset {
    let pairs: ListedPairs
    public let name: String

    /// Opens the dataset and checks that every listed file exists.
    ///
    /// - Parameters:
    ///   - root: DATA_DIRECTORY_TARGET.
    ///   - listPath: The list file.
    ///   - set: `train` or `val`.
    ///   - options: Sizes, NUM_CLASSES (7 or 19), whether labels are read.
    /// - Throws: `DataError` (missing list or file, a class count other than 7 or 19).
    /// Spec §7.4, Appendix B.3 (upstream `IDDDataSet`).
    public init(root: String, listPath: String, set: String, options: DatasetOptions) throws {
        let map = try LabelMaps.idd(numClasses: options.numClasses)
        let list = try DatasetList(contentsOf: listPath)
        pairs = try ListedPairs(
            list: list, imagePath: { "\(root)/leftImg8bit/\(set)/\($0)" },
            labelPath: { "\(root)/gtFine/\(set)/" + $0.replacingOccurrences(of: "leftImg8bit", with: "gtFine_labelids") },
            options: options, map: map)
        name = "IDD \(set)"
    }

    public var count: Int { pairs.count }

    /// The label map in use.
    public var labelMap: LabelMap { pairs.map }

    public func sample(_ index: Int) throws -> SegmentationSample { try pairs.sample(index) }
}
