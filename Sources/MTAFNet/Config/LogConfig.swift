// LogConfig: our `LOG` section: how much training prints (spec §5.5).

/// The `LOG` section of `MTAFConfig` (ours).
public struct LogConfig: Equatable, Sendable {
    /// `EVERY`: print an iteration line (spec §5.5) every N iterations.
    public var every = 1
    /// `TENSORBOARD`: also write TensorBoard event files.
    public var tensorboard = false

    public init() {}
}
