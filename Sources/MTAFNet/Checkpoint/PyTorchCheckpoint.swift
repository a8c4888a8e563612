// PyTorchCheckpoint: reads a `.pth` state dict written by torch.save, without PyTorch, into an
// in-memory safetensors file (F32 for every floating dtype, I64 for every integer dtype), so that
// checkpoint loading has one path for every format. Two containers:
// - zip (torch ≥ 1.6): entries `<archive>/data.pkl` (the pickle), `<archive>/data/<key>` (one
//   per storage, raw elements), `<archive>/byteorder` ("little" or "big"; absent: little).
// - legacy (`_use_new_zipfile_serialization=False`, older torch): consecutive pickles — the magic
//   number 0x1950a86a20f9469cfc6c, the protocol version 1001, sys_info (`little_endian`, type
//   sizes), the main pickle, the sorted list of storage keys — then per listed key an 8-byte
//   little-endian element count and the storage's raw elements.
// In both the main pickle's persistent ids name the storages, and tensors are views of them
// (storage offset, size, stride); any in-bounds view is gathered, anything else refused.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `.pth` file read into safetensors form.
public struct PyTorchCheckpoint {
    /// The container format.
    public enum Format: String, Sendable {
        case zip = "PyTorch zip"
        case legacy = "PyTorch legacy"
    }

    /// The tensors under their state-dict keys, in the pickle's order.
    public let file: SafeTensorsFile
    public let format: Format
    /// What the reader did that the user should know (a `state_dict`/`model` entry unwrapped).
    public let notes: [String]

    /// The legacy format's magic number 0x1950a86a20f9469cfc6c as a pickled LONG1 (little-endian).
    private static let legacyMagic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// The format a file's first bytes announce, or nil (then it may be safetensors).
    ///
    /// - Parameter prefix: At least the first 32 bytes when the file has them.
    public static func format(ofPrefix prefix: [UInt8]) -> Format? {
        if ZipStoredArchive.hasMagic(prefix) { return .zip }
        // PROTO 2…5, possibly a FRAME, then the magic number.
        guard prefix.count >= 2 + legacyMagic.count, prefix[0] == 0x80, (2 ... 5).contains(prefix[1]) else { return nil }
        let window = prefix.prefix(32)
        for start in 2 ... window.count - legacyMagic.count where window[start ..< start + legacyMagic.count].elementsEqual(legacyMagic) {
            return .legacy
        }
        return nil
    }

    /// Reads a `.pth` file.
    ///
    /// - Parameter path: The file.
    public static func read(contentsOf path: String) throws(PyTorchFileError) -> PyTorchCheckpoint {
        try read(bytes: try wholeFile(path), path: path)
    }

    /// Reads a `.pth` file already in memory.
    ///
    /// - Parameters:
    ///   - bytes: The file's content.
    ///   - path: The name used in errors.
    public static func read(bytes: [UInt8], path: String) throws(PyTorchFileError) -> PyTorchCheckpoint {
        switch format(ofPrefix: Array(bytes.prefix(32))) {
        case .zip?: return try readZip(bytes, path: path)
        case .legacy?: return try readLegacy(bytes, path: path)
        case nil: throw .notStateDict(path: path, reason: "neither a PyTorch zip nor a legacy pickle checkpoint")
        }
    }

    // MARK: Containers

    private static func readZip(_ bytes: [UInt8], path: String) throws(PyTorchFileError) -> PyTorchCheckpoint {
        let archive = try ZipStoredArchive(bytes: bytes, path: path)
        let pickles = archive.entries.keys.filter { name in
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl"
        }
        guard pickles.count == 1, let pickleName = pickles.first else {
            throw .zip(path: path, reason: "\(pickles.count) '<archive>/data.pkl' entries, expected 1")
        }
        let archiveName = String(pickleName.dropLast("data.pkl".count))
        var bigEndian = false
        if archive.entries[archiveName + "byteorder"] != nil {
            let order = String(decoding: try archive.contents(archiveName + "byteorder"), as: UTF8.self)
            guard order == "little" || order == "big" else {
                throw .zip(path: path, reason: "byteorder is '\(order.prefix(16))', not 'little' or 'big'")
            }
            bigEndian = order == "big"
        }
        var unpickler = RestrictedUnpickler(path: path, fileLength: bytes.count)
        let (top, _) = try unpickler.load(Array(try archive.contents(pickleName)), from: 0, stream: pickleName)
        let (tensors, notes) = try stateDict(top, unpickler.arena, path: path)
        var storages: [String: Range<Int>] = [:]
        for (_, id) in tensors {
            let storage = unpickler.arena.tensors[id].storage
            guard storages[storage.key] == nil else { continue }
            let name = archiveName + "data/" + storage.key
            guard archive.entries[name] != nil else {
                throw .storage(path: path, key: storage.key, reason: "no zip entry '\(name)'")
            }
            let data = try archive.contents(name)
            storages[storage.key] = data.startIndex ..< data.endIndex
        }
        let file = try tensorFile(tensors, arena: unpickler.arena, storages: storages, bytes: bytes,
                                  bigEndian: bigEndian, path: path, format: .zip)
        return PyTorchCheckpoint(file: file, format: .zip, notes: notes)
    }

