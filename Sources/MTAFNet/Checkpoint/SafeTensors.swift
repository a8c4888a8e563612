// SafeTensors: the safetensors container (Hugging Face) used by the fixtures and by our checkpoints.
// Layout: 8 bytes N (u64 little-endian), N bytes of a UTF-8 JSON object
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}} (may be
// space-padded), then the data section. Offsets are relative to the data section; sorted by begin,
// the tensors must be contiguous, start at 0 and end exactly at the end of the file, and each
// tensor's end − begin must be its element count × dtype size (the rules of the reference
// implementation's `validate`: InvalidOffset, TensorInvalidInfo, MetadataIncompleteBuffer).
// The header is limited to 100 MB, as in the reference implementation.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing safetensors files.
public enum SafeTensors {
    /// The largest header the reader accepts, in bytes (the reference implementation's limit).
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// An element type stored in a safetensors file.
    public enum DType: String, Sendable, CaseIterable {
        case f32 = "F32"
        case f64 = "F64"
        case bf16 = "BF16"
        case i32 = "I32"
        case i64 = "I64"
        case u8 = "U8"

        /// Whether the elements are floating-point (read with `SafeTensorsFile.tensor`).
        public var isFloat: Bool { self == .f32 || self == .f64 || self == .bf16 }

        /// The size of one element in bytes.
        public var byteSize: Int {
            switch self {
            case .f32, .i32: return 4
            case .f64, .i64: return 8
            case .bf16: return 2
            case .u8: return 1
            }
        }
    }

    /// One tensor's header entry, validated.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name (header key).
        public let name: String
        /// The element type.
        public let dtype: DType
        /// The extents, outermost first.
        public let shape: [Int]
        /// The byte range within the data section.
        public let dataRange: Range<Int>

        /// The number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// A tensor to write.
    public enum Value {
        /// Float32 values (dtype F32).
        case f32(Tensor)
        /// Int32 values (dtype I32), row-major.
        case i32(shape: [Int], values: [Int32])
        /// Int64 values (dtype I64), row-major.
        case i64(shape: [Int], values: [Int64])
        /// Bytes (dtype U8), row-major.
        case u8(shape: [Int], values: [UInt8])

        var dtype: DType {
            switch self {
            case .f32: return .f32
            case .i32: return .i32
            case .i64: return .i64
            case .u8: return .u8
            }
        }

        var shape: [Int] {
            switch self {
            case let .f32(tensor): return tensor.shape
            case let .i32(shape, _), let .i64(shape, _), let .u8(shape, _): return shape
            }
        }

        var valueCount: Int {
            switch self {
            case let .f32(tensor): return tensor.count
            case let .i32(_, values): return values.count
            case let .i64(_, values): return values.count
            case let .u8(_, values): return values.count
            }
        }
    }

    /// Reads and validates a safetensors file.
    ///
    /// The header is checked completely before the data section is read, so a corrupt file never
    /// causes an allocation larger than the file itself.
    ///
    /// - Parameter path: The file.
    /// - Returns: The parsed file, holding its data section in memory.
    public static func read(contentsOf path: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: path)
    }

    /// Writes tensors atomically: to a temporary file in the same directory, fsync, rename over
    /// `path`, fsync the directory. Tensors are stored in name order; the header is space-padded
    /// to a multiple of 8 bytes. A float tensor holding ±Inf or NaN is refused before anything
    /// is written (`SafeTensorsError.nonFinite`).
    ///
    /// - Parameters:
    ///   - tensors: The tensors by name; names must be non-empty and not `__metadata__`.
    ///   - metadata: Free-form strings stored under `__metadata__` (omitted when empty).
    ///   - path: The destination; an existing file is replaced.
    /// - Returns: The CRC32C of the file's bytes.
    @discardableResult
    public static func write(_ tensors: [String: Value], metadata: [String: String] = [:],
                             to path: String) throws -> UInt32 {
        try checkFinite(tensors, path: path)
        let names = tensors.keys.sorted()
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += jsonString("__metadata__") + ":{"
            header += metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0]!) }
                .joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for name in names {
            let value = tensors[name]!
            guard !name.isEmpty, name != "__metadata__" else {
                throw SafeTensorsError.badTensorToWrite(path: path, tensor: name, reason: "reserved or empty name")
            }
            let shape = value.shape
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.badTensorToWrite(path: path, tensor: name, reason: "negative extent in \(shape)")
            }
            let count = shape.reduce(1, *)
            guard count == value.valueCount else {
                throw SafeTensorsError.badTensorToWrite(
                    path: path, tensor: name, reason: "\(value.valueCount) values for shape \(shape)")
            }
            let bytes = count * value.dtype.byteSize
            if !first { header += "," }
            first = false
            header += jsonString(name) + ":{\"dtype\":\"\(value.dtype.rawValue)\",\"shape\":["
                + shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        return try AtomicFile.write(to: path) { sink in
            var length = UInt64(headerBytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink($0) }
            try headerBytes.withUnsafeBytes { try sink($0) }
            for name in names {
                switch tensors[name]! {
                case let .f32(tensor):
                    try tensor.withUnsafeBufferPointer { buffer in
                        try writeLittleEndian(buffer, to: sink) { $0.bitPattern.littleEndian }
                    }
                case let .i32(_, values):
                    try values.withUnsafeBufferPointer { buffer in
                        try writeLittleEndian(buffer, to: sink) { $0.littleEndian }
                    }
                case let .i64(_, values):
                    try values.withUnsafeBufferPointer { buffer in
                        try writeLittleEndian(buffer, to: sink) { $0.littleEndian }
                    }
                case let .u8(_, values):
                    try values.withUnsafeBytes { try sink($0) }
                }
            }
        }
    }

    /// Writes elements as little-endian bytes, directly on little-endian hosts and in chunks
    /// through a converted copy elsewhere.
    private static func writeLittleEndian<T, U: FixedWidthInteger>(
        _ buffer: UnsafeBufferPointer<T>, to sink: (UnsafeRawBufferPointer) throws -> Void,
        _ convert: (T) -> U
    ) throws {
        #if _endian(little)
        try sink(UnsafeRawBufferPointer(buffer))
        #else
        let chunk = 1 << 14
        var start = 0
        while start < buffer.count {
            let end = min(start + chunk, buffer.count)
            let converted = buffer[start..<end].map(convert)
            try converted.withUnsafeBytes { try sink($0) }
            start = end
        }
        #endif
    }

    /// A JSON string literal for `text`.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
