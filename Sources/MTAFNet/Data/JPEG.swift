import CJPEG

/// JPEG decoding through libjpeg (Mapillary Vistas ships JPEG images, spec §7.5). The only user
/// of CJPEG.
public enum JPEG {
    /// The largest image accepted (pixels), so a corrupt header cannot ask for a huge allocation.
    public static let maxPixels: UInt64 = 1 << 28

    /// Reads a JPEG as H×W×3 RGB bytes.
    ///
    /// - Throws: `DataError.unsupportedImage` naming the file and libjpeg's message.
    public static func readRGB(atPath path: String) throws -> PixelImage {
        var image = mtaf_jpeg_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = mtaf_jpeg_read_rgb(path, maxPixels, &image, &message, message.count)
        guard status == 0, let pixels = image.pixels else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataError.unsupportedImage(file: path, reason: "corrupt or unreadable JPEG (\(text))")
        }
        defer { mtaf_jpeg_free(&image) }
        let count = Int(image.width) * Int(image.height) * 3
        return PixelImage(width: Int(image.width), height: Int(image.height), channels: 3,
                          pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }
}
