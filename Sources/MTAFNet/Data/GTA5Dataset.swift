// GTA5Dataset: the GTA5 source domain (spec §7.2): ROOT/images/NAME and ROOT/labels/NAME.

/// GTA5: images and Cityscapes-id labels of the same name, listed by `gta5_list/all.txt`.
///
/// Images and labels are resized to the configured sizes independently, so the few GTA5 pairs
/// whose native sizes differ stay aligned (their sizes are not checked, spec §7.2).
public struct GTA5Dataset: SegmentationDataset {
    let pairs: ListedPairs
    public let name: String

    /// Opens the dataset and checks that every listed file exists.
    ///
    /// - Parameters:
    ///   - root: DATA_DIRECTORY_SOURCE (holds `images/` and `labels/`).
    ///   - listPath: The list file (`gta5_list/all.txt`).
    ///   - options: Sizes (INPUT_SIZE_SOURCE), NUM_CLASSES (19 or 7), whether labels are read.
    /// - Throws: `DataError` (missing list or file, unsupported class count).
    /// Spec §7.2, Appendix B.2 (upstream `GTA5DataSet`).
    public init(root: String, listPath: String, options: DatasetOptions) throws {
        let map = try LabelMaps.gta5(numClasses: options.numClasses)
        let list = try DatasetList(contentsOf: listPath)
        pairs = try ListedPairs(list: list, imagePath: { "\(root)/images/\($0)" }, labelPath: { "\(root)/labels/\($0)" },
                                options: options, map: map, checksSizes: false)
        name = "GTA5"
    }

    public var count: Int { pairs.count }

    /// The label map in use.
    public var labelMap: LabelMap { pairs.map }

    public func sample(_ index: Int) throws -> SegmentationSample { try pairs.sample(index) }
}
