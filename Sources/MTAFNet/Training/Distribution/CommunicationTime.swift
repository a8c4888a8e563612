// Where a distributed iteration waits on other ranks: gradient allreduce, BN statistics, the MDis
// map exchange, the loss gather and the stop agreement at each iteration boundary (architecture
// §5.5: the communication share of a step).

import Distributed

/// Accumulated seconds per communication kind, shared by the synchronizers of one run.
public final class CommunicationTime {
    /// Seconds per kind ("gradients", "batchnorm", "exchange", "losses", "stop").
    public private(set) var seconds: [String: Double] = [:]

    /// Segmenter gradient buckets started while the backward was still running, and all buckets,
    /// summed over the iterations (architecture §3.6: the overlap).
    public private(set) var bucketsStartedEarly = 0, buckets = 0

    public init() {}

    func countBuckets(startedEarly: Int, total: Int) {
        bucketsStartedEarly += startedEarly
        buckets += total
    }

    /// Total over every kind.
    public var total: Double { seconds.values.reduce(0, +) }

    /// Runs `body` and adds its wall time to `kind`.
    func measure<R>(_ kind: String, _ body: () throws -> R) rethrows -> R {
        let start = MonotonicClock.seconds()
        defer { seconds[kind, default: 0] += MonotonicClock.seconds() - start }
        return try body()
    }
}
