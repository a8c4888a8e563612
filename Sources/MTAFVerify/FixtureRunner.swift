// FixtureRunner: the plug-in point through which each area (ops, losses, optimizers, models,
// frameworks, data) runs reference fixtures through our code. Runners are listed in
// `FixtureRunners.all`; `verify(_:runners:)` picks the one that handles a case.

import MTAFNet

/// Runs one kind of reference fixture through our code.
///
/// A conforming type is usually a case-less enum, listed in `FixtureRunners.all`.
public protocol FixtureRunner: SendableMetatype {
    /// Whether this runner handles the case; decided from the sidecar only
    /// (e.g. `fixture.string("op") == "conv2d"`), never from the file name.
    static func handles(_ fixture: Fixture) -> Bool

    /// Runs the case through our code and returns the computed tensors keyed by the
    /// fixture's expected names ("expected.output", "expected.grad_input", ...).
    ///
    /// - Parameter fixture: The case; read its inputs with `tensor(_:)`, `int32s(_:)` and the
    ///   sidecar accessors.
    /// - Returns: One tensor per expected key; a missing key fails that tensor.
    static func run(_ fixture: Fixture) throws -> [String: Tensor]
    /// Elements of expected tensors that the case itself shows to be ill-conditioned, with the
    /// looser tolerance they get (the sidecar's tolerance still applies to every other element).
    /// Default: none.
    static func allowances(_ fixture: Fixture) throws -> [String: ElementAllowance]
    /// How far the expected tensors may move when the convolutions run in bf16
    /// (`ConvolutionPrecision.current == .bf16`). Default: `.unaffected` (no convolution).
    static func bf16Bound(_ fixture: Fixture) throws -> BF16Bound
}

/// A looser tolerance for some elements of one expected tensor, with the reason.
public struct ElementAllowance: Sendable {
    /// Flat indices of the elements it covers.
    public let indices: Set<Int>
    /// Their tolerance (the larger of this and the sidecar's applies).
    public let tolerance: Float
    /// Why, for the report.
    public let reason: String

    public init(indices: Set<Int>, tolerance: Float, reason: String) {
        self.indices = indices
        self.tolerance = tolerance
        self.reason = reason
    }
}

extension FixtureRunner {
    public static func allowances(_ fixture: Fixture) throws -> [String: ElementAllowance] { [:] }
    public static func bf16Bound(_ fixture: Fixture) throws -> BF16Bound { .unaffected }
}

/// Every fixture runner of the project; each area adds its runner here with a one-line edit.
public enum FixtureRunners {
    /// The runners `verify(_:runners:)` uses by default, in no particular order (at most one may
    /// handle any case).
    public static let all: [any FixtureRunner.Type] = [
        Conv2dFixtureRunner.self,
        ElementwiseFixtureRunner.self,
        LossFixtureRunner.self,
        SGDFixtureRunner.self,
        AdamFixtureRunner.self,
        DeepLabV2FixtureRunner.self,
        DeepLabV2MTKTFixtureRunner.self,
        FCDiscriminatorFixtureRunner.self,
        PreprocessFixtureRunner.self,
        TrainingFixtureRunner.self,
    ]
}
