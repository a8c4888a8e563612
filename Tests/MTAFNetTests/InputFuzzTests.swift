import Foundation
import XCTest
@testable import MTAFNet

/// The readers of outside input — the YAML config loader, the PNG and JPEG decoders, the
/// safetensors reader — on thousands of mutated copies of valid inputs (`ByteMutator`, fixed
/// seeds): each input is either read, giving a consistent result, or refused with the reader's
/// own error naming the file; nothing crashes, and no input takes more than a few seconds.
/// `scripts/test` runs this suite under an address-space cap, so an input that makes a reader
/// allocate without bound fails it too.
final class InputFuzzTests: XCTestCase {
    /// The slowest single input allowed (seconds; generous for a loaded machine).
    private static let slowest = 5.0

    /// What a fuzz run found.
    private struct Outcome {
        var accepted = 0
        var rejected = 0
    }

    /// Feeds `count` mutations of each seed to `read`.
    ///
    /// - Parameters:
    ///   - seeds: Valid inputs.
    ///   - path: Where a file-based reader finds the input (written before each call); errors
    ///     must name it, or otherwise say what is wrong where (`isClear`).
    ///   - read: Reads the input (from `path` or from the bytes) and checks what it got.
    ///   - isReaderError: Whether an error is the reader's own kind.
    private func fuzz(seeds: [[UInt8]], count: Int, mutator: ByteMutator, path: String, writesFile: Bool,
                      read: ([UInt8]) throws -> Void, isReaderError: (any Error) -> Bool,
                      isClear: ((String) -> Bool)? = nil) throws -> Outcome {
        var mutator = mutator
        var outcome = Outcome()
        var slowest = 0.0
        for seed in seeds {
            for _ in 0 ..< count {
                let bytes = mutator.mutate(seed)
                if writesFile { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
                let start = Date()
                do {
                    try read(bytes)
                    outcome.accepted += 1
                } catch {
                    outcome.rejected += 1
                    guard isReaderError(error), isClear?("\(error)") ?? "\(error)".contains(path) else {
                        try? Data(bytes).write(to: URL(fileURLWithPath: path + ".failing"))
                        XCTFail("\(error) (\(type(of: error))) is not a clear error of the reader about \(path); "
                                + "input kept as \(path).failing")
                        return outcome
                    }
                }
                slowest = max(slowest, Date().timeIntervalSince(start))
            }
        }
        XCTAssertLessThan(slowest, Self.slowest)
        return outcome
    }

    func testConfigLoaderOnMutatedYAML() throws {
        let folder = try makeTemporaryDirectory(self)
        let anchors = Array("""
            TRAIN:
              INPUT_SIZE_SOURCE: &size [160, 80]
              INPUT_SIZE_TARGET: *size
              SET_TARGET: &sets [train, train, train]
            TEST: {SET_TARGET: *sets, MODE: "best"}
            DIST: {THREADS_PER_RANK: 0x1}
            """.utf8)
        let shipped = try ["synthetic_mdis", "synthetic_mtkt"].map {
            try [UInt8](Data(contentsOf: URL(fileURLWithPath: ConfigTests.path($0 + ".yml"))))
        }
        let tokens = ["&a ", "*a", "[", "]", "{", "}", ",", ": ", "- ", "\n", "\n  ", "'", "\"", "!!str ", "!x ",
                      "<<: ", "? ", "|", ">", "#", "%YAML 1.1\n", "---\n", "...\n", "\t", "~", "1e400", "0o17", "\u{FEFF}"]
        let path = folder + "/fuzz.yml"
        let outcome = try fuzz(seeds: shipped + [anchors], count: 1200,
                               mutator: ByteMutator(seed: 0xC0F16, dictionary: tokens.map { Array($0.utf8) }),
                               path: path, writesFile: true,
                               read: { _ in _ = try MTAFConfig.load(file: path) },
                               isReaderError: { $0 is ConfigError },
                               // Checks of the merged values (file and --set) name the key instead.
                               isClear: { $0.contains(path) || $0.hasPrefix("config key ") })
        XCTAssertGreaterThan(outcome.rejected, 0)
        XCTAssertGreaterThan(outcome.accepted, 0)
    }

    func testPNGReadersOnMutatedFiles() throws {
        let folder = try makeTemporaryDirectory(self)
        var stream = RandomStream(seed: 3)
        let rgb = PixelImage(width: 13, height: 7, channels: 3,
                             pixels: (0 ..< 13 * 7 * 3).map { _ in UInt8(stream.nextInt(below: 256)) })
        try PNG.write(rgb, toPath: folder + "/rgb.png")
        try PNG.write(LabelImage(width: 9, height: 5, values: (0 ..< 45).map { Int32($0 % 7) }), toPath: folder + "/labels.png")
        let seeds = try ["rgb", "labels"].map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/\($0).png"))) }
        let chunks = ["IHDR", "IDAT", "IEND", "PLTE", "tRNS"].map { Array($0.utf8) } + [[0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF]]
        let path = folder + "/fuzz.png"
        let outcome = try fuzz(seeds: seeds, count: 4000, mutator: ByteMutator(seed: 0x916, hot: 0 ..< 40, dictionary: chunks),
                               path: path, writesFile: true,
                               read: { _ in
                                   let image = try PNG.readRGB(atPath: path)
                                   XCTAssertEqual(image.pixels.count, image.width * image.height * 3)
                                   let labels = try PNG.readLabels(atPath: path)
                                   XCTAssertEqual(labels.values.count, labels.width * labels.height)
                               },
                               isReaderError: { $0 is DataError })
        XCTAssertGreaterThan(outcome.rejected, 0)
        XCTAssertGreaterThan(outcome.accepted, 0)
    }

    func testJPEGReaderOnMutatedFiles() throws {
        let folder = try makeTemporaryDirectory(self)
        let markers: [[UInt8]] = [[0xFF, 0xD8], [0xFF, 0xD9], [0xFF, 0xDA], [0xFF, 0xC0], [0xFF, 0xC4], [0xFF, 0xDB],
                                  [0xFF, 0xD0], [0xFF, 0xDD], [0xFF, 0x00], [0xFF, 0xFF]]
        let path = folder + "/fuzz.jpg"
        let outcome = try fuzz(seeds: [[UInt8](PNGTests.pillowJPEG)], count: 5000,
                               mutator: ByteMutator(seed: 0x1F, dictionary: markers), path: path, writesFile: true,
                               read: { _ in
                                   let image = try JPEG.readRGB(atPath: path)
                                   XCTAssertEqual(image.pixels.count, image.width * image.height * 3)
                               },
                               isReaderError: { $0 is DataError })
        XCTAssertGreaterThan(outcome.rejected, 0)
        XCTAssertGreaterThan(outcome.accepted, 0)   // flipped bits in the coefficients can still decode
    }

    /// Real fixture files: a mutated file is refused with a `SafeTensorsError` or read with every
    /// entry's byte range consistent and readable.
    func testSafeTensorsReaderOnMutatedFixtures() throws {
        let names = ["op_conv_3x3d2", "loss_bce_label0", "data_preprocess_pil", "op_bn_train", "model_discriminator_ndf8"]
        let json = Array("{}[],:\"-.0123456789e ".utf8).map { [$0] }
        var total = Outcome()
        for (index, name) in names.enumerated() {
            let original = try [UInt8](Data(contentsOf: fixturesDirectory.appendingPathComponent(name + ".safetensors")))
            let headerEnd = 8 + Int((0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(original[$1]) << (8 * UInt64($1)) })
            XCTAssertNoThrow(try SafeTensorsFile(bytes: original, path: name))
            let outcome = try fuzz(seeds: [original], count: 3000,
                                   mutator: ByteMutator(seed: 0x5AFE + UInt64(index), hot: 0 ..< headerEnd, dictionary: json),
                                   path: name, writesFile: false,
                                   read: { bytes in try checkConsistent(try SafeTensorsFile(bytes: bytes, path: name), fileSize: bytes.count) },
                                   isReaderError: { $0 is SafeTensorsError })
            total.accepted += outcome.accepted
            total.rejected += outcome.rejected
        }
        XCTAssertGreaterThan(total.rejected, 0)
        XCTAssertGreaterThan(total.accepted, 0)   // flips inside tensor data keep the file valid
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
