/// The element types the collectives move without copies.
public enum MPIScalarKind: Int64, Sendable, CustomStringConvertible {
    case float = 1, double, int32, int64, uint8

    public var description: String {
        switch self {
        case .float: "Float"
        case .double: "Double"
        case .int32: "Int32"
        case .int64: "Int64"
        case .uint8: "UInt8"
        }
    }
}

/// A scalar type with an MPI datatype. Reductions on UInt8 are defined (MPI_UINT8_T) but wrap.
public protocol MPIScalar: Numeric, Comparable, Sendable {
    static var mpiKind: MPIScalarKind { get }
}

extension Float: MPIScalar { public static var mpiKind: MPIScalarKind { .float } }
extension Double: MPIScalar { public static var mpiKind: MPIScalarKind { .double } }
extension Int32: MPIScalar { public static var mpiKind: MPIScalarKind { .int32 } }
extension Int64: MPIScalar { public static var mpiKind: MPIScalarKind { .int64 } }
extension UInt8: MPIScalar { public static var mpiKind: MPIScalarKind { .uint8 } }

/// Reduction operators.
public enum ReduceOp: Int64, Sendable, CaseIterable, CustomStringConvertible {
    case sum = 1, max, min

    public var description: String {
        switch self {
        case .sum: "sum"
        case .max: "max"
        case .min: "min"
        }
    }

    /// Applies the operator to two values (used by the local cluster and the tests).
    public func combine<T: MPIScalar>(_ a: T, _ b: T) -> T {
        switch self {
        case .sum: a + b
        case .max: Swift.max(a, b)
        case .min: Swift.min(a, b)
        }
    }
}
