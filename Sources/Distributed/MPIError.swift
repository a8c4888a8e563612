/// Errors of the MPI layer. Every case names the call and the rank at fault.
public enum MPIError: Error, CustomStringConvertible, Equatable {
    /// An MPI call returned an error code. The corresponding text is MPI's `MPI_Error_string`.
    case call(name: String, rank: Int, code: Int32, message: String)
    /// The checked mode found ranks that disagree on a collective's count, type, operator or root.
    case mismatch(call: String, rank: Int, details: String)
    /// An argument that cannot work (a root outside the communicator, counts that do not add up).
    case invalidArgument(call: String, rank: Int, details: String)
    /// MPI was used before `MPIRuntime.initialize()` or after `finalize()`.
    case lifecycle(String)
    /// The job is ending (another rank failed or a wait timed out) while this rank was in a
    /// collective of a thread world (`ThreadWorld`).
    case aborted(call: String, rank: Int, details: String)

    public var description: String {
        switch self {
        case let .call(name, rank, code, message):
            "\(name) failed on rank \(rank) (MPI error \(code)): \(message)"
        case let .mismatch(call, rank, details):
            "\(call): ranks disagree (seen from rank \(rank)): \(details)"
        case let .invalidArgument(call, rank, details):
            "\(call) on rank \(rank): \(details)"
        case let .lifecycle(message):
            "MPI: \(message)"
        case let .aborted(call, rank, details):
            "\(call) on rank \(rank): the job is ending: \(details)"
        }
    }
}

extension MPIError {
    /// How a mismatch error describes one rank's collective call, the same for MPI's checked
    /// mode and the thread world: "MPI_Allreduce of 3 Float, sum", "MPI_Bcast of 8 Int64, root 0".
    static func describeCall(_ call: String, count: String, kind: String, op: ReduceOp?, root: Int?) -> String {
        var text = "\(call) of \(count) \(kind)"
        if let op { text += ", \(op)" }
        if let root { text += ", root \(root)" }
        return text
    }
}
