// The segmenter's gradient allreduce in buckets that start during the backward (architecture §3.6).
//
// The flat gradient buffer (P parameters, `scalarCount` scalars) is cut into buckets: runs of
// consecutive parameters, at most DIST.BUCKET_MB each (a larger parameter is a bucket alone), in
// reverse registration order, which is the order the backward finishes them. A bucket's in-place
// nonblocking allreduce starts as soon as the rank's final backward of the iteration has written
// every gradient in it, and the layers' remaining backward overlaps it; the rest start when that
// backward returns. Every rank must start the same buckets in the same order, so:
// - only "overlapped" parameters (written by the final backward of the previous iteration on
//   every rank) can start a bucket early; the others are in late buckets, started last;
// - buckets start strictly in list order (overlapped first), each when it is ready;
// - the buckets run on a communicator of their own, so they never reorder against the world's
//   other collectives (the MDis exchange, BN statistics), which run meanwhile.
// A gradient written twice in one final backward would have been sent half-done: that is a
// programming error and stops the run.

import Distributed

/// Bucketed, overlapped in-place allreduce (sum) of one parameter store's flat gradients.
final class GradientBuckets {
    /// A run of consecutive parameters and the scalars they cover in the flat buffer.
    struct Bucket: Equatable {
        var parameters: Range<Int>
        var scalars: Range<Int>
        var overlapped: Bool
    }

    private let store: ParameterStore
    private let communicator: any Collectives
    private let capacityScalars: Int
    /// Buckets in start order: overlapped ones (reverse registration order), then late ones.
    private(set) var buckets: [Bucket] = []
    private var bucketOf: [Int] = []
    private var unwritten: [Int] = []
    private var written: [Bool] = []
    private var nextToStart = 0
    private var inFlight: [any PendingCollective] = []
    private var failure: (any Error)?
    private var startedEarly = 0

    /// - Parameters:
    ///   - store: the parameters (the layout is fixed once registered).
    ///   - communicator: a communicator used for nothing else (see the file comment).
    ///   - bucketMB: the bucket cap, DIST.BUCKET_MB.
    init(store: ParameterStore, communicator: any Collectives, bucketMB: Double) {
        self.store = store
        self.communicator = communicator
        capacityScalars = max(1, Int(bucketMB * 1024 * 1024 / Double(MemoryLayout<Float>.stride)))
        plan(overlapped: Array(repeating: false, count: store.parameterCount))
    }

    /// The parameters the current plan overlaps (identical on every rank).
    var overlapped: [Bool] {
        var result = Array(repeating: false, count: store.parameterCount)
        for bucket in buckets where bucket.overlapped { for p in bucket.parameters { result[p] = true } }
        return result
    }

    /// Which parameters the final backward of the last finished iteration wrote.
    private(set) var writtenInFinalBackward: [Bool] = []

    /// Cuts the buffer into buckets for the given overlapped set (must be equal on every rank).
    func plan(overlapped: [Bool]) {
        precondition(overlapped.count == store.parameterCount, "GradientBuckets: mask of \(overlapped.count)")
        let entries = store.entries
        func end(of p: Int) -> Int { p + 1 < entries.count ? entries[p + 1].offset : store.scalarCount }
        var early: [Bucket] = [], late: [Bucket] = []
        var p = entries.count - 1
        while p >= 0 {
            let kind = overlapped[p]
            var first = p, size = end(of: p) - entries[p].offset
            while first > 0, overlapped[first - 1] == kind,
                  size + end(of: first - 1) - entries[first - 1].offset <= capacityScalars {
                first -= 1
                size += end(of: first) - entries[first].offset
            }
            let bucket = Bucket(parameters: first ..< p + 1, scalars: entries[first].offset ..< end(of: p), overlapped: kind)
            if kind { early.append(bucket) } else { late.append(bucket) }
            p = first - 1
        }
        buckets = early + late
        bucketOf = Array(repeating: 0, count: entries.count)
        for (b, bucket) in buckets.enumerated() { for q in bucket.parameters { bucketOf[q] = b } }
        resetIteration()
    }

    /// Listens to the store's gradient writes: the final backward of the iteration begins.
    func beginFinalBackward() {
        precondition(nextToStart == 0 && inFlight.isEmpty, "GradientBuckets: final backward begun twice")
        store.gradientsWritten = { [unowned self] ids in self.gradientsWritten(ids) }
    }

    /// The final backward returned: stops listening and starts every remaining bucket in order.
    func endFinalBackward() throws {
        store.gradientsWritten = nil
        startedEarly = nextToStart
        if let failure { throw failure }
        try startReady(all: true)
    }

    /// Starts whatever has not started (an iteration without a final backward starts everything
    /// here), waits for every bucket, and prepares the next iteration.
    ///
    /// - Returns: how many buckets started while the final backward was still running.
    @discardableResult
    func finish() throws -> Int {
        if store.gradientsWritten != nil { try endFinalBackward() }
        if let failure { throw failure }
        try startReady(all: true)
        for request in inFlight { try request.wait() }
        writtenInFinalBackward = written
        let early = startedEarly
        resetIteration()
        return early
    }

    // MARK: Private

    private func resetIteration() {
        unwritten = buckets.map { $0.overlapped ? $0.parameters.count : 0 }
        written = Array(repeating: false, count: store.parameterCount)
        nextToStart = 0
        startedEarly = 0
        inFlight = []
        failure = nil
    }

    private func gradientsWritten(_ ids: [ParameterID]) {
        for id in ids {
            precondition(!written[id.index],
                         "GradientBuckets: '\(store.entries[id.index].name)' written twice in the final backward")
            written[id.index] = true
            let b = bucketOf[id.index]
            if buckets[b].overlapped { unwritten[b] -= 1 }
        }
        do {
            try startReady(all: false)
            for request in inFlight { _ = try request.test() }
        } catch {
            failure = failure ?? error
        }
    }

    /// Starts buckets in order while the next one is complete (or all of them).
    private func startReady(all: Bool) throws {
        while nextToStart < buckets.count, all || (buckets[nextToStart].overlapped && unwritten[nextToStart] == 0) {
            let scalars = buckets[nextToStart].scalars
            let request = try store.withFlatGradients { flat in
                try communicator.startAllreduce(UnsafeMutableBufferPointer(rebasing: flat[scalars]), op: .sum)
            }
            inFlight.append(request)
            nextToStart += 1
        }
    }
}
