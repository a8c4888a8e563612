// SyntheticBenchmarkTests: the generator's layout, determinism, label id spaces and the
// domain-gap proxy.

import Foundation
import XCTest
@testable import MTAFNet

final class SyntheticBenchmarkTests: XCTestCase {
    private func generate(seed: UInt64) throws -> String {
        let root = try makeTemporaryDirectory(self)
        var options = SyntheticBenchmark.Options()
        options.outputDirectory = root
        options.seed = seed
        options.sourceImages = 3
        options.targetTrainImages = 2
        options.targetValImages = 2
        options.targetTuneImages = 1
        options.size = ImageSize(width: 80, height: 40)
        let summary = try SyntheticBenchmark.generate(options)
        XCTAssertEqual(summary.parts.map(\.images), [3, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1])
        return root
    }

    private func read(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func testLayoutAndLists() throws {
        let root = try generate(seed: 1)
        let files = [
            "GTA5/images/00001.png", "GTA5/labels/00003.png",
            "Cityscapes/leftImg8bit/train/aachen/aachen_000000_000000_leftImg8bit.png",
            "Cityscapes/gtFine/val/lindau/lindau_000000_000001_gtFine_labelIds.png",
            "Mapillary/train/images/synthetic_000000.png", "Mapillary/train/labels/synthetic_000001.png",
            "Mapillary/validation/instances/synthetic_000001.png", "Mapillary/config.json",
            "IDD/leftImg8bit/train/0/000000_leftImg8bit.png", "IDD/gtFine/val/100/000001_gtFine_labelids.png",
            "Cityscapes/gtFine/tune/hamburg/hamburg_000000_000000_gtFine_labelIds.png",
            "Mapillary/tune/labels/synthetic_000000.png", "IDD/gtFine/tune/200/000000_gtFine_labelids.png",
        ]
        for file in files { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(root)/\(file)"), file) }
        XCTAssertEqual(try String(contentsOfFile: "\(root)/gta5_list/all.txt", encoding: .utf8),
                       "00001.png\n00002.png\n00003.png\n")
        // The held-out source validation images follow the training ones.
        XCTAssertEqual(try String(contentsOfFile: "\(root)/gta5_list/val.txt", encoding: .utf8), "00004.png\n00005.png\n")
        XCTAssertEqual(try DatasetList(contentsOf: "\(root)/cityscapes_list/val.txt").entries,
                       ["frankfurt/frankfurt_000000_000000_leftImg8bit.png", "lindau/lindau_000000_000001_leftImg8bit.png"])
        XCTAssertEqual(try DatasetList(contentsOf: "\(root)/idd_list/train.txt").entries,
                       ["0/000000_leftImg8bit.png", "0/000001_leftImg8bit.png"])
        XCTAssertEqual(try MapillaryDataset.labelNames(configPath: "\(root)/Mapillary/config.json"),
                       LabelMaps.mapillaryLabelNames)
        let image = try PNG.readRGB(atPath: "\(root)/GTA5/images/00001.png")
        XCTAssertEqual(image.size, ImageSize(width: 80, height: 40))
    }

    func testLabelsUseEachDatasetsIDs() throws {
        let root = try generate(seed: 2)
        let cityscapesIDs = Set(SyntheticElement.allCases.map { Int32($0.cityscapesID) })
        let gta5 = try PNG.readLabels(atPath: "\(root)/GTA5/labels/00001.png")
        XCTAssertTrue(Set(gta5.values).isSubset(of: cityscapesIDs))
        XCTAssertTrue(gta5.values.contains(7) && gta5.values.contains(23))     // road, sky
        let idd = try PNG.readLabels(atPath: "\(root)/IDD/gtFine/train/0/000000_gtFine_labelids.png")
        XCTAssertTrue(Set(idd.values).isSubset(of: Set(SyntheticElement.allCases.map { Int32($0.iddID) })))
        XCTAssertTrue(idd.values.contains(33))                                  // sky
        let vistas = try PNG.readLabels(atPath: "\(root)/Mapillary/train/labels/synthetic_000000.png")
        XCTAssertTrue(Set(vistas.values).isSubset(of: Set(SyntheticElement.allCases.map { Int32($0.mapillaryID) })))
        XCTAssertTrue(vistas.values.contains(27))                               // Sky
        // Every element maps to the intended 7-class id in each dataset, except the documented
        // label-space differences (terrain, curb, dirt).
        let g7 = try LabelMaps.gta5(numClasses: 7), c7 = try LabelMaps.cityscapes(numClasses: 7)
        let i7 = try LabelMaps.idd(numClasses: 7), m7 = try LabelMaps.mapillary(labelNames: LabelMaps.mapillaryLabelNames)
        for element in SyntheticElement.allCases where ![.terrain, .curb, .dirt].contains(element) {
            let ids = [g7.trainID(Int32(element.cityscapesID)), c7.trainID(Int32(element.cityscapesID)),
                       i7.trainID(Int32(element.iddID)), m7.trainID(Int32(element.mapillaryID))]
            XCTAssertEqual(Set(ids).count, 1, "\(element): \(ids)")
        }
    }

    /// `classes: 19` adds bicycles and trams: read through the real dataset readers with
    /// NUM_CLASSES 19, every domain's labels hold train (16) and bicycle (18) besides road and sky,
    /// and only the 19 train ids and 255. The default scenes never draw either element.
    func testNineteenClassScenesReachEveryDomainsNineteenClassMap() throws {
        let root = try makeTemporaryDirectory(self)
        var options = SyntheticBenchmark.Options()
        options.outputDirectory = root
        options.classes = 19
        options.sourceImages = 6
        options.targetTrainImages = 1
        options.targetValImages = 6
        options.targetTuneImages = 0
        options.size = ImageSize(width: 160, height: 80)
        _ = try SyntheticBenchmark.generate(options)
        let read = DatasetOptions(imageSize: options.size, numClasses: 19)
        let datasets: [any SegmentationDataset] = [
            try GTA5Dataset(root: "\(root)/GTA5", listPath: "\(root)/gta5_list/all.txt", options: read),
            try CityscapesDataset(root: "\(root)/Cityscapes", listPath: "\(root)/cityscapes_list/val.txt", set: "val",
                                  options: read),
            try MapillaryDataset(root: "\(root)/Mapillary", set: "validation", options: read),
            try IDDDataset(root: "\(root)/IDD", listPath: "\(root)/idd_list/val.txt", set: "val", options: read),
        ]
        let allowed = Set((0...18).map { Int32($0) } + [255])
        for dataset in datasets {
            XCTAssertEqual(dataset.count, 6, dataset.name)
            var seen = Set<Int32>()
            for i in 0..<dataset.count { seen.formUnion(try dataset.sample(i).label!.values) }
            XCTAssertTrue(seen.isSubset(of: allowed), "\(dataset.name): \(seen.sorted())")
            for id: Int32 in [0, 10, 16, 18] { XCTAssertTrue(seen.contains(id), "\(dataset.name) lacks \(id): \(seen.sorted())") }
        }
        for index in 0..<6 {
            let scene = SyntheticBenchmark.scene(domain: .city, split: 1, index: index, seed: 0, size: options.size)
            XCTAssertFalse(scene.elements.contains { $0 == SyntheticElement.bicycle.rawValue || $0 == SyntheticElement.tram.rawValue })
        }
        options.classes = 16
        XCTAssertThrowsError(try SyntheticBenchmark.generate(options)) { error in
            XCTAssertTrue("\(error)".contains("NUM_CLASSES 16"), "\(error)")
        }
    }

    func testDeterministicPerSeed() throws {
        let a = try generate(seed: 5), b = try generate(seed: 5), c = try generate(seed: 6)
        for file in ["GTA5/images/00002.png", "Mapillary/validation/labels/synthetic_000001.png",
                     "IDD/leftImg8bit/val/100/000000_leftImg8bit.png"] {
            XCTAssertEqual(try read("\(a)/\(file)"), try read("\(b)/\(file)"), file)
            XCTAssertNotEqual(try read("\(a)/\(file)"), try read("\(c)/\(file)"), file)
        }
    }

    /// The proxy for "a source-only model loses accuracy on every target and alignment recovers
    /// some": a colour-only nearest-class-mean classifier fitted on game scenes scores lower on
    /// every target, a per-channel colour alignment to the source raises the target scores, and
    /// the class frequencies (layout) differ.
    func testDomainGapProxy() {
        let gap = SyntheticDomainGap.measure(seed: 0, imagesPerDomain: 6, size: ImageSize(width: 128, height: 64))
        XCTAssertEqual(gap.rows.map(\.domain), [.game, .city, .vistas, .indian])
        let source = gap.rows[0]
        for target in gap.rows.dropFirst() {
            XCTAssertLessThan(target.mIoU, source.mIoU - 3, "\(target.domain)\n\(gap)")
            XCTAssertGreaterThan(target.alignedMIoU, target.mIoU, "\(target.domain)\n\(gap)")
            XCTAssertGreaterThan(target.meanColorDistance, 2 * source.meanColorDistance, "\(target.domain)\n\(gap)")
            XCTAssertGreaterThan(target.frequencyDistance, 0.03, "\(target.domain)\n\(gap)")
        }
    }

    /// The standard shift set is the original benchmark: adding the distinct set changed none of
    /// its draws (checksums of scenes as the generator drew them before the distinct set existed).
    func testStandardScenesAreUnchanged() {
        let size = ImageSize(width: 64, height: 32)
        var checksums: [UInt32] = []
        for domain in SyntheticDomain.allCases {
            let scene = SyntheticBenchmark.scene(domain: domain, split: 0, index: 3, seed: 0, size: size)
            checksums.append(CRC32C.checksum(scene.pixelImage.pixels + scene.elements))
        }
        XCTAssertEqual(checksums, Self.standardChecksums)
    }

    /// The distinct set (docs/benchmark.md): the source keeps its layout with larger things; only
    /// vistas' camera moves (void corners); indian's roads are unpaved and unmarked; the targets
    /// are far from one another by the colour proxy, indian farthest.
    func testDistinctShifts() {
        let size = ImageSize(width: 128, height: 64)
        let person = SyntheticElement.person.rawValue, void = SyntheticElement.void.rawValue
        var standardPeople = 0, distinctPeople = 0
        var voidScenes: [SyntheticDomain: Int] = [:]
        var markings = 0, indianRoad = 0
        for index in 0..<12 {
            let standard = SyntheticBenchmark.scene(domain: .game, split: 0, index: index, seed: 0, size: size)
            let distinct = SyntheticBenchmark.scene(domain: .game, split: 0, index: index, seed: 0, size: size, shifts: .distinct)
            standardPeople += standard.elements.filter { $0 == person }.count
            distinctPeople += distinct.elements.filter { $0 == person }.count
            for domain in SyntheticDomain.allCases {
                let scene = SyntheticBenchmark.scene(domain: domain, split: 1, index: index, seed: 0, size: size, shifts: .distinct)
                if scene.elements.contains(void) { voidScenes[domain, default: 0] += 1 }
                if domain == .indian {
                    markings += scene.elements.filter { $0 == SyntheticElement.laneMarking.rawValue }.count
                    indianRoad += scene.elements.filter { $0 == SyntheticElement.road.rawValue }.count
                }
            }
        }
        XCTAssertGreaterThan(Double(distinctPeople), 1.5 * Double(standardPeople))
        XCTAssertEqual(voidScenes[.game], nil)
        XCTAssertEqual(voidScenes[.city], nil)
        XCTAssertEqual(voidScenes[.indian], nil)
        XCTAssertGreaterThan(voidScenes[.vistas] ?? 0, 3)
        XCTAssertLessThan(Double(markings), 0.02 * Double(indianRoad))

        let gap = SyntheticDomainGap.measure(seed: 0, imagesPerDomain: 6, size: size, shifts: .distinct)
        for a in 0..<4 {
            XCTAssertEqual(gap.pairColorDistance[a][a], 0)
            for b in 0..<4 { XCTAssertEqual(gap.pairColorDistance[a][b], gap.pairColorDistance[b][a]) }
        }
        let (city, vistas, indian) = (1, 2, 3)
        for other in [0, city, vistas] {
            XCTAssertGreaterThan(gap.pairColorDistance[indian][other], gap.pairColorDistance[city][vistas], "\(gap)")
        }
        for target in [city, vistas, indian] {
            // A target's own colour classifier beats the one fitted on any other target.
            for other in [city, vistas, indian] where other != target {
                XCTAssertGreaterThan(gap.pairTransferMIoU[target][target], gap.pairTransferMIoU[other][target], "\(gap)")
            }
        }
    }

    static let standardChecksums: [UInt32] = [989_461_676, 807_981_026, 1_944_154_160, 4_149_975_949]
}
