// SafeTensorsFile: a validated safetensors file held in memory, with typed accessors.
// See SafeTensors.swift for the layout and the validation rules.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A validated safetensors file: its header entries, its metadata and its data section.
public struct SafeTensorsFile {
    /// The file's path (or the name given to an in-memory buffer), used in errors.
    public let path: String
    /// The `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    /// The tensors' header entries by name.
    public let entries: [String: SafeTensors.Entry]
    /// The data section.
    let data: [UInt8]

    /// The tensor names in data order.
    public var names: [String] {
        entries.values.sorted { ($0.dataRange.lowerBound, $0.name) < ($1.dataRange.lowerBound, $1.name) }
            .map(\.name)
    }

    /// Reads and validates a file; the header is validated before the data section is read.
    ///
    /// - Parameter path: The file.
    public init(contentsOf path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.io(path: path, call: "open", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafeTensorsError.io(path: path, call: "fstat", errno: errno) }
        let size = Int(info.st_size)
        guard size >= 8 else { throw SafeTensorsError.tooShort(path: path, size: size) }
        var length: UInt64 = 0
        try withUnsafeMutableBytes(of: &length) {
            try AtomicFile.read(fd: fd, path: path, into: $0.baseAddress!, count: 8, at: 0)
        }
        let headerLength = try SafeTensorsFile.checkHeaderLength(UInt64(littleEndian: length), fileSize: size, path: path)
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes {
            if headerLength > 0 {
                try AtomicFile.read(fd: fd, path: path, into: $0.baseAddress!, count: headerLength, at: 8)
            }
        }
        let dataSize = size - 8 - headerLength
        let (metadata, entries) = try SafeTensorsFile.parseHeader(header, dataSize: dataSize, path: path)
        var data = [UInt8](repeating: 0, count: dataSize)
        try data.withUnsafeMutableBytes {
            if dataSize > 0 {
                try AtomicFile.read(fd: fd, path: path, into: $0.baseAddress!, count: dataSize, at: 8 + headerLength)
            }
        }
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.data = data
    }

