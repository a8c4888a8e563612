// CheckpointReader: opens a model checkpoint in any format we accept — safetensors, PyTorch zip
// (torch.save since 1.6) or PyTorch legacy pickle — chosen by the file's first bytes, never by its
// extension, and drops the `module.` prefix that nn.DataParallel puts on every key (except for
// upstream's ImageNet rule, which drops the first key component itself). Every
// checkpoint load (TRAIN.RESTORE_FROM, TEST.RESTORE_FROM, resumes, `convert`) comes through here.

import Distributed
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a checkpoint file of any supported format.
public enum CheckpointReader {
    /// A checkpoint container.
    public enum Format: String, Sendable {
        case safetensors
        case pytorchZip = "PyTorch zip"
        case pytorchLegacy = "PyTorch legacy"
    }

    /// The prefix nn.DataParallel (and DistributedDataParallel) gives every state-dict key.
    public static let dataParallelPrefix = "module."

    /// The format the file's first bytes announce (safetensors when no PyTorch magic matches).
    public static func format(of path: String) throws(CheckpointError) -> Format {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(.io(path: path, call: "open", errno: errno)) }
        defer { close(fd) }
        var prefix = [UInt8](repeating: 0, count: 32)
        let count = prefix.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 32, 0) }
        guard count >= 0 else { throw .file(.io(path: path, call: "pread", errno: errno)) }
        return format(ofPrefix: Array(prefix.prefix(count)))
    }

    /// The file's first (up to 16) bytes in hexadecimal, for error messages.
    private static func firstBytes(of path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "unreadable" }
        defer { try? handle.close() }
        let bytes = (try? handle.read(upToCount: 16)) ?? Data()
        return bytes.isEmpty ? "(none: the file is empty)" : bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    /// The format announced by a file's first (up to 32) bytes.
    public static func format(ofPrefix prefix: [UInt8]) -> Format {
        switch PyTorchCheckpoint.format(ofPrefix: prefix) {
        case .zip?: return .pytorchZip
        case .legacy?: return .pytorchLegacy
        case nil: return .safetensors
        }
    }

    /// Reads a checkpoint; `.pth` files are converted in memory (floats to F32, integers to I64).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - stripDataParallelPrefix: Drop `module.` when every key has it (upstream's ImageNet rule
    ///     sees the keys as stored, and drops the first component itself).
    ///   - note: Receives what the reader did beyond reading (an unwrapped `state_dict` entry, a
    ///     stripped `module.` prefix), one line each.
    /// - Returns: The tensors under their state-dict keys.
    public static func read(contentsOf path: String, stripDataParallelPrefix: Bool = true,
                            note: (String) -> Void = { printToStandardError($0) }) throws(CheckpointError)
        -> SafeTensorsFile {
        let file: SafeTensorsFile
        switch try format(of: path) {
        case .safetensors:
            do {
                file = try SafeTensors.read(contentsOf: path)
            } catch let error as SafeTensorsError {
                switch error {
                case .tooShort, .headerLength, .headerNotJSONObject:
                    // Not even a safetensors header: say what the file is not, with its first bytes.
                    throw .unknownFormat(path: path, firstBytes: firstBytes(of: path), reason: "\(error)")
                default:
                    throw .file(error)
                }
            } catch {
                throw .file(.io(path: path, call: "read", errno: 0))
            }
        case .pytorchZip, .pytorchLegacy:
            let checkpoint: PyTorchCheckpoint
            do {
                checkpoint = try PyTorchCheckpoint.read(contentsOf: path)
            } catch {
                throw .pytorch(error)
            }
            checkpoint.notes.forEach(note)
            file = checkpoint.file
        }
        return stripDataParallelPrefix ? strippingDataParallelPrefix(file, note: note) : file
    }

    /// The file with `module.` dropped from every key when every key has it.
    static func strippingDataParallelPrefix(_ file: SafeTensorsFile, note: (String) -> Void) -> SafeTensorsFile {
        guard !file.entries.isEmpty, file.entries.keys.allSatisfy({ $0.hasPrefix(dataParallelPrefix) }) else { return file }
        note("\(file.path): every key starts with '\(dataParallelPrefix)' (saved from nn.DataParallel); loading the keys without it")
        return file.renamed { String($0.dropFirst(dataParallelPrefix.count)) }
    }
}
