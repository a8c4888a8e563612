// LabelMaps: the raw id → train id tables of spec Appendix B for Cityscapes (19/16/7 classes),
// GTA5 (19/7), IDD (19/7), Mapillary Vistas (19/7, built from config.json's label names) and
// SYNTHIA (19/16/7). Anything not listed maps to 255.
//
// MTAF ships the 7-class IDD and Vistas maps only. The 19-class ones are those of CoaST
// (github.com/Mael-zys/CoaST, commit 4ff51a3: data/idd_list/info19class.json and
// data/mapillary_dataset.py `classes_mappings_mapillary_to_cityscapes_19`), the code of the later
// work that benchmarks MTAF's four settings at 19 classes. ADAS (github.com/Seung-Hun-Lee/ADAS,
// datasets/idd.py) has the same IDD map; its Vistas map differs (docs/from-mtaf.md).

/// The label maps of the supported datasets (spec Appendix B).
public enum LabelMaps {
    /// The 19 Cityscapes class names (upstream's `info.json` spelling, "motocycle" sic).
    public static let classNames19 = [
        "road", "sidewalk", "building", "wall", "fence", "pole", "light", "sign", "vegetation", "terrain",
        "sky", "person", "rider", "car", "truck", "bus", "train", "motocycle", "bicycle",
    ]
    /// The 16 class names (`info16.json`).
    public static let classNames16 = [
        "road", "sidewalk", "building", "wall", "fence", "pole", "light", "sign", "vegetation",
        "sky", "person", "rider", "car", "bus", "motocycle", "bicycle",
    ]
    /// The 7 class names (`info7class.json`), train ids 0…6.
    public static let classNames7 = ["flat", "construction", "object", "nature", "sky", "human", "vehicle"]

    /// The class names for a class count (19, 16 or 7).
    public static func classNames(numClasses: Int) -> [String]? {
        switch numClasses {
        case 19: return classNames19
        case 16: return classNames16
        case 7: return classNames7
        default: return nil
        }
    }

    // MARK: Cityscapes and GTA5 (Appendix B.1, B.2)

    /// Cityscapes `gtFine_labelIds` → train ids; 35 entries (id 34 is the license-plate slot of
    /// the pair −1 → 255). NUM_CLASSES 19 (`info.json`), 16 (`info16.json`) or 7 (`info7class.json`).
    ///
    /// - Throws: `DataError.unsupportedClassCount` for another class count.
    /// Spec §7.3, Appendix B.1.
    public static func cityscapes(numClasses: Int) throws -> LabelMap {
        let pairs: [(Int, Int)]
        switch numClasses {
        case 19:
            pairs = [(7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8), (22, 9),
                     (23, 10), (24, 11), (25, 12), (26, 13), (27, 14), (28, 15), (31, 16), (32, 17), (33, 18)]
        case 16:
            pairs = [(7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8),
                     (23, 9), (24, 10), (25, 11), (26, 12), (28, 13), (32, 14), (33, 15)]
        case 7:
            pairs = [(7, 0), (8, 0), (11, 1), (12, 1), (13, 1), (17, 2), (19, 2), (20, 2), (21, 3), (22, 3),
                     (23, 4), (24, 5), (25, 5), (26, 6), (27, 6), (28, 6), (29, 6), (30, 6), (31, 6), (32, 6),
                     (33, 6)]
        default:
            throw DataError.unsupportedClassCount(dataset: "Cityscapes", numClasses: numClasses)
        }
        return LabelMap(pairs: pairs, size: 35, classNames: classNames(numClasses: numClasses)!)
    }

    /// GTA5 labels (Cityscapes ids) → train ids, NUM_CLASSES 19 or 7. Differs from Cityscapes-7 in
    /// terrain (→ 0 flat) and caravan/trailer (→ 255).
    ///
    /// - Throws: `DataError.unsupportedClassCount` for another class count.
    /// Spec §7.2, Appendix B.1 ("GTA5" columns), B.2.
    public static func gta5(numClasses: Int) throws -> LabelMap {
        let pairs: [(Int, Int)]
        switch numClasses {
        case 19:
            pairs = [(7, 0), (8, 1), (11, 2), (12, 3), (13, 4), (17, 5), (19, 6), (20, 7), (21, 8), (22, 9),
                     (23, 10), (24, 11), (25, 12), (26, 13), (27, 14), (28, 15), (31, 16), (32, 17), (33, 18)]
        case 7:
            pairs = [(7, 0), (8, 0), (11, 1), (12, 1), (13, 1), (17, 2), (19, 2), (20, 2), (21, 3), (22, 0),
                     (23, 4), (24, 5), (25, 5), (26, 6), (27, 6), (28, 6), (31, 6), (32, 6), (33, 6)]
        default:
            throw DataError.unsupportedClassCount(dataset: "GTA5", numClasses: numClasses)
        }
        return LabelMap(pairs: pairs, size: 256, classNames: classNames(numClasses: numClasses)!)
    }

