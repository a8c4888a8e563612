// The five training frameworks (spec §5.1–§5.4) as a value: which segmenter each runs on, which
// discriminators it trains, which losses it reports and which target counts it accepts.

/// A training framework. Spec §5 (upstream `train_advent`, `train_advent_mdis`,
/// `train_advent_mtkt`, ADVENT's `train_minent`; SourceOnly is ours).
public enum TrainingFrameworkKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Spec §5.4: source cross-entropy only.
    case sourceOnly = "SourceOnly"
    /// Spec §5.1 (T = 1: ADVENT's AdvEnt, §5.4).
    case baseline = "Baseline"
    /// Spec §5.4: ADVENT's entropy minimization on every target.
    case minEnt = "MinEnt"
    /// Spec §5.2: per-target discriminators plus target-vs-target ones.
    case mdis = "MDis"
    /// Spec §5.3: DeepLabv2MTKT, per-target teachers distilled into one student.
    case mtkt = "MTKT"

    /// The config's TRAIN.MT_FRAMEWORK.
    public init(_ framework: MTAFConfig.Framework) {
        switch framework {
        case .sourceOnly: self = .sourceOnly
        case .baseline: self = .baseline
        case .minEnt: self = .minEnt
        case .mdis: self = .mdis
        case .mtkt: self = .mtkt
        }
    }

    /// The fixture sidecar's `framework` value (`source_only`, `baseline`, `minent`, `mdis`,
    /// `mtkt`), or nil.
    public init?(fixtureName: String) {
        switch fixtureName {
        case "source_only": self = .sourceOnly
        case "baseline": self = .baseline
        case "minent": self = .minEnt
        case "mdis": self = .mdis
        case "mtkt": self = .mtkt
        default: return nil
        }
    }

    /// Whether the framework runs on DeepLabv2MTKT (1 + T heads) rather than DeepLabv2.
    public var usesMTKTModel: Bool { self == .mtkt }

    /// The upstream model name it runs on (TRAIN.MODEL).
    public var modelName: String { usesMTKTModel ? "DeepLabv2MTKT" : "DeepLabv2" }

    /// The discriminators it trains with T targets, in upstream's creation order.
    ///
    /// Baseline: D_main, D_aux (upstream builds D_aux even without MULTI_LEVEL; it then never
    /// gets a gradient, so its Adam step does nothing). MDis: D_main,t, D_aux,t per target, then
    /// D_tgt, D_tgt,aux (T = 2) or D_tgt,j, D_tgt,aux,j per target (T > 2). MTKT: D_main,t,
    /// D_aux,t per target. SourceOnly, MinEnt: none. Spec §5.
    public func discriminatorRoles(targetCount t: Int) -> [DiscriminatorRole] {
        switch self {
        case .sourceOnly, .minEnt:
            return []
        case .baseline:
            return [.main, .aux]
        case .mdis:
            var roles = (0..<t).flatMap { [DiscriminatorRole.mainOf($0), .auxOf($0)] }
            if t == 2 {
                roles += [.target, .targetAux]
            } else {
                roles += (0..<t).flatMap { [DiscriminatorRole.targetOf($0), .targetAuxOf($0)] }
            }
            return roles
        case .mtkt:
            return (0..<t).flatMap { [DiscriminatorRole.mainOf($0), .auxOf($0)] }
        }
    }

    /// The reported losses in upstream's print order (spec §5.5; ADVENT's `train_minent` for
    /// MinEnt).
    public var lossNames: [String] {
        switch self {
        case .sourceOnly:
            return ["loss_seg_src_aux", "loss_seg_src_main"]
        case .baseline, .mdis:
            return ["loss_seg_src_aux", "loss_seg_src_main", "loss_adv_trg_aux", "loss_adv_trg_main",
                    "loss_d_aux", "loss_d_main"]
        case .minEnt:
            return ["loss_seg_src_aux", "loss_seg_src_main", "loss_ent_aux", "loss_ent_main"]
        case .mtkt:
            return ["loss_seg_src_main", "loss_seg_src_aux", "loss_div_trg", "loss_adv_trg_main",
                    "loss_adv_trg_aux", "loss_d_main", "loss_d_aux"]
        }
    }

    /// Checks the number of targets: MDis and MTKT need T > 1 (upstream asserts it), Baseline
    /// and MinEnt at least one; SourceOnly takes any (its target batches are not read).
    ///
    /// - Throws: `TrainingError.unsupportedTargetCount`.
    public func validate(targetCount t: Int) throws(TrainingError) {
        switch self {
        case .sourceOnly:
            guard t >= 0 else { throw .unsupportedTargetCount(framework: rawValue, targets: t, reason: "negative") }
        case .baseline, .minEnt:
            guard t >= 1 else {
                throw .unsupportedTargetCount(framework: rawValue, targets: t, reason: "needs at least one target")
            }
        case .mdis, .mtkt:
            guard t >= 2 else {
                throw .unsupportedTargetCount(framework: rawValue, targets: t,
                                              reason: "needs at least two targets (upstream asserts T > 1)")
            }
        }
    }

    public var description: String { rawValue }
}