    /// Parses and validates a whole file already in memory.
    ///
    /// - Parameters:
    ///   - bytes: The file's content.
    ///   - path: The name used in errors.
    public init(bytes: [UInt8], path: String) throws {
        guard bytes.count >= 8 else { throw SafeTensorsError.tooShort(path: path, size: bytes.count) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let headerLength = try SafeTensorsFile.checkHeaderLength(length, fileSize: bytes.count, path: path)
        let (metadata, entries) = try SafeTensorsFile.parseHeader(
            Array(bytes[8..<(8 + headerLength)]), dataSize: bytes.count - 8 - headerLength, path: path)
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.data = Array(bytes[(8 + headerLength)...])
    }

    /// A file built in memory from entries already validated against `data` (a converted
    /// `.pth`, or a renamed copy).
    init(path: String, metadata: [String: String], entries: [String: SafeTensors.Entry], data: [UInt8]) {
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.data = data
    }

    /// The same tensors under new names (`rename` must be one-to-one on the names).
    func renamed(_ rename: (String) -> String) -> SafeTensorsFile {
        var renamed: [String: SafeTensors.Entry] = [:]
        for entry in entries.values {
            let name = rename(entry.name)
            renamed[name] = SafeTensors.Entry(name: name, dtype: entry.dtype, shape: entry.shape, dataRange: entry.dataRange)
        }
        return SafeTensorsFile(path: path, metadata: metadata, entries: renamed, data: data)
    }

    /// Whether the file has a tensor of that name.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The header entry of a tensor.
    ///
    /// - Parameter name: The tensor's name.
    public func entry(_ name: String) throws -> SafeTensors.Entry {
        guard let entry = entries[name] else { throw SafeTensorsError.missingTensor(path: path, tensor: name) }
        return entry
    }

    /// A floating-point tensor (F32, F64 or BF16) as Float32. Every float a checkpoint load
    /// reads comes through here, so this is where non-finite values are refused.
    ///
    /// - Parameter name: The tensor's name.
    /// - Returns: A new tensor with the stored shape; F64 values are rounded to nearest Float32.
    /// - Throws: `SafeTensorsError.nonFinite` naming the file and tensor when a value is ±Inf or
    ///   NaN (an F64 beyond Float32's range included).
    public func tensor(_ name: String) throws -> Tensor {
        let entry = try self.entry(name)
        guard entry.dtype.isFloat else {
            throw SafeTensorsError.wrongDType(path: path, tensor: name, dtype: entry.dtype.rawValue, wanted: "Float32")
        }
        let result = Tensor(shape: entry.shape)
        data.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.dataRange])
            result.withUnsafeMutableBufferPointer { out in
                switch entry.dtype {
                case .f32:
                    for i in 0..<out.count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                case .f64:
                    for i in 0..<out.count {
                        out[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    }
                case .bf16:
                    for i in 0..<out.count {
                        let high = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        out[i] = Float(bitPattern: UInt32(high) << 16)
                    }
                case .i32, .i64, .u8:
                    break
                }
            }
        }
        if let bad = result.withUnsafeBufferPointer({ SafeTensors.firstNonFinite($0) }) {
            throw SafeTensorsError.nonFinite(path: path, tensor: name, element: bad.index, count: entry.count,
                                             value: "\(bad.value)", writing: false)
        }
        return result
    }

    /// An integer tensor (I32, I64 in Int32 range, or U8) as Int32 values.
    ///
    /// - Parameter name: The tensor's name.
    /// - Returns: The shape and the values in row-major order.
    public func int32s(_ name: String) throws -> (shape: [Int], values: [Int32]) {
        let (shape, wide) = try int64s(name)
        var values = [Int32](repeating: 0, count: wide.count)
        for i in 0..<wide.count {
            guard let v = Int32(exactly: wide[i]) else {
                throw SafeTensorsError.valueOutOfRange(path: path, tensor: name)
            }
            values[i] = v
        }
        return (shape, values)
    }

    /// An integer tensor (I32, I64 or U8) as Int64 values.
    ///
    /// - Parameter name: The tensor's name.
    /// - Returns: The shape and the values in row-major order.
    public func int64s(_ name: String) throws -> (shape: [Int], values: [Int64]) {
        let entry = try self.entry(name)
        guard entry.dtype == .i32 || entry.dtype == .i64 || entry.dtype == .u8 else {
            throw SafeTensorsError.wrongDType(path: path, tensor: name, dtype: entry.dtype.rawValue, wanted: "integers")
        }
        let count = entry.count
        var values = [Int64](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.dataRange])
            switch entry.dtype {
            case .i32:
                for i in 0..<count {
                    values[i] = Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                }
            case .i64:
                for i in 0..<count {
                    values[i] = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                }
            case .u8:
                for i in 0..<count { values[i] = Int64(bytes[i]) }
            case .f32, .f64, .bf16:
                break
            }
        }
        return (entry.shape, values)
    }

    /// A U8 tensor's bytes.
    ///
    /// - Parameter name: The tensor's name.
    /// - Returns: The shape and the bytes in row-major order.
    public func uint8s(_ name: String) throws -> (shape: [Int], values: [UInt8]) {
        let entry = try self.entry(name)
        guard entry.dtype == .u8 else {
            throw SafeTensorsError.wrongDType(path: path, tensor: name, dtype: entry.dtype.rawValue, wanted: "U8")
        }
        return (entry.shape, Array(data[entry.dataRange]))
    }

    /// Any tensor converted to Float32 (integers convert exactly below 2^24 in magnitude).
    ///
    /// - Parameter name: The tensor's name.
    public func floats(_ name: String) throws -> Tensor {
        let entry = try self.entry(name)
        switch entry.dtype {
        case .f32, .f64, .bf16:
            return try tensor(name)
        case .i32, .i64, .u8:
            let (shape, values) = try int64s(name)
            return Tensor(shape: shape, values: values.map { Float($0) })
        }
    }

    // MARK: Validation

    /// Checks the header length against the format's limit and the file size.
    static func checkHeaderLength(_ length: UInt64, fileSize: Int, path: String) throws -> Int {
        guard length <= SafeTensors.maxHeaderLength, length <= UInt64(fileSize - 8) else {
            throw SafeTensorsError.headerLength(path: path, headerLength: length, fileSize: fileSize)
        }
        return Int(length)
    }

    /// Parses the JSON header and validates every entry against a data section of `dataSize`.
    static func parseHeader(_ header: [UInt8], dataSize: Int, path: String) throws
        -> (metadata: [String: String], entries: [String: SafeTensors.Entry]) {
        guard header.first == UInt8(ascii: "{") else {
            throw SafeTensorsError.headerNotJSONObject(path: path, reason: "it does not start with '{'")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(header))
        } catch {
            throw SafeTensorsError.headerNotJSONObject(path: path, reason: "invalid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw SafeTensorsError.headerNotJSONObject(path: path, reason: "the top level is not an object")
        }
        var metadata: [String: String] = [:]
        var entries: [String: SafeTensors.Entry] = [:]
        for (name, value) in dictionary {
            if name == "__metadata__" {
                guard let strings = value as? [String: Any] else { throw SafeTensorsError.badMetadata(path: path) }
                for (key, item) in strings {
                    guard let text = item as? String else { throw SafeTensorsError.badMetadata(path: path) }
                    metadata[key] = text
                }
                continue
            }
            entries[name] = try parseEntry(name: name, value: value, dataSize: dataSize, path: path)
        }
        // Contiguity: sorted by begin, each tensor starts where the previous one ended.
        let ordered = entries.values.sorted {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name)
                < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name)
        }
        var end = 0
        for entry in ordered {
            if entry.dataRange.lowerBound < end {
                throw SafeTensorsError.badOffsets(
                    path: path, tensor: entry.name,
                    reason: "begins at \(entry.dataRange.lowerBound), overlapping the previous tensor that ends at \(end)")
            }
            if entry.dataRange.lowerBound > end {
                throw SafeTensorsError.badOffsets(
                    path: path, tensor: entry.name,
                    reason: "begins at \(entry.dataRange.lowerBound), leaving a gap after \(end)")
            }
            end = entry.dataRange.upperBound
        }
        guard end == dataSize else {
            throw SafeTensorsError.dataSizeMismatch(path: path, covered: end, actual: dataSize)
        }
        return (metadata, entries)
    }

    /// Validates one tensor entry.
    static func parseEntry(name: String, value: Any, dataSize: Int, path: String) throws -> SafeTensors.Entry {
        guard let fields = value as? [String: Any] else {
            throw SafeTensorsError.badEntry(path: path, tensor: name, reason: "not an object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw SafeTensorsError.badEntry(path: path, tensor: name, reason: "no string 'dtype'")
        }
        guard let dtype = SafeTensors.DType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeItems = fields["shape"] as? [Any] else {
            throw SafeTensorsError.badShape(path: path, tensor: name, reason: "no array 'shape'")
        }
        var shape: [Int] = []
        var count = 1
        for item in shapeItems {
            guard let extent = jsonInteger(item), extent >= 0 else {
                throw SafeTensorsError.badShape(path: path, tensor: name, reason: "dimension \(item) is not a non-negative integer")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw SafeTensorsError.badShape(path: path, tensor: name, reason: "element count overflows")
            }
            shape.append(extent)
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw SafeTensorsError.badShape(path: path, tensor: name, reason: "byte size overflows")
        }
        guard let offsetItems = fields["data_offsets"] as? [Any], offsetItems.count == 2,
              let begin = jsonInteger(offsetItems[0]), let end = jsonInteger(offsetItems[1]) else {
            throw SafeTensorsError.badOffsets(path: path, tensor: name, reason: "not an array of two integers")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw SafeTensorsError.badOffsets(
                path: path, tensor: name, reason: "[\(begin), \(end)] is not within the data section of \(dataSize) bytes")
        }
        guard end - begin == byteCount else {
            throw SafeTensorsError.badOffsets(
                path: path, tensor: name,
                reason: "[\(begin), \(end)] holds \(end - begin) bytes but \(dtype.rawValue) \(shape) needs \(byteCount)")
        }
        return SafeTensors.Entry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// A JSON integer (not a float, not a boolean), or nil.
    static func jsonInteger(_ item: Any) -> Int? {
        guard let number = item as? NSNumber, !(item is NSDecimalNumber) else { return nil }
        let code = String(cString: number.objCType)
        guard ["i", "q", "l", "s", "I", "L", "Q", "S"].contains(code) else { return nil }
        return item as? Int
    }
}