    private static func readLegacy(_ bytes: [UInt8], path: String) throws(PyTorchFileError) -> PyTorchCheckpoint {
        var unpickler = RestrictedUnpickler(path: path, fileLength: bytes.count)
        let (magic, afterMagic) = try unpickler.load(bytes, from: 0, stream: "magic number")
        guard case let .bigInt(digits) = magic, digits == Array(legacyMagic.dropFirst(2)) else {
            throw .notStateDict(path: path, reason: "the legacy magic number is wrong")
        }
        let (version, afterVersion) = try unpickler.load(bytes, from: afterMagic, stream: "protocol version")
        guard case .int(1001) = version else {
            throw .notStateDict(path: path, reason: "legacy protocol version \(version), expected 1001")
        }
        let (info, afterInfo) = try unpickler.load(bytes, from: afterVersion, stream: "sys_info")
        var bigEndian = false
        if case let .dict(id) = info, case let .bool(little)? = unpickler.arena.lookup(id, "little_endian") {
            bigEndian = !little
        }
        let (top, afterMain) = try unpickler.load(bytes, from: afterInfo, stream: "main pickle")
        let (keyList, afterKeys) = try unpickler.load(bytes, from: afterMain, stream: "storage keys")
        let (tensors, notes) = try stateDict(top, unpickler.arena, path: path)

        // Every storage the pickle names (first reference: its dtype and size; entries outside the
        // state dict included, since their data sits between ours), then the data in key order.
        var referenced: [String: TorchStorageReference] = [:]
        for storage in unpickler.arena.storages where referenced[storage.key] == nil {
            referenced[storage.key] = storage
        }
        guard let keys = unpickler.arena.items(keyList) else {
            throw .notStateDict(path: path, reason: "the storage key list is a \(keyList.kind)")
        }
        var storages: [String: Range<Int>] = [:]
        var position = afterKeys
        for item in keys {
            let key: String
            switch item {
            case let .string(text): key = text
            case let .int(number): key = String(number)
            default: throw .notStateDict(path: path, reason: "a storage key is a \(item.kind)")
            }
            guard position <= bytes.count - 8 else {
                throw .storage(path: path, key: key, reason: "its element count runs past the end of the file (truncated?)")
            }
            guard let reference = referenced[key] else {
                throw .storage(path: path, key: key, reason: "listed in the storage keys but named by no persistent id")
            }
            let count = ZipStoredArchive.u64(bytes, position)
            position += 8
            let elementSize = reference.dtype.byteSize
            guard count <= UInt64((bytes.count - position) / elementSize) else {
                throw .storage(path: path, key: key, reason: "\(count) elements of \(elementSize) bytes run past the end of the file")
            }
            guard reference.declaredCount == Int(count) else {
                throw .storage(path: path, key: key,
                               reason: "the pickle declares \(reference.declaredCount) elements, the data holds \(count)")
            }
            storages[key] = position ..< position + Int(count) * elementSize
            position += Int(count) * elementSize
        }
        let file = try tensorFile(tensors, arena: unpickler.arena, storages: storages, bytes: bytes,
                                  bigEndian: bigEndian, path: path, format: .legacy)
        return PyTorchCheckpoint(file: file, format: .legacy, notes: notes)
    }

    // MARK: State dict

    /// The (key, tensor) pairs of the pickled dict, unwrapping a `state_dict` or `model` entry.
    private static func stateDict(_ top: PickleValue, _ arena: PickleArena, path: String) throws(PyTorchFileError)
        -> (tensors: [(String, Int)], notes: [String]) {
        guard case var .dict(id) = top else {
            throw .notStateDict(path: path, reason: "the pickled object is a \(top.kind), not a dict")
        }
        var notes: [String] = []
        let allTensors = arena.dicts[id].allSatisfy { if case .tensor = $0.value { return true } else { return false } }
        if !allTensors {
            for wrapper in ["state_dict", "model"] {
                if case let .dict(inner)? = arena.lookup(id, wrapper) {
                    notes.append("\(path): the checkpoint is a dict; loading its '\(wrapper)' entry")
                    id = inner
                    break
                }
            }
        }
        var order: [String] = []
        var tensors: [String: Int] = [:]
        for (key, value) in arena.dicts[id] {
            guard case let .string(name) = key else {
                throw .notStateDict(path: path, reason: "a key is a \(key.kind), not a string")
            }
            guard case let .tensor(tensor) = value else {
                throw .notStateDict(path: path, reason: "entry '\(name)' is a \(value.kind), not a tensor")
            }
            if tensors[name] == nil { order.append(name) }
            tensors[name] = tensor
        }
        return (order.map { ($0, tensors[$0]!) }, notes)
    }

