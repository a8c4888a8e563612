// SyntheticElement: the scene parts the synthetic benchmark draws (spec §9), with the label id
// each real dataset's id space gives them, so the real label maps of Appendix B are exercised.

/// A part of a synthetic street scene and its id in each dataset's label space.
enum SyntheticElement: UInt8, CaseIterable, Sendable {
    case void, sky, building, wall, fence, road, laneMarking, sidewalk, curb, terrain, dirt, vegetation
    case pole, trafficSign, trafficLight, person, rider, car, truck, bus, motorcycle, autorickshaw, egoVehicle
    /// Drawn only in 19-class scenes (`SyntheticBenchmark.Options.classes`): the two Cityscapes
    /// classes the 7-class scenes never draw.
    case bicycle, tram

    /// The Cityscapes label id (`gtFine_labelIds`, also GTA5's), Appendix B.1.
    var cityscapesID: UInt8 {
        switch self {
        case .void: return 0            // unlabeled → 255
        case .sky: return 23
        case .building: return 11
        case .wall: return 12
        case .fence: return 13
        case .road, .laneMarking: return 7
        case .sidewalk, .curb: return 8 // Cityscapes counts the curb as sidewalk
        case .terrain: return 22        // GTA5-7: flat; Cityscapes-7: nature (Appendix B.1)
        case .dirt: return 6            // ground → 255
        case .vegetation: return 21
        case .pole: return 17
        case .trafficSign: return 20
        case .trafficLight: return 19
        case .person: return 24
        case .rider: return 25
        case .car, .autorickshaw: return 26
        case .truck: return 27
        case .bus: return 28
        case .motorcycle: return 32
        case .egoVehicle: return 1      // → 255
        case .bicycle: return 33
        case .tram: return 31           // train
        }
    }

    /// The IDD `id` value (`gtFine_labelids`), Appendix B.3.
    var iddID: UInt8 {
        switch self {
        case .void: return 35           // unlabeled → 255
        case .sky: return 33
        case .building: return 29
        case .wall: return 20
        case .fence: return 21
        case .road, .laneMarking: return 0
        case .sidewalk: return 3
        case .curb: return 19           // IDD's curb is construction
        case .terrain: return 5         // non-drivable fallback → 255
        case .dirt: return 2            // drivable fallback → flat
        case .vegetation: return 32
        case .pole: return 26
        case .trafficSign: return 24
        case .trafficLight: return 25
        case .person: return 6
        case .rider: return 8
        case .car: return 12
        case .truck: return 13
        case .bus: return 14
        case .motorcycle: return 9
        case .autorickshaw: return 11
        case .egoVehicle: return 36     // → 255
        case .bicycle: return 10
        case .tram: return 17           // train
        }
    }

    /// The Mapillary Vistas label index (pixel value; names in `LabelMaps.mapillaryLabelNames`),
    /// Appendix B.4.
    var mapillaryID: UInt8 {
        switch self {
        case .void: return 65           // Unlabeled → 255
        case .sky: return 27
        case .building: return 17
        case .wall: return 6
        case .fence: return 3
        case .road: return 13
        case .laneMarking: return 24    // Lane Marking - General → flat
        case .sidewalk: return 15
        case .curb: return 2            // Curb → construction
        case .terrain: return 29        // Terrain → flat
        case .dirt: return 14           // Service Lane → flat
        case .vegetation: return 30
        case .pole: return 45
        case .trafficSign: return 50
        case .trafficLight: return 48
        case .person: return 19
        case .rider: return 21          // Motorcyclist
        case .car: return 55
        case .truck: return 61
        case .bus: return 54
        case .motorcycle: return 57
        case .autorickshaw: return 59   // Other Vehicle
        case .egoVehicle: return 64     // → 255
        case .bicycle: return 52
        case .tram: return 58           // On Rails
        }
    }
}
