// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's masked form, for the
// framing of TensorBoard event files (TensorFlow `crc32c.h`, `record_writer.cc`).

/// The CRC32C checksum and its TFRecord mask.
public enum CRC32C {
    /// The byte-wise lookup table of the reflected polynomial 0x82F63B78.
    static let table: [UInt32] = (0 ..< 256).map { index in
        var crc = UInt32(index)
        for _ in 0 ..< 8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        return crc
    }

    /// The CRC32C of some bytes ("123456789" gives 0xE3069283).
    ///
    /// - Parameter bytes: The data.
    /// - Returns: The checksum (initial value and final xor 0xFFFFFFFF).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// The CRC32C of a byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// TFRecord's masked CRC: `((crc >> 15) | (crc << 17)) + 0xa282ead8` (wrapping), which keeps
    /// a CRC of data that itself holds CRCs well distributed.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
