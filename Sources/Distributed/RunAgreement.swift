// Ranks that loaded different configurations (an MPMD mpirun line, a --set on one rank, another
// build of the binary) call different collectives with different sizes: heap corruption or a
// hang, even in checked mode, whose own signatures then disagree in size. So before any other
// collective, the ranks compare a fingerprint of their whole run (binary, options, every config
// key) through MPI calls of fixed size, which match whatever the ranks loaded; on a mismatch
// they exchange the key/value lists and every rank reports the same first differing key.

/// What one rank runs, as ordered (key, value) pairs; equal on every rank of a sound job.
public struct RunIdentity: Sendable, Equatable {
    public var entries: [(key: String, value: String)]

    public init(_ entries: [(key: String, value: String)]) {
        self.entries = entries
    }

    public static func == (a: RunIdentity, b: RunIdentity) -> Bool {
        a.entries.elementsEqual(b.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    /// One "key\tvalue" line per entry (tabs and newlines in values become spaces).
    var text: String {
        entries.map { "\($0.key)\t\($0.value.replacing("\t", with: " ").replacing("\n", with: " "))\n" }.joined()
    }

    init(text: String) {
        entries = text.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// The first key whose value differs from `reference`'s (or that only one of them has).
    func firstDifference(from reference: RunIdentity) -> (key: String, mine: String?, theirs: String?)? {
        let mine = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let theirs = Dictionary(reference.entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        for key in reference.entries.map(\.key) + entries.map(\.key) where mine[key] != theirs[key] {
            return (key, mine[key], theirs[key])
        }
        return nil
    }
}

/// Ranks that do not run the same binary, options and configuration.
public struct RunDisagreement: Error, CustomStringConvertible, Equatable {
    /// One line per group of ranks that differ from rank 0, naming the first differing key.
    public let differences: [String]

    public var description: String {
        "the ranks do not run the same build, command and configuration (every rank must load the same "
            + "config with the same --set overrides and run the same mtaf-mpi binary): "
            + differences.joined(separator: "; ")
    }

    /// The report over every rank's identity (index = rank).
    init(identities: [RunIdentity]) {
        var groups: [(ranks: [Int], identity: RunIdentity)] = []
        for (rank, identity) in identities.enumerated() {
            if let index = groups.firstIndex(where: { $0.identity == identity }) {
                groups[index].ranks.append(rank)
            } else {
                groups.append(([rank], identity))
            }
        }
        let reference = groups[0]
        differences = groups.dropFirst().map { group in
            let ranks = (group.ranks.count == 1 ? "rank " : "ranks ") + group.ranks.map(String.init).joined(separator: ", ")
            guard let difference = group.identity.firstDifference(from: reference.identity) else {
                return "\(ranks) differ from rank 0"
            }
            return "\(ranks) differ\(group.ranks.count == 1 ? "s" : "") from rank 0 first at \(difference.key): "
                + "\(difference.mine ?? "(absent)") (rank 0: \(difference.theirs ?? "(absent)"))"
        }
    }
}

extension Communicator {
    /// Checks that every rank runs with the same identity. Collective; call it before any other
    /// collective. Uses fixed-size MPI calls only (no checked-mode signatures), so it works
    /// whatever the ranks loaded.
    ///
    /// - Throws: `RunDisagreement` on every rank when any two ranks differ.
    public func requireSameRun(_ identity: RunIdentity) throws {
        let text = identity.text
        let fingerprints = try allgatherFixed(Int64(bitPattern: FNV1a.hash(text)))
        guard fingerprints.contains(where: { $0 != fingerprints[0] }) else { return }
        let bytes = Array(text.utf8)
        let lengths = try allgatherFixed(Int64(bytes.count)).map { Int($0) }
        var all = [UInt8](repeating: 0, count: lengths.reduce(0, +))
        try bytes.withUnsafeBytes { send in
            try all.withUnsafeMutableBytes { recv in
                try rawAllgatherv(send.baseAddress, count: bytes.count, into: recv.baseAddress, counts: lengths, type: .uint8)
            }
        }
        let starts = exclusivePrefixSums(lengths)
        let identities = (0 ..< size).map {
            RunIdentity(text: String(decoding: all[starts[$0] ..< starts[$0] + lengths[$0]], as: UTF8.self))
        }
        throw RunDisagreement(identities: identities)
    }
}
