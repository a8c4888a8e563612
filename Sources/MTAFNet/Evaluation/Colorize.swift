// Colorized predictions (Cityscapes colors, as ADVENT/MTAF's `colorize_mask` palettes) and the
// raw prediction as a gray image. Sizes: H×W class indices; C classes; 255 (ignore) and any index
// outside 0..<C are drawn black.

/// Class-index maps to images and back.
public enum Colorize {
    /// The 19 Cityscapes train-id colors (cityscapesScripts `labels.py`, upstream `palette`), RGB.
    public static let palette19: [UInt8] = [
        128, 64, 128, 244, 35, 232, 70, 70, 70, 102, 102, 156, 190, 153, 153, 153, 153, 153,
        250, 170, 30, 220, 220, 0, 107, 142, 35, 152, 251, 152, 70, 130, 180, 220, 20, 60,
        255, 0, 0, 0, 0, 142, 0, 0, 70, 0, 60, 100, 0, 80, 100, 0, 0, 230, 119, 11, 32,
    ]
    /// The 16 classes (19 without terrain, truck, train; upstream `palette_16`), RGB.
    public static let palette16: [UInt8] = [
        128, 64, 128, 244, 35, 232, 70, 70, 70, 102, 102, 156, 190, 153, 153, 153, 153, 153,
        250, 170, 30, 220, 220, 0, 107, 142, 35, 70, 130, 180, 220, 20, 60, 255, 0, 0,
        0, 0, 142, 0, 60, 100, 0, 0, 230, 119, 11, 32,
    ]
    /// The 7 categories flat, construction, object, nature, sky, human, vehicle (upstream
    /// `palette_7`: each category's representative Cityscapes color), RGB.
    public static let palette7: [UInt8] = [
        128, 64, 128, 70, 70, 70, 153, 153, 153, 107, 142, 35, 70, 130, 180, 220, 20, 60, 0, 0, 142,
    ]

    /// The C×3 RGB palette of a class count: the 19-, 16- and 7-class tables; another count up to
    /// 19 takes the first C Cityscapes colors, more than 19 the PASCAL VOC color map from index 1.
    ///
    /// - Parameter classCount: C ≥ 1.
    /// - Returns: 3·C bytes, class c at 3c ..< 3c + 3.
    public static func palette(classCount: Int) -> [UInt8] {
        precondition(classCount >= 1 && classCount < 255, "Colorize: \(classCount) classes")
        switch classCount {
        case 19: return palette19
        case 16: return palette16
        case 7: return palette7
        case ..<19: return Array(palette19.prefix(3 * classCount))
        default: return (1 ... classCount).flatMap(vocColor)
        }
    }

    /// PASCAL VOC's color of index i (bits of i spread over the high bits of R, G, B).
    static func vocColor(_ index: Int) -> [UInt8] {
        var r = 0, g = 0, b = 0, i = index
        for shift in stride(from: 7, through: 0, by: -1) where i > 0 {
            r |= (i & 1) << shift
            g |= ((i >> 1) & 1) << shift
            b |= ((i >> 2) & 1) << shift
            i >>= 3
        }
        return [UInt8(r), UInt8(g), UInt8(b)]
    }

    /// Draws a class map in the palette's colors.
    ///
    /// - Parameters:
    ///   - labels: H×W class indices (255 and indices outside 0..<C are black).
    ///   - classCount: C.
    /// - Returns: An H×W×3 RGB image.
    public static func colors(_ labels: LabelImage, classCount: Int) -> PixelImage {
        let table = palette(classCount: classCount)
        var pixels = [UInt8](repeating: 0, count: 3 * labels.values.count)
        labels.values.withUnsafeBufferPointer { values in
            pixels.withUnsafeMutableBufferPointer { out in
                for i in 0 ..< values.count {
                    let c = Int(values[i])
                    guard c >= 0, c < classCount else { continue }
                    out[3 * i] = table[3 * c]
                    out[3 * i + 1] = table[3 * c + 1]
                    out[3 * i + 2] = table[3 * c + 2]
                }
            }
        }
        return PixelImage(width: labels.width, height: labels.height, channels: 3, pixels: pixels)
    }

    /// The inverse of `colors(_:classCount:)`: each pixel's class, 255 for black or a color
    /// outside the palette.
    ///
    /// - Parameters:
    ///   - image: An H×W×3 RGB image.
    ///   - classCount: C.
    /// - Returns: H×W class indices.
    public static func classes(of image: PixelImage, classCount: Int) -> LabelImage {
        precondition(image.channels == 3, "Colorize.classes: \(image.channels) channels, wanted RGB")
        let table = palette(classCount: classCount)
        var lookup: [UInt32: Int32] = [:]
        for c in (0 ..< classCount).reversed() {
            let key = UInt32(table[3 * c]) << 16 | UInt32(table[3 * c + 1]) << 8 | UInt32(table[3 * c + 2])
            lookup[key] = Int32(c)
        }
        lookup[0] = lookup[0] ?? 255
        let count = image.width * image.height
        var values = [Int32](repeating: 255, count: count)
        image.pixels.withUnsafeBufferPointer { rgb in
            for i in 0 ..< count {
                let key = UInt32(rgb[3 * i]) << 16 | UInt32(rgb[3 * i + 1]) << 8 | UInt32(rgb[3 * i + 2])
                values[i] = lookup[key] ?? 255
            }
        }
        return LabelImage(width: image.width, height: image.height, values: values)
    }

    /// The raw prediction as an 8-bit gray image: pixel value = class index (255 stays 255,
    /// values outside 0…255 become 255).
    ///
    /// - Parameter labels: H×W class indices.
    /// - Returns: An H×W×1 image.
    public static func gray(_ labels: LabelImage) -> PixelImage {
        PixelImage(width: labels.width, height: labels.height, channels: 1,
                   pixels: labels.values.map { $0 >= 0 && $0 <= 255 ? UInt8($0) : 255 })
    }
}
