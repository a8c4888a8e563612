// Writes TensorBoard event files without TensorFlow: `events.out.tfevents.<seconds>.<host>` in a
// log folder, TFRecord-framed `Event` messages, the first one holding the file version.

import Foundation

/// An event file that TensorBoard reads (TensorFlow's `EventsWriter`, PyTorch's `SummaryWriter`).
/// Values are buffered and reach the file at `flush()`.
public final class TensorBoardWriter {
    /// The event file.
    public let path: String
    private let handle: FileHandle
    private var pending: [UInt8] = []

    /// Creates the log folder (if needed) and a new event file in it, holding the file-version
    /// record.
    ///
    /// - Parameters:
    ///   - directory: The log folder (TensorBoard's `--logdir`, or one run below it).
    ///   - wallTime: The file's creation time (seconds since 1970; it names the file).
    ///   - hostName: The host part of the name.
    /// - Throws: `TensorBoardError.cannotCreate` naming the folder or file.
    public init(directory: String, wallTime: Double = Date().timeIntervalSince1970,
                hostName: String = TensorBoardWriter.hostName) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TensorBoardError.cannotCreate(path: directory, reason: "\(error.localizedDescription)")
        }
        let stem = "\(directory)/events.out.tfevents.\(Int(wallTime)).\(hostName)"
        var candidate = stem
        var suffix = 1
        while manager.fileExists(atPath: candidate) {
            candidate = "\(stem).\(suffix)"
            suffix += 1
        }
        guard manager.createFile(atPath: candidate, contents: nil),
              let handle = FileHandle(forWritingAtPath: candidate) else {
            throw TensorBoardError.cannotCreate(path: candidate, reason: "cannot create the event file")
        }
        self.path = candidate
        self.handle = handle
        TFRecord.append(TensorBoardEvent.fileVersionEvent(wallTime: wallTime), to: &pending)
        try flush()
    }

    /// The host name for file names (up to the first dot).
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let short = name.split(separator: ".").first.map(String.init) ?? ""
        return short.isEmpty ? "localhost" : short
    }

    /// Buffers one event holding `values` at `step`.
    ///
    /// - Parameters:
    ///   - values: The summary values.
    ///   - step: The global step.
    ///   - wallTime: The event's time (now by default).
    public func add(_ values: [TensorBoardValue], step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        TFRecord.append(TensorBoardEvent.summaryEvent(values, step: step, wallTime: wallTime), to: &pending)
    }

    /// Buffers a `SessionLog` START at `step` (see `TensorBoardEvent.sessionStartEvent`).
    public func addSessionStart(step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        TFRecord.append(TensorBoardEvent.sessionStartEvent(step: step, wallTime: wallTime), to: &pending)
    }

    /// Buffers a scalar (PyTorch's `add_scalar`: one event per value).
    public func addScalar(_ tag: String, _ value: Double, step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        add([.scalar(tag: tag, value: Float(value))], step: step, wallTime: wallTime)
    }

    /// Buffers an 8-bit image (1, 3 or 4 channels), PNG-encoded (PyTorch's `add_image`).
    ///
    /// - Throws: `TensorBoardError.badImage` when the image cannot be encoded.
    public func addImage(_ tag: String, _ image: PixelImage, step: Int,
                         wallTime: Double = Date().timeIntervalSince1970) throws {
        let png: [UInt8]
        do {
            png = try PNG.encode(image, compressionLevel: 3)
        } catch {
            throw TensorBoardError.badImage(tag: tag, reason: "\(error)")
        }
        add([.image(tag: tag, width: image.width, height: image.height, channels: image.channels, png: png)],
            step: step, wallTime: wallTime)
    }

    /// Appends the buffered records to the file.
    ///
    /// - Throws: `TensorBoardError.cannotWrite` naming the file.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        do {
            try handle.write(contentsOf: pending)
        } catch {
            throw TensorBoardError.cannotWrite(path: path, reason: "\(error.localizedDescription)")
        }
        pending.removeAll(keepingCapacity: true)
    }

    deinit {
        try? flush()
        try? handle.close()
    }
}
