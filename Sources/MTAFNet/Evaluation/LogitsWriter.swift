// LogitsWriter: one target's main-level logits per image (`test --save-logits DIR`), for
// ensembling and analysis: `<DIR>/<target>/<entry stem>.safetensors` holding one F32 tensor
// `logits` [C, h, w] — the raw scores of the main level (spec §8 step 2) at the network's output
// resolution, before upsampling and softmax (softmax of these is the class probability; keeping
// logits loses nothing and matches how our ensembles sum, spec §8 step 4). With several models it
// is their TEST.MODEL_WEIGHT-weighted sum.

import Foundation

/// Writes one target's logits, one safetensors file per image.
public struct LogitsWriter: Sendable {
    /// The folder (`<DIR>/<target name>`).
    public let directory: String
    /// The models' ensemble weights.
    public let weights: [Float]

    public init(directory: String, weights: [Float]) {
        self.directory = directory
        self.weights = weights
    }

    /// A sample's file, relative to the folder: its list entry's stem (sub-folders kept) with
    /// `.safetensors`.
    public static func relativePath(ofEntry name: String) -> String {
        PredictionWriter.stem(ofEntry: name) + ".safetensors"
    }

    /// The weighted sum of the models' main logits, [C, h, w] (one model of weight 1: its logits).
    public func combined(_ mainLogits: [Tensor]) -> Tensor {
        precondition(mainLogits.count == weights.count && !mainLogits.isEmpty,
                     "LogitsWriter: \(mainLogits.count) logits, \(weights.count) weights")
        let first = mainLogits[0]
        let shape = Array(first.shape.dropFirst())
        let sum = Tensor(shape: shape)
        sum.withUnsafeMutableBufferPointer { total in
            for (logits, weight) in zip(mainLogits, weights) {
                precondition(logits.shape == first.shape, "LogitsWriter: logits of shapes \(first.shape) and \(logits.shape)")
                logits.withUnsafeBufferPointer { source in
                    for i in 0 ..< total.count { total[i] += weight * source[i] }
                }
            }
        }
        return sum
    }

    /// Writes one sample's logits (metadata: the list entry).
    ///
    /// - Returns: The file's path.
    /// - Throws: `DataError.cannotWrite` or a `SafeTensorsError` naming the file (non-finite
    ///   logits are refused).
    @discardableResult
    public func write(_ sample: SegmentationSample, mainLogits: [Tensor]) throws -> String {
        let path = directory + "/" + Self.relativePath(ofEntry: sample.name)
        try createParentDirectory(of: path)
        try SafeTensors.write(["logits": .f32(combined(mainLogits))], metadata: ["entry": sample.name], to: path)
        return path
    }
}
