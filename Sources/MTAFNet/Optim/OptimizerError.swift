/// Errors of the optimizers (importing saved state; fixture cases driving them).
///
/// Each case names the parameter or state entry at fault. Spec §4.6, §10 (we save optimizer state).
public enum OptimizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A state entry names a parameter the store does not have.
    case unknownParameter(entry: String, parameter: String)
    /// A state entry's shape differs from its parameter's.
    case shapeMismatch(entry: String, expected: [Int], got: [Int])
    /// A state entry's name does not end in a field this optimizer knows.
    case unknownEntry(entry: String, optimizer: String)
    /// A state entry is incomplete (e.g. Adam `exp_avg` without `exp_avg_sq` or `step`).
    case incompleteState(parameter: String, missing: String)
    /// A step count that is not a positive integer.
    case invalidStepCount(entry: String, value: Int)
    /// An optimizer setting that cannot be used (e.g. an Adam beta outside [0, 1)).
    case invalidSetting(name: String, value: String)

    public var description: String {
        switch self {
        case let .unknownParameter(entry, parameter):
            return "optimizer state entry '\(entry)': no parameter '\(parameter)' in the store"
        case let .shapeMismatch(entry, expected, got):
            return "optimizer state entry '\(entry)': shape \(got), parameter has \(expected)"
        case let .unknownEntry(entry, optimizer):
            return "optimizer state entry '\(entry)': not a \(optimizer) state field"
        case let .incompleteState(parameter, missing):
            return "optimizer state of '\(parameter)': missing '\(missing)'"
        case let .invalidStepCount(entry, value):
            return "optimizer state entry '\(entry)': step count \(value) is not positive"
        case let .invalidSetting(name, value):
            return "optimizer setting '\(name)' = \(value) is invalid"
        }
    }
}
