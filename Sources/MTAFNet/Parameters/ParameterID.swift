/// The handle of one parameter in a `ParameterStore`: its registration index.
///
/// Only meaningful for the store that returned it. Architecture §2.2 (named views of one allocation).
public struct ParameterID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Position in the store's registration order (0-based).
    public let index: Int

    /// Wraps a registration index; normally obtained from `ParameterStore.register(name:shape:)`.
    public init(index: Int) {
        self.index = index
    }

    public static func < (lhs: ParameterID, rhs: ParameterID) -> Bool {
        lhs.index < rhs.index
    }

    public var description: String { "ParameterID(\(index))" }
}
