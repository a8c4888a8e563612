// TensorGather: copies one strided torch view out of its storage's raw bytes into row-major
// little-endian F32 (every floating dtype) or I64 (every integer dtype). The view has been
// checked in bounds by PyTorchCheckpoint; a contiguous little-endian float32 view is one memcpy.

enum TensorGather {
    /// Gathers `record` (sizes, strides and offset in elements of its storage's dtype).
    ///
    /// - Parameters:
    ///   - record: The view; its storage's dtype says how to read `source`.
    ///   - source: The storage's usable elements.
    ///   - bigEndian: Whether the storage was written by a big-endian machine.
    ///   - out: Exactly the view's element count × 4 (floats) or × 8 (integers) bytes.
    static func gather(_ record: TorchTensorRecord, from source: UnsafeRawBufferPointer, bigEndian: Bool,
                       into out: UnsafeMutableRawBufferPointer) {
        let dtype = record.storage.dtype
        guard !out.isEmpty else { return }
        if dtype == .float32, !bigEndian, isContiguous(record) {
            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(record.offset * 4)...].prefix(out.count)))
            return
        }
        let rank = record.size.count
        let inner = rank == 0 ? 1 : record.size[rank - 1]
        let innerStride = rank == 0 ? 0 : record.stride[rank - 1]
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var start = record.offset
        var written = 0
        while true {
            for j in 0 ..< inner {
                let element = start + j * innerStride
                if dtype.isFloat {
                    let value = float(source, element, dtype, bigEndian)
                    out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * written, as: UInt32.self)
                } else {
                    let value = integer(source, element, dtype, bigEndian)
                    out.storeBytes(of: value.littleEndian, toByteOffset: 8 * written, as: Int64.self)
                }
                written += 1
            }
            // Odometer over the outer dimensions.
            var dimension = rank - 2
            while dimension >= 0 {
                index[dimension] += 1
                start += record.stride[dimension]
                if index[dimension] < record.size[dimension] { break }
                start -= record.stride[dimension] * record.size[dimension]
                index[dimension] = 0
                dimension -= 1
            }
            if dimension < 0 { return }
        }
    }

    /// Whether the strides are row-major for the sizes (extent-1 dimensions may have any stride).
    static func isContiguous(_ record: TorchTensorRecord) -> Bool {
        var expected = 1
        for (extent, step) in zip(record.size, record.stride).reversed() {
            if extent != 1 && step != expected { return false }
            expected *= extent
        }
        return true
    }

    private static func load<T: FixedWidthInteger>(_ source: UnsafeRawBufferPointer, _ element: Int, _: T.Type,
                                                   _ bigEndian: Bool) -> T {
        let raw = source.loadUnaligned(fromByteOffset: element * MemoryLayout<T>.size, as: T.self)
        return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    private static func float(_ source: UnsafeRawBufferPointer, _ element: Int, _ dtype: TorchDType, _ bigEndian: Bool) -> Float {
        switch dtype {
        case .float32: return Float(bitPattern: load(source, element, UInt32.self, bigEndian))
        case .float64: return Float(Double(bitPattern: load(source, element, UInt64.self, bigEndian)))
        case .float16: return halfToFloat(load(source, element, UInt16.self, bigEndian))
        case .bfloat16: return Float(bitPattern: UInt32(load(source, element, UInt16.self, bigEndian)) << 16)
        default: return 0
        }
    }

    private static func integer(_ source: UnsafeRawBufferPointer, _ element: Int, _ dtype: TorchDType, _ bigEndian: Bool) -> Int64 {
        switch dtype {
        case .int64: return load(source, element, Int64.self, bigEndian)
        case .int32: return Int64(load(source, element, Int32.self, bigEndian))
        case .int16: return Int64(load(source, element, Int16.self, bigEndian))
        case .int8: return Int64(Int8(bitPattern: source[element]))
        case .uint8, .bool: return Int64(source[element])
        default: return 0
        }
    }

    /// IEEE binary16 to Float (exact: every half value is a float).
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F), fraction = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:   // zero or subnormal: fraction × 2^-24
            let magnitude = Float(fraction) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        case 0x1F:   // infinity or NaN
            return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | fraction << 13)
        }
    }
}
