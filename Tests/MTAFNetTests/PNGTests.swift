// PNGTests: PNG round trips, PIL-written files (palette, 4-bit palette, 16-bit gray, RGBA, gray),
// and the errors for truncated, corrupt, random and missing files.

import Foundation
import XCTest
@testable import MTAFNet

/// Small PNG files written by Pillow 13 (python3 -m pip install pillow; generated once, not in CI):
///     idx = np.arange(24, dtype=np.uint8).reshape(4, 6); im = Image.fromarray(idx, mode="P")
///     im.putpalette([((i*37) % 256, (i*91+13) % 256, (255-i*5) % 256) for i in range(256)] flattened)
///     im.save(f, "PNG")                         -> palette8 (and bits=4 on a 5x3 image -> palette4)
///     Image.fromarray(uint16 4x3 values) -> "I;16" -> gray16; RGBA 3x2 -> rgba; L 3x2 -> gray8
enum PNGTestData {
    static let palette8 = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAYAAAAECAMAAACa2r5xAAADAFBMVEUADf8laPpKw/VvHvCUeeu51ObeL+EDitwo5ddNQNJym82X9si8UcPhrL4GB7krYrRQva91GKqac6W/zqDkKZsJhJYu35FTOox4lYed8ILCS33npngMAXMxXG5Wt2l7EmSgbV/FyFrqI1UPflA02UtZNEZ+j0Gj6jzIRTftoDIS+y03VihcsSOBDB6mZxnLwhTwHQ8VeAo60wVfLgCEifup5PbOP/HzmuwY9ec9UOJiq92HBtisYdPRvM72F8kbcsRAzb9lKLqKg7Wv3rDUOav5lKYe76FDSpxopZeNAJKyW43Xtoj8EYMhbH5Gx3lrInSQfW+12GraM2X/jmAk6VtJRFZun1GT+ky4VUfdsEICCz0nZjhMwTNxHC6Wdym70iTgLR8FiBoq4xVPPhB0mQuZ9Aa+TwHjqvwIBfctYPJSu+13FuiccePBzN7mJ9kLgtQw3c9VOMp6k8Wf7sDESbvppLYO/7EzWqxYtad9EKKia53HxpjsIZMRfI4214lbMoSAjX+l6HrKQ3XvnnAU+Ws5VGZer2GDClyoZVfNwFLyG00Xdkg80UNhLD6Ghzmr4jTQPS/1mCoa8yU/TiBkqRuJBBauXxHTugz4FQcdcAJCy/1nJviMgfOx3O7WN+n7kuQg7d9FSNpqo9WP/tC0WcvZtMb+D8EjarxIxbdtILKSe6231qjcMaMBjJ4m55lLQpRwnY+V+Iq6U4XfroAECXspZHZOv3FzGmyYdWe90GLiK10Hhlgs4VNRPE52l0mb8kTATT/lqDoKAzUvXjBUuSt5FCaebyHDyhzoJRcNgBIy2w1XNgh8kQOh7P7GR/nrovQQ/e81WOpas+V/DuCkadvJxNbuH9ETesw41cddMMKCi72n5rjMQbPxnK4W96k7UqRgrZ+FCJqqY5XPvpD0GYsZdIY+z4FjKnyIhXet4HLSO233lmgc8WNBTF5mp1mLAlSwXU/VuEr6E0UfbkBEyTtpJDaOfzGz2izYNSf9kCIi6x1HRhhsoROR/A62VwnbsgTgQephAAAAJElEQVR4nGNgYGRiZmFlYGPn4OTiZuDh5eMXEGQQEhYRFRMHAAoCARX6FQ+xAAAAAElFTkSuQmCC")!
    static let palette4 = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAUAAAADBAMAAACpGNjLAAAAMFBMVEUADf8laPpKw/VvHvCUeeu51ObeL+EDitwo5ddNQNJym82X9si8UcPhrL4GB7krYrQV3xVyAAAAFElEQVR4nGNkVJJlCVWSYFytJAwACI8Btq1kyPgAAAAASUVORK5CYII=")!
    static let gray16 = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADEAAAAADBDy1ZAAAAI0lEQVR4nGNgYGBgZPjPyMDA/IL/f6nB//8MDOwMvsyccokAUkkGfRKzlBoAAAAASUVORK5CYII=")!
    static let rgba = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAYAAACddGYaAAAAG0lEQVR4nGPkEpFjkJOTa5CTk6tnZGRiZoEBACNbAhyBdOPlAAAAAElFTkSuQmCC")!
    static let gray8 = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAAAAAC4HznGAAAAEElEQVR4nGNgSDnBwMj0HwAHTgIv6C9XZgAAAABJRU5ErkJggg==")!
}

/// A fresh temporary folder, removed at the end of the test.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "mtaf-data-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

