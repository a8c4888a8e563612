// SampleOrder: which list index a loader reads at each position (spec §7.7). Training: this
// rank's share of the list, repeated to cover MAX_ITERS × batch, shuffled with a seeded stream;
// the loader cycles through epochs of that replicated list, each with its own permutation.
// Testing: the list once, in file order.

/// The deterministic sequence of list indices a loader visits.
///
/// Position p (0, 1, 2, …, counted in samples) lies in epoch p / epochLength at offset
/// p % epochLength; the epoch's permutation depends only on (seed, rank, epoch), so a run resumed
/// at a position continues the same sequence.
public struct SampleOrder: Sendable, Equatable {
    /// The list indices of this rank's share, ascending (entries r, r + g, r + 2g, … of the list).
    public let share: [Int]
    /// The samples per epoch: the share repeated ⌈MAX_ITERS × batch / share⌉ times (training), or
    /// the share once (testing).
    public let epochLength: Int
    /// The shuffle seed; nil keeps file order.
    public let seed: UInt64?
    /// The rank within the group (selects the share and the random stream).
    public let rank: Int
    /// Whether the sequence cycles through epochs forever (training) or ends after one (testing).
    public let cycles: Bool

    /// The training order.
    ///
    /// - Parameters:
    ///   - listCount: The number of list entries.
    ///   - batchSize: The batch size.
    ///   - maxIterations: MAX_ITERS; the share is repeated to cover `maxIterations × batchSize`.
    ///   - seed: The dataset's shuffle seed (give each dataset its own).
    ///   - rank: This rank's index in the group that splits the list (0 when not split).
    ///   - groupSize: The number of ranks splitting the list (1: every rank reads the whole list).
    /// Spec §7.7 (upstream: the replicated list and one seeded permutation).
    public static func training(listCount: Int, batchSize: Int, maxIterations: Int, seed: UInt64,
                                rank: Int = 0, groupSize: Int = 1) -> SampleOrder {
        let share = shareIndices(listCount: listCount, rank: rank, groupSize: groupSize)
        let needed = max(1, maxIterations) * max(1, batchSize)
        let copies = (needed + share.count - 1) / share.count
        return SampleOrder(share: share, epochLength: share.count * max(1, copies), seed: seed, rank: rank, cycles: true)
    }

    /// The test order: every entry once, in file order (optionally only this rank's share).
    ///
    /// - Parameters:
    ///   - listCount: The number of list entries.
    ///   - rank: This rank's index in the group that splits the list.
    ///   - groupSize: The number of ranks splitting the list.
    /// Spec §7.7, §8 (test loaders: file order, batch 1).
    public static func fileOrder(listCount: Int, rank: Int = 0, groupSize: Int = 1) -> SampleOrder {
        let share = shareIndices(listCount: listCount, rank: rank, groupSize: groupSize)
        return SampleOrder(share: share, epochLength: share.count, seed: nil, rank: rank, cycles: false)
    }

    /// The list indices of rank `rank` of `groupSize`: r, r + g, r + 2g, …
    static func shareIndices(listCount: Int, rank: Int, groupSize: Int) -> [Int] {
        precondition(groupSize >= 1 && rank >= 0 && rank < groupSize,
                     "SampleOrder: rank \(rank) of a group of \(groupSize)")
        precondition(listCount >= groupSize,
                     "SampleOrder: a list of \(listCount) entries cannot be split across \(groupSize) ranks")
        return Array(stride(from: rank, to: listCount, by: groupSize))
    }

    /// The number of positions (nil when the order cycles forever).
    public var length: Int? { cycles ? nil : epochLength }

    /// The list index at every offset of an epoch.
    ///
    /// - Parameter epoch: 0, 1, …
    /// - Returns: `epochLength` list indices.
    public func epochIndices(_ epoch: Int) -> [Int] {
        var indices = [Int]()
        indices.reserveCapacity(epochLength)
        while indices.count < epochLength { indices.append(contentsOf: share.prefix(epochLength - indices.count)) }
        if let seed {
            var stream = RandomStream(seed: seed).split(index: rank).split(index: epoch)
            stream.shuffle(&indices)
        }
        return indices
    }
}

// OrderCursor: position → list index for a BatchLoader, caching one epoch's permutation.

/// Maps positions to list indices, keeping the current epoch's permutation.
struct OrderCursor {
    let order: SampleOrder
    private var epoch = -1
    private var indices: [Int] = []

    init(order: SampleOrder) { self.order = order }

    /// The list index at a position.
    mutating func listIndex(at position: Int) -> Int {
        let wanted = position / order.epochLength
        if wanted != epoch {
            indices = order.epochIndices(wanted)
            epoch = wanted
        }
        return indices[position % order.epochLength]
    }
}
