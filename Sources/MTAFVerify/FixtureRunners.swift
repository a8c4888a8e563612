import MTAFNet

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
