// The TFRecord framing of TensorBoard event files (TensorFlow `record_writer.cc`): per record
// uint64 length (little-endian), masked CRC32C of those 8 bytes, the data, masked CRC32C of the
// data. Sizes: L data bytes give a record of 8 + 4 + L + 4 bytes.

/// TFRecord framing.
public enum TFRecord {
    /// Appends one framed record to `output`.
    ///
    /// - Parameters:
    ///   - data: The record's payload (a serialized `Event`).
    ///   - output: The buffer to append to.
    public static func append(_ data: [UInt8], to output: inout [UInt8]) {
        var header = [UInt8]()
        header.reserveCapacity(8)
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { header.append(contentsOf: $0) }
        output.append(contentsOf: header)
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(header)).littleEndian) { output.append(contentsOf: $0) }
        output.append(contentsOf: data)
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(data)).littleEndian) { output.append(contentsOf: $0) }
    }

    /// One framed record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(data.count + 16)
        append(data, to: &output)
        return output
    }
}
