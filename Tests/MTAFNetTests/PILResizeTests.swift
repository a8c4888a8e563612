// PILResizeTests: PIL-exact bicubic and nearest against Pillow (the data_preprocess_pil fixture
// and nearest index tables computed with Pillow 13).

import XCTest
@testable import MTAFNet

final class PILResizeTests: XCTestCase {
    func testPreprocessFixture() {
        XCTAssertFixturePasses("data_preprocess_pil")
    }

    /// Pillow's nearest source indices for Cityscapes' 2048×1024 → 640×320: 28 columns and 28
    /// rows differ from ⌊(o + 0.5)·a⌋ (spec §7.1), all at these output indices.
    func testNearestIndicesMatchPillow() {
        let differing = [7] + Array(stride(from: 52, through: 182, by: 5))
        for (input, output, pillowSum) in [(2048, 640, 655_076), (1024, 320, 163_684)] {
            let indices = PILResize.nearestIndices(inCount: input, outCount: output)
            XCTAssertEqual(indices.reduce(0, +), pillowSum)
            let scale = Double(input) / Double(output)
            let found = (0..<output).filter { indices[$0] != Int(((Double($0) + 0.5) * scale).rounded(.down)) }
            XCTAssertEqual(found, differing)
        }
        // Sizes where both forms agree (Pillow sums).
        XCTAssertEqual(PILResize.nearestIndices(inCount: 1914, outCount: 640).reduce(0, +), 612_160)
        XCTAssertEqual(PILResize.nearestIndices(inCount: 1052, outCount: 320).reduce(0, +), 168_160)
        XCTAssertEqual(PILResize.nearestIndices(inCount: 7, outCount: 10), [0, 1, 1, 2, 3, 3, 4, 5, 5, 6])
    }

    func testSameSizeIsIdentityAndConstantsStayConstant() {
        var stream = RandomStream(seed: 3)
        let pixels = (0..<(11 * 6 * 3)).map { _ in UInt8(truncatingIfNeeded: stream.nextUInt64()) }
        let image = PixelImage(width: 11, height: 6, channels: 3, pixels: pixels)
        XCTAssertEqual(PILResize.bicubic(image, to: image.size), image)
        XCTAssertEqual(PILResize.nearest(image, to: image.size), image)
        let constant = PixelImage(width: 9, height: 5, channels: 3, pixels: [UInt8](repeating: 77, count: 135))
        for size in [ImageSize(width: 3, height: 2), ImageSize(width: 20, height: 13), ImageSize(width: 9, height: 1)] {
            XCTAssertEqual(Set(PILResize.bicubic(constant, to: size).pixels), [77])
        }
    }

    func testNearestLabelsCopyValues() {
        let labels = LabelImage(width: 4, height: 2, values: [1, 2, 3, 4, 5, 6, 7, 8])
        let up = PILResize.nearest(labels, to: ImageSize(width: 8, height: 4))
        XCTAssertEqual(up.values, [1, 1, 2, 2, 3, 3, 4, 4, 1, 1, 2, 2, 3, 3, 4, 4,
                                   5, 5, 6, 6, 7, 7, 8, 8, 5, 5, 6, 6, 7, 7, 8, 8])
        let down = PILResize.nearest(labels, to: ImageSize(width: 2, height: 1))
        XCTAssertEqual(down.values, [6, 8])
    }
}
