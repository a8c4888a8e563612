// FixtureRunner: the plug-in point through which each area (ops, losses, optimizers, models,
// frameworks, data) runs reference fixtures through our code. Runners are listed in
// `FixtureRunners.all`; `verify(_:runners:)` picks the one that handles a case.

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
}
