import Foundation
import XCTest
@testable import MTAFNet

/// `SafeTensorsFile` on thousands of corrupted copies of real fixture files: it either throws a
/// `SafeTensorsError` or returns entries whose byte ranges are consistent; it never crashes.
final class SafeTensorsFuzzTests: XCTestCase {
    func testCorruptedFixturesNeverCrash() throws {
        let names = ["op_conv_3x3d2", "loss_bce_label0", "data_preprocess_pil", "op_bn_train", "model_discriminator_ndf8"]
        var rng = RandomStream(seed: 0x5AFE)
        var accepted = 0
        var rejected = 0
        for name in names {
            let url = fixturesDirectory.appendingPathComponent(name + ".safetensors")
            let original = try [UInt8](Data(contentsOf: url))
            let headerEnd = 8 + Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(original[$1]) << (8 * UInt64($1)) })
            XCTAssertNoThrow(try SafeTensorsFile(bytes: original, path: name))
            for iteration in 0..<1600 {
                var bytes = original
                switch iteration % 4 {
                case 0:
                    // Truncate anywhere.
                    bytes.removeLast(1 + rng.nextInt(below: bytes.count))
                case 1:
                    // Flip 1–4 bytes in the header (most parsing decisions live there).
                    for _ in 0...rng.nextInt(below: 4) {
                        bytes[rng.nextInt(below: headerEnd)] ^= UInt8(1 + rng.nextInt(below: 255))
                    }
                case 2:
                    // Replace a header byte with a JSON-significant character.
                    let specials = Array("{}[],:\"-.0123456789e ".utf8)
                    bytes[8 + rng.nextInt(below: headerEnd - 8)] = specials[rng.nextInt(below: specials.count)]
                default:
                    // Flip anywhere, and sometimes truncate too.
                    for _ in 0...rng.nextInt(below: 8) {
                        bytes[rng.nextInt(below: bytes.count)] ^= UInt8(1 + rng.nextInt(below: 255))
                    }
                    if rng.nextInt(below: 2) == 0 { bytes.removeLast(rng.nextInt(below: 64)) }
                }
                do {
                    let file = try SafeTensorsFile(bytes: bytes, path: name)
                    accepted += 1
                    try checkConsistent(file, fileSize: bytes.count)
                } catch is SafeTensorsError {
                    rejected += 1
                }
            }
        }
        XCTAssertGreaterThan(rejected, 0)
        XCTAssertGreaterThan(accepted, 0)   // flips inside tensor data keep the file valid
    }

    /// Every entry's range matches its size, lies in the data section, and can be read.
    private func checkConsistent(_ file: SafeTensorsFile, fileSize: Int) throws {
        var covered = 0
        for name in file.names {
            let entry = try file.entry(name)
            XCTAssertEqual(entry.dataRange.count, entry.count * entry.dtype.byteSize, name)
            XCTAssertEqual(entry.dataRange.lowerBound, covered, name)
            covered = entry.dataRange.upperBound
            let values = try file.floats(name)
            XCTAssertEqual(values.count, entry.count)
        }
        XCTAssertEqual(covered, file.data.count)
        XCTAssertLessThanOrEqual(covered, fileSize)
    }
}