    // MARK: IDD (Appendix B.3)

    /// IDD `id` values (0…39) → train ids; 40 entries. NUM_CLASSES 7 (MTAF's `info7class.json`)
    /// or 19 (CoaST's `info19class.json`: IDD's classes that are Cityscapes ones; curb, drivable
    /// and non-drivable fallback, autorickshaw, billboard … are ignored).
    ///
    /// - Throws: `DataError.unsupportedClassCount` for another class count.
    /// Spec §7.4, Appendix B.3.
    public static func idd(numClasses: Int) throws -> LabelMap {
        let pairs: [(Int, Int)]
        switch numClasses {
        case 19:
            pairs = [(0, 0), (3, 1), (29, 2), (20, 3), (21, 4), (26, 5), (25, 6), (24, 7), (32, 8), (5, 9),
                     (33, 10), (6, 11), (8, 12), (12, 13), (13, 14), (14, 15), (17, 16), (9, 17), (10, 18)]
        case 7:
            pairs = [(0, 0), (2, 0), (3, 0), (6, 5), (8, 5), (9, 6), (10, 6), (11, 6), (12, 6), (13, 6), (14, 6),
                     (15, 6), (16, 6), (17, 6), (18, 6), (19, 1), (20, 1), (21, 1), (23, 2), (24, 2), (25, 2), (26, 2),
                     (29, 1), (32, 3), (33, 4)]
        default:
            throw DataError.unsupportedClassCount(dataset: "IDD", numClasses: numClasses)
        }
        return LabelMap(pairs: pairs, size: 40, classNames: classNames(numClasses: numClasses)!)
    }

    // MARK: Mapillary Vistas (Appendix B.4)

    /// Vistas' 66 readable label names in config.json order (v1.2); index = pixel value.
    public static let mapillaryLabelNames = [
        "Bird", "Ground Animal", "Curb", "Fence", "Guard Rail", "Barrier", "Wall", "Bike Lane",
        "Crosswalk - Plain", "Curb Cut", "Parking", "Pedestrian Area", "Rail Track", "Road", "Service Lane",
        "Sidewalk", "Bridge", "Building", "Tunnel", "Person", "Bicyclist", "Motorcyclist", "Other Rider",
        "Lane Marking - Crosswalk", "Lane Marking - General", "Mountain", "Sand", "Sky", "Snow", "Terrain",
        "Vegetation", "Water", "Banner", "Bench", "Bike Rack", "Billboard", "Catch Basin", "CCTV Camera",
        "Fire Hydrant", "Junction Box", "Mailbox", "Manhole", "Phone Booth", "Pothole", "Street Light", "Pole",
        "Traffic Sign Frame", "Utility Pole", "Traffic Light", "Traffic Sign (Back)", "Traffic Sign (Front)",
        "Trash Can", "Bicycle", "Boat", "Bus", "Car", "Caravan", "Motorcycle", "On Rails", "Other Vehicle",
        "Trailer", "Truck", "Wheeled Slow", "Car Mount", "Ego Vehicle", "Unlabeled",
    ]

    /// The 7-class train id of each Vistas readable name, lower-cased (255 = "other").
    public static let mapillaryClassOfName: [String: Int32] = {
        let groups: [(Int32, [String])] = [
            (0, ["Bike Lane", "Crosswalk - Plain", "Curb Cut", "Parking", "Pedestrian Area", "Rail Track", "Road",
                 "Service Lane", "Sidewalk", "Lane Marking - Crosswalk", "Lane Marking - General", "Terrain"]),
            (1, ["Curb", "Fence", "Guard Rail", "Barrier", "Wall", "Bridge", "Building", "Tunnel"]),
            (2, ["Pothole", "Street Light", "Pole", "Traffic Sign Frame", "Utility Pole", "Traffic Light",
                 "Traffic Sign (Back)", "Traffic Sign (Front)"]),
            (3, ["Vegetation"]),
            (4, ["Sky"]),
            (5, ["Person", "Bicyclist", "Motorcyclist", "Other Rider"]),
            (6, ["Bicycle", "Boat", "Bus", "Car", "Caravan", "Motorcycle", "On Rails", "Other Vehicle", "Trailer",
                 "Truck", "Wheeled Slow"]),
            (255, ["Bird", "Ground Animal", "Mountain", "Sand", "Snow", "Water", "Banner", "Bench", "Bike Rack",
                   "Billboard", "Catch Basin", "CCTV Camera", "Fire Hydrant", "Junction Box", "Mailbox", "Manhole",
                   "Phone Booth", "Trash Can", "Car Mount", "Ego Vehicle", "Unlabeled"]),
        ]
        var result: [String: Int32] = [:]
        for (train, names) in groups {
            for name in names { result[name.lowercased()] = train }
        }
        return result
    }()

