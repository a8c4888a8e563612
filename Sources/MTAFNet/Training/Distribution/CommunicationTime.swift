// Where a distributed iteration waits on other ranks: gradient allreduce, BN statistics, the MDis
// map exchange, the loss gather and the stop agreement at each iteration boundary (architecture
// §5.5: the communication share of a step).

import Distributed

/// Accumulated seconds per communication kind, shared by the synchronizers of one run.
public final class CommunicationTime {
    /// The kinds, in report order.
    public static let kinds = ["batchnorm", "exchange", "gradients", "losses", "stop"]

    /// Seconds per kind (one of `kinds`).
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

    /// One line per rank (collective over `world`; every rank returns the lines): the run's wall
    /// time, the time inside collectives by kind (waiting for other ranks and moving data), and
    /// the rest (computing, reading data). Architecture §5.5.
    ///
    /// - Parameter seconds: this rank's wall time of the run.
    func perRankReport(seconds: Double, world: any Collectives) throws -> [String] {
        let mine = [seconds, total] + Self.kinds.map { self.seconds[$0] ?? 0 }
        let all = try world.allgather(mine)
        let stride = mine.count
        return (0 ..< world.size).map { r in
            let row = Array(all[r * stride ..< (r + 1) * stride])
            let kinds = zip(Self.kinds, row[2...]).map { "\($0) \(String(format: "%.2f", $1))" }.joined(separator: ", ")
            return "rank \(r): \(String(format: "%.2f", row[0])) s: outside collectives \(String(format: "%.2f", row[0] - row[1])) s, "
                + "in collectives \(String(format: "%.2f", row[1])) s (\(String(format: "%.1f", 100 * row[1] / max(row[0], 1e-9))) %: \(kinds))"
        }
    }

    /// Runs `body` and adds its wall time to `kind`.
    func measure<R>(_ kind: String, _ body: () throws -> R) rethrows -> R {
        precondition(Self.kinds.contains(kind), "CommunicationTime: unknown kind \(kind)")
        let start = MonotonicClock.seconds()
        defer { seconds[kind, default: 0] += MonotonicClock.seconds() - start }
        return try body()
    }
}
