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