    /// The 19-class train id of each Vistas readable name, lower-cased; names not listed are
    /// ignored (CoaST's `classes_mappings_mapillary_to_cityscapes_19`: only a Vistas class that is
    /// a Cityscapes class counts; curb, lane markings, utility poles, caravans … are ignored).
    public static let mapillaryClassOfName19: [String: Int32] = {
        let names: [(Int32, [String])] = [
            (0, ["Road"]), (1, ["Sidewalk"]), (2, ["Building"]), (3, ["Wall"]), (4, ["Fence"]), (5, ["Pole"]),
            (6, ["Traffic Light"]), (7, ["Traffic Sign (Back)", "Traffic Sign (Front)"]), (8, ["Vegetation"]),
            (9, ["Terrain"]), (10, ["Sky"]), (11, ["Person"]), (12, ["Bicyclist", "Motorcyclist", "Other Rider"]),
            (13, ["Car"]), (14, ["Truck"]), (15, ["Bus"]), (16, ["On Rails"]), (17, ["Motorcycle"]), (18, ["Bicycle"]),
        ]
        var result: [String: Int32] = [:]
        for (train, group) in names {
            for name in group { result[name.lowercased()] = train }
        }
        return result
    }()

    /// The Mapillary map built from config.json's label names (index = pixel value), by name,
    /// case-insensitive; values beyond the table are left unchanged.
    ///
    /// - Parameters:
    ///   - labelNames: The readable names in config.json order.
    ///   - numClasses: 7 (MTAF's grouping) or 19 (CoaST's).
    ///   - configPath: The config file, for error messages.
    /// - Throws: `DataError.badConfig` for a name the 7-class mapping does not know (upstream:
    ///   KeyError) — both class counts need every name to be a Vistas v1.2 name;
    ///   `DataError.unsupportedClassCount` for another class count.
    /// Spec §7.5, Appendix B.4.
    public static func mapillary(labelNames: [String], numClasses: Int = 7,
                                 configPath: String = "config.json") throws -> LabelMap {
        guard numClasses == 7 || numClasses == 19 else {
            throw DataError.unsupportedClassCount(dataset: "Mapillary", numClasses: numClasses)
        }
        var table = [Int32]()
        for (index, name) in labelNames.enumerated() {
            let key = name.lowercased()
            guard let train7 = mapillaryClassOfName[key] else {
                throw DataError.badConfig(file: configPath,
                                          reason: "label \(index) '\(name)' is not a known Mapillary Vistas label name")
            }
            table.append(numClasses == 7 ? train7 : mapillaryClassOfName19[key] ?? 255)
        }
        return LabelMap(table: table, classNames: classNames(numClasses: numClasses)!, unlisted: .keep)
    }

    // MARK: SYNTHIA (Appendix B.5)

    /// SYNTHIA (RAND-CITYSCAPES) class ids → train ids, NUM_CLASSES 19, 16 or 7.
    ///
    /// - Throws: `DataError.unsupportedClassCount` for another class count.
    /// Spec §7.6, Appendix B.5.
    public static func synthia(numClasses: Int) throws -> LabelMap {
        // (id, 19, 16, 7)
        let rows: [(Int, Int, Int, Int)] = [
            (1, 10, 9, 4), (2, 2, 2, 1), (3, 0, 0, 0), (4, 1, 1, 0), (5, 4, 4, 1), (6, 8, 8, 3), (7, 5, 5, 2),
            (8, 13, 12, 6), (9, 7, 7, 2), (10, 11, 10, 5), (11, 18, 15, 6), (12, 17, 14, 6), (15, 6, 6, 2),
            (16, 9, 255, 0), (17, 12, 11, 5), (18, 14, 255, 6), (19, 15, 13, 6), (20, 16, 255, 6), (21, 3, 3, 1),
        ]
        let pairs: [(Int, Int)]
        switch numClasses {
        case 19: pairs = rows.map { ($0.0, $0.1) }
        case 16: pairs = rows.map { ($0.0, $0.2) }
        case 7: pairs = rows.map { ($0.0, $0.3) }
        default: throw DataError.unsupportedClassCount(dataset: "SYNTHIA", numClasses: numClasses)
        }
        return LabelMap(pairs: pairs, size: 256, classNames: classNames(numClasses: numClasses)!)
    }
}
