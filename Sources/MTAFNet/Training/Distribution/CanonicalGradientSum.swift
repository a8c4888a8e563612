// The gradient of one parameter store summed over an iteration's contributions in one canonical
// order, whatever the world size (architecture §3.12). A contribution is one backward into the
// store (a segmenter pass, a discriminator term), computed into a zeroed gradient buffer and
// keyed by (its pass's order, the rank that computed it). The sum of element e is the left fold
// ((c0[e] + c1[e]) + c2[e]) + … over the keys in ascending order: one process folds each
// contribution as it arrives (its passes run in that order); N ranks send each contribution's
// slices to the slice owners (one alltoallv), each owner folds its slice in the same order, and
// an allgatherv assembles the result — the same additions in the same order, so the same bits.
//
// Sizes: S = the store's flat length; a rank holding K_r contributions keeps K_r·S floats until
// the reduction (one process: S for the running sum) and sends K_r·S·(N − 1)/N.

import Distributed

/// Records a store's contributions of an iteration and reduces them in canonical order.
final class CanonicalGradientSum {
    let store: ParameterStore
    let communicator: any Collectives
    /// This rank's contributions of the iteration, in recording order, with their buffers.
    private var held: [(order: Int, buffer: AlignedFloatBuffer)] = []
    /// Buffers of earlier iterations, reused (they still hold those contributions).
    private var spare: [AlignedFloatBuffer] = []
    /// N ranks: the alltoallv's send and receive buffers and the owner's slice sum, kept across
    /// iterations (grown, never shrunk).
    private var send: [Float] = []
    private var received: [Float] = []
    private var sum: [Float] = []
    /// One process: the running sum (the first contribution's buffer, swapped out of the store),
    /// the zeroed buffer the store gets in exchange, and the order of the last contribution.
    private var running: AlignedFloatBuffer?
    private var zeroed = AlignedFloatBuffer()
    private var lastOrder: Int?

    /// - Parameters:
    ///   - store: the parameters whose gradient is summed.
    ///   - communicator: the ranks that share the store.
    init(store: ParameterStore, communicator: any Collectives) {
        self.store = store
        self.communicator = communicator
    }

    /// Runs `backward`, which writes one contribution into the store's gradient, and takes the
    /// contribution out of the store (whose gradient is zero again afterwards).
    ///
    /// - Parameters:
    ///   - order: the contribution's place in the canonical order (`SegmenterPassKind.order`).
    ///   - backward: writes into a zeroed gradient buffer.
    func record<R>(order: Int, _ backward: () throws -> R) rethrows -> R {
        let result = try backward()
        if communicator.size == 1 {
            fold(order: order)
        } else {
            // The contribution's buffer leaves the store; a zeroed spare takes its place.
            var buffer = spare.popLast() ?? AlignedFloatBuffer()
            buffer.zero()
            store.exchangeGradients(with: &buffer)
            held.append((order, buffer))
        }
        return result
    }

    /// One process: the first contribution's buffer becomes the running sum (swapped for a
    /// zeroed one, no copy); each later one is added to it and zeroed in the store.
    private func fold(order: Int) {
        precondition(lastOrder.map { $0 < order } ?? true,
                     "CanonicalGradientSum: contribution \(order) after \(lastOrder!) (passes out of order)")
        if lastOrder == nil {
            store.exchangeGradients(with: &zeroed)
            running = zeroed
            zeroed = AlignedFloatBuffer()
        } else {
            running!.withMutableBuffer { sum in store.withFlatGradients { add($0, into: sum) } }
            store.zeroGradients()
        }
        lastOrder = order
    }

