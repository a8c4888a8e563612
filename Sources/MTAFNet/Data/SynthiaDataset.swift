// SynthiaDataset: the SYNTHIA (RAND-CITYSCAPES) source option (spec §7.6): ROOT/RGB/NAME and
// 16-bit multi-channel labels whose first channel holds the class id.

/// SYNTHIA, listed by `synthia_list/all.txt`.
public struct SynthiaDataset: SegmentationDataset {
    let pairs: ListedPairs
    public let name: String

    /// Opens the dataset and checks that every listed file exists.
    ///
    /// - Parameters:
    ///   - root: DATA_DIRECTORY_SOURCE.
    ///   - listPath: The list file.
    ///   - labelFolder: The label folder under the root. Upstream's loader (and the released
    ///     dataset) use `GT/LABELS`; spec §7.6 writes `GT/CLASSES`.
    ///   - options: Sizes, NUM_CLASSES (19, 16 or 7), whether labels are read.
    /// - Throws: `DataError` (missing list or file, unsupported class count).
    /// Spec §7.6, Appendix B.5 (upstream `SYNTHIADataSet`).
    public init(root: String, listPath: String, labelFolder: String = "GT/LABELS", options: DatasetOptions) throws {
        let map = try LabelMaps.synthia(numClasses: options.numClasses)
        let list = try DatasetList(contentsOf: listPath)
        pairs = try ListedPairs(list: list, imagePath: { "\(root)/RGB/\($0)" },
                                labelPath: { "\(root)/\(labelFolder)/\($0)" },
                                options: options, map: map, labelChannel: 0)
        name = "SYNTHIA"
    }

    public var count: Int { pairs.count }

    /// The label map in use.
    public var labelMap: LabelMap { pairs.map }

    public func sample(_ index: Int) throws -> SegmentationSample { try pairs.sample(index) }
}
