// LabelMapTests: spot checks of the label maps against spec Appendix B.

import XCTest
@testable import MTAFNet

final class LabelMapTests: XCTestCase {
    func testCityscapesTables() throws {
        let c19 = try LabelMaps.cityscapes(numClasses: 19)
        let c16 = try LabelMaps.cityscapes(numClasses: 16)
        let c7 = try LabelMaps.cityscapes(numClasses: 7)
        XCTAssertEqual(c19.table.count, 35)
        for id in [0, 1, 2, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18, 29, 30, 34] { XCTAssertEqual(c19.trainID(Int32(id)), 255, "\(id)") }
        XCTAssertEqual([7, 8, 11, 17, 22, 23, 24, 26, 31, 33].map { c19.trainID($0) }, [0, 1, 2, 5, 9, 10, 11, 13, 16, 18])
        XCTAssertEqual([22, 23, 27, 28, 31, 32, 33].map { c16.trainID($0) }, [255, 9, 255, 13, 255, 14, 15])
        XCTAssertEqual([7, 8, 12, 13, 19, 21, 22, 23, 25, 29, 30, 33, 34].map { c7.trainID($0) },
                       [0, 0, 1, 1, 2, 3, 3, 4, 5, 6, 6, 6, 255])
        XCTAssertEqual(c7.classNames, ["flat", "construction", "object", "nature", "sky", "human", "vehicle"])
        XCTAssertEqual(c19.classNames[17], "motocycle")
        XCTAssertEqual(c16.numClasses, 16)
        XCTAssertThrowsError(try LabelMaps.cityscapes(numClasses: 8))
    }

    func testGTA5DiffersFromCityscapesSevenClasses() throws {
        let g7 = try LabelMaps.gta5(numClasses: 7), c7 = try LabelMaps.cityscapes(numClasses: 7)
        XCTAssertEqual(g7.trainID(22), 0)       // terrain: flat for GTA5
        XCTAssertEqual(c7.trainID(22), 3)       // nature for Cityscapes
        XCTAssertEqual([g7.trainID(29), g7.trainID(30)], [255, 255])
        let g19 = try LabelMaps.gta5(numClasses: 19), c19 = try LabelMaps.cityscapes(numClasses: 19)
        for id in Int32(0)...33 { XCTAssertEqual(g19.trainID(id), c19.trainID(id), "\(id)") }
        XCTAssertEqual(g19.trainID(200), 255)
        XCTAssertThrowsError(try LabelMaps.gta5(numClasses: 16))
    }

    func testIDD() throws {
        let idd = try LabelMaps.idd(numClasses: 7)
        XCTAssertEqual(idd.table.count, 40)
        XCTAssertEqual([0, 1, 2, 3, 4, 5, 6, 7, 11, 19, 22, 23, 27, 29, 32, 33, 34, 39, 40].map { idd.trainID(Int32($0)) },
                       [0, 255, 0, 0, 255, 255, 5, 255, 6, 1, 255, 2, 255, 1, 3, 4, 255, 255, 255])
        XCTAssertThrowsError(try LabelMaps.idd(numClasses: 16))
    }

    /// The whole 19-class IDD table against CoaST's data/idd_list/info19class.json (its 250 is our
    /// 255); ADAS's datasets/idd.py has the same pairs.
    func testIDDNineteenClassesAgreeWithCoaST() throws {
        let idd = try LabelMaps.idd(numClasses: 19)
        var expected = [Int32](repeating: 255, count: 40)
        let coast: [(Int, Int32)] = [(0, 0), (3, 1), (5, 9), (6, 11), (8, 12), (9, 17), (10, 18), (12, 13), (13, 14),
                                     (14, 15), (17, 16), (20, 3), (21, 4), (24, 7), (25, 6), (26, 5), (29, 2), (32, 8),
                                     (33, 10)]
        for (raw, train) in coast { expected[raw] = train }
        XCTAssertEqual(idd.table, expected)
        XCTAssertEqual(idd.classNames, LabelMaps.classNames19)
        // Spot checks by name: road, curb (ignored), autorickshaw (ignored), train, sky.
        XCTAssertEqual([0, 19, 11, 17, 33, 39, 40].map { idd.trainID(Int32($0)) }, [0, 255, 255, 16, 10, 255, 255])
    }

