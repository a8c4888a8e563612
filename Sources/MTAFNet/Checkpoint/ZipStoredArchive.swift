// ZipStoredArchive: the zip container of torch.save (PyTorch ≥ 1.6), read from its central
// directory. torch writes every entry STORED (uncompressed) and always adds a zip64 end record;
// zip64 sizes and offsets (0xFFFFFFFF in the 32-bit fields, the real value in extra field 0x0001)
// are honoured. Compressed, encrypted or multi-disk archives are refused. Every offset and size
// is checked against the file before use, and each entry's CRC-32 is verified when it is read.

/// A zip archive of stored entries, held in memory.
struct ZipStoredArchive {
    /// One entry: where its bytes lie in the file and their checksum.
    struct Entry {
        var name: String
        var range: Range<Int>
        var crc32: UInt32
    }

    let path: String
    let bytes: [UInt8]
    /// The entries by name.
    private(set) var entries: [String: Entry] = [:]

    /// Whether the bytes start like a zip archive (a local file header).
    static func hasMagic(_ prefix: [UInt8]) -> Bool { prefix.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// Parses the central directory and every entry's local header.
    init(bytes: [UInt8], path: String) throws(PyTorchFileError) {
        self.path = path
        self.bytes = bytes
        let (count, directory) = try Self.locateDirectory(bytes, path: path)
        var position = directory.lowerBound
        for index in 0 ..< count {
            func fail(_ reason: String) -> PyTorchFileError { .zip(path: path, reason: "central directory entry \(index): \(reason)") }
            guard position + 46 <= directory.upperBound, Self.u32(bytes, position) == 0x0201_4B50 else {
                throw fail("no entry header at byte \(position)")
            }
            let flags = Self.u16(bytes, position + 8), method = Self.u16(bytes, position + 10)
            let crc = Self.u32(bytes, position + 16)
            var compressed = UInt64(Self.u32(bytes, position + 20)), size = UInt64(Self.u32(bytes, position + 24))
            let nameLength = Int(Self.u16(bytes, position + 28)), extraLength = Int(Self.u16(bytes, position + 30))
            let commentLength = Int(Self.u16(bytes, position + 32))
            var localOffset = UInt64(Self.u32(bytes, position + 42))
            let nameStart = position + 46, extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= directory.upperBound else { throw fail("its name and extra fields run past the directory") }
            guard let name = String(bytes: bytes[nameStart ..< extraStart], encoding: .utf8) else {
                throw fail("the name is not UTF-8")
            }
            try Self.applyZip64(bytes[extraStart ..< extraStart + extraLength], size: &size, compressed: &compressed,
                                offset: &localOffset) { fail("'\(name)': \($0)") }
            guard method == 0 else { throw fail("'\(name)' is compressed (method \(method)); torch writes entries stored") }
            guard flags & 1 == 0 else { throw fail("'\(name)' is encrypted") }
            guard compressed == size else { throw fail("'\(name)' is stored with \(compressed) bytes for \(size)") }
            let range = try Self.dataRange(bytes, localOffset: localOffset, size: size) { fail("'\(name)': \($0)") }
            guard entries[name] == nil else { throw fail("'\(name)' appears twice") }
            entries[name] = Entry(name: name, range: range, crc32: crc)
            position = next
        }
    }

    /// An entry's bytes, checked against its CRC-32.
    func contents(_ name: String) throws(PyTorchFileError) -> ArraySlice<UInt8> {
        guard let entry = entries[name] else { throw .zip(path: path, reason: "no entry '\(name)'") }
        let data = bytes[entry.range]
        let actual = data.withUnsafeBytes { CRC32.checksum($0) }
        guard actual == entry.crc32 else {
            throw .zip(path: path, reason: "entry '\(name)' is damaged (CRC-32 \(hex(actual)), recorded \(hex(entry.crc32)))")
        }
        return data
    }

    private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    // MARK: Structure

    /// Finds the end-of-central-directory record (and the zip64 one when present): the entry
    /// count and the directory's byte range.
    private static func locateDirectory(_ bytes: [UInt8], path: String) throws(PyTorchFileError) -> (Int, Range<Int>) {
        func fail(_ reason: String) -> PyTorchFileError { .zip(path: path, reason: reason) }
        // The 22-byte record ends the file, followed only by a comment of at most 65535 bytes.
        var end = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while end >= lowest, !(u32(bytes, end) == 0x0605_4B50 && end + 22 + Int(u16(bytes, end + 20)) == bytes.count) {
            end -= 1
        }
        guard end >= lowest else { throw fail("no end-of-central-directory record (truncated file?)") }
        guard u16(bytes, end + 4) == 0, u16(bytes, end + 6) == 0 else { throw fail("multi-disk archives are not supported") }
        var count = UInt64(u16(bytes, end + 10)), size = UInt64(u32(bytes, end + 12)), offset = UInt64(u32(bytes, end + 16))
        // A zip64 locator (20 bytes) right before the record points to the zip64 end record.
        let locator = end - 20
        if locator >= 0, u32(bytes, locator) == 0x0706_4B50 {
            let recordOffset = u64(bytes, locator + 8)
            guard locator >= 56, recordOffset <= UInt64(locator - 56), u32(bytes, Int(recordOffset)) == 0x0606_4B50 else {
                throw fail("the zip64 end record is not where its locator says (\(recordOffset))")
            }
            let record = Int(recordOffset)
            count = u64(bytes, record + 32)
            size = u64(bytes, record + 40)
            offset = u64(bytes, record + 48)
        } else if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            throw fail("the end record needs zip64 values but there is no zip64 locator")
        }
        guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset, count <= size / 46 else {
            throw fail("the central directory (\(count) entries, \(size) bytes at \(offset)) does not fit in the file of \(bytes.count) bytes")
        }
        return (Int(count), Int(offset) ..< Int(offset + size))
    }

