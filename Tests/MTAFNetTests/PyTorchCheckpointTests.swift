// Reading `.pth` files without PyTorch: the torch.save fixtures (zip, legacy, DataParallel; see
// Fixtures/README.md) against the safetensors fixtures they were made from, views and dtypes,
// the ImageNet rule (spec §2.8) on a legacy file, and refusals of what torch.load(weights_only=True)
// refuses, on pickles built byte by byte here.

import Distributed
import Foundation
import XCTest
@testable import MTAFNet

final class PyTorchCheckpointTests: XCTestCase {
    private func fixture(_ name: String) -> String { fixturesDirectory.appendingPathComponent(name).path }

    private func bits(_ tensor: Tensor) -> [UInt32] { tensor.withUnsafeBufferPointer { $0.map(\.bitPattern) } }

    /// `prefix`-prefixed tensors of a safetensors fixture, by key without the prefix.
    private func reference(_ name: String, prefix: String) throws -> [String: Tensor] {
        let file = try SafeTensorsFile(contentsOf: fixture(name + ".safetensors"))
        var out: [String: Tensor] = [:]
        for key in file.names where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = try file.tensor(key) }
        return out
    }

    func testDiscriminatorFilesHoldTheFixtureValuesInEveryFormat() throws {
        let expected = try reference("model_discriminator_ndf8", prefix: "param.")
        XCTAssertEqual(expected.count, 10)
        for (name, format) in [("zip", CheckpointReader.Format.pytorchZip), ("legacy", .pytorchLegacy), ("dataparallel", .pytorchZip)] {
            let path = fixture("pth_discriminator_ndf8_\(name).pth")
            XCTAssertEqual(try CheckpointReader.format(of: path), format, name)
            var notes: [String] = []
            let file = try CheckpointReader.read(contentsOf: path, note: { notes.append($0) })
            XCTAssertEqual(Set(file.names), Set(expected.keys), name)
            for (key, tensor) in expected {
                let loaded = try file.tensor(key)
                XCTAssertEqual(loaded.shape, tensor.shape, "\(name) \(key)")
                XCTAssertEqual(bits(loaded), bits(tensor), "\(name) \(key)")
            }
            XCTAssertEqual(notes, name == "dataparallel"
                ? ["\(path): every key starts with 'module.' (saved from nn.DataParallel); loading the keys without it"] : [])
        }
        XCTAssertEqual(try CheckpointReader.format(of: fixture("model_discriminator_ndf8.safetensors")), .safetensors)
    }

    /// The DeepLab files load strictly into the model they were saved from: every parameter and
    /// statistic bit for bit, every num_batches_tracked (int64) as saved.
    func testDeepLabFilesLoadIntoTheModel() throws {
        let expected = try reference("train_source_only", prefix: "init.seg.")
        for name in ["zip", "legacy", "dataparallel"] {
            let model = DeepLabV2(DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 4, classes: 7), random: RandomStream(seed: 9))
            try ModelCheckpoint.load(model.stateDict, from: fixture("pth_deeplabv2_w4_\(name).pth"))
            var checked = 0
            for entry in model.stateDict.entries {
                switch entry.slot {
                case let .floats(store, id):
                    let values = store.withValues(id) { $0.map(\.bitPattern) }
                    XCTAssertEqual(values, bits(try XCTUnwrap(expected[entry.key], entry.key)), "\(name) \(entry.key)")
                    checked += 1
                case let .counter(bn):
                    XCTAssertEqual(bn.numBatchesTracked, 5, "\(name) \(entry.key)")
                }
            }
            XCTAssertEqual(checked, expected.count, name)
        }
    }

    func testViewsAndDTypes() throws {
        for format in ["zip", "legacy", "protocol4_zip", "protocol4_legacy"] {
            let file = try CheckpointReader.read(contentsOf: fixture("pth_views_\(format).pth"), note: { _ in })
            func values(_ key: String) throws -> [Float] { try file.tensor(key).withUnsafeBufferPointer { Array($0) } }
            XCTAssertEqual(file.names, ["transposed", "base", "block", "every_other", "double", "half", "bfloat",
                                        "count", "scalar", "empty"], format)
            XCTAssertEqual(try file.tensor("transposed").shape, [6, 4])
            XCTAssertEqual(try values("transposed"), (0 ..< 6).flatMap { j in (0 ..< 4).map { i in Float(6 * i + j) } }, format)
            XCTAssertEqual(try values("base"), (0 ..< 24).map(Float.init), format)
            XCTAssertEqual(try values("block"), [8, 9, 10, 14, 15, 16], format)
            XCTAssertEqual(try values("every_other"), (0 ..< 4).flatMap { i in (0 ..< 3).map { k in Float(6 * i + 2 * k) } }, format)
            XCTAssertEqual(try values("double"), [Float(0.1 as Double), -2.5, Float(1e-3 as Double)], format)
            XCTAssertEqual(try values("half"), [1.5, -0.25, 65504], format)
            XCTAssertEqual(try values("bfloat"), [1, -3, 0.0078125], format)
            XCTAssertEqual(file.entries["count"]?.dtype, .i64)
            XCTAssertEqual(try file.int64s("count").shape, [])
            XCTAssertEqual(try file.int64s("count").values, [7])
            XCTAssertEqual(try file.tensor("scalar").shape, [])
            XCTAssertEqual(try values("scalar"), [2.5])
            XCTAssertEqual(try file.tensor("empty").shape, [0, 3])
        }
    }

    /// A real training checkpoint dict (torch.save of state_dict, SGD optimizer state, epoch,
    /// strings, lists, None, bytes): its `state_dict` entry, with the values the generator set.
    func testTrainingCheckpointDictLoadsItsStateDict() throws {
        for format in ["zip", "legacy"] {
            let path = fixture("pth_training_checkpoint_\(format).pth")
            var notes: [String] = []
            let file = try CheckpointReader.read(contentsOf: path, note: { notes.append($0) })
            XCTAssertEqual(notes, ["\(path): the checkpoint is a dict; loading its 'state_dict' entry"])
            XCTAssertEqual(file.names, ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                        "1.num_batches_tracked"], format)
            func values(_ key: String) throws -> [Float] { try file.tensor(key).withUnsafeBufferPointer { Array($0) } }
            XCTAssertEqual(try file.tensor("0.weight").shape, [4, 3, 3, 3])
            XCTAssertEqual(try values("0.weight"), (0 ..< 108).map { Float(Double($0) / 100) }, format)
            XCTAssertEqual(try values("0.bias"), [0.5, -0.5, 1.5, -1.5], format)
            XCTAssertEqual(try values("1.weight"), [1, 2, 3, 4], format)
            XCTAssertEqual(try values("1.bias"), [-1, -2, -3, -4], format)
            XCTAssertEqual(try values("1.running_mean"), [0, 0.1, 0.2, 0.3], format)
            XCTAssertEqual(try values("1.running_var"), [1, 1.5, 2, 2.5], format)
            XCTAssertEqual(try file.int64s("1.num_batches_tracked").values, [1], format)
        }
    }

    func testHalfPrecisionConversionIsExact() {
        XCTAssertEqual(TensorGather.halfToFloat(0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        XCTAssertEqual(TensorGather.halfToFloat(0x8000).sign, .minus)
        XCTAssertEqual(TensorGather.halfToFloat(0x7C00), .infinity)
        XCTAssertTrue(TensorGather.halfToFloat(0x7E00).isNaN)
        XCTAssertEqual(TensorGather.halfToFloat(0x3555), 0.333251953125)
    }

    /// Upstream's rule on a legacy file named like upstream's: `Scale.` dropped, layer5 keys
    /// skipped, layer6 (absent from the file) keeps the model's own values.
    func testImageNetRuleOnALegacyFile() throws {
        let folder = try makeTemporaryDirectory(self)
        let path = folder + "/DeepLab_resnet_pretrained_imagenet.pth"
        try FileManager.default.copyItem(atPath: fixture("pth_imagenet_w4_legacy.pth"), toPath: path)
        let expected = try reference("train_source_only", prefix: "init.seg.")
        let model = DeepLabV2(DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 4, classes: 7), random: RandomStream(seed: 3))
        var own: [String: [UInt32]] = [:]
        for entry in model.stateDict.entries {
            if case let .floats(store, id) = entry.slot { own[entry.key] = store.withValues(id) { $0.map(\.bitPattern) } }
        }
        try ModelCheckpoint.restore(model.stateDict, from: path)
        for entry in model.stateDict.entries {
            switch entry.slot {
            case let .floats(store, id):
                let values = store.withValues(id) { $0.map(\.bitPattern) }
                if entry.key.hasPrefix("layer5.") || entry.key.hasPrefix("layer6.") {
                    XCTAssertEqual(values, own[entry.key], entry.key)
                } else {
                    XCTAssertEqual(values, bits(try XCTUnwrap(expected[entry.key])), entry.key)
                }
            case let .counter(bn):
                XCTAssertEqual(bn.numBatchesTracked, 5, entry.key)
            }
        }
        // The same file under another name is a strict load: every key unexpected.
        let plain = folder + "/init.pth"
        try FileManager.default.copyItem(atPath: path, toPath: plain)
        XCTAssertThrowsError(try ModelCheckpoint.restore(model.stateDict, from: plain)) {
            guard case let .keyMismatch(_, _, unexpected, _)? = $0 as? CheckpointError else { return XCTFail("\($0)") }
            XCTAssertTrue(unexpected.contains("Scale.conv1.weight"))
        }
    }

    /// Under the ImageNet rule the keys are taken as stored, exactly as upstream: a DataParallel
    /// file's `module.` is the first component the rule drops, and `module.layer5.*` is skipped.
    func testImageNetRuleOnADataParallelFileDropsModuleAsItsFirstComponent() throws {
        let path = try makeTemporaryDirectory(self) + "/DeepLab_resnet_pretrained_imagenet.pth"
        try FileManager.default.copyItem(atPath: fixture("pth_deeplabv2_w4_dataparallel.pth"), toPath: path)
        let expected = try reference("train_source_only", prefix: "init.seg.")
        let model = DeepLabV2(DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 4, classes: 7), random: RandomStream(seed: 4))
        var own: [String: [UInt32]] = [:]
        for entry in model.stateDict.entries {
            if case let .floats(store, id) = entry.slot { own[entry.key] = store.withValues(id) { $0.map(\.bitPattern) } }
        }
        try ModelCheckpoint.restore(model.stateDict, from: path)
        for entry in model.stateDict.entries {
            guard case let .floats(store, id) = entry.slot else { continue }
            let values = store.withValues(id) { $0.map(\.bitPattern) }
            XCTAssertEqual(values, entry.key.hasPrefix("layer5.") ? own[entry.key] : bits(try XCTUnwrap(expected[entry.key])), entry.key)
        }
    }

    // MARK: Zip64

    private func u32(_ bytes: [UInt8], _ at: Int) -> Int { (0 ..< 4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
    private func u64(_ bytes: [UInt8], _ at: Int) -> Int { (0 ..< 8).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }

    /// The views zip rewritten as a writer does for files over 4 GiB: every central-directory
    /// entry's sizes and local-header offset saturated (0xFFFFFFFF) with the real values in a
    /// zip64 extra field (0x0001). `extraField: false` leaves the extra field out.
    private func zip64Variant(extraField: Bool) throws -> [UInt8] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("pth_views_zip.pth"))))
        let end = bytes.count - 22, locator = end - 20, record = u64(bytes, locator + 8)
        let directoryStart = u64(bytes, record + 48), directorySize = u64(bytes, record + 40)
        var directory: [UInt8] = []
        var position = directoryStart
        while position < directoryStart + directorySize {
            let nameLength = Int(bytes[position + 28]) | Int(bytes[position + 29]) << 8
            let extraLength = Int(bytes[position + 30]) | Int(bytes[position + 31]) << 8
            let commentLength = Int(bytes[position + 32]) | Int(bytes[position + 33]) << 8
            var header = Array(bytes[position ..< position + 46])
            let values = [u32(bytes, position + 24), u32(bytes, position + 20), u32(bytes, position + 42)]
            for field in [20, 24, 42] { header.replaceSubrange(field ..< field + 4, with: [0xFF, 0xFF, 0xFF, 0xFF]) }
            var zip64: [UInt8] = []
            if extraField {
                zip64 = [0x01, 0x00, 24, 0x00]
                for value in values { zip64 += le(value, 8) }
            }
            header.replaceSubrange(30 ..< 32, with: le(extraLength + zip64.count, 2))
            let nameStart = position + 46, commentStart = nameStart + nameLength + extraLength
            directory += header
            directory += bytes[nameStart ..< commentStart]
            directory += zip64
            directory += bytes[commentStart ..< commentStart + commentLength]
            position = commentStart + commentLength
        }
        var tail = Array(bytes[(directoryStart + directorySize)...])   // zip64 record, locator, end record
        let growth = directory.count - directorySize
        let recordInTail = record - (directoryStart + directorySize), locatorInTail = locator - (directoryStart + directorySize)
        tail.replaceSubrange(recordInTail + 40 ..< recordInTail + 48, with: le(directory.count, 8))
        tail.replaceSubrange(locatorInTail + 8 ..< locatorInTail + 16, with: le(record + growth, 8))
        let endInTail = tail.count - 22
        tail.replaceSubrange(endInTail + 12 ..< endInTail + 16, with: le(directory.count, 4))
        return Array(bytes[..<directoryStart]) + directory + tail
    }

    func testZip64SizesAndOffsetsAreHonoured() throws {
        let expected = try CheckpointReader.read(contentsOf: fixture("pth_views_zip.pth"), note: { _ in })
        let file = try PyTorchCheckpoint.read(bytes: try zip64Variant(extraField: true), path: "zip64.pth").file
        XCTAssertEqual(file.names, expected.names)
        for name in expected.names where expected.entries[name]!.dtype.isFloat {
            XCTAssertEqual(bits(try file.tensor(name)), bits(try expected.tensor(name)), name)
        }
        XCTAssertThrowsError(try PyTorchCheckpoint.read(bytes: try zip64Variant(extraField: false), path: "zip64.pth")) {
            XCTAssertEqual("\($0)", "zip64.pth: not a readable PyTorch zip checkpoint: central directory entry 0: "
                           + "'pth_views_zip/data.pkl': 32-bit sizes are saturated but there is no zip64 extra field")
        }
    }

    // MARK: Hand-built pickles

    private func le(_ value: Int, _ count: Int) -> [UInt8] { (0 ..< count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    private func pickle(_ body: [UInt8]) -> [UInt8] { [0x80, 0x02] + body + [0x2E] }
    private func text(_ string: String) -> [UInt8] { let utf8 = Array(string.utf8); return [0x58] + le(utf8.count, 4) + utf8 }
    private func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    private func int(_ value: Int) -> [UInt8] { [0x4A] + le(value, 4) }

    /// `_rebuild_tensor_v2` of float32 storage `key` (`count` elements): offset, sizes, strides.
    private func tensor(key: String, count: Int, offset: Int = 0, size: [Int], stride: [Int]) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + [0x28, 0x28] + text("storage") + global("torch", "FloatStorage")
            + text(key) + text("cpu") + int(count) + [0x74, 0x51] + int(offset)
            + [0x28] + size.flatMap(int) + [0x74] + [0x28] + stride.flatMap(int) + [0x74]
            + [0x89, 0x7D, 0x74, 0x52]
    }

    /// A legacy-format file: magic, protocol version, sys_info, `main`, the keys, the storages.
    /// `bigEndian`: sys_info says `little_endian: False` and the elements are stored big-endian
    /// (the element counts stay little-endian, as torch writes them).
    private func legacyFile(main: [UInt8], storages: [(key: String, values: [Float])], bigEndian: Bool = false) -> [UInt8] {
        var out = pickle([0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
        out += pickle([0x4D, 0xE9, 0x03]) + pickle([0x7D] + text("little_endian") + [bigEndian ? 0x89 : 0x88, 0x73]) + main
        out += pickle([0x5D, 0x28] + storages.flatMap { text($0.key) } + [0x65])
        for storage in storages {
            out += le(storage.values.count, 8)
            for value in storage.values {
                let bytes = le(Int(value.bitPattern), 4)
                out += bigEndian ? bytes.reversed() : bytes
            }
        }
        return out
    }

    func testBigEndianLegacyStorages() throws {
        let main = pickle([0x7D] + text("w") + tensor(key: "0", count: 4, size: [2, 2], stride: [1, 2]) + [0x73])
        let path = try write(legacyFile(main: main, storages: [("0", [1, -2, 3.5, 1e-3])], bigEndian: true), "big.pth")
        let file = try CheckpointReader.read(contentsOf: path, note: { _ in })
        XCTAssertEqual(try file.tensor("w").withUnsafeBufferPointer { Array($0) }, [1, 3.5, -2, 1e-3])
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = try makeTemporaryDirectory(self) + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A training checkpoint dict: its `state_dict` entry is loaded; the storage of another entry
    /// (optimizer state), stored before ours, is stepped over.
    func testHandBuiltLegacyFileAndWrappedStateDict() throws {
        let weights = tensor(key: "7", count: 4, offset: 1, size: [3], stride: [1])
        let moment = tensor(key: "3", count: 2, size: [2], stride: [1])
        let main = pickle([0x7D, 0x28] + text("state_dict") + [0x7D, 0x28] + text("w") + weights + [0x75]
                          + text("optimizer") + [0x7D, 0x28] + text("m") + moment + [0x75]
                          + text("epoch") + int(3) + [0x75])
        let path = try write(legacyFile(main: main, storages: [("3", [9, 9]), ("7", [1, 2, 3, 4])]), "wrapped.pth")
        var notes: [String] = []
        let file = try CheckpointReader.read(contentsOf: path, note: { notes.append($0) })
        XCTAssertEqual(file.names, ["w"])
        XCTAssertEqual(try file.tensor("w").withUnsafeBufferPointer { Array($0) }, [2, 3, 4])
        XCTAssertEqual(notes, ["\(path): the checkpoint is a dict; loading its 'state_dict' entry"])
    }

    /// An `os.system` GLOBAL + REDUCE (what a malicious `.pth` runs under plain torch.load) is
    /// refused before anything is called, naming the file, the stream and the global.
    func testMaliciousPickleIsRefused() throws {
        let attack = pickle(global("os", "system") + text("touch /tmp/owned") + [0x85, 0x52])
        let path = try write(legacyFile(main: attack, storages: []), "evil.pth")
        XCTAssertThrowsError(try CheckpointReader.read(contentsOf: path, note: { _ in })) {
            guard case let .pytorch(.forbiddenGlobal(file, stream, _, name))? = $0 as? CheckpointError else { return XCTFail("\($0)") }
            XCTAssertEqual([file, stream, name], [path, "main pickle", "os.system"])
            // Legacy offsets count from the file's start: the main pickle follows 45 bytes of headers.
            XCTAssertTrue("\($0)".hasPrefix("\(path): pickle main pickle at byte 47: refused global 'os.system'"), "\($0)")
        }
        XCTAssertThrowsError(try ModelCheckpoint.load(FCDiscriminator(inChannels: 7, ndf: 8, random: RandomStream(seed: 1)).stateDict,
                                                      from: path)) {
            XCTAssertTrue("\($0)".contains("refused global 'os.system'"), "\($0)")
        }
        // STACK_GLOBAL spells it differently; builtins.eval is as forbidden.
        var unpickler = RestrictedUnpickler(path: "x.pth", fileLength: 100)
        XCTAssertThrowsError(try unpickler.load(pickle(text("builtins") + text("eval") + [0x93]), from: 0, stream: "s")) {
            XCTAssertEqual($0 as? PyTorchFileError, .forbiddenGlobal(path: "x.pth", stream: "s", offset: 24, name: "builtins.eval"))
        }
    }

    /// Malformed streams: each refused with the opcode and offset, nothing allocated from a
    /// declared length.
    /// A file of no format we read (a gzip-compressed .pth, plain text) is named as such, with
    /// its first bytes, not reported as a broken safetensors header.
    func testAFileOfNoKnownFormatIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unknown-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, bytes, first) in [("gzip.pth", [UInt8]([0x1f, 0x8b, 8, 8]) + Array(repeating: 7, count: 60), "1f 8b 08 08"),
                                     ("hello.pth", Array("hello".utf8), "68 65 6c 6c 6f")] {
            let path = directory.appendingPathComponent(name).path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            XCTAssertThrowsError(try CheckpointReader.read(contentsOf: path)) { error in
                guard case let .unknownFormat(errorPath, firstBytes, _)? = error as? CheckpointError else {
                    return XCTFail("\(name): \(error)")
                }
                XCTAssertEqual(errorPath, path)
                XCTAssertTrue(firstBytes.hasPrefix(first), firstBytes)
                XCTAssertTrue("\(error)".contains("neither a PyTorch file"), "\(error)")
            }
        }
    }

    func testMalformedPicklesAreRefusedClearly() {
        func error(_ bytes: [UInt8]) -> String {
            var unpickler = RestrictedUnpickler(path: "x.pth", fileLength: bytes.count)
            do {
                _ = try unpickler.load(bytes, from: 0, stream: "data.pkl")
                return "accepted"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(error(pickle(text("a") + text("b") + [0x85, 0x52])),
                       "x.pth: pickle data.pkl at byte 15: opcode REDUCE (0x52): calling a str is not allowed")
        XCTAssertEqual(error(pickle([0xFF])), "x.pth: pickle data.pkl at byte 2: opcode ? (0xff): unknown opcode")
        XCTAssertEqual(error(pickle([0x81])), "x.pth: pickle data.pkl at byte 2: opcode NEWOBJ (0x81): opcode NEWOBJ is not allowed")
        XCTAssertEqual(error([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x61]),
                       "x.pth: pickle data.pkl at byte 2: opcode BINUNICODE (0x58): length 2147483647 runs past the end of the stream (1 bytes left)")
        XCTAssertEqual(error([0x80, 0x02, 0x4E]), "x.pth: pickle data.pkl at byte 3: opcode: needs 1 bytes, 0 left (truncated stream)")
        XCTAssertEqual(error(pickle([0x68, 0x05])), "x.pth: pickle data.pkl at byte 2: opcode BINGET (0x68): memo entry 5 was never stored")
        XCTAssertEqual(error(pickle([0x61])), "x.pth: pickle data.pkl at byte 2: opcode APPEND (0x61): stack underflow")
        XCTAssertEqual(error(pickle(global("torch", "FloatTensor"))),
                       "x.pth: pickle data.pkl at byte 2: refused global 'torch.FloatTensor': only tensors, storages, "
                       + "OrderedDicts and plain values may be loaded (torch.load weights_only semantics)")
        // torch.Size (older torch's sizes) is a tuple of ints.
        var unpickler = RestrictedUnpickler(path: "x.pth", fileLength: 100)
        let size = try? unpickler.load(pickle(global("torch", "Size") + [0x28] + int(2) + int(3) + [0x74, 0x85, 0x52]),
                                       from: 0, stream: "s").value
        guard case let .tuple(id)? = size else { return XCTFail("torch.Size gave \(String(describing: size))") }
        XCTAssertEqual(unpickler.arena.tuples[id].map { if case let .int(n) = $0 { return n } else { return -1 } }, [2, 3])
        // Deeply nested tuples cost no recursion.
        XCTAssertEqual(error(pickle([0x4E] + [UInt8](repeating: 0x85, count: 200_000))), "accepted")
    }

    func testViewsOutsideTheirStorageAreRefused() throws {
        let cases: [(tensor: [UInt8], message: String)] = [
            (tensor(key: "0", count: 3, offset: 1, size: [3], stride: [1]),
             "tensor 'w': offset 1, size [3], stride [1] reaches element 3 of a storage of 3 float32 elements"),
            (tensor(key: "0", count: 3, size: [1000, 1000], stride: [0, 0]),
             "tensor 'w': offset 0, size [1000, 1000], stride [0, 0] has 1000000 elements, more than its storage's 3 (an overlapping view)"),
            (tensor(key: "0", count: 3, size: [2], stride: [-1]), "tensor 'w': offset 0, size [2], stride [-1]: negative values"),
            (tensor(key: "0", count: 5, size: [3], stride: [1]), "storage '0': the pickle declares 5 elements, the data holds 3"),
        ]
        for (tensor, message) in cases {
            let path = try write(legacyFile(main: pickle([0x7D] + text("w") + tensor + [0x73]), storages: [("0", [1, 2, 3])]), "view.pth")
            XCTAssertThrowsError(try CheckpointReader.read(contentsOf: path, note: { _ in })) {
                XCTAssertEqual("\($0)", "\(path): \(message)")
            }
        }
    }

    // MARK: The command line

    /// `mtaf-mpi convert` writes exactly the fixture's values (the DataParallel prefix dropped).
    func testConvertCommandWritesTheFixtureValues() throws {
        let folder = try makeTemporaryDirectory(self)
        let expected = try reference("model_discriminator_ndf8", prefix: "param.")
        for name in ["zip", "legacy", "dataparallel"] {
            let output = folder + "/\(name).safetensors"
            let result = try run(["convert", fixture("pth_discriminator_ndf8_\(name).pth"), output])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("-> \(output): 10 tensors (10 F32, 0 I64)"), result.stdout)
            let file = try SafeTensorsFile(contentsOf: output)
            XCTAssertEqual(Set(file.names), Set(expected.keys))
            for (key, tensor) in expected { XCTAssertEqual(bits(try file.tensor(key)), bits(tensor), "\(name) \(key)") }
        }
        let refused = try run(["convert", try write(legacyFile(main: pickle(global("os", "system")), storages: []), "evil.pth"),
                               folder + "/evil.safetensors"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("refused global 'os.system'"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/evil.safetensors"))
    }

    /// `mtaf-mpi test --set TEST.RESTORE_FROM=<.pth>` scores exactly as the same weights in safetensors.
    func testTestCommandEvaluatesPthFiles() throws {
        let root = TinyBenchmark.generate(sourceImages: 2, targetTrainImages: 1, targetValImages: 1)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The reference: the same weights written from the safetensors fixture, without the .pth reader.
        var tensors: [String: SafeTensors.Value] = [:]
        for (key, tensor) in try reference("train_source_only", prefix: "init.seg.") {
            tensors[key] = .f32(tensor)
            if key.hasSuffix(".running_var") {
                tensors[String(key.dropLast("running_var".count)) + "num_batches_tracked"] = .i64(shape: [], values: [5])
            }
        }
        let safetensors = root + "/reference.safetensors"
        try SafeTensors.write(tensors, to: safetensors)
        let settings = try TinyBenchmark.config(root: root, framework: "SourceOnly", snapshots: root + "/snapshots",
                                                overrides: ["TEST.MODE=single", "TEST.RESTORE_FROM=[\(safetensors)]"])
        let config = root + "/test.yml"
        try settings.write(to: config)
        var stderr = ""
        func scores(_ checkpoint: String) throws -> String {
            let json = root + "/\(UUID().uuidString).json"
            let result = try run(["test", "--cfg", config, "--set", "TEST.RESTORE_FROM=[\(checkpoint)]", "--out", root, "--json", json])
            XCTAssertEqual(result.status, 0, result.stderr)
            stderr = result.stderr
            let records = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [[String: Any]])
            XCTAssertEqual(records.first?["checkpoint"] as? String, checkpoint)
            let targets = try XCTUnwrap(records.first?["targets"])
            return String(decoding: try JSONSerialization.data(withJSONObject: targets, options: .sortedKeys), as: UTF8.self)
        }
        let expected = try scores(safetensors)
        XCTAssertTrue(expected.contains("miou"), expected)
        for name in ["zip", "legacy", "dataparallel"] {
            let path = fixture("pth_deeplabv2_w4_\(name).pth")
            XCTAssertEqual(try scores(path), expected, name)
            let note = "\(path): every key starts with 'module.' (saved from nn.DataParallel); loading the keys without it"
            XCTAssertEqual(stderr.components(separatedBy: note).count - 1, name == "dataparallel" ? 1 : 0, stderr)
        }
    }

    /// Best mode over a folder of upstream's `model_<i>.pth` snapshots reads them too, and a
    /// `.safetensors` snapshot of the same iteration comes first.
    func testBestModeScansPthSnapshots() throws {
        let root = TinyBenchmark.generate(sourceImages: 2, targetTrainImages: 1, targetValImages: 1)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let snapshots = root + "/snapshots"
        try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture("pth_deeplabv2_w4_legacy.pth"), toPath: snapshots + "/model_2.pth")
        try FileManager.default.copyItem(atPath: fixture("pth_deeplabv2_w4_zip.pth"), toPath: snapshots + "/model_4.pth")
        try CheckpointConversion.convert(fixture("pth_deeplabv2_w4_zip.pth"), to: snapshots + "/model_4.safetensors", note: { _ in })
        let settings = try TinyBenchmark.config(root: root, framework: "SourceOnly", snapshots: snapshots,
                                                overrides: ["TEST.WAIT_MODEL=False", "TEST.SNAPSHOT_MAXITER=8"])
        var lines: [String] = []
        let evaluated = try TestRunner(config: settings, cluster: LocalCluster(), log: { lines.append($0) }).run()
        XCTAssertEqual(evaluated.map(\.checkpoint), [snapshots + "/model_2.pth", snapshots + "/model_4.safetensors"])
        // The same weights in both: the same scores.
        XCTAssertEqual(evaluated[0].results.map(\.mIoU), evaluated[1].results.map(\.mIoU))
        XCTAssertTrue(lines.contains("\(snapshots)/model_6.safetensors is missing and TEST.WAIT_MODEL is False: stopping the scan"),
                      "\(lines)")
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: TrainProcess.binary), "build mtaf-mpi first")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TrainProcess.binary)
        process.arguments = arguments
        let folder = try makeTemporaryDirectory(self)
        let out = folder + "/stdout", err = folder + "/stderr"
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOfFile: out, encoding: .utf8),
                try String(contentsOfFile: err, encoding: .utf8))
    }
}
