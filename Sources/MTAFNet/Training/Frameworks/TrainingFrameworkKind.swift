// The five training frameworks (spec §5.1–§5.4) as a value: the one definition of each framework's
// names (TRAIN.MT_FRAMEWORK, the fixture sidecars' `framework`), which segmenter it runs on, which
// discriminators it trains, which losses it reports and which target counts it accepts. The
// config (`MTAFConfig.framework`), the fixtures, `mtaf-mpi plan` and `bench` all read it.

/// A training framework; its raw value is the TRAIN.MT_FRAMEWORK spelling. Spec §5 (upstream
/// `train_advent`, `train_advent_mdis`, `train_advent_mtkt`, ADVENT's `train_minent`; SourceOnly
/// and MinEnt as MT_FRAMEWORK values are ours, spec §10).
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

    /// The fixture sidecars' `framework` value (`source_only`, `baseline`, `minent`, `mdis`,
    /// `mtkt`; Tests/MTAFNetTests/Fixtures/README.md).
    public var fixtureName: String {
        switch self {
        case .sourceOnly: "source_only"
        default: rawValue.lowercased()
        }
    }

    /// The framework a fixture sidecar's `framework` value names, or nil.
    public init?(fixtureName: String) {
        guard let kind = Self.allCases.first(where: { $0.fixtureName == fixtureName }) else { return nil }
        self = kind
    }

    /// The spec section that defines it.
    public var specSection: String {
        switch self {
        case .baseline: "§5.1"
        case .mdis: "§5.2"
        case .mtkt: "§5.3"
        case .sourceOnly, .minEnt: "§5.4"
        }
    }

    /// Whether the framework runs on DeepLabv2MTKT (1 + T heads) rather than DeepLabv2.
    public var usesMTKTModel: Bool { self == .mtkt }

    /// The upstream model name it runs on (TRAIN.MODEL).
    public var modelName: String { usesMTKTModel ? DeepLabV2MTKT.upstreamName : DeepLabV2.upstreamName }

    /// Whether it reads target batches (SourceOnly does not: it hosts no target, so it loads no
    /// target list and runs on one rank only).
    public var readsTargetData: Bool { self != .sourceOnly }

    /// The fewest targets it trains with: MDis and MTKT need T > 1 (upstream asserts it),
    /// Baseline and MinEnt one; SourceOnly none (its target batches are not read).
    public var minimumTargetCount: Int {
        switch self {
        case .sourceOnly: 0
        case .baseline, .minEnt: 1
        case .mdis, .mtkt: 2
        }
    }

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

    /// How many Adam steps each discriminator takes per iteration: T for the Baseline (its shared
    /// pair is stepped once per target, spec §4.6, §5.1), one otherwise.
    public func discriminatorStepsPerIteration(targetCount t: Int) -> Int {
        self == .baseline ? t : 1
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

    /// Checks the number of targets against `minimumTargetCount`.
    ///
    /// - Throws: `TrainingError.unsupportedTargetCount`.
    public func validate(targetCount t: Int) throws(TrainingError) {
        guard t >= minimumTargetCount else {
            let reason = switch minimumTargetCount {
            case 0: "negative"
            case 1: "needs at least one target"
            default: "needs at least two targets (upstream asserts T > 1)"
            }
            throw .unsupportedTargetCount(framework: rawValue, targets: t, reason: reason)
        }
    }

    public var description: String { rawValue }
}