    /// Writes the canonical sum of the iteration's contributions into the store's gradient
    /// (collective over the communicator) and forgets them. Without any contribution anywhere
    /// the gradient stays as it is (zero).
    func reduce() throws {
        defer {
            spare += held.map(\.buffer)
            held = []
            lastOrder = nil
        }
        if communicator.size == 1 {
            // The sum goes back into the store; the store's zeroed buffer is kept for next time.
            guard lastOrder != nil, var sum = running else { return }
            store.exchangeGradients(with: &sum)
            zeroed = sum
            running = nil
            return
        }
        let n = communicator.size, me = communicator.rank
        // Every rank's contribution orders, so that every owner knows the canonical sequence.
        let orders = try communicator.allgatherv(held.map { Int64($0.order) }).map { $0.map { Int($0) } }
        var sequence: [(order: Int, rank: Int, position: Int)] = []
        for (rank, list) in orders.enumerated() {
            for (position, order) in list.enumerated() { sequence.append((order, rank, position)) }
        }
        guard !sequence.isEmpty else { return }
        sequence.sort { ($0.order, $0.rank) < ($1.order, $1.rank) }
        let length = store.scalarCount
        let slices = (0 ... n).map { $0 * length / n }
        func slice(_ owner: Int) -> Range<Int> { slices[owner] ..< slices[owner + 1] }

        // Each held contribution's slice o goes to owner o (blocks in holding order).
        Self.reserve(&send, held.count * length)
        var sendCounts = [Int](repeating: 0, count: n)
        send.withUnsafeMutableBufferPointer { out in
            var offset = 0
            for owner in 0 ..< n {
                for entry in held {
                    entry.buffer.withMutableBuffer(offset: slice(owner).lowerBound, count: slice(owner).count) { part in
                        copy(part, into: UnsafeMutableBufferPointer(rebasing: out[offset ..< offset + part.count]))
                    }
                    offset += slice(owner).count
                }
                sendCounts[owner] = held.count * slice(owner).count
            }
        }
        let mine = slice(me)
        let recvCounts = orders.map { $0.count * mine.count }
        let receivedCount = recvCounts.reduce(0, +)
        Self.reserve(&received, receivedCount)
        try send.withUnsafeBufferPointer { s in
            try received.withUnsafeMutableBufferPointer { r in
                try communicator.alltoallv(UnsafeBufferPointer(rebasing: s[0 ..< held.count * length]), sendCounts: sendCounts,
                                           into: UnsafeMutableBufferPointer(rebasing: r[0 ..< receivedCount]),
                                           recvCounts: recvCounts)
            }
        }

        // The owner's fold over its slice, in canonical order.
        let starts = recvCounts.reduce(into: [0]) { $0.append($0.last! + $1) }
        Self.reserve(&sum, mine.count)
        received.withUnsafeMutableBufferPointer { all in
            sum.withUnsafeMutableBufferPointer { whole in
                let target = UnsafeMutableBufferPointer(rebasing: whole[0 ..< mine.count])
                for (index, entry) in sequence.enumerated() {
                    let start = starts[entry.rank] + entry.position * mine.count
                    let part = UnsafeMutableBufferPointer(rebasing: all[start ..< start + mine.count])
                    if index == 0 { copy(part, into: target) } else { add(part, into: target) }
                }
            }
        }
        try sum.withUnsafeBufferPointer { s in
            try store.withFlatGradients { gradient in
                try communicator.allgatherv(UnsafeBufferPointer(rebasing: s[0 ..< mine.count]), into: gradient,
                                            counts: (0 ..< n).map { slice($0).count })
            }
        }
    }

    /// Grows `buffer` to at least `count` scalars (contents undefined: every use overwrites).
    private static func reserve(_ buffer: inout [Float], _ count: Int) {
        if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
    }

    private func copy(_ source: UnsafeMutableBufferPointer<Float>, into target: UnsafeMutableBufferPointer<Float>) {
        guard let from = source.baseAddress, let to = target.baseAddress, source.count > 0 else { return }
        parallelFor(chunks: (source.count + Self.chunk - 1) / Self.chunk, work: source.count) { chunks in
            let range = chunks.lowerBound * Self.chunk ..< min(chunks.upperBound * Self.chunk, source.count)
            (to + range.lowerBound).update(from: from + range.lowerBound, count: range.count)
        }
    }

    /// target[i] += source[i].
    private func add(_ source: UnsafeMutableBufferPointer<Float>, into target: UnsafeMutableBufferPointer<Float>) {
        guard let from = source.baseAddress, let to = target.baseAddress, source.count > 0 else { return }
        parallelFor(chunks: (source.count + Self.chunk - 1) / Self.chunk, work: 2 * source.count) { chunks in
            for i in chunks.lowerBound * Self.chunk ..< min(chunks.upperBound * Self.chunk, source.count) {
                to[i] += from[i]
            }
        }
    }

    /// Scalars per chunk of the elementwise loops.
    private static let chunk = 1 << 16
}
