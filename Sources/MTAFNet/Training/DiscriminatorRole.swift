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

    /// The state key: `d_main`, `d_aux`, `d_main.<t>`, `d_aux.<t>`, `d_target`, `d_target_aux`,
    /// `d_target.<j>`, `d_target_aux.<j>` (Tests/MTAFNetTests/Fixtures/README.md, "Conventions").
    public var key: String {
        switch self {
        case .main: "d_main"
        case .aux: "d_aux"
        case let .mainOf(t): "d_main.\(t)"
        case let .auxOf(t): "d_aux.\(t)"
        case .target: "d_target"
        case .targetAux: "d_target_aux"
        case let .targetOf(j): "d_target.\(j)"
        case let .targetAuxOf(j): "d_target_aux.\(j)"
        }
    }

    /// Upstream's snapshot suffix: `model_<i>_<suffix>.pth` (spec §5.5).
    public var snapshotSuffix: String {
        switch self {
        case .main: "D_main"
        case .aux: "D_aux"
        case let .mainOf(t): "D_main_\(t)"
        case let .auxOf(t): "D_aux_\(t)"
        case .target: "D_target"
        case .targetAux: "D_target_aux"
        case let .targetOf(j): "D_target_\(j)"
        case let .targetAuxOf(j): "D_target_aux_\(j)"
        }
    }

    /// Whether it judges aux-level predictions.
    public var isAuxLevel: Bool {
        switch self {
        case .aux, .auxOf, .targetAux, .targetAuxOf: true
        case .main, .mainOf, .target, .targetOf: false
        }
    }

    /// The role named by a state key, or nil.
    public init?(key: String) {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        var index: Int? = nil
        if parts.count == 2 {
            guard let value = Int(parts[1]), value >= 0, String(value) == parts[1] else { return nil }
            index = value
        }
        switch (parts[0], index) {
        case ("d_main", nil): self = .main
        case ("d_aux", nil): self = .aux
        case let ("d_main", t?): self = .mainOf(t)
        case let ("d_aux", t?): self = .auxOf(t)
        case ("d_target", nil): self = .target
        case ("d_target_aux", nil): self = .targetAux
        case let ("d_target", j?): self = .targetOf(j)
        case let ("d_target_aux", j?): self = .targetAuxOf(j)
        default: return nil
        }
    }

    public var description: String { key }
}
