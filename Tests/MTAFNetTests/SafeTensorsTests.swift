import Foundation
import XCTest
@testable import MTAFNet

/// `SafeTensors` and `SafeTensorsFile`: round trips, every malformed-header error, atomic writes.
final class SafeTensorsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A file from a header string and data bytes.
    func file(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let n = headerLength ?? UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + json + data
    }

    func parse(_ bytes: [UInt8]) throws -> SafeTensorsFile {
        try SafeTensorsFile(bytes: bytes, path: "case.safetensors")
    }

    /// Asserts that parsing fails with an error matching `check`, whose description names the
    /// file (and the tensor, when given).
    func assertFails(_ bytes: [UInt8], tensor: String? = nil, line: UInt = #line,
                     _ check: (SafeTensorsError) -> Bool) {
        do {
            _ = try parse(bytes)
            XCTFail("parsed a malformed file", line: line)
        } catch let error as SafeTensorsError {
            XCTAssertTrue(check(error), "unexpected error \(error)", line: line)
            XCTAssertTrue(error.description.contains("case.safetensors"), "\(error)", line: line)
            if let tensor {
                XCTAssertTrue(error.description.contains("'\(tensor)'"), "\(error)", line: line)
            }
        } catch {
            XCTFail("unexpected error type \(error)", line: line)
        }
    }

    // MARK: Round trips

    func testRoundTripEveryWrittenDType() throws {
        let path = directory.appendingPathComponent("round.safetensors").path
        let f32 = Tensor(shape: [2, 3], values: [1, -2.5, .pi, 1e-30, -0, 3.4e38])
        let tensors: [String: SafeTensors.Value] = [
            "weight": .f32(f32),
            "labels": .i32(shape: [2, 2], values: [0, -1, 255, Int32.max]),
            "steps": .i64(shape: [3], values: [Int64.min, 0, 1 << 40]),
            "image": .u8(shape: [1, 2, 2], values: [0, 1, 128, 255]),
            "empty": .f32(Tensor(shape: [0, 4])),
            "scalar": .f32(Tensor(shape: [], values: [7])),
        ]
        try SafeTensors.write(tensors, metadata: ["format": "mtaf", "quote\"key": "line\nbreak"], to: path)
        let read = try SafeTensors.read(contentsOf: path)
        XCTAssertEqual(read.metadata, ["format": "mtaf", "quote\"key": "line\nbreak"])
        XCTAssertEqual(Set(read.names), Set(tensors.keys))
        XCTAssertEqual(try read.tensor("weight").scalars, f32.scalars)
        XCTAssertEqual(try read.tensor("weight").shape, [2, 3])
        XCTAssertEqual(try read.entry("weight").dtype, .f32)
        XCTAssertEqual(try read.int32s("labels").values, [0, -1, 255, Int32.max])
        XCTAssertEqual(try read.int32s("labels").shape, [2, 2])
        XCTAssertEqual(try read.entry("labels").dtype, .i32)
        XCTAssertEqual(try read.int64s("steps").values, [Int64.min, 0, 1 << 40])
        XCTAssertEqual(try read.entry("steps").dtype, .i64)
        XCTAssertEqual(try read.uint8s("image").values, [0, 1, 128, 255])
        XCTAssertEqual(try read.uint8s("image").shape, [1, 2, 2])
        XCTAssertEqual(try read.int32s("image").values, [0, 1, 128, 255])
        XCTAssertEqual(try read.tensor("empty").shape, [0, 4])
        XCTAssertEqual(try read.tensor("scalar").scalars, [7])
        XCTAssertEqual(try read.floats("labels").scalars, [0, -1, 255, Float(Int32.max)])
        // The header is space-padded to a multiple of 8 bytes.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let n = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        XCTAssertEqual(n % 8, 0)
        // Reading from memory gives the same.
        let memory = try SafeTensorsFile(bytes: bytes, path: path)
        XCTAssertEqual(memory.entries, read.entries)
        // Wrong-type accessors fail with the tensor's name.
        XCTAssertThrowsError(try read.tensor("labels")) { XCTAssertTrue("\($0)".contains("'labels'")) }
        XCTAssertThrowsError(try read.int32s("weight")) { XCTAssertTrue("\($0)".contains("'weight'")) }
        XCTAssertThrowsError(try read.int32s("steps")) {
            XCTAssertEqual($0 as? SafeTensorsError, .valueOutOfRange(path: path, tensor: "steps"))
        }
        XCTAssertThrowsError(try read.tensor("nothere")) {
            XCTAssertEqual($0 as? SafeTensorsError, .missingTensor(path: path, tensor: "nothere"))
        }
    }

    func testReadsF64AndBF16AsFloat() throws {
        var data: [UInt8] = []
        for value in [1.5, -0.1, -3e38] as [Double] {
            data += (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt64($0))) }
        }
        // BF16: the high 16 bits of the Float32 pattern.
        for value in [1.0, -2.5, 0.15625] as [Float] {
            let high = UInt16(value.bitPattern >> 16)
            data += [UInt8(high & 0xFF), UInt8(high >> 8)]
        }
        let header = #"{"d":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[24,30]}}"#
        let read = try parse(file(header: header, data: data))
        XCTAssertEqual(try read.tensor("d").scalars, [1.5, Float(-0.1), Float(-3e38)])
        XCTAssertEqual(try read.tensor("b").scalars, [1.0, -2.5, 0.15625])
        XCTAssertEqual(read.names, ["d", "b"])
    }

    /// Float tensors are read only when every value is finite: NaN and ±Inf are refused, and so
    /// is an F64 beyond Float32's range (it would become ±Inf); integers are not concerned.
    func testNonFiniteValuesAreRefused() throws {
        var data: [UInt8] = []
        for value in [Float(1), .nan, -.infinity] { data += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
        data += withUnsafeBytes(of: (1e300 as Double).bitPattern.littleEndian, Array.init)
        let header = #"{"f":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"d":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}}"#
        let read = try parse(file(header: header, data: data))
        XCTAssertThrowsError(try read.tensor("f")) {
            XCTAssertEqual($0 as? SafeTensorsError,
                           .nonFinite(path: read.path, tensor: "f", element: 1, count: 3, value: "nan", writing: false))
        }
        XCTAssertThrowsError(try read.floats("d")) {
            XCTAssertEqual($0 as? SafeTensorsError,
                           .nonFinite(path: read.path, tensor: "d", element: 0, count: 1, value: "inf", writing: false))
        }
        let target = directory.appendingPathComponent("bad.safetensors").path
        XCTAssertThrowsError(try SafeTensors.write(["ok": .f32(Tensor(shape: [1], values: [2])),
                                                    "w": .f32(Tensor(shape: [2], values: [0, -.infinity]))], to: target)) {
            XCTAssertEqual($0 as? SafeTensorsError,
                           .nonFinite(path: target, tensor: "w", element: 1, count: 2, value: "-inf", writing: true))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
    }

    func testEmptyFileWithOnlyHeaderIsValid() throws {
        let read = try parse(file(header: "{}"))
        XCTAssertTrue(read.entries.isEmpty)
        let padded = try parse(file(header: #"{"__metadata__":{"a":"b"}}     "#))
        XCTAssertEqual(padded.metadata, ["a": "b"])
    }

    func testWriteIsAtomicAndReplaces() throws {
        let path = directory.appendingPathComponent("ckpt.safetensors").path
        try SafeTensors.write(["a": .f32(Tensor(shape: [2], values: [1, 2]))], to: path)
        try SafeTensors.write(["b": .i32(shape: [1], values: [5])], to: path)
        let read = try SafeTensors.read(contentsOf: path)
        XCTAssertEqual(read.names, ["b"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(leftovers, ["ckpt.safetensors"])
    }

    func testWriteRejectsBadInput() {
        let path = directory.appendingPathComponent("bad.safetensors").path
        XCTAssertThrowsError(try SafeTensors.write(["x": .i32(shape: [3], values: [1])], to: path)) {
            XCTAssertTrue("\($0)".contains("'x'"))
        }
        XCTAssertThrowsError(try SafeTensors.write(["__metadata__": .u8(shape: [1], values: [1])], to: path))
        XCTAssertThrowsError(try SafeTensors.write(["x": .u8(shape: [1], values: [1])],
                                                   to: directory.appendingPathComponent("no/such/dir.st").path)) {
            guard case .io = $0 as? SafeTensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    // MARK: Malformed files

    func testTooShort() {
        assertFails([1, 2, 3]) { if case .tooShort(_, 3) = $0 { return true }; return false }
        assertFails([]) { if case .tooShort = $0 { return true }; return false }
    }

    func testHeaderLengthBeyondFileOrAbsurd() {
        assertFails(file(header: "{}", headerLength: 3)) { if case .headerLength = $0 { return true }; return false }
        assertFails(file(header: "{}", headerLength: UInt64.max)) { if case .headerLength = $0 { return true }; return false }
        assertFails(file(header: "{}", headerLength: 1 << 62)) { if case .headerLength = $0 { return true }; return false }
        // Over the 100 MB limit even if the file were that long.
        assertFails(file(header: "{}", headerLength: 100_000_001)) { if case .headerLength = $0 { return true }; return false }
    }

    func testHeaderNotAJSONObject() {
        for header in ["[1, 2]", "not json", "{\"a\": ", "\"str\"", "  {}", "{}}", ""] {
            assertFails(file(header: header)) { if case .headerNotJSONObject = $0 { return true }; return false }
        }
        assertFails(file(header: "{\u{FF}}")) { if case .headerNotJSONObject = $0 { return true }; return false }
    }

    func testBadMetadataAndEntries() {
        assertFails(file(header: #"{"__metadata__":{"a":1}}"#)) { if case .badMetadata = $0 { return true }; return false }
        assertFails(file(header: #"{"__metadata__":[]}"#)) { if case .badMetadata = $0 { return true }; return false }
        assertFails(file(header: #"{"w":[1]}"#), tensor: "w") { if case .badEntry = $0 { return true }; return false }
        assertFails(file(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), tensor: "w") {
            if case .badEntry = $0 { return true }; return false
        }
    }

    func testUnknownDType() {
        assertFails(file(header: #"{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, data: [0, 0]), tensor: "w") {
            if case .unknownDType(_, "w", "F16") = $0 { return true }; return false
        }
    }

    func testBadShapes() {
        for shape in ["[-1]", "[2.5]", "[\"2\"]", "[true]", "3", "[1e40]", "[18446744073709551615]"] {
            let header = #"{"w":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,4]}}"#
            assertFails(file(header: header, data: [0, 0, 0, 0]), tensor: "w") {
                if case .badShape = $0 { return true }; return false
            }
        }
        // The element count overflows: rejected before any allocation.
        let huge = #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#
        assertFails(file(header: huge, data: [0, 0, 0, 0]), tensor: "w") { if case .badShape = $0 { return true }; return false }
        // Huge but representable: the offsets do not match, rejected without allocating.
        let big = #"{"w":{"dtype":"F32","shape":[100000,100000,1000],"data_offsets":[0,4]}}"#
        assertFails(file(header: big, data: [0, 0, 0, 0]), tensor: "w") { if case .badOffsets = $0 { return true }; return false }
    }

    func testBadOffsets() {
        func offsets(_ a: String, _ b: String, data: Int) -> [UInt8] {
            file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":"# + a
                 + #"},"b":{"dtype":"F32","shape":[1],"data_offsets":"# + b + "}}",
                 data: [UInt8](repeating: 0, count: data))
        }
        let isBadOffsets: (SafeTensorsError) -> Bool = { if case .badOffsets = $0 { return true }; return false }
        assertFails(offsets("[0,4]", "[4,12]", data: 8), tensor: "b", isBadOffsets)      // out of range
        assertFails(offsets("[0,4]", "[2,6]", data: 8), tensor: "b", isBadOffsets)       // overlap
        assertFails(offsets("[0,4]", "[0,4]", data: 8), isBadOffsets)                    // same range
        assertFails(offsets("[0,4]", "[6,10]", data: 10), tensor: "b", isBadOffsets)     // gap
        assertFails(offsets("[4,8]", "[8,12]", data: 12), tensor: "a", isBadOffsets)     // gap at the start
        assertFails(offsets("[0,4]", "[4,9]", data: 9), tensor: "b", isBadOffsets)       // size ≠ 4
        assertFails(offsets("[4,0]", "[4,8]", data: 8), tensor: "a", isBadOffsets)       // begin > end
        assertFails(offsets("[-4,0]", "[0,4]", data: 4), tensor: "a", isBadOffsets)      // negative
        assertFails(offsets("[0,4,8]", "[4,8]", data: 8), tensor: "a", isBadOffsets)     // three numbers
        assertFails(offsets("[0.0,4]", "[4,8]", data: 8), tensor: "a", isBadOffsets)     // not integers
        // Trailing bytes not covered by any tensor.
        assertFails(offsets("[0,4]", "[4,8]", data: 9)) { if case .dataSizeMismatch(_, 8, 9) = $0 { return true }; return false }
        XCTAssertNoThrow(try parse(offsets("[4,8]", "[0,4]", data: 8)))               // any order in the header
    }

    func testReadingFromDiskChecksTheHeaderFirst() throws {
        let path = directory.appendingPathComponent("short.safetensors").path
        // Claims a 1 GB tensor in a 60-byte file.
        let bytes = file(header: #"{"w":{"dtype":"U8","shape":[1000000000],"data_offsets":[0,1000000000]}}"#)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafeTensors.read(contentsOf: path)) { error in
            guard case .badOffsets(path, "w", _)? = error as? SafeTensorsError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SafeTensors.read(contentsOf: directory.appendingPathComponent("none").path)) { error in
            guard case .io(_, "open", _)? = error as? SafeTensorsError else { return XCTFail("\(error)") }
        }
        try Data([1, 2]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafeTensors.read(contentsOf: path)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .tooShort(path: path, size: 2))
        }
    }
}
