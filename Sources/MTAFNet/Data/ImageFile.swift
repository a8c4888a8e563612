// ImageFile: opens an image file as 8-bit RGB whatever its format (spec §7.1: "open, convert to
// RGB"). PNG through `PNG`, JPEG (Mapillary Vistas) through `JPEG`, chosen by the file's first bytes.

import Foundation

/// Image decoding by file content.
public enum ImageFile {
    /// Reads an image as H×W×3 RGB bytes.
    ///
    /// - Parameter path: A PNG or JPEG file.
    /// - Throws: `DataError` naming the file.
    public static func readRGB(atPath path: String) throws -> PixelImage {
        isJPEG(path) ? try JPEG.readRGB(atPath: path) : try PNG.readRGB(atPath: path)
    }

    /// Whether a file starts with the JPEG SOI marker FF D8 FF.
    static func isJPEG(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 3)) ?? Data()
        return head.count == 3 && head[head.startIndex] == 0xFF && head[head.startIndex + 1] == 0xD8
            && head[head.startIndex + 2] == 0xFF
    }
}
