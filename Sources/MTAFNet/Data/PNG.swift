// PNG: reading and writing PNG files through libpng (the CPNG shim). The only user of CPNG
// (architecture §1.1: one file per C library). Images are delivered as 8-bit RGB, label maps as raw sample values
// (palette indices stay indices), spec §7.1.

import CPNG

/// PNG decoding and encoding.
public enum PNG {
    /// The largest image we decode (pixels), a guard against absurd headers.
    public static let maxPixels: UInt64 = 1 << 28

    /// Reads a PNG as 8-bit RGB: palettes expanded, gray replicated, alpha dropped, 16-bit samples
    /// reduced to their high byte (PIL's `convert("RGB")` for 8-bit files).
    ///
    /// - Parameter path: The file.
    /// - Returns: An H×W×3 image.
    /// - Throws: `DataError.png` naming the file (cannot open, not a PNG, truncated, corrupt, unsupported).
    public static func readRGB(atPath path: String) throws -> PixelImage {
        try decode(path, mode: MTAF_PNG_RGB8) { width, height, channels, bytesPerSample, samples in
            guard channels == 3, bytesPerSample == 1 else {
                throw DataError.png(file: path, problem: .unsupported,
                                    detail: "decoded to \(channels) channels of \(8 * bytesPerSample) bits, wanted RGB8")
            }
            return PixelImage(width: width, height: height, channels: 3, pixels: Array(samples))
        }
    }

    /// Reads a label map without conversion: gray values or palette indices (8 or 16 bits, PIL's
    /// "L", "P" or "I;16" as opened), spec §7.1.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - channel: For a file with several channels (SYNTHIA's 16-bit labels), the channel that
    ///     holds the ids; nil refuses multi-channel files. Single-channel files ignore it.
    /// - Returns: The raw values.
    /// - Throws: `DataError.png` naming the file.
    public static func readLabels(atPath path: String, channel: Int? = nil) throws -> LabelImage {
        try decode(path, mode: MTAF_PNG_RAW) { width, height, channels, bytesPerSample, samples in
            let pick: Int
            if channels == 1 {
                pick = 0
            } else if let channel {
                guard channel >= 0 && channel < channels else {
                    throw DataError.png(file: path, problem: .unsupported,
                                        detail: "label channel \(channel) of a \(channels)-channel image")
                }
                pick = channel
            } else {
                throw DataError.png(file: path, problem: .unsupported,
                                    detail: "a label map must have one channel (gray or palette), found \(channels)")
            }
            let count = width * height
            var values = [Int32](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { out in
                if bytesPerSample == 1 {
                    for i in 0..<count { out[i] = Int32(samples[i * channels + pick]) }
                } else {
                    for i in 0..<count {
                        let at = 2 * (i * channels + pick)
                        out[i] = Int32(samples[at]) << 8 | Int32(samples[at + 1])
                    }
                }
            }
            return LabelImage(width: width, height: height, values: values)
        }
    }

    /// Writes an 8-bit gray (1 channel), RGB (3) or RGBA (4) PNG.
    ///
    /// - Parameters:
    ///   - image: The image.
    ///   - path: The file, replaced if it exists.
    ///   - compressionLevel: zlib's level 0…9, or −1 for libpng's default; 0…3 also use only
    ///     the "sub" filter (fast, for generated data).
    /// - Throws: `DataError.png` with `.cannotWrite` or `.unsupported`, naming the file.
    public static func write(_ image: PixelImage, toPath path: String, compressionLevel: Int = -1) throws {
        guard [1, 3, 4].contains(image.channels) else {
            throw DataError.png(file: path, problem: .unsupported,
                                detail: "cannot write \(image.channels) channels (1, 3 or 4)")
        }
        guard image.width > 0, image.height > 0 else {
            throw DataError.png(file: path, problem: .unsupported, detail: "empty image \(image.width)x\(image.height)")
        }
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            message.withUnsafeMutableBufferPointer { text in
                mtaf_png_write(path, pixels.baseAddress, UInt32(image.width), UInt32(image.height),
                               UInt32(image.channels), Int32(compressionLevel), text.baseAddress, text.count)
            }
        }
        guard status == 0 else {
            throw DataError.png(file: path, problem: .cannotWrite, detail: cString(message))
        }
    }

