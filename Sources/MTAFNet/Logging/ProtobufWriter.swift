// A minimal protocol-buffer encoder: just the wire types TensorBoard's Event messages use
// (varint, 64-bit, length-delimited, 32-bit). Fields are written in the order they are added.

/// Appends protocol-buffer fields to a byte buffer (proto3 wire format).
public struct ProtobufWriter {
    /// The encoded message so far.
    public private(set) var encoded: [UInt8] = []

    /// The wire types (protobuf encoding guide).
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    public init() {}

    /// An unsigned base-128 varint, least significant group first.
    mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            encoded.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        encoded.append(UInt8(value))
    }

    /// A field key: (field number << 3) | wire type.
    mutating func appendKey(_ field: Int, _ wireType: WireType) {
        precondition(field > 0, "ProtobufWriter: field number \(field)")
        appendVarint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// A `double` field (wire type 1, little-endian IEEE 754).
    public mutating func double(_ field: Int, _ value: Double) {
        appendKey(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { encoded.append(contentsOf: $0) }
    }

    /// A `float` field (wire type 5, little-endian IEEE 754).
    public mutating func float(_ field: Int, _ value: Float) {
        appendKey(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { encoded.append(contentsOf: $0) }
    }

    /// An `int64` or `int32` field (wire type 0; negative values take ten bytes, as protobuf
    /// sign-extends them).
    public mutating func int64(_ field: Int, _ value: Int64) {
        appendKey(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// A `bytes` or embedded-message field (wire type 2: length, then the bytes).
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        appendKey(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        encoded.append(contentsOf: value)
    }

    /// A `string` field (UTF-8, wire type 2).
    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }
}
