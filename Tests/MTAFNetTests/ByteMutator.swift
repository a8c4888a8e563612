import MTAFNet

/// Mutates valid inputs into damaged ones for fuzz tests: bytes in, bytes out, nothing about any
/// format beyond two hints: a `hot` range where most parsing decisions live (a header) and a
/// `dictionary` of tokens that matter to the format (JSON or YAML punctuation, magic numbers).
/// Deterministic for a seed.
struct ByteMutator {
    /// Bytes that most mutations aim at (e.g. a file header); nil: the whole input.
    var hot: Range<Int>?
    /// Tokens inserted or written over the input.
    var dictionary: [[UInt8]]
    private var random: RandomStream

    init(seed: UInt64, hot: Range<Int>? = nil, dictionary: [[UInt8]] = []) {
        self.hot = hot
        self.dictionary = dictionary
        random = RandomStream(seed: seed)
    }

    /// One to three mutations of `input`: truncation, bit flips, byte replacement, token
    /// insertion or overwrite, deletion, duplication or insertion of a chunk.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0 ... random.nextInt(below: 3) {
            mutateOnce(&bytes)
        }
        return bytes
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else {
            bytes = token()
            return
        }
        let position = self.position(in: bytes)
        switch random.nextInt(below: dictionary.isEmpty ? 7 : 9) {
        case 0:   // truncate anywhere
            bytes.removeLast(1 + random.nextInt(below: bytes.count))
        case 1:   // flip one bit
            bytes[position] ^= UInt8(1) << UInt8(random.nextInt(below: 8))
        case 2:   // replace a few bytes with random ones
            for _ in 0 ... random.nextInt(below: 4) {
                bytes[self.position(in: bytes)] = UInt8(random.nextInt(below: 256))
            }
        case 3:   // a byte at an extreme value
            bytes[position] = [0, 0x7F, 0x80, 0xFF][random.nextInt(below: 4)]
        case 4:   // delete a chunk
            bytes.removeSubrange(position ..< min(bytes.count, position + 1 + random.nextInt(below: 16)))
        case 5:   // duplicate a chunk in place
            let chunk = Array(bytes[position ..< min(bytes.count, position + 1 + random.nextInt(below: 64))])
            bytes.insert(contentsOf: chunk, at: position)
        case 6:   // insert random bytes
            bytes.insert(contentsOf: (0 ... random.nextInt(below: 8)).map { _ in UInt8(random.nextInt(below: 256)) },
                         at: position)
        case 7:   // insert a token
            bytes.insert(contentsOf: token(), at: position)
        default:  // overwrite with a token
            let token = token()
            bytes.replaceSubrange(position ..< min(bytes.count, position + token.count), with: token)
        }
    }

    /// A position, inside `hot` three times in four when it is set.
    private mutating func position(in bytes: [UInt8]) -> Int {
        if let hot, random.nextInt(below: 4) != 0 {
            let range = hot.clamped(to: 0 ..< bytes.count)
            if !range.isEmpty { return range.lowerBound + random.nextInt(below: range.count) }
        }
        return random.nextInt(below: bytes.count)
    }

    private mutating func token() -> [UInt8] {
        dictionary.isEmpty ? [UInt8(random.nextInt(below: 256))] : dictionary[random.nextInt(below: dictionary.count)]
    }
}
