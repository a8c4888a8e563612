// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): TFRecord's masked form for the framing of
// TensorBoard event files (TensorFlow `crc32c.h`, `record_writer.cc`), and the per-file checksum
// of snapshot manifests.

/// The CRC32C checksum and its TFRecord mask.
public enum CRC32C {
    /// Slicing-by-8 lookup tables, 8 × 256 entries: entry `k * 256 + i` is the CRC of byte i
    /// followed by k zero bytes (k = 0: the byte-wise table of the reflected polynomial), so eight
    /// bytes take eight independent lookups instead of eight dependent steps.
    static let tables: [UInt32] = {
        var tables = (0 ..< 256).map { index -> UInt32 in
            var crc = UInt32(index)
            for _ in 0 ..< 8 {
                crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            return crc
        }
        for k in 1 ..< 8 {
            for index in 0 ..< 256 {
                let previous = tables[(k - 1) * 256 + index]
                tables.append((previous >> 8) ^ tables[Int(previous & 0xFF)])
            }
        }
        return tables
    }()

    /// A checksum over bytes that arrive in pieces (a file as it is written or read).
    public struct Accumulator {
        private var crc: UInt32 = 0xFFFF_FFFF

        public init() {}

        /// Adds the next bytes.
        public mutating func add(_ bytes: UnsafeRawBufferPointer) {
            var crc = self.crc
            CRC32C.tables.withUnsafeBufferPointer { t in
                var index = 0
                while index + 8 <= bytes.count {
                    let low = crc ^ UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                    let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                    crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                        ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                        ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                        ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                    index += 8
                }
                while index < bytes.count {
                    crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                    index += 1
                }
            }
            self.crc = crc
        }

        /// The checksum of everything added (initial value and final xor 0xFFFFFFFF).
        public var checksum: UInt32 { crc ^ 0xFFFF_FFFF }
    }

    /// The CRC32C of some bytes ("123456789" gives 0xE3069283).
    ///
    /// - Parameter bytes: The data.
    /// - Returns: The checksum.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var accumulator = Accumulator()
        accumulator.add(bytes)
        return accumulator.checksum
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