    func testMapillaryVectorOfAppendixB4() throws {
        let expected: [Int32] = [
            255, 255, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 5, 5, 5, 5, 0, 0, 255, 255, 4, 255, 0, 3,
            255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 2, 2, 2, 2, 2, 2, 2, 2, 255, 6, 6, 6, 6, 6,
            6, 6, 6, 6, 6, 6, 255, 255, 255,
        ]
        XCTAssertEqual(LabelMaps.mapillaryLabelNames.count, 66)
        let map = try LabelMaps.mapillary(labelNames: LabelMaps.mapillaryLabelNames)
        XCTAssertEqual(map.table, expected)
        // Names match case-insensitively; values beyond the table are kept (spec §7.5).
        let lower = try LabelMaps.mapillary(labelNames: LabelMaps.mapillaryLabelNames.map { $0.uppercased() })
        XCTAssertEqual(lower.table, expected)
        var values: [Int32] = [13, 65, 70]
        map.apply(&values)
        XCTAssertEqual(values, [0, 255, 70])
        XCTAssertThrowsError(try LabelMaps.mapillary(labelNames: ["Road", "Hovercraft"], configPath: "c.json")) { error in
            XCTAssertTrue("\(error)".contains("Hovercraft") && "\(error)".contains("c.json"), "\(error)")
        }
    }

    /// The 19-class Vistas vector against CoaST's classes_mappings_mapillary_to_cityscapes_19
    /// (data/mapillary_dataset.py), index = config.json position of Vistas v1.2.
    func testMapillaryNineteenClassesAgreeWithCoaST() throws {
        let map = try LabelMaps.mapillary(labelNames: LabelMaps.mapillaryLabelNames, numClasses: 19)
        var expected = [Int32](repeating: 255, count: 66)
        let coast: [(String, Int32)] = [
            ("Road", 0), ("Sidewalk", 1), ("Building", 2), ("Wall", 3), ("Fence", 4), ("Pole", 5), ("Traffic Light", 6),
            ("Traffic Sign (Back)", 7), ("Traffic Sign (Front)", 7), ("Vegetation", 8), ("Terrain", 9), ("Sky", 10),
            ("Person", 11), ("Bicyclist", 12), ("Motorcyclist", 12), ("Other Rider", 12), ("Car", 13), ("Truck", 14),
            ("Bus", 15), ("On Rails", 16), ("Motorcycle", 17), ("Bicycle", 18),
        ]
        for (name, train) in coast { expected[LabelMaps.mapillaryLabelNames.firstIndex(of: name)!] = train }
        XCTAssertEqual(map.table, expected)
        XCTAssertEqual(map.classNames, LabelMaps.classNames19)
        // Spot checks by index: Curb, Road, Lane Marking - General, Utility Pole, Traffic Sign (Back),
        // Bicycle, On Rails, Caravan, Unlabeled; beyond the table: kept (spec §7.5).
        XCTAssertEqual([2, 13, 24, 47, 49, 52, 58, 56, 65, 70].map { map.trainID(Int32($0)) },
                       [255, 0, 255, 255, 7, 18, 16, 255, 255, 70])
        XCTAssertThrowsError(try LabelMaps.mapillary(labelNames: LabelMaps.mapillaryLabelNames, numClasses: 16))
        XCTAssertThrowsError(try LabelMaps.mapillary(labelNames: ["Road", "Hovercraft"], numClasses: 19,
                                                     configPath: "c.json")) { error in
            XCTAssertTrue("\(error)".contains("Hovercraft") && "\(error)".contains("c.json"), "\(error)")
        }
    }

    func testSynthia() throws {
        let s19 = try LabelMaps.synthia(numClasses: 19), s16 = try LabelMaps.synthia(numClasses: 16)
        let s7 = try LabelMaps.synthia(numClasses: 7)
        XCTAssertEqual([s19.trainID(1), s16.trainID(1), s7.trainID(1)], [10, 9, 4])
        XCTAssertEqual([s19.trainID(16), s16.trainID(16), s7.trainID(16)], [9, 255, 0])
        XCTAssertEqual([s19.trainID(21), s16.trainID(21), s7.trainID(21)], [3, 3, 1])
        for id: Int32 in [0, 13, 14, 22] { XCTAssertEqual(s19.trainID(id), 255) }
    }

    func testApplyMapsUnlistedToIgnore() throws {
        let map = try LabelMaps.cityscapes(numClasses: 7)
        var values: [Int32] = [7, 26, 35, 1000, -1]
        map.apply(&values)
        XCTAssertEqual(values, [0, 6, 255, 255, 255])
        let labels = Preprocess.trainIDs(LabelImage(width: 2, height: 1, values: [23, 24]), map: map)
        XCTAssertEqual(labels.values, [4, 5])
    }
}
