import Foundation
import XCTest
@testable import MTAFNet

/// The readers of outside input — the YAML config loader, the PNG and JPEG decoders, the
/// safetensors and `.pth` readers, the restricted unpickler — on thousands of mutated copies of
/// valid inputs (`ByteMutator`, fixed seeds): each input is either read, giving a consistent result, or refused with the reader's
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

    /// The `.pth` fixtures (zip and legacy containers): a mutated file is refused with a
    /// `PyTorchFileError` naming it (or, for a flipped value in legacy storage data, a non-finite
    /// value named by `SafeTensorsError`), or read with every tensor readable. The zip's central
    /// directory and the legacy pickles are where most mutations land.
    func testPyTorchReaderOnMutatedFixtures() throws {
        let tokens: [[UInt8]] = [[0x50, 0x4B, 0x01, 0x02], [0x50, 0x4B, 0x03, 0x04], [0x50, 0x4B, 0x05, 0x06],
                                 [0x50, 0x4B, 0x06, 0x06], [0x50, 0x4B, 0x06, 0x07], [0xFF, 0xFF, 0xFF, 0xFF],
                                 [0x80, 0x02], [0x63], [0x52], [0x51], [0x28], [0x74], [0x7D], [0x5D], [0x75], [0x65],
                                 [0x68, 0x00], [0x71, 0x00], [0x93], [0x8A, 0x08], [0x95], [0x2E], [0x62],
                                 Array("cos\nsystem\n".utf8), Array("ctorch\nFloatStorage\n".utf8)]
        var total = Outcome()
        for (index, name) in ["pth_views_zip", "pth_views_legacy", "pth_training_checkpoint_legacy",
                                              "pth_discriminator_ndf8_zip", "pth_discriminator_ndf8_legacy"].enumerated() {
            let original = try [UInt8](Data(contentsOf: fixturesDirectory.appendingPathComponent(name + ".pth")))
            XCTAssertNoThrow(try PyTorchCheckpoint.read(bytes: original, path: name))
            // The zip's central directory is at its end; the legacy pickles are at its start.
            let hot = name.hasSuffix("zip") ? max(0, original.count - 1600) ..< original.count : 0 ..< min(original.count, 1200)
            let outcome = try fuzz(seeds: [original], count: name.hasPrefix("pth_discriminator") ? 600 : 2000,
                                   mutator: ByteMutator(seed: 0x97 + UInt64(index), hot: hot, dictionary: tokens),
                                   path: name, writesFile: false,
                                   read: { bytes in
                                       let file = try PyTorchCheckpoint.read(bytes: bytes, path: name).file
                                       for key in file.names {
                                           let count = try file.floats(key).count
                                           XCTAssertEqual(count, try file.entry(key).count, key)
                                       }
                                   },
                                   isReaderError: { error in
                                       if error is PyTorchFileError { return true }
                                       if case .nonFinite? = error as? SafeTensorsError { return true }
                                       return false
                                   })
            total.accepted += outcome.accepted
            total.rejected += outcome.rejected
        }
        XCTAssertGreaterThan(total.rejected, 0)
        XCTAssertGreaterThan(total.accepted, 0)   // flips inside legacy storage data keep the file valid
    }

    /// The pickle streams alone (a zip's data.pkl and a legacy main pickle): the restricted
    /// unpickler reads or refuses each mutation with its own error, naming the stream.
    func testRestrictedUnpicklerOnMutatedStreams() throws {
        let zip = try [UInt8](Data(contentsOf: fixturesDirectory.appendingPathComponent("pth_views_zip.pth")))
        let archive = try ZipStoredArchive(bytes: zip, path: "pth_views_zip")
        let dataPickle = Array(try archive.contents("pth_views_zip/data.pkl"))
        let legacy = try [UInt8](Data(contentsOf: fixturesDirectory.appendingPathComponent("pth_discriminator_ndf8_legacy.pth")))
        var unpickler = RestrictedUnpickler(path: "legacy", fileLength: legacy.count)
        var start = 0
        for stream in ["magic", "version", "sys_info"] { start = try unpickler.load(legacy, from: start, stream: stream).end }
        let mainEnd = try unpickler.load(legacy, from: start, stream: "main").end
        let mainPickle = Array(legacy[start ..< mainEnd])
        let opcodes: [[UInt8]] = (Array(0x28 ... 0x7D) + Array(0x80 ... 0x98)).map { [UInt8($0)] } + [[0xFF, 0xFF, 0xFF, 0x7F]]
        var total = Outcome()
        for (index, seed) in [dataPickle, mainPickle].enumerated() {
            let outcome = try fuzz(seeds: [seed], count: 4000, mutator: ByteMutator(seed: 0x91C + UInt64(index), dictionary: opcodes),
                                   path: "data.pkl", writesFile: false,
                                   read: { bytes in
                                       var unpickler = RestrictedUnpickler(path: "x.pth", fileLength: 1 << 20)
                                       _ = try unpickler.load(bytes, from: 0, stream: "data.pkl")
                                   },
                                   isReaderError: { $0 is PyTorchFileError })
            total.accepted += outcome.accepted
            total.rejected += outcome.rejected
        }
        XCTAssertGreaterThan(total.rejected, 0)
        XCTAssertGreaterThan(total.accepted, 0)
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
