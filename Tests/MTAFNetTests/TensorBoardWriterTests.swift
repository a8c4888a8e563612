import Foundation
import XCTest
@testable import MTAFNet

/// The event-file format written without TensorFlow: CRC32C, TFRecord framing, Event protobufs.
final class TensorBoardWriterTests: XCTestCase {
    func testCRC32CKnownVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        // RFC 3720 (iSCSI) B.4 vectors.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum(Array(0 ... 31)), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    /// The slicing-by-8 checksum equals the bit-by-bit definition for every length and offset,
    /// and fed in pieces equals fed at once.
    func testCRC32CMatchesTheBitwiseDefinition() {
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var stream = RandomStream(seed: 5)
        let data = (0 ..< 100).map { _ in UInt8(stream.nextUInt64() & 0xFF) }
        for start in 0 ..< 9 {
            for end in start ... data.count {
                XCTAssertEqual(CRC32C.checksum(Array(data[start ..< end])), bitwise(data[start ..< end]), "\(start)..<\(end)")
            }
        }
        var pieces = CRC32C.Accumulator()
        for range in [0 ..< 3, 3 ..< 50, 50 ..< 51, 51 ..< 100] { data[range].withUnsafeBytes { pieces.add($0) } }
        XCTAssertEqual(pieces.checksum, bitwise(data[...]))
    }

    func testMaskedCRC() {
        // ((0xE3069283 >> 15) | (0xE3069283 << 17)) + 0xa282ead8, modulo 2^32, by hand.
        XCTAssertEqual(CRC32C.masked(0xE306_9283), 0xC78A_B0E5)
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
    }

    /// Event { wall_time 1.5, step 3, summary { value { tag "a", simple_value 2 } } }, encoded by
    /// hand (and equal to Python protobuf's SerializeToString).
    func testScalarEventBytes() {
        let bytes = TensorBoardEvent.summaryEvent([.scalar(tag: "a", value: 2)], step: 3, wallTime: 1.5)
        XCTAssertEqual(bytes, [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,   // wall_time (1, fixed64)
                               0x10, 0x03,                            // step (2, varint)
                               0x2A, 0x0A,                            // summary (5), 10 bytes
                               0x0A, 0x08,                            // value (1), 8 bytes
                               0x0A, 0x01, 0x61,                      // tag (1) "a"
                               0x15, 0, 0, 0, 0x40])                  // simple_value (2, fixed32) 2.0
        XCTAssertEqual(TensorBoardEvent.fileVersionEvent(wallTime: 1.5),
                       [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x1A, 0x0D] + Array("brain.Event:2".utf8))
    }

    /// Event { wall_time 1.5, step 101, session_log { status START } } (Python protobuf's bytes).
    func testSessionStartEventBytes() {
        XCTAssertEqual(TensorBoardEvent.sessionStartEvent(step: 101, wallTime: 1.5),
                       [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x10, 0x65, 0x3A, 0x02, 0x08, 0x01])
    }

    func testProtobufVarintsAndNegativeSteps() {
        var writer = ProtobufWriter()
        writer.int64(2, 300)
        XCTAssertEqual(writer.encoded, [0x10, 0xAC, 0x02])
        var negative = ProtobufWriter()
        negative.int64(1, -1)
        XCTAssertEqual(negative.encoded, [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    func testFramingOfOneRecord() {
        let data: [UInt8] = [1, 2, 3]
        let framed = TFRecord.frame(data)
        XCTAssertEqual(framed.count, 8 + 4 + 3 + 4)
        XCTAssertEqual(Array(framed[0 ..< 8]), [3, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = CRC32C.masked(CRC32C.checksum(Array(framed[0 ..< 8])))
        XCTAssertEqual(Array(framed[8 ..< 12]), withUnsafeBytes(of: lengthCRC.littleEndian) { Array($0) })
        XCTAssertEqual(Array(framed[12 ..< 15]), data)
        XCTAssertEqual(try EventFileReader.records(framed), [data])
    }

    /// A written file parses back: consistent lengths and CRCs, the file version first, then the
    /// scalars and the image with their steps.
    func testWrittenFileParsesBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)").path
        let writer = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000, hostName: "testhost")
        XCTAssertEqual((writer.path as NSString).lastPathComponent, "events.out.tfevents.1700000000.testhost")
        writer.addScalar("data/loss", 0.25, step: 0)
        writer.addScalar("data/loss", 0.125, step: 7)
        let image = PixelImage(width: 3, height: 2, channels: 3, pixels: Array(0 ..< 18))
        try writer.addImage("Image - S", image, step: 7)
        try writer.flush()
        let events = try EventFileReader.events(atPath: writer.path)
        XCTAssertEqual(events.count, 4)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[0].wallTime, 1_700_000_000)
        XCTAssertTrue(events[0].values.isEmpty)
        XCTAssertEqual(events[1].step, 0)
        XCTAssertEqual(events[1].values.first?.tag, "data/loss")
        XCTAssertEqual(events[1].values.first?.simpleValue, 0.25)
        XCTAssertEqual(events[2].step, 7)
        XCTAssertEqual(events[2].values.first?.simpleValue, 0.125)
        let value = try XCTUnwrap(events[3].values.first)
        XCTAssertEqual(value.tag, "Image - S")
        XCTAssertEqual([value.imageWidth, value.imageHeight, value.imageColorspace], [3, 2, 3])
        // The PNG decodes back to the pixels.
        let png = folder + "/decoded.png"
        try Data(try XCTUnwrap(value.png)).write(to: URL(fileURLWithPath: png))
        XCTAssertEqual(try PNG.readRGB(atPath: png), image)
        // A second writer in the same second gets its own file.
        let other = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000, hostName: "testhost")
        XCTAssertNotEqual(other.path, writer.path)
    }

    func testPNGEncodeMatchesWrite() throws {
        let image = PixelImage(width: 5, height: 4, channels: 1, pixels: (0 ..< 20).map { UInt8($0 * 12) })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("enc-\(UUID().uuidString).png").path
        try PNG.write(image, toPath: path, compressionLevel: 3)
        XCTAssertEqual(try PNG.encode(image, compressionLevel: 3), Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        XCTAssertThrowsError(try PNG.encode(PixelImage(width: 1, height: 1, channels: 2, pixels: [0, 0])))
    }
}
