// The results of a `test` run as files: JSON (machine-readable, spec §8 "a machine-readable
// copy") and Markdown tables (per-class IoU per target and the mean over targets).

import Foundation

/// What a `test` run found: every evaluated checkpoint and, in best mode, the best checkpoint per
/// target and for the average over targets (spec §8).
public struct TestReport: Codable, Sendable {
    /// "single" or "best".
    public let mode: String
    /// TARGETS.
    public let targets: [String]
    /// The class names of the IoU vectors.
    public let classNames: [String]
    /// Every evaluated checkpoint in evaluation order (one in single mode).
    public let evaluated: [CheckpointResults]
    /// Best mode: per target, its best checkpoint (empty in single mode).
    public let bestPerTarget: [TargetBest]
    /// Best mode: the checkpoint with the best average over targets (nil in single mode or when
    /// nothing was evaluated).
    public let bestAverage: CheckpointResults?

    enum CodingKeys: String, CodingKey {
        case mode, targets, classNames = "class_names", evaluated, bestPerTarget = "best_per_target"
        case bestAverage = "best_average"
    }

    public init(mode: String, targets: [String], classNames: [String], evaluated: [CheckpointResults],
                bestPerTarget: [TargetBest] = [], bestAverage: CheckpointResults? = nil) {
        self.mode = mode
        self.targets = targets
        self.classNames = classNames
        self.evaluated = evaluated
        self.bestPerTarget = bestPerTarget
        self.bestAverage = bestAverage
    }

    /// The JSON text (pretty-printed, sorted keys; NaN as null).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The stem of this report's files, `results_<mode>`: a single-mode run and a best-mode run
    /// in the same folder keep their own files.
    public var fileStem: String { "results_\(mode)" }

    /// Writes `results_<mode>.json` and `results_<mode>.md` into a folder (created), each
    /// atomically.
    ///
    /// - Parameter directory: The folder.
    /// - Returns: The two paths.
    @discardableResult
    public func write(toDirectory directory: String) throws -> (json: String, markdown: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = directory + "/" + fileStem + ".json", markdown = directory + "/" + fileStem + ".md"
        let jsonBytes = try jsonData(), markdownBytes = Data(self.markdown.utf8)
        try AtomicFile.write(to: json) { sink in try jsonBytes.withUnsafeBytes { try sink($0) } }
        try AtomicFile.write(to: markdown) { sink in try markdownBytes.withUnsafeBytes { try sink($0) } }
        return (json, markdown)
    }
}

/// Best mode's best checkpoint for one target (spec §8: strictly greater mIoU wins).
public struct TargetBest: Codable, Sendable {
    /// The target's name.
    public let target: String
    /// The checkpoint with the best mIoU on it.
    public let checkpoint: String
    /// That checkpoint's result on the target.
    public let result: TargetResult

    public init(target: String, checkpoint: String, result: TargetResult) {
        self.target = target
        self.checkpoint = checkpoint
        self.result = result
    }
}
