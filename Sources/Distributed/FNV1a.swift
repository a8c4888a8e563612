/// 64-bit FNV-1a, the project's one non-cryptographic hash: the resume config hash, the ranks'
/// run fingerprint, `plan`'s check and the replica check. Each step XORs one unit (a byte of
/// text, or a whole 64-bit word) into the state and multiplies by the FNV prime.
public struct FNV1a: Sendable {
    /// The hash of what was added so far.
    public var value: UInt64 { state }
    @usableFromInline var state: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Adds one unit (a byte, or a 64-bit word).
    @inlinable
    public mutating func add(_ unit: UInt64) {
        state ^= unit
        state = state &* 0x100_0000_01b3
    }

    /// Adds the UTF-8 bytes of `text`, one step per byte.
    @inlinable
    public mutating func add(bytesOf text: String) {
        for byte in text.utf8 { add(UInt64(byte)) }
    }

    /// The hash of the UTF-8 bytes of `text`.
    public static func hash(_ text: String) -> UInt64 {
        var hash = FNV1a()
        hash.add(bytesOf: text)
        return hash.value
    }
}
