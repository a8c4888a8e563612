/// Which ranks host which target domains (architecture §3.1).
///
/// - N ≥ T: every target gets a contiguous group of ranks; group sizes differ by at most one (the
///   first N mod T targets get the extra rank). Several ranks per target is data parallelism
///   inside the group.
/// - N < T: targets are dealt round-robin (target t on rank t mod N), so a rank hosts at most
///   ⌈T/N⌉ targets and every group is a single rank.
/// The leader of a group is its first rank (it writes the group's hosted snapshots).
public struct TargetLayout: Equatable, Sendable {
    /// Number of target domains T.
    public let targetCount: Int
    /// Number of ranks N.
    public let worldSize: Int
    /// `groups[t]` = the ranks hosting target t, ascending.
    public let groups: [[Int]]

    /// Plans T targets on N ranks; throws `LayoutError` for a combination that cannot work.
    public init(targets: Int, ranks: Int) throws(LayoutError) {
        guard targets >= 1 else { throw .noTargets }
        guard ranks >= 1 else { throw .noRanks(ranks) }
        targetCount = targets
        worldSize = ranks
        if ranks >= targets {
            let base = ranks / targets, extra = ranks % targets
            var next = 0
            groups = (0 ..< targets).map { target in
                let count = base + (target < extra ? 1 : 0)
                defer { next += count }
                return Array(next ..< next + count)
            }
        } else {
            groups = (0 ..< targets).map { [$0 % ranks] }
        }
    }

    /// One rank hosting every one of `targets` targets (none: a source-only run).
    public static func singleRank(targets: Int) -> TargetLayout {
        precondition(targets >= 0, "a negative number of targets")
        return TargetLayout(targetCount: targets, worldSize: 1, groups: Array(repeating: [0], count: targets))
    }

    private init(targetCount: Int, worldSize: Int, groups: [[Int]]) {
        self.targetCount = targetCount
        self.worldSize = worldSize
        self.groups = groups
    }

    /// The targets hosted by `rank`, ascending.
    public func targets(hostedBy rank: Int) -> [Int] {
        (0 ..< targetCount).filter { groups[$0].contains(rank) }
    }

    /// The first rank of target t's group.
    public func leader(of target: Int) -> Int { groups[target][0] }

    /// Most targets any one rank hosts.
    public var maxTargetsPerRank: Int {
        (0 ..< worldSize).map { targets(hostedBy: $0).count }.max() ?? 0
    }

    /// A human-readable plan, one line per rank then one per target.
    public func render(targetNames: [String]) -> String {
        precondition(targetNames.count == targetCount, "one name per target")
        var lines: [String] = []
        let shape: String
        if worldSize == targetCount {
            shape = "one rank per target"
        } else if worldSize > targetCount {
            shape = "data parallel inside target groups of \(Set(groups.map(\.count)).sorted().map(String.init).joined(separator: " or ")) ranks"
        } else {
            shape = "up to \(maxTargetsPerRank) targets per rank"
        }
        lines.append("plan: \(targetCount) target\(targetCount == 1 ? "" : "s") on \(worldSize) rank\(worldSize == 1 ? "" : "s") (\(shape))")
        for rank in 0 ..< worldSize {
            let hosted = targets(hostedBy: rank).map { target in
                targetNames[target] + (leader(of: target) == rank ? " (leader)" : "")
            }
            lines.append("  rank \(rank): \(hosted.isEmpty ? "no target" : hosted.joined(separator: ", "))")
        }
        for target in 0 ..< targetCount {
            lines.append("  target \(target) \(targetNames[target]): ranks \(groups[target].map(String.init).joined(separator: ",")), leader \(leader(of: target))")
        }
        return lines.joined(separator: "\n")
    }
}

/// Why a layout cannot be built.
public enum LayoutError: Error, CustomStringConvertible, Equatable {
    case noTargets
    case noRanks(Int)
    case worldSizeMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .noTargets:
            "a layout needs at least one target domain (source-only training hosts no target; run it on one rank)"
        case let .noRanks(count):
            "a layout needs at least one rank, got \(count)"
        case let .worldSizeMismatch(expected, actual):
            "the plan is for \(expected) ranks but the MPI world has \(actual): launch with mpirun -np \(expected), or drop --np to plan for the world you have"
        }
    }
}
