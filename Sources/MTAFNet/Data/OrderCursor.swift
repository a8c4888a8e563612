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
