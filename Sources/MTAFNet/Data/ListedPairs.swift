// ListedPairs: the common sample pipeline of the list-driven datasets (GTA5, Cityscapes, IDD,
// SYNTHIA), spec §7.1: image → RGB → PIL bicubic to the input size → BGR − IMG_MEAN, CHW;
// label → PIL nearest to the label size → train ids.

/// Image/label file pairs named by a list, decoded by the §7.1 pipeline.
struct ListedPairs: Sendable {
    /// The list the pairs come from.
    let list: DatasetList
    /// The image file of each entry.
    let imagePaths: [String]
    /// The label file of each entry.
    let labelPaths: [String]
    /// Sizes, class count, whether labels are read.
    let options: DatasetOptions
    /// Raw id → train id.
    let map: LabelMap
    /// The label channel of multi-channel label files (SYNTHIA), nil for single-channel files.
    let labelChannel: Int?
    /// Whether an image and its label must have the same native size (not GTA5, spec §7.2).
    let checksSizes: Bool

    /// Builds the pairs and checks up front that every file exists (labels only when read).
    ///
    /// - Throws: `DataError.missingFile` naming the first missing file and its list line.
    init(list: DatasetList, imagePath: (String) -> String, labelPath: (String) -> String,
         options: DatasetOptions, map: LabelMap, labelChannel: Int? = nil, checksSizes: Bool = true) throws {
        self.list = list
        self.imagePaths = list.entries.map(imagePath)
        self.labelPaths = list.entries.map(labelPath)
        self.options = options
        self.map = map
        self.labelChannel = labelChannel
        self.checksSizes = checksSizes
        let readLabels = options.readLabels
        try list.checkFilesExist { entry in
            readLabels ? [imagePath(entry), labelPath(entry)] : [imagePath(entry)]
        }
    }

    /// The number of pairs.
    var count: Int { list.count }

    /// Decodes one sample.
    func sample(_ index: Int) throws -> SegmentationSample {
        precondition(index >= 0 && index < count, "ListedPairs.sample: index \(index) outside 0..<\(count)")
        let rgb = try ImageFile.readRGB(atPath: imagePaths[index])
        let image = Preprocess.imageTensor(PILResize.bicubic(rgb, to: options.imageSize))
        var label: LabelImage?
        var fullResolution: FullResolution?
        if options.readLabels {
            let raw = try PNG.readLabels(atPath: labelPaths[index], channel: labelChannel)
            if checksSizes && raw.size != rgb.size {
                throw DataError.sizeMismatch(image: imagePaths[index], imageSize: rgb.size,
                                             label: labelPaths[index], labelSize: raw.size)
            }
            label = Preprocess.trainIDs(PILResize.nearest(raw, to: options.labelSize), map: map)
            fullResolution = FullResolution(size: raw.size)
        }
        return SegmentationSample(image: image, label: label, name: list.entries[index], fullResolution: fullResolution)
    }
}
