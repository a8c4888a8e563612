// One discriminator of a framework with its own Adam (spec §3, §4.6): a fully-convolutional
// discriminator on C-channel self-information maps, its parameters in its own store.

/// A discriminator, its role and its optimizer (one Adam per discriminator, spec §3, §4.6).
public final class TrainedDiscriminator {
    /// What it tells apart (and its state key, `role.key`).
    public let role: DiscriminatorRole
    /// The network (its `parameters` store and `stateDict` for checkpoints).
    public let model: FCDiscriminator
    /// Its Adam (betas 0.9/0.99, eps 1e-8, LR from LEARNING_RATE_D's poly schedule).
    public let optimizer: Adam

    /// Wraps a discriminator with a fresh Adam over all of its parameters.
    public init(role: DiscriminatorRole, model: FCDiscriminator) {
        self.role = role
        self.model = model
        self.optimizer = Adam(store: model.parameters, parameters: model.parameterIDs,
                              learningRate: 0, betas: (0.9, 0.99), eps: 1e-8)
    }

    /// The state key (`d_main`, `d_aux.1`, …).
    public var key: String { role.key }
}
