// PredictionExporter: one target's predictions at the ground truth's full resolution
// (`test --export FORMAT DIR`), as 8-bit gray PNG files the official Cityscapes evaluator reads.
// The logits are upsampled (bilinear, align_corners, spec §4.7) to the ground truth's own size —
// our evaluation's step 3 (spec §8) at the label file's resolution — so scoring the export
// against the full-resolution ground truth gives exactly our confusion matrix whenever
// TEST.OUTPUT_SIZE_TARGET is that resolution.

import Foundation

/// Writes one target's full-resolution predictions into a folder.
public struct PredictionExporter: Sendable {
    /// The folder (`<DIR>/<target name>`).
    public let directory: String
    /// C.
    public let classCount: Int
    /// The pixel values.
    public let format: ExportFormat
    /// The models' ensemble weights (TEST.MODEL_WEIGHT).
    public let weights: [Float]
    /// Train id → written value.
    let values: [Int32]
    /// zlib level of the PNG files.
    public var compressionLevel = 6

    /// - Throws: `DataError.unsupportedClassCount` when `format` is `cityscapes` and C is not 19,
    ///   16 or 7.
    public init(directory: String, classCount: Int, format: ExportFormat, weights: [Float]) throws {
        self.directory = directory
        self.classCount = classCount
        self.format = format
        self.weights = weights
        switch format {
        case .cityscapes: values = try LabelMaps.cityscapesLabelIDs(numClasses: classCount).map(Int32.init)
        case .trainids: values = (0 ..< Int32(classCount)).map { $0 }
        }
    }

    /// A sample's file, relative to the folder: its list entry with the extension `.png`
    /// (sub-folders kept: `frankfurt/frankfurt_000000_000294_leftImg8bit.png`, IDD's
    /// `30/067149_leftImg8bit.png`, Mapillary's `<image stem>.png`). The evaluator's
    /// `getPrediction` finds a Cityscapes prediction by the pattern `<city>_<seq>_<frame>*.png`
    /// anywhere under CITYSCAPES_RESULTS, which this name matches.
    public static func relativePath(ofEntry name: String) -> String {
        PredictionWriter.stem(ofEntry: name) + ".png"
    }

    /// The full-resolution prediction of one sample: the models' main logits upsampled to the
    /// sample's canvas, summed with the weights, arg-maxed, and cropped to the ground truth's size
    /// (top left), in train ids.
    ///
    /// - Parameters:
    ///   - sample: A test sample with `fullResolution` (read with labels).
    ///   - mainLogits: One [1, C, h, w] tensor per model.
    /// - Throws: `DataError.missingLabels` when the sample carries no ground-truth geometry.
    public func prediction(of sample: SegmentationSample, mainLogits: [Tensor]) throws -> LabelImage {
        guard let geometry = sample.fullResolution else {
            throw DataError.missingLabels(dataset: directory, entry: sample.name)
        }
        let canvas = geometry.canvas, size = geometry.size
        let classes = Evaluator.predict(logits: mainLogits, weights: weights, classCount: classCount,
                                        height: canvas.height, width: canvas.width)
        if canvas == size { return LabelImage(width: size.width, height: size.height, values: classes) }
        var cropped = [Int32](repeating: 0, count: size.width * size.height)
        for y in 0 ..< size.height {
            let from = y * canvas.width, to = y * size.width
            cropped.replaceSubrange(to ..< (to + size.width), with: classes[from ..< (from + size.width)])
        }
        return LabelImage(width: size.width, height: size.height, values: cropped)
    }

    /// Writes one sample's full-resolution prediction in the export format.
    ///
    /// - Returns: The file's path.
    /// - Throws: `DataError` naming the file (or the sample without ground-truth geometry).
    @discardableResult
    public func write(_ sample: SegmentationSample, mainLogits: [Tensor]) throws -> String {
        let classes = try prediction(of: sample, mainLogits: mainLogits)
        var pixels = [UInt8](repeating: 0, count: classes.values.count)
        values.withUnsafeBufferPointer { table in
            for (i, trainID) in classes.values.enumerated() { pixels[i] = UInt8(table[Int(trainID)]) }
        }
        let path = directory + "/" + Self.relativePath(ofEntry: sample.name)
        try createParentDirectory(of: path)
        try PNG.write(PixelImage(width: classes.width, height: classes.height, channels: 1, pixels: pixels),
                      toPath: path, compressionLevel: compressionLevel)
        return path
    }
}

// ExportFormat: the pixel values of `test --export FORMAT DIR` predictions.

/// What an exported prediction's pixels hold.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// Cityscapes label ids (`LabelMaps.cityscapesLabelIDs`), for the official Cityscapes
    /// evaluator.
    case cityscapes
    /// Train ids 0…C−1, as our own evaluation counts them.
    case trainids
}
