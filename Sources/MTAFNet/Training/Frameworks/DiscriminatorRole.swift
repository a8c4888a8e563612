// The discriminators of the frameworks (spec §5.1–§5.3) and their names: the state key used by
// fixtures and checkpoints (`d_main`, `d_aux.1`, `d_target`, `d_target_aux.2`) and upstream's
// snapshot suffix (`D_main`, `D_aux_1`, `D_target`, `D_target_aux_2`, spec §5.5).

/// Which discriminator: its level (main = on the main prediction, aux = on the aux one) and what
/// it tells apart. Spec §3, §5.
public enum DiscriminatorRole: Hashable, Sendable, CustomStringConvertible {
    /// Baseline/AdvEnt: source vs every target, main level (D_main).
    case main
    /// Baseline/AdvEnt: source vs every target, aux level (D_aux).
    case aux
    /// MDis, MTKT: source vs target t, main level (D_main,t).
    case mainOf(Int)
    /// MDis, MTKT: source vs target t, aux level (D_aux,t).
    case auxOf(Int)
    /// MDis with T = 2: target 0 vs target 1, main level (D_tgt).
    case target
    /// MDis with T = 2: target 0 vs target 1, aux level (D_tgt,aux).
    case targetAux
    /// MDis with T > 2: "is target j" vs the other targets, main level (D_tgt,j).
    case targetOf(Int)
    /// MDis with T > 2: "is target j" vs the other targets, aux level (D_tgt,aux,j).
    case targetAuxOf(Int)

    /// The one spelling both names are built from: the role's name (`main`, `aux`, `target`,
    /// `target_aux`) and its target index (nil for the Baseline's pair and MDis's T = 2 pair).
    private var nameAndIndex: (name: String, index: Int?) {
        switch self {
        case .main: ("main", nil)
        case .aux: ("aux", nil)
        case let .mainOf(t): ("main", t)
        case let .auxOf(t): ("aux", t)
        case .target: ("target", nil)
        case .targetAux: ("target_aux", nil)
        case let .targetOf(j): ("target", j)
        case let .targetAuxOf(j): ("target_aux", j)
        }
    }

    /// The role of a name and index, or nil.
    private init?(name: Substring, index: Int?) {
        switch (name, index) {
        case ("main", nil): self = .main
        case ("aux", nil): self = .aux
        case let ("main", t?): self = .mainOf(t)
        case let ("aux", t?): self = .auxOf(t)
        case ("target", nil): self = .target
        case ("target_aux", nil): self = .targetAux
        case let ("target", j?): self = .targetOf(j)
        case let ("target_aux", j?): self = .targetAuxOf(j)
        default: return nil
        }
    }

    /// The state key: `d_main`, `d_aux`, `d_main.<t>`, `d_aux.<t>`, `d_target`, `d_target_aux`,
    /// `d_target.<j>`, `d_target_aux.<j>` (Tests/MTAFNetTests/Fixtures/README.md, "Conventions").
    public var key: String {
        let (name, index) = nameAndIndex
        return "d_" + name + (index.map { ".\($0)" } ?? "")
    }

    /// Upstream's snapshot suffix: `model_<i>_<suffix>.pth` (spec §5.5): `D_main`, `D_aux_<t>`,
    /// `D_target`, `D_target_aux_<j>`, ….
    public var snapshotSuffix: String {
        let (name, index) = nameAndIndex
        return "D_" + name + (index.map { "_\($0)" } ?? "")
    }

    /// The role named by a state key, or nil.
    public init?(key: String) {
        guard key.hasPrefix("d_") else { return nil }
        let parts = key.dropFirst(2).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        var index: Int? = nil
        if parts.count == 2 {
            guard let value = Self.index(parts[1]) else { return nil }
            index = value
        }
        self.init(name: parts[0], index: index)
    }

    /// The role named by a snapshot suffix (`D_aux_1`), or nil.
    public init?(snapshotSuffix suffix: String) {
        guard suffix.hasPrefix("D_") else { return nil }
        let rest = suffix.dropFirst(2)
        // A trailing `_<t>` is the index: no role name ends in a digit.
        if let underscore = rest.lastIndex(of: "_"), let index = Self.index(rest[rest.index(after: underscore)...]) {
            self.init(name: rest[..<underscore], index: index)
        } else {
            self.init(name: rest, index: nil)
        }
    }

    /// A canonical non-negative index ("1", not "01" or "-1").
    private static func index(_ text: Substring) -> Int? {
        guard let value = Int(text), value >= 0, String(value) == text else { return nil }
        return value
    }

    /// What it tells apart, with the targets named: "source vs every target", "source vs IDD",
    /// "Cityscapes vs Mapillary", "IDD vs the other targets".
    public func contest(targetNames names: [String]) -> String {
        switch self {
        case .main, .aux: "source vs every target"
        case let .mainOf(t), let .auxOf(t): "source vs \(names[t])"
        case .target, .targetAux: "\(names[0]) vs \(names[1])"
        case let .targetOf(j), let .targetAuxOf(j): "\(names[j]) vs the other targets"
        }
    }

    public var description: String { key }
}