    /// Replaces saturated 32-bit fields by the zip64 extra field's 64-bit values (in the
    /// order size, compressed size, offset; only those that are saturated are present).
    private static func applyZip64(_ extra: ArraySlice<UInt8>, size: inout UInt64, compressed: inout UInt64,
                                   offset: inout UInt64, fail: (String) -> PyTorchFileError) throws(PyTorchFileError) {
        guard size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF else { return }
        var position = extra.startIndex
        while position + 4 <= extra.endIndex {
            let id = UInt16(extra[position]) | UInt16(extra[position + 1]) << 8
            let length = Int(UInt16(extra[position + 2]) | UInt16(extra[position + 3]) << 8)
            let body = position + 4
            guard body + length <= extra.endIndex else { break }
            if id == 0x0001 {
                var field = body
                func take(_ target: inout UInt64) throws(PyTorchFileError) {
                    guard target == 0xFFFF_FFFF else { return }
                    guard field + 8 <= body + length else { throw fail("the zip64 extra field is too short") }
                    target = (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(extra[field + $1]) << (8 * UInt64($1)) }
                    field += 8
                }
                try take(&size)
                try take(&compressed)
                try take(&offset)
                return
            }
            position = body + length
        }
        throw fail("32-bit sizes are saturated but there is no zip64 extra field")
    }

    /// The byte range of an entry's data: after its local header, name and extra field.
    private static func dataRange(_ bytes: [UInt8], localOffset: UInt64, size: UInt64,
                                  fail: (String) -> PyTorchFileError) throws(PyTorchFileError) -> Range<Int> {
        guard bytes.count >= 30, localOffset <= UInt64(bytes.count - 30), u32(bytes, Int(localOffset)) == 0x0403_4B50 else {
            throw fail("no local header at byte \(localOffset)")
        }
        let header = Int(localOffset)
        let start = header + 30 + Int(u16(bytes, header + 26)) + Int(u16(bytes, header + 28))
        guard start <= bytes.count, size <= UInt64(bytes.count - start) else {
            throw fail("\(size) bytes at \(start) run past the end of the file of \(bytes.count) bytes")
        }
        return start ..< start + Int(size)
    }

    static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        return (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        guard at >= 0, at + 8 <= bytes.count else { return 0 }
        return (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
}

/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), as zip records it.
enum CRC32 {
    private static let table: [UInt32] = (0 ..< 256).map { index in
        var value = UInt32(index)
        for _ in 0 ..< 8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }
}
