/// The sub-communicators a `TargetLayout` implies, as seen from one rank: for every target this
/// rank hosts, the communicator of that target's group (allreduce of hosted parameters, architecture §3.2).
public final class TargetGroups {
    public let layout: TargetLayout
    /// `communicators[t]` for every hosted target t.
    public let communicators: [Int: any Collectives]

    /// Builds the group communicators; collective over `world` (every rank must call it).
    public init(layout: TargetLayout, world: any Collectives) throws {
        guard layout.worldSize == world.size else {
            throw LayoutError.worldSizeMismatch(expected: layout.worldSize, actual: world.size)
        }
        self.layout = layout
        var communicators: [Int: any Collectives] = [:]
        for target in 0 ..< layout.targetCount {
            let member = layout.groups[target].contains(world.rank)
            if let communicator = try world.split(color: member ? target : nil, key: world.rank) {
                communicators[target] = communicator
            }
        }
        self.communicators = communicators
    }

    /// The targets this rank hosts.
    public var hostedTargets: [Int] { communicators.keys.sorted() }
}
