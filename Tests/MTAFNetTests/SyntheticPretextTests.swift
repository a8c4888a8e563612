// SyntheticPretextTests: the pretext data's layout, determinism, label ids and class mix
// (docs/pretraining.md).

import Foundation
import XCTest
@testable import MTAFNet

final class SyntheticPretextTests: XCTestCase {
    private func generate(seed: UInt64, into root: String) throws {
        var options = SyntheticPretext.Options()
        options.outputDirectory = root
        options.seed = seed
        options.trainImages = 3
        options.valImages = 2
        options.size = ImageSize(width: 96, height: 48)
        let summary = try SyntheticPretext.generate(options)
        XCTAssertEqual([summary.trainImages, summary.valImages, summary.files], [3, 2, 12])
    }

    private func read(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// GTA5's layout, the held-out images after the training ones; equal seeds give equal bytes,
    /// another seed other images.
    func testLayoutAndDeterminism() throws {
        let root = try makeTemporaryDirectory(self)
        try generate(seed: 5, into: root + "/a")
        try generate(seed: 5, into: root + "/b")
        try generate(seed: 6, into: root + "/c")
        XCTAssertEqual(try String(contentsOfFile: root + "/a/gta5_list/all.txt", encoding: .utf8), "00001.png\n00002.png\n00003.png\n")
        XCTAssertEqual(try String(contentsOfFile: root + "/a/gta5_list/val.txt", encoding: .utf8), "00004.png\n00005.png\n")
        for i in 1...5 {
            for folder in ["images", "labels"] {
                let file = "GTA5/\(folder)/" + String(format: "%05d.png", i)
                XCTAssertEqual(try read("\(root)/a/\(file)"), try read("\(root)/b/\(file)"), file)
                XCTAssertNotEqual(try read("\(root)/a/\(file)"), try read("\(root)/c/\(file)"), file)
            }
        }
        XCTAssertEqual(try PNG.readRGB(atPath: root + "/a/GTA5/images/00001.png").size, ImageSize(width: 96, height: 48))
        let sample = try GTA5Dataset(root: root + "/a/GTA5", listPath: root + "/a/gta5_list/all.txt",
                                     options: DatasetOptions(imageSize: ImageSize(width: 48, height: 24), numClasses: 7)).sample(0)
        XCTAssertEqual(sample.label.map { Set($0.values).isSubset(of: Set(0...6)) }, true)
    }

    /// The seven classes are written as the ids of GTA5-7's train ids 0…6, every class occurs in
    /// the first four collages, and the first one's pixel counts are pinned (a changed generator
    /// changes the committed pretrained backbone's data: regenerate it).
    func testLabelIDsAndClassMix() throws {
        let ids: [Int32] = [7, 11, 17, 21, 23, 24, 26]
        XCTAssertEqual(PretextClass.allCases.map(\.cityscapesID), ids)
        let gta5 = try LabelMaps.gta5(numClasses: 7)
        XCTAssertEqual(ids.map(gta5.trainID), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(PretextClass.allCases.map { "\($0)" },
                       ["background", "rectangle", "ellipse", "triangle", "bar", "stripedBlob", "checkerBlob"])
        let size = ImageSize(width: 320, height: 160)
        var pixels = [Int32: Int]()
        for index in 0..<4 {
            let labels = SyntheticPretext.collage(split: 0, index: index, seed: 0, size: size).labels
            XCTAssertTrue(Set(labels.values).isSubset(of: Set(ids)), "collage \(index)")
            for value in labels.values { pixels[value, default: 0] += 1 }
            if index == 0 {
                XCTAssertEqual(ids.map { id in labels.values.count { $0 == id } }, [30911, 42, 4829, 4146, 1052, 4619, 5601])
            }
        }
        for id in ids { XCTAssertGreaterThan(pixels[id] ?? 0, 500, "label id \(id)") }
    }

    /// Colour says nothing about the class: over 40 collages each class's mean colour is near the
    /// middle of the RGB cube in every channel (shapes draw their colours uniformly).
    func testClassesAreNotColours() {
        let size = ImageSize(width: 80, height: 40)
        var sums = [[Double]](repeating: [0, 0, 0], count: 7), counts = [Double](repeating: 0, count: 7)
        for index in 0..<40 {
            let collage = SyntheticPretext.collage(split: 0, index: index, seed: 3, size: size)
            let image = collage.pixelImage
            for (i, kind) in collage.classes.enumerated() {
                for c in 0..<3 { sums[Int(kind)][c] += Double(image.pixels[3 * i + c]) }
                counts[Int(kind)] += 1
            }
        }
        for k in 0..<7 {
            for c in 0..<3 {
                let mean = sums[k][c] / counts[k]
                XCTAssertTrue((90...165).contains(mean), "class \(PretextClass.allCases[k]) channel \(c): mean \(mean)")
            }
        }
    }
}
