// SyntheticDomain: the four domains of the synthetic benchmark (spec §9) and the statistics that
// set them apart: layout (horizon, road width, clutter, lane markings, ego hood), camera (roll,
// field of view), materials (class-dependent colours) and appearance (saturation, contrast,
// colour cast, dusk, haze, blur, sensor noise). Two shift sets: `standard` (the original
// benchmark) and `distinct` (targets that differ from one another, docs/benchmark.md).

/// The domain shifts a benchmark is drawn with (`make-data --benchmark`).
public enum SyntheticShifts: String, CaseIterable, Sendable {
    /// The original benchmark: the targets differ from the source mostly in global colour.
    case standard
    /// Each target departs from the source along its own axis (docs/benchmark.md): "city" in
    /// materials and optics, "vistas" in camera geometry and exposure, "indian" in layout,
    /// materials and sensor.
    case distinct

    /// Where `make-data` writes the benchmark unless told otherwise.
    public var defaultDirectory: String {
        switch self {
        case .standard: return "data/synthetic"
        case .distinct: return "data/distinct"
        }
    }
}

/// A domain of the synthetic benchmark.
public enum SyntheticDomain: Int, CaseIterable, Sendable {
    /// The source: clean, saturated, sharp ("GTA5" layout).
    case game
    /// Grey, overcast, mild blur, ego-vehicle hood ("Cityscapes" layout).
    case city
    /// Colour cast, varied brightness and camera height/horizon ("Mapillary" layout).
    case vistas
    /// Dusty warm cast, sensor noise, more clutter, fewer lane markings ("IDD" layout).
    case indian

    /// The layout and appearance statistics of a domain.
    struct Style: Sendable {
        /// Horizon row as a fraction of the height: lowest and highest.
        var horizon: (Double, Double)
        /// Road width at the bottom row as a fraction of the width: lowest and highest.
        var roadWidth: (Double, Double)
        /// Probability of sidewalks (otherwise terrain or dirt shoulders).
        var sidewalkProbability: Double
        /// Probability of a dashed centre line.
        var laneMarkingProbability: Double
        /// Building height above the horizon as a fraction of the height: lowest and highest.
        var buildingHeight: (Double, Double)
        /// Object counts (inclusive ranges).
        var vehicles: ClosedRange<Int>, people: ClosedRange<Int>, poles: ClosedRange<Int>, trees: ClosedRange<Int>
        /// Probability of the ego-vehicle hood at the bottom.
        var egoHoodProbability: Double
        /// Saturation multiplier (1 = the base palette).
        var saturation: Double
        /// Contrast multiplier around mid-grey.
        var contrast: Double
        /// Brightness multiplier: lowest and highest (per image).
        var brightness: (Double, Double)
        /// Gamma applied after the colour transform: lowest and highest (per image).
        var gamma: (Double, Double)
        /// Per-channel gain jitter (per image, ±).
        var castJitter: Double
        /// Fixed per-channel gains (R, G, B).
        var cast: (Double, Double, Double)
        /// Haze: blend towards this colour by `hazeAmount`.
        var hazeColor: (Double, Double, Double)
        var hazeAmount: Double
        /// Box-blur radius (0 = sharp).
        var blurRadius: Int
        /// Gaussian sensor noise (standard deviation, 8-bit units).
        var noise: Double
        /// Texture amplitude (8-bit units).
        var texture: Double
        /// Overcast sky (grey) instead of blue.
        var overcast: Bool
        /// Probability of two-wheelers and autorickshaws among vehicles.
        var twoWheelerShare: Double
        /// Class-dependent colours of the scene's materials.
        var materials: Materials = .standard
        /// Camera roll: uniform in ±`roll` degrees per image (0 = level).
        var roll: Double = 0
        /// Field of view: the image shows a window of this fraction of the drawn scene, per
        /// image uniform in the range, resampled to the full size (1 = the whole scene).
        var zoom: (Double, Double) = (1, 1)
        /// Probability of a dusk image: orange sky, dimmer and warmer light.
        var duskProbability: Double = 0
        /// Size factor of people, pole widths and signs (1 = the standard benchmark's).
        var thingScale: Double = 1
    }

    /// The material palettes.
    enum Materials: Sendable {
        /// The base palette, or the warm one when two-wheelers dominate (the standard rule).
        case standard
        /// Grey-blue façades, dark asphalt, dark greenery (a northern European city).
        case northern
        /// Unpaved brown-grey roads close to the source's dirt, dusty greenery, bright façades.
        case unpaved
    }

    /// The domain's statistics in a shift set.
    func style(_ shifts: SyntheticShifts) -> Style {
        switch shifts {
        case .standard: return style
        case .distinct: return distinctStyle
        }
    }

