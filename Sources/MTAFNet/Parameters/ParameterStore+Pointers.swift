// Pointer access to several views of a `ParameterStore` at once, for the layers (one closure
// over the flat buffer instead of one nested closure per parameter). Sizes: each view is
// `store[id].count` scalars.

extension ParameterStore {
    /// Calls `body` with a pointer to the values of each id (in the order given). The pointers
    /// are valid only inside `body`.
    func withValuePointers<R>(_ ids: [ParameterID],
                              _ body: ([UnsafeMutablePointer<Float>]) throws -> R) rethrows -> R {
        try withFlatValues { flat in
            let base = flat.baseAddress!
            return try body(ids.map { base + self[$0].offset })
        }
    }

    /// Calls `body` with a pointer to the gradient of each id (in the order given) and marks
    /// every one of them as received (spec §4.6). The pointers are valid only inside `body`.
    func withGradientPointers<R>(_ ids: [ParameterID],
                                 _ body: ([UnsafeMutablePointer<Float>]) throws -> R) rethrows -> R {
        for id in ids { markGradientReceived(id) }
        defer { gradientsWritten?(ids) }
        return try withFlatGradients { flat in
            let base = flat.baseAddress!
            return try body(ids.map { base + self[$0].offset })
        }
    }
}