    /// Checks every tensor's view against its storage, then gathers all of them into one
    /// safetensors data section.
    private static func tensorFile(_ tensors: [(String, Int)], arena: PickleArena, storages: [String: Range<Int>],
                                   bytes: [UInt8], bigEndian: Bool, path: String, format: Format) throws(PyTorchFileError)
        -> SafeTensorsFile {
        // A storage shared by several tensors is copied for each; the total stays within a
        // multiple of the file so that a small file cannot ask for unbounded memory.
        let budget = max(2 * bytes.count, 1 << 24)
        var entries: [String: SafeTensors.Entry] = [:]
        var plan: [(record: TorchTensorRecord, entry: SafeTensors.Entry, source: Range<Int>)] = []
        var total = 0, elements = 0
        for (key, id) in tensors {
            let record = arena.tensors[id]
            let storage = record.storage
            guard let range = storages[storage.key] else {
                throw .storage(path: path, key: storage.key, reason: "its data is missing from the file")
            }
            guard range.count == storage.declaredCount * storage.dtype.byteSize else {
                throw .storage(path: path, key: storage.key,
                               reason: "\(range.count) bytes of data for \(storage.declaredCount) \(storage.dtype.rawValue) elements")
            }
            let count = try checkView(record, key: key, path: path)
            let dtype: SafeTensors.DType
            switch storage.dtype {
            case .float32, .float64, .float16, .bfloat16: dtype = .f32
            case .int64, .int32, .int16, .int8, .uint8: dtype = .i64
            case .bool: throw .tensor(path: path, key: key, reason: "dtype bool is not supported in a state dict")
            }
            elements += count
            guard elements <= budget else {
                throw .tensor(path: path, key: key, reason: "the tensors hold more than \(budget) elements together, "
                              + "far more than the file's \(bytes.count) bytes can store")
            }
            let entry = SafeTensors.Entry(name: key, dtype: dtype, shape: record.size, dataRange: total ..< total + count * dtype.byteSize)
            total = entry.dataRange.upperBound
            entries[key] = entry
            let start = range.lowerBound + storage.viewOffset * storage.dtype.byteSize
            plan.append((record, entry, start ..< start + storage.usableCount * storage.dtype.byteSize))
        }
        var data = [UInt8](repeating: 0, count: total)
        bytes.withUnsafeBytes { file in
            data.withUnsafeMutableBytes { out in
                for (record, entry, source) in plan {
                    TensorGather.gather(record, from: UnsafeRawBufferPointer(rebasing: file[source]), bigEndian: bigEndian,
                                        into: UnsafeMutableRawBufferPointer(rebasing: out[entry.dataRange]))
                }
            }
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return SafeTensorsFile(path: path, metadata: ["converted_from": name, "format": format.rawValue],
                               entries: entries, data: data)
    }

    /// The element count of an in-bounds view: non-negative offset, sizes and strides, the
    /// farthest element inside the storage, and no more elements than the storage holds.
    private static func checkView(_ record: TorchTensorRecord, key: String, path: String) throws(PyTorchFileError) -> Int {
        func fail(_ reason: String) -> PyTorchFileError { .tensor(path: path, key: key, reason: reason) }
        let available = record.storage.usableCount
        let view = "offset \(record.offset), size \(record.size), stride \(record.stride)"
        guard record.size.count == record.stride.count else { throw fail("\(view): size and stride differ in length") }
        guard record.offset >= 0, record.size.allSatisfy({ $0 >= 0 }), record.stride.allSatisfy({ $0 >= 0 }) else {
            throw fail("\(view): negative values")
        }
        var count = 1, last = record.offset
        for (extent, step) in zip(record.size, record.stride) {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw fail("\(view): the element count overflows") }
            count = product
            if extent > 0 {
                let (reach, overflowReach) = (extent - 1).multipliedReportingOverflow(by: step)
                let (sum, overflowSum) = last.addingReportingOverflow(reach)
                guard !overflowReach, !overflowSum else { throw fail("\(view): the farthest element overflows") }
                last = sum
            }
        }
        guard count > 0 else { return 0 }
        guard last < available else {
            throw fail("\(view) reaches element \(last) of a storage of \(available) \(record.storage.dtype.rawValue) elements")
        }
        guard count <= available else {
            throw fail("\(view) has \(count) elements, more than its storage's \(available) (an overlapping view)")
        }
        return count
    }

    /// A whole file's bytes.
    private static func wholeFile(_ path: String) throws(PyTorchFileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, call: "open", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, call: "fstat", errno: errno) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        do {
            try bytes.withUnsafeMutableBytes {
                if !$0.isEmpty { try AtomicFile.read(fd: fd, path: path, into: $0.baseAddress!, count: $0.count, at: 0) }
            }
        } catch let SafeTensorsError.io(_, call, code) {
            throw .io(path: path, call: call, errno: code)
        } catch {
            throw .io(path: path, call: "read", errno: 0)
        }
        return bytes
    }
}
