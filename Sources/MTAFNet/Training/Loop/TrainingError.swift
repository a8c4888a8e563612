// Errors of the training frameworks (spec §5): a batch that does not fit the state, a framework
// that cannot run with the given targets or model, a world the trainer cannot serve.

/// Why a training iteration (or the state it runs on) cannot be set up; each case names the
/// framework, tensor or setting at fault.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A batch tensor has the wrong shape or count (e.g. labels not N×H×W of the source image).
    case badBatch(tensor: String, reason: String)
    /// The framework cannot run with this number of targets (MDis and MTKT need T > 1, spec §5.2, §5.3).
    case unsupportedTargetCount(framework: String, targets: Int, reason: String)
    /// The framework needs the other segmenter (MTKT needs DeepLabv2MTKT, the others DeepLabv2).
    case wrongModel(framework: String, model: String, wanted: String)
    /// A discriminator the framework uses is absent from the state.
    case missingDiscriminator(framework: String, key: String)
    /// The state holds a discriminator the framework does not use.
    case unexpectedDiscriminator(framework: String, key: String)
    /// A hyper-parameter outside its range (e.g. MAX_ITERS ≤ 0).
    case invalidHyperParameter(name: String, value: String, reason: String)
    /// The iteration is past MAX_ITERS (the poly schedule is undefined there, spec §4.5).
    case iterationOutOfRange(iteration: Int, maxIterations: Int)
    /// A world of this size cannot run this configuration (the reason says what would).
    case unsupportedWorld(size: Int, reason: String)
    /// Replicas of a store differ across ranks (architecture §3.8 requires them identical).
    case replicaMismatch(store: String, ranks: [Int])

    public var description: String {
        switch self {
        case let .badBatch(tensor, reason):
            return "training batch '\(tensor)': \(reason)"
        case let .unsupportedTargetCount(framework, targets, reason):
            return "framework \(framework) with \(targets) target(s): \(reason)"
        case let .wrongModel(framework, model, wanted):
            return "framework \(framework) runs on \(wanted), not \(model)"
        case let .missingDiscriminator(framework, key):
            return "framework \(framework) needs discriminator '\(key)', which the training state lacks"
        case let .unexpectedDiscriminator(framework, key):
            return "framework \(framework) has no discriminator '\(key)'"
        case let .invalidHyperParameter(name, value, reason):
            return "hyper-parameter \(name) = \(value): \(reason)"
        case let .iterationOutOfRange(iteration, maxIterations):
            return "iteration \(iteration) is past MAX_ITERS = \(maxIterations) (spec §4.5)"
        case let .unsupportedWorld(size, reason):
            return "a world of \(size) processes: \(reason)"
        case let .replicaMismatch(store, ranks):
            return "the replicas of '\(store)' differ between ranks \(ranks.map(String.init).joined(separator: " and ")) "
                + "(they must stay identical): a synchronization bug or a hardware fault"
        }
    }
}
