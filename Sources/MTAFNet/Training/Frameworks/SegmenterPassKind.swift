// Which segmenter forward of an iteration: the source batch, or target t's (spec §2.7 orders
// the running-statistics updates source, target 0, …, target T−1).

/// The data a segmenter pass runs on. Spec §2.7, §5.
public enum SegmenterPassKind: Hashable, Sendable, CustomStringConvertible {
    /// The labelled source batch (step 1 of every framework).
    case source
    /// Target t's batch (step 2).
    case target(Int)

    /// Position in the running-statistics order: source 0, target t at t + 1 (spec §2.7).
    public var order: Int {
        switch self {
        case .source: 0
        case let .target(t): t + 1
        }
    }

    public var description: String {
        switch self {
        case .source: "source"
        case let .target(t): "target \(t)"
        }
    }
}
