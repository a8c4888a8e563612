/// MTAFNet: the network, the losses, the optimizers and the multi-target frameworks of spec §2–§5,
/// written once against `Distributed.Cluster`.
public enum MTAFNet {
    /// The project's version, shown by `mtaf-mpi --version`.
    public static let version = "0.1.0"
}
