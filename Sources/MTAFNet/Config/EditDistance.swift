// EditDistance: Levenshtein distance, for "did you mean" suggestions on unknown keys (spec §6.1).

/// Edit distance between strings (insertions, deletions, substitutions, each cost 1).
enum EditDistance {
    /// The Levenshtein distance between `a` and `b`, compared by Unicode scalars.
    static func levenshtein(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The candidate nearest to `word` (case-insensitive), ties broken by candidate order.
    static func nearest(to word: String, in candidates: [String]) -> String? {
        let upper = word.uppercased()
        return candidates.min { levenshtein(upper, $0.uppercased()) < levenshtein(upper, $1.uppercased()) }
    }
}