final class PNGTests: XCTestCase {
    private func write(_ data: Data, _ name: String) throws -> String {
        let path = try makeTemporaryDirectory(self) + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    private func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> PixelImage {
        var stream = RandomStream(seed: seed)
        let pixels = (0..<(width * height * channels)).map { _ in UInt8(truncatingIfNeeded: stream.nextUInt64()) }
        return PixelImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    private func assertPNGError(_ problem: DataError.PNGProblem, file path: String, _ body: () throws -> Void,
                                line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            guard case let DataError.png(file, found, _) = error else {
                return XCTFail("unexpected error \(error)", line: line)
            }
            XCTAssertEqual(found, problem, "\(error)", line: line)
            XCTAssertEqual(file, path, line: line)
            XCTAssertTrue("\(error)".contains(path), line: line)
        }
    }

    func testRGBRoundTrip() throws {
        let folder = try makeTemporaryDirectory(self)
        for (level, seed) in [(-1, UInt64(1)), (1, 2), (9, 3)] {
            let image = randomImage(width: 13, height: 7, channels: 3, seed: seed)
            let path = "\(folder)/rgb\(seed).png"
            try PNG.write(image, toPath: path, compressionLevel: level)
            XCTAssertEqual(try PNG.readRGB(atPath: path), image)
        }
    }

    func testGrayAndLabelRoundTrip() throws {
        let folder = try makeTemporaryDirectory(self)
        let gray = randomImage(width: 9, height: 4, channels: 1, seed: 4)
        try PNG.write(gray, toPath: "\(folder)/gray.png")
        let labels = try PNG.readLabels(atPath: "\(folder)/gray.png")
        XCTAssertEqual(labels.values, gray.pixels.map { Int32($0) })
        let rgb = try PNG.readRGB(atPath: "\(folder)/gray.png")
        XCTAssertEqual(rgb.pixels, gray.pixels.flatMap { [$0, $0, $0] })

        let map = LabelImage(width: 3, height: 2, values: [0, 7, 255, 33, 65, 1])
        try PNG.write(map, toPath: "\(folder)/labels.png")
        XCTAssertEqual(try PNG.readLabels(atPath: "\(folder)/labels.png"), map)
        XCTAssertThrowsError(try PNG.write(LabelImage(width: 1, height: 1, values: [256]), toPath: "\(folder)/bad.png"))
    }

    func testRGBAWriteDropsAlphaOnRead() throws {
        let image = randomImage(width: 5, height: 3, channels: 4, seed: 5)
        let path = try makeTemporaryDirectory(self) + "/rgba.png"
        try PNG.write(image, toPath: path)
        let rgb = try PNG.readRGB(atPath: path)
        XCTAssertEqual(rgb.pixels, (0..<15).flatMap { image.pixels[(4 * $0)..<(4 * $0 + 3)] })
    }

    func testPaletteLabelKeepsIndices() throws {
        let path = try write(PNGTestData.palette8, "palette8.png")
        let labels = try PNG.readLabels(atPath: path)
        XCTAssertEqual(labels.size, ImageSize(width: 6, height: 4))
        XCTAssertEqual(labels.values, (0..<24).map { Int32($0) })
        // As an image the palette is expanded (PIL's convert("RGB")).
        let rgb = try PNG.readRGB(atPath: path)
        XCTAssertEqual(Array(rgb.pixels.prefix(9)), [0, 13, 255, 37, 104, 250, 74, 195, 245])
    }

    func testFourBitPaletteAndSixteenBitGray() throws {
        let palette = try PNG.readLabels(atPath: try write(PNGTestData.palette4, "palette4.png"))
        XCTAssertEqual(palette.size, ImageSize(width: 5, height: 3))
        XCTAssertEqual(palette.values, (0..<15).map { Int32($0) })
        let gray16 = try PNG.readLabels(atPath: try write(PNGTestData.gray16, "gray16.png"))
        XCTAssertEqual(gray16.values, [0, 1, 255, 256, 1000, 4095, 30000, 65535, 7, 77, 777, 7777])
    }

    func testPILWrittenRGBAAndGrayToRGB() throws {
        let rgba = try PNG.readRGB(atPath: try write(PNGTestData.rgba, "rgba.png"))
        XCTAssertEqual(rgba.pixels, [10, 20, 30, 40, 50, 60, 70, 80, 90, 1, 2, 3, 5, 6, 7, 9, 10, 11])
        let gray = try PNG.readRGB(atPath: try write(PNGTestData.gray8, "gray8.png"))
        XCTAssertEqual(gray.pixels, [0, 0, 0, 100, 100, 100, 200, 200, 200, 1, 1, 1, 2, 2, 2, 255, 255, 255])
    }

    func testMultiChannelLabelNeedsAChannel() throws {
        let path = try write(PNGTestData.rgba, "rgba.png")
        assertPNGError(.unsupported, file: path) { _ = try PNG.readLabels(atPath: path) }
        XCTAssertEqual(try PNG.readLabels(atPath: path, channel: 0).values, [10, 40, 70, 1, 5, 9])
    }

    func testTruncatedFile() throws {
        let folder = try makeTemporaryDirectory(self)
        let path = "\(folder)/full.png"
        try PNG.write(randomImage(width: 40, height: 30, channels: 3, seed: 6), toPath: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for (name, length) in [("half.png", data.count / 2), ("no-end.png", data.count - 12), ("five.png", 5)] {
            let cut = "\(folder)/\(name)"
            try data.prefix(length).write(to: URL(fileURLWithPath: cut))
            assertPNGError(.truncated, file: cut) { _ = try PNG.readRGB(atPath: cut) }
            assertPNGError(.truncated, file: cut) { _ = try PNG.readLabels(atPath: cut, channel: 0) }
        }
    }

    func testCorruptData() throws {
        let folder = try makeTemporaryDirectory(self)
        let path = "\(folder)/image.png"
        try PNG.write(randomImage(width: 40, height: 30, channels: 3, seed: 7), toPath: path)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in (data.count / 2)..<(data.count / 2 + 16) { data[i] ^= 0x5A }
        try data.write(to: URL(fileURLWithPath: path))
        assertPNGError(.corrupt, file: path) { _ = try PNG.readRGB(atPath: path) }
    }

    func testRandomBytesAndMissingFile() throws {
        var stream = RandomStream(seed: 8)
        let bytes = Data((0..<500).map { _ in UInt8(truncatingIfNeeded: stream.nextUInt64()) })
        let path = try write(bytes, "random.png")
        assertPNGError(.notPNG, file: path) { _ = try PNG.readRGB(atPath: path) }
        let missing = path + ".missing"
        assertPNGError(.cannotOpen, file: missing) { _ = try PNG.readRGB(atPath: missing) }
    }

    /// A 7×5 JPEG written by Pillow 13 (quality 90).
    static let pillowJPEG = Data(base64Encoded:
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMU"
        + "FRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU"
        + "FBQUFBQUFBT/wAARCAAFAAcDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF"
        + "BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW"
        + "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi"
        + "4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC"
        + "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm"
        + "Z2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq"
        + "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDhvAk8elafBOLeK6/tCe4gmjuF3oREsDxnaeOPMkzxk5XkbcEoor8u4hzrG5ZVo0sNJWlC"
        + "75oQm7881o5xk0rJWSaS6K7Z+x4zh7Ls3zHF1sZCUpRqNK05x0tF7Rklu30uf//Z")!

    /// A 7×5 JPEG written by Pillow 13 (quality 90) decodes to exactly the RGB bytes Pillow gave
    /// (same libjpeg-turbo arithmetic: islow IDCT, fancy upsampling).
    func testJPEGDecodesLikePillow() throws {
        let path = try write(Self.pillowJPEG, "photo.jpg")
        let image = try ImageFile.readRGB(atPath: path)
        XCTAssertEqual(image.size, ImageSize(width: 7, height: 5))
        XCTAssertEqual(image.pixels, [201,28,73,185,35,81,143,40,93,133,60,113,169,111,162,162,127,147,103,99,62,202,27,70,186,36,73,155,56,85,98,34,58,151,107,132,163,146,156,148,160,140,205,26,65,183,34,53,148,55,37,168,119,86,135,121,92,123,141,127,108,150,164,208,33,64,182,36,46,151,60,29,216,172,127,46,40,8,134,151,135,110,133,139,194,30,54,180,43,53,146,56,45,204,152,141,110,83,100,111,88,94,149,107,65])
    }

    func testCorruptJPEGNamesTheFile() throws {
        let path = try write(Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46]), "truncated.jpg")
        XCTAssertThrowsError(try ImageFile.readRGB(atPath: path)) { error in
            guard case let DataError.unsupportedImage(file, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertTrue(reason.contains("JPEG"), reason)
        }
    }

    /// Damaged data that libjpeg only warns about (and fills with gray) is an error naming the
    /// file: the file cut inside its entropy-coded data, and a stray marker inside that data.
    func testDamagedJPEGIsAnErrorNamingTheFile() throws {
        let jpeg = Self.pillowJPEG
        let truncated = try write(jpeg.prefix(jpeg.count - 30), "truncated-data.jpg")
        let scanStart = try XCTUnwrap(jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }) + 14
        var marked = jpeg
        marked.replaceSubrange(scanStart + 4 ..< scanStart + 6, with: [0xFF, 0xD3])   // an RST3 no restart interval allows
        let corrupt = try write(marked, "corrupt-data.jpg")
        for (path, words) in [(truncated, "Premature end"), (corrupt, "Corrupt JPEG data")] {
            XCTAssertThrowsError(try ImageFile.readRGB(atPath: path)) { error in
                guard case let DataError.unsupportedImage(file, reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(file, path)
                XCTAssertTrue(reason.contains(words), reason)
            }
        }
    }
}
