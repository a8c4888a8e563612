// Saving test predictions as PNG files: per sample `<folder>/<entry stem>_color.png` (palette
// colors, spec §8 step 5's argmax) and `<entry stem>_pred.png` (gray, pixel = class index), at the
// size the prediction was scored at (the label's H×W, spec §8 step 3).

import Foundation

/// Writes one target's predictions into a folder.
public struct PredictionWriter: Sendable {
    /// The folder (`<DIR>/<target name>`).
    public let directory: String
    /// C (palette).
    public let classCount: Int
    /// zlib level of the PNG files.
    public var compressionLevel = 6

    public init(directory: String, classCount: Int) {
        self.directory = directory
        self.classCount = classCount
    }

    /// The file stem of a sample: its list entry without the extension, keeping sub-folders
    /// (Cityscapes' city) so that names stay unique; `.`, `..` and empty components are dropped.
    public static func stem(ofEntry name: String) -> String {
        let parts = name.split(separator: "/").map(String.init).filter { !$0.isEmpty && $0 != "." && $0 != ".." }
        guard var last = parts.last else { return "prediction" }
        if let dot = last.lastIndex(of: "."), dot != last.startIndex { last = String(last[..<dot]) }
        return (parts.dropLast() + [last]).joined(separator: "/")
    }

    /// Writes both PNG files of one sample.
    ///
    /// - Parameters:
    ///   - name: The sample's list entry.
    ///   - classes: Its H×W prediction.
    /// - Returns: The two paths (color, gray).
    /// - Throws: `DataError.png` naming the file, or `DataError.cannotWrite` for its folder.
    @discardableResult
    public func write(name: String, classes: LabelImage) throws -> (color: String, gray: String) {
        let base = directory + "/" + Self.stem(ofEntry: name)
        try createParentDirectory(of: base)
        let color = base + "_color.png", gray = base + "_pred.png"
        try PNG.write(Colorize.colors(classes, classCount: classCount), toPath: color, compressionLevel: compressionLevel)
        try PNG.write(Colorize.gray(classes), toPath: gray, compressionLevel: compressionLevel)
        return (color, gray)
    }
}

/// Creates the folder that will hold `path`, with its parents (the prediction, export and logits
/// writers).
///
/// - Throws: `DataError.cannotWrite` naming the file.
func createParentDirectory(of path: String) throws(DataError) {
    do {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
    } catch {
        throw DataError.cannotWrite(path: path, reason: error.localizedDescription)
    }
}