    /// The domain's statistics in the standard shift set.
    var style: Style {
        switch self {
        case .game:
            return Style(horizon: (0.40, 0.46), roadWidth: (0.75, 1.0), sidewalkProbability: 0.9,
                         laneMarkingProbability: 0.9, buildingHeight: (0.15, 0.38),
                         vehicles: 1...4, people: 0...3, poles: 2...4, trees: 2...5, egoHoodProbability: 0,
                         saturation: 1.6, contrast: 1.25, brightness: (1.0, 1.1), gamma: (1, 1), castJitter: 0.03,
                         cast: (1, 1, 1), hazeColor: (0, 0, 0), hazeAmount: 0, blurRadius: 0, noise: 0,
                         texture: 18, overcast: false, twoWheelerShare: 0.05)
        case .city:
            return Style(horizon: (0.42, 0.48), roadWidth: (0.65, 0.9), sidewalkProbability: 1.0,
                         laneMarkingProbability: 0.8, buildingHeight: (0.25, 0.45),
                         vehicles: 1...5, people: 1...5, poles: 3...6, trees: 1...3, egoHoodProbability: 0.9,
                         saturation: 0.35, contrast: 0.8, brightness: (0.8, 0.95), gamma: (1, 1), castJitter: 0.03,
                         cast: (0.97, 1.0, 1.04), hazeColor: (175, 180, 185), hazeAmount: 0.15, blurRadius: 1,
                         noise: 2, texture: 8, overcast: true, twoWheelerShare: 0.1)
        case .vistas:
            return Style(horizon: (0.28, 0.62), roadWidth: (0.5, 1.0), sidewalkProbability: 0.6,
                         laneMarkingProbability: 0.7, buildingHeight: (0.1, 0.4),
                         vehicles: 0...5, people: 0...4, poles: 2...5, trees: 1...6, egoHoodProbability: 0.3,
                         saturation: 0.8, contrast: 1.1, brightness: (0.5, 1.4), gamma: (0.7, 1.5), castJitter: 0.3,
                         cast: (0.92, 1.08, 1.12), hazeColor: (0, 0, 0), hazeAmount: 0, blurRadius: 0,
                         noise: 4, texture: 14, overcast: false, twoWheelerShare: 0.2)
        case .indian:
            return Style(horizon: (0.40, 0.50), roadWidth: (0.45, 0.75), sidewalkProbability: 0.25,
                         laneMarkingProbability: 0.15, buildingHeight: (0.1, 0.3),
                         vehicles: 3...8, people: 3...10, poles: 1...3, trees: 1...4, egoHoodProbability: 0.1,
                         saturation: 0.8, contrast: 0.85, brightness: (0.9, 1.05), gamma: (1, 1), castJitter: 0.05,
                         cast: (1.12, 1.0, 0.78), hazeColor: (200, 175, 140), hazeAmount: 0.25, blurRadius: 0,
                         noise: 10, texture: 16, overcast: false, twoWheelerShare: 0.55)
        }
    }

    /// The domain's statistics in the distinct shift set (docs/benchmark.md, section 2): the source as
    /// in the standard set; each target departs from it along its own axis.
    private var distinctStyle: Style {
        let thingScale = 1.5
        switch self {
        case .game:
            var game = style
            game.thingScale = thingScale
            return game
        case .city:
            // One car-mounted camera (narrow horizon, hood), overcast light, soft optics, and
            // materials the source never shows: grey-blue façades, dark asphalt, dark greenery.
            return Style(horizon: (0.44, 0.47), roadWidth: (0.65, 0.9), sidewalkProbability: 1.0,
                         laneMarkingProbability: 0.85, buildingHeight: (0.25, 0.45),
                         vehicles: 2...5, people: 1...5, poles: 3...6, trees: 1...3, egoHoodProbability: 0.95,
                         saturation: 0.45, contrast: 0.85, brightness: (0.65, 0.8), gamma: (1, 1), castJitter: 0.03,
                         cast: (0.9, 0.98, 1.12), hazeColor: (170, 176, 184), hazeAmount: 0.12, blurRadius: 1,
                         noise: 2, texture: 8, overcast: true, twoWheelerShare: 0.1,
                         materials: .northern, thingScale: thingScale)
        case .vistas:
            // Many cameras world-wide: camera height and pitch (horizon), roll, field of view,
            // exposure, white balance and time of day vary per image; materials as the source's.
            return Style(horizon: (0.25, 0.65), roadWidth: (0.5, 1.0), sidewalkProbability: 0.6,
                         laneMarkingProbability: 0.7, buildingHeight: (0.1, 0.4),
                         vehicles: 0...5, people: 0...4, poles: 2...5, trees: 1...6, egoHoodProbability: 0.25,
                         saturation: 0.9, contrast: 1.05, brightness: (0.5, 1.4), gamma: (0.65, 1.6), castJitter: 0.35,
                         cast: (0.95, 1.05, 1.1), hazeColor: (0, 0, 0), hazeAmount: 0, blurRadius: 0,
                         noise: 5, texture: 14, overcast: false, twoWheelerShare: 0.2,
                         roll: 10, zoom: (0.65, 1.0), duskProbability: 0.25, thingScale: thingScale)
        case .indian:
            // Unstructured roads (few sidewalks or markings, unpaved surfaces), dense mixed
            // traffic with two-wheelers, crowds on the road, dusty warm haze, a noisy sensor.
            return Style(horizon: (0.40, 0.50), roadWidth: (0.45, 0.75), sidewalkProbability: 0.15,
                         laneMarkingProbability: 0.1, buildingHeight: (0.1, 0.3),
                         vehicles: 3...8, people: 4...10, poles: 1...3, trees: 1...4, egoHoodProbability: 0.1,
                         saturation: 0.75, contrast: 0.8, brightness: (0.95, 1.1), gamma: (1, 1), castJitter: 0.05,
                         cast: (1.15, 1.0, 0.75), hazeColor: (205, 180, 140), hazeAmount: 0.3, blurRadius: 0,
                         noise: 12, texture: 18, overcast: false, twoWheelerShare: 0.6,
                         materials: .unpaved, thingScale: thingScale)
        }
    }
}
