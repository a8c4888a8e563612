/// One checkpoint's results on every target, with the mean over targets.
public struct CheckpointResults: Codable, Sendable {
    /// The checkpoint file (the first model's in an ensemble).
    public let checkpoint: String
    /// Per target, in TARGETS order.
    public let targets: [TargetResult]
    /// round(mean of the per-target rounded mIoUs, 2), best mode's "Multi-target" value
    /// (spec §8); NaN when a target's mIoU is NaN.
    public let average: Double

    enum CodingKeys: String, CodingKey { case checkpoint, targets, average = "average_miou" }

    /// - Parameters:
    ///   - checkpoint: The checkpoint file.
    ///   - targets: Every target's result, in TARGETS order.
    public init(checkpoint: String, targets: [TargetResult]) {
        self.checkpoint = checkpoint
        self.targets = targets
        average = Self.average(of: targets)
    }

    /// Spec §8 best mode: average = round(mean of the per-target rounded mIoUs, 2).
    public static func average(of targets: [TargetResult]) -> Double {
        guard !targets.isEmpty else { return .nan }
        return ConfusionMatrix.roundedPercent(targets.map(\.mIoU).reduce(0, +) / Double(targets.count) / 100)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        checkpoint = try container.decode(String.self, forKey: .checkpoint)
        targets = try container.decode([TargetResult].self, forKey: .targets)
        average = try container.decodeIfPresent(Double.self, forKey: .average) ?? .nan
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checkpoint, forKey: .checkpoint)
        try container.encode(targets, forKey: .targets)
        try container.encode(average.isNaN ? nil : average, forKey: .average)
    }
}
