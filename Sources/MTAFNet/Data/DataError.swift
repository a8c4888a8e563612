/// Why data could not be read or written; every case names the file (and the list line) at fault.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// What went wrong with a PNG file.
    public enum PNGProblem: String, Sendable, Equatable {
        /// The file cannot be opened.
        case cannotOpen = "cannot open"
        /// The file does not start with the PNG signature.
        case notPNG = "not a PNG file"
        /// The file ends before the image does.
        case truncated = "truncated"
        /// libpng rejected the data (bad chunk, CRC or compressed data).
        case corrupt = "corrupt"
        /// A valid PNG of a kind we do not read (channel count, bit depth, size).
        case unsupported = "unsupported"
        /// The file could not be written.
        case cannotWrite = "cannot write"
    }

    /// A PNG could not be read or written.
    case png(file: String, problem: PNGProblem, detail: String)
    /// An image in a format we cannot decode (JPEG without libjpeg support, ...).
    case unsupportedImage(file: String, reason: String)
    /// A file named by a list (or implied by a list entry) does not exist. `more` counts the other
    /// missing files of the same list.
    case missingFile(file: String, list: String, line: Int, entry: String, more: Int)
    /// A folder the dataset layout requires does not exist.
    case missingFolder(folder: String, reason: String)
    /// A list file cannot be read or has no entries.
    case badList(file: String, reason: String)
    /// A label map and its image differ in size.
    case sizeMismatch(image: String, imageSize: ImageSize, label: String, labelSize: ImageSize)
    /// A dataset configuration file (Mapillary's config.json) is missing or malformed.
    case badConfig(file: String, reason: String)
    /// The dataset has no label map for that number of classes.
    case unsupportedClassCount(dataset: String, numClasses: Int)
    /// Samples of one batch differ in size.
    case mixedSizes(first: String, other: String)
    /// A file or folder could not be written.
    case cannotWrite(path: String, reason: String)
    /// A dataset used for evaluation did not read the labels of an entry.
    case missingLabels(dataset: String, entry: String)

    public var description: String {
        switch self {
        case let .png(file, problem, detail):
            // libpng's shim may already say what the problem is ("not a PNG file (bad signature)").
            return detail.hasPrefix(problem.rawValue) ? "\(file): \(detail)" : "\(file): \(problem.rawValue) PNG (\(detail))"
        case let .unsupportedImage(file, reason):
            return "\(file): \(reason)"
        case let .missingFile(file, list, line, entry, more):
            var text = "\(file): missing (from \(list) line \(line): '\(entry)')"
            if more > 0 { text += "; \(more) more missing file\(more == 1 ? "" : "s") in that list" }
            return text
        case let .missingFolder(folder, reason):
            return "\(folder): missing folder (\(reason))"
        case let .badList(file, reason):
            return "\(file): bad list (\(reason))"
        case let .sizeMismatch(image, imageSize, label, labelSize):
            return "\(label): label is \(labelSize) but its image \(image) is \(imageSize)"
        case let .badConfig(file, reason):
            return "\(file): \(reason)"
        case let .unsupportedClassCount(dataset, numClasses):
            return "\(dataset): no label map for NUM_CLASSES \(numClasses)"
        case let .mixedSizes(first, other):
            return "samples of one batch differ in size: \(first) and \(other)"
        case let .cannotWrite(path, reason):
            return "\(path): cannot write (\(reason))"
        case let .missingLabels(dataset, entry):
            return "\(dataset): no label for '\(entry)' (evaluation needs labels)"
        }
    }
}
