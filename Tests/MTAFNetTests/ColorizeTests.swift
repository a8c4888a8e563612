import Foundation
import XCTest
@testable import MTAFNet

final class ColorizeTests: XCTestCase {
    /// Every class survives colors → PNG → classes; 255 and out-of-range indices come back as 255.
    func testPaletteRoundTripThroughPNG() throws {
        for classCount in [7, 16, 19, 5, 30] {
            let palette = Colorize.palette(classCount: classCount)
            XCTAssertEqual(palette.count, 3 * classCount)
            let colors = Set((0 ..< classCount).map { Array(palette[3 * $0 ..< 3 * $0 + 3]) })
            XCTAssertEqual(colors.count, classCount, "distinct colors for \(classCount) classes")
            XCTAssertFalse(colors.contains([0, 0, 0]), "no class is black")
            let values = (0 ..< classCount).map(Int32.init) + [255, -1, Int32(classCount)]
            let labels = LabelImage(width: values.count, height: 1, values: values)
            let image = Colorize.colors(labels, classCount: classCount)
            XCTAssertEqual(Array(image.pixels.suffix(9)), [UInt8](repeating: 0, count: 9))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("color-\(UUID().uuidString).png").path
            try PNG.write(image, toPath: path)
            let back = Colorize.classes(of: try PNG.readRGB(atPath: path), classCount: classCount)
            XCTAssertEqual(back.values, (0 ..< classCount).map(Int32.init) + [255, 255, 255])
        }
    }

    func testCityscapesColors() {
        XCTAssertEqual(Array(Colorize.palette(classCount: 19)[0 ..< 3]), [128, 64, 128])        // road
        XCTAssertEqual(Array(Colorize.palette(classCount: 19)[3 * 18 ..< 57]), [119, 11, 32])  // bicycle
        XCTAssertEqual(Array(Colorize.palette(classCount: 7)[3 * 6 ..< 21]), [0, 0, 142])      // vehicle
        XCTAssertEqual(Array(Colorize.palette(classCount: 16)[3 * 9 ..< 30]), [70, 130, 180])  // sky
    }

    func testGrayPredictionKeepsIndices() {
        let labels = LabelImage(width: 4, height: 1, values: [0, 6, 255, 300])
        XCTAssertEqual(Colorize.gray(labels).pixels, [0, 6, 255, 255])
    }

    func testPredictionFileStems() {
        XCTAssertEqual(PredictionWriter.stem(ofEntry: "frankfurt/frankfurt_000000_000294_leftImg8bit.png"),
                       "frankfurt/frankfurt_000000_000294_leftImg8bit")
        XCTAssertEqual(PredictionWriter.stem(ofEntry: "../x/./a.b.jpg"), "x/a.b")
        XCTAssertEqual(PredictionWriter.stem(ofEntry: ".hidden"), ".hidden")
    }
}