    /// Encodes an 8-bit gray (1 channel), RGB (3) or RGBA (4) image as PNG bytes in memory (for
    /// TensorBoard image summaries).
    ///
    /// - Parameters:
    ///   - image: The image.
    ///   - compressionLevel: As for `write(_:toPath:compressionLevel:)`.
    /// - Returns: The PNG file's bytes.
    /// - Throws: `DataError.png` (file "<memory>") with `.cannotWrite` or `.unsupported`.
    public static func encode(_ image: PixelImage, compressionLevel: Int = -1) throws -> [UInt8] {
        let name = "<memory>"
        guard [1, 3, 4].contains(image.channels) else {
            throw DataError.png(file: name, problem: .unsupported,
                                detail: "cannot encode \(image.channels) channels (1, 3 or 4)")
        }
        guard image.width > 0, image.height > 0 else {
            throw DataError.png(file: name, problem: .unsupported, detail: "empty image \(image.width)x\(image.height)")
        }
        var message = [CChar](repeating: 0, count: 256)
        var buffer: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            message.withUnsafeMutableBufferPointer { text in
                mtaf_png_encode(pixels.baseAddress, UInt32(image.width), UInt32(image.height), UInt32(image.channels),
                                Int32(compressionLevel), &buffer, &size, text.baseAddress, text.count)
            }
        }
        defer { mtaf_png_free_buffer(buffer) }
        guard status == 0, let buffer else {
            throw DataError.png(file: name, problem: .cannotWrite, detail: cString(message))
        }
        return Array(UnsafeBufferPointer(start: buffer, count: size))
    }

    /// Writes a label map of values 0…255 as an 8-bit gray PNG.
    ///
    /// - Parameters:
    ///   - labels: The map; every value must lie in 0…255.
    ///   - path: The file.
    ///   - compressionLevel: As for `write(_:toPath:compressionLevel:)`.
    public static func write(_ labels: LabelImage, toPath path: String, compressionLevel: Int = -1) throws {
        var bytes = [UInt8](repeating: 0, count: labels.values.count)
        for (i, value) in labels.values.enumerated() {
            guard value >= 0 && value <= 255 else {
                throw DataError.png(file: path, problem: .unsupported,
                                    detail: "label value \(value) at index \(i) does not fit 8 bits")
            }
            bytes[i] = UInt8(value)
        }
        try write(PixelImage(width: labels.width, height: labels.height, channels: 1, pixels: bytes),
                  toPath: path, compressionLevel: compressionLevel)
    }

    // MARK: Private

    /// Decodes a file and hands the samples to `body` before they are freed.
    private static func decode<T>(
        _ path: String, mode: mtaf_png_mode,
        _ body: (_ width: Int, _ height: Int, _ channels: Int, _ bytesPerSample: Int,
                 _ samples: UnsafeBufferPointer<UInt8>) throws -> T
    ) throws -> T {
        var image = mtaf_png_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { text in
            mtaf_png_read(path, mode, maxPixels, &image, text.baseAddress, text.count)
        }
        defer { mtaf_png_free(&image) }
        guard status == 0 else {
            let problem: DataError.PNGProblem
            switch status {
            case Int32(MTAF_PNG_CANNOT_OPEN): problem = .cannotOpen
            case Int32(MTAF_PNG_NOT_PNG): problem = .notPNG
            case Int32(MTAF_PNG_TRUNCATED): problem = .truncated
            case Int32(MTAF_PNG_CORRUPT): problem = .corrupt
            default: problem = .unsupported
            }
            throw DataError.png(file: path, problem: problem, detail: cString(message))
        }
        let width = Int(image.width), height = Int(image.height)
        let channels = Int(image.channels), bytesPerSample = Int(image.bytes_per_sample)
        let count = width * height * channels * bytesPerSample
        let samples = UnsafeBufferPointer(start: image.pixels, count: count)
        return try body(width, height, channels, bytesPerSample, samples)
    }

    /// The text of a NUL-terminated message buffer.
    private static func cString(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
