// SyntheticScene: one procedurally drawn street scene of the synthetic benchmark (spec §9).
// Sizes: W×H pixels; `elements` is H×W (SyntheticElement raw values), `rgb` H×W×3 bytes.
// A seeded layout generator places ground (road, lane markings, curbs, sidewalks or shoulders),
// buildings with walls and fences, trees, poles with signs and lights, vehicles, people and an
// optional ego-vehicle hood in perspective; the domain's style then sets palette, camera roll and
// field of view, texture, colour cast, dusk, haze, blur and sensor noise.

/// A rendered scene: its element map and its image.
struct SyntheticScene {
    let width: Int
    let height: Int
    /// H×W element ids (`SyntheticElement.rawValue`).
    var elements: [UInt8]
    /// H×W×3 RGB, 0…255 before the final rounding.
    var color: [Float]

    /// Draws a scene.
    ///
    /// - Parameters:
    ///   - domain: The domain whose statistics shape the scene.
    ///   - size: W×H.
    ///   - stream: The scene's own random stream.
    ///   - nineteenClasses: Also draw a bicycle and a tram now and then, so that every one of the
    ///     19 Cityscapes classes occurs; false draws exactly the 7-class scenes.
    ///   - shifts: The shift set the domain's statistics come from.
    /// Spec §9, docs/benchmark.md.
    static func render(domain: SyntheticDomain, size: ImageSize, stream: inout RandomStream,
                       nineteenClasses: Bool = false, shifts: SyntheticShifts = .standard) -> SyntheticScene {
        var scene = SyntheticScene(width: size.width, height: size.height,
                                   elements: [UInt8](repeating: SyntheticElement.void.rawValue, count: size.pixelCount),
                                   color: [Float](repeating: 0, count: size.pixelCount * 3))
        var painter = ScenePainter(style: domain.style(shifts), stream: stream, nineteenClasses: nineteenClasses)
        painter.draw(&scene)
        stream = painter.stream
        return scene
    }

    /// The image as 8-bit RGB.
    var pixelImage: PixelImage {
        var pixels = [UInt8](repeating: 0, count: color.count)
        for i in 0..<color.count { pixels[i] = UInt8(min(max(color[i].rounded(), 0), 255)) }
        return PixelImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// The element map in a dataset's id space.
    func labels(_ id: (SyntheticElement) -> UInt8) -> LabelImage {
        var lookup = [Int32](repeating: 0, count: 256)
        for element in SyntheticElement.allCases { lookup[Int(element.rawValue)] = Int32(id(element)) }
        return LabelImage(width: width, height: height, values: elements.map { lookup[Int($0)] })
    }
}

/// The drawing state of one scene.
private struct ScenePainter {
    typealias RGB = (Double, Double, Double)

    let style: SyntheticDomain.Style
    var stream: RandomStream
    /// Whether to add the bicycles and trams of 19-class scenes.
    let nineteenClasses: Bool
    /// Whether this image is a dusk one (`Style.duskProbability`).
    var dusk = false

    init(style: SyntheticDomain.Style, stream: RandomStream, nineteenClasses: Bool) {
        self.style = style
        self.stream = stream
        self.nineteenClasses = nineteenClasses
    }

    // MARK: Random helpers

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * stream.nextDouble() }
    mutating func uniform(_ range: (Double, Double)) -> Double { uniform(range.0, range.1) }
    mutating func integer(_ range: ClosedRange<Int>) -> Int { range.lowerBound + stream.nextInt(below: range.count) }
    mutating func chance(_ probability: Double) -> Bool { stream.nextDouble() < probability }
    mutating func pick(_ colors: [RGB]) -> RGB { colors[stream.nextInt(below: colors.count)] }
    mutating func jitter(_ color: RGB, _ amount: Double) -> RGB {
        (color.0 + uniform(-amount, amount), color.1 + uniform(-amount, amount), color.2 + uniform(-amount, amount))
    }

    // MARK: Geometry of the ground

    /// The camera: horizon row, vanishing point, road edges and shoulders at the bottom row.
    struct Ground {
        var horizon: Double
        var vanishingX: Double
        var roadLeft: Double, roadRight: Double
        var sidewalkWidth: Double
        var laneX: Double
        var hasSidewalks: Bool
        var hasLaneMarking: Bool
        var dashPhase: Double
        var shoulder: SyntheticElement

        /// Depth fraction t of a row (0 at the horizon, 1 at the bottom).
        func depth(row y: Double, height: Double) -> Double { (y - horizon) / (height - horizon) }
        /// The row of a depth.
        func row(depth t: Double, height: Double) -> Double { horizon + t * (height - horizon) }
        /// x of a bottom-row position projected to depth t.
        func project(_ x: Double, depth t: Double) -> Double { vanishingX + (x - vanishingX) * t }
    }

    mutating func draw(_ scene: inout SyntheticScene) {
        let w = Double(scene.width), h = Double(scene.height)
        let roadWidth = uniform(style.roadWidth) * w
        let center = w / 2 + uniform(-0.12, 0.12) * w
        let hasSidewalks = chance(style.sidewalkProbability)
        var ground = Ground(
            horizon: uniform(style.horizon) * h, vanishingX: w / 2 + uniform(-0.08, 0.08) * w,
            roadLeft: center - roadWidth / 2, roadRight: center + roadWidth / 2,
            sidewalkWidth: hasSidewalks ? uniform(0.12, 0.3) * w : 0, laneX: center + uniform(-0.05, 0.05) * w,
            hasSidewalks: hasSidewalks, hasLaneMarking: chance(style.laneMarkingProbability),
            dashPhase: uniform(0, 1), shoulder: .terrain)
        ground.shoulder = style.twoWheelerShare > 0.5 ? (chance(0.7) ? .dirt : .terrain) : (chance(0.5) ? .terrain : .sidewalk)

        // Draws that the standard shift set does not make come only where a style asks for them,
        // so its scenes stay exactly as they were.
        if style.duskProbability > 0 { dusk = chance(style.duskProbability) }
        let palette = Palette(style: style, painter: &self)
        drawSky(&scene, ground: ground, palette: palette)
        drawBuildings(&scene, ground: ground, palette: palette)
        drawGround(&scene, ground: ground, palette: palette)
        drawObjects(&scene, ground: ground, palette: palette)
        if chance(style.egoHoodProbability) { drawEgoHood(&scene, palette: palette) }
        if style.roll > 0 || style.zoom.0 < 1 { moveCamera(&scene) }
        finish(&scene, ground: ground)
    }

    // MARK: Palette

    /// Base colours of one scene.
    struct Palette {
        var skyTop: RGB, skyHorizon: RGB
        var buildings: [RGB]
        var road: RGB, marking: RGB, sidewalk: RGB, curb: RGB, terrain: RGB, dirt: RGB
        var vegetation: RGB, trunk: RGB, pole: RGB
        var vehicles: [RGB]
        var clothes: [RGB]

        init(style: SyntheticDomain.Style, painter: inout ScenePainter) {
            if style.overcast {
                skyTop = painter.jitter((188, 192, 198), 6)
                skyHorizon = painter.jitter((214, 216, 218), 4)
            } else {
                skyTop = painter.jitter((60, 120, 215), 15)
                skyHorizon = painter.jitter((165, 200, 238), 10)
            }
            let warm = style.twoWheelerShare > 0.5
            buildings = warm
                ? [(200, 150, 110), (180, 90, 70), (220, 200, 150), (120, 160, 170), (190, 120, 150)]
                : [(150, 120, 100), (170, 160, 150), (120, 110, 130), (190, 170, 130), (110, 100, 90), (140, 80, 70)]
            road = painter.jitter(warm ? (105, 100, 95) : (88, 88, 94), 8)
            marking = (235, 232, 215)
            sidewalk = painter.jitter((165, 155, 150), 10)
            curb = (195, 195, 188)
            terrain = painter.jitter(warm ? (140, 140, 70) : (100, 150, 60), 10)
            dirt = painter.jitter((160, 125, 90), 10)
            vegetation = painter.jitter(warm ? (85, 120, 45) : (50, 125, 45), 10)
            trunk = (90, 68, 48)
            pole = painter.jitter((115, 115, 120), 10)
            vehicles = [(180, 30, 30), (30, 60, 160), (225, 225, 225), (35, 35, 38), (150, 150, 160), (205, 180, 40),
                        (30, 120, 70)]
            clothes = [(40, 40, 60), (160, 30, 40), (30, 90, 150), (200, 180, 140), (80, 80, 80), (220, 120, 30)]
            switch style.materials {
            case .standard:
                break
            case .northern:
                buildings = [(120, 125, 135), (150, 150, 155), (95, 100, 115), (170, 165, 160), (80, 85, 95)]
                road = painter.jitter((66, 68, 76), 6)
                sidewalk = painter.jitter((135, 135, 140), 8)
                terrain = painter.jitter((80, 110, 60), 8)
                vegetation = painter.jitter((38, 85, 45), 8)
            case .unpaved:
                buildings = [(225, 190, 150), (200, 110, 90), (235, 215, 170), (110, 170, 175), (210, 150, 180)]
                road = painter.jitter((135, 118, 95), 12)
                terrain = painter.jitter((150, 145, 90), 10)
                vegetation = painter.jitter((105, 125, 60), 10)
            }
            if painter.dusk {
                skyTop = painter.jitter((75, 65, 120), 12)
                skyHorizon = painter.jitter((240, 145, 80), 12)
            }
        }
    }

    // MARK: Drawing primitives

    /// Paints a rectangle [x0, x1) × [y0, y1), clipped.
    func fill(_ scene: inout SyntheticScene, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double,
              _ element: SyntheticElement, _ color: RGB) {
        let left = max(0, Int(x0.rounded())), right = min(scene.width, Int(x1.rounded()))
        let top = max(0, Int(y0.rounded())), bottom = min(scene.height, Int(y1.rounded()))
        guard left < right, top < bottom else { return }
        for y in top..<bottom {
            for x in left..<right { set(&scene, x, y, element, color) }
        }
    }

    /// Paints an ellipse centred at (cx, cy), clipped.
    func ellipse(_ scene: inout SyntheticScene, _ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double,
                 _ element: SyntheticElement, _ color: RGB) {
        guard rx > 0, ry > 0 else { return }
        let top = max(0, Int((cy - ry).rounded(.down))), bottom = min(scene.height - 1, Int((cy + ry).rounded(.up)))
        let left = max(0, Int((cx - rx).rounded(.down))), right = min(scene.width - 1, Int((cx + rx).rounded(.up)))
        guard top <= bottom, left <= right else { return }
        for y in top...bottom {
            let dy = (Double(y) + 0.5 - cy) / ry
            for x in left...right {
                let dx = (Double(x) + 0.5 - cx) / rx
                if dx * dx + dy * dy <= 1 { set(&scene, x, y, element, color) }
            }
        }
    }

    @inline(__always)
    func set(_ scene: inout SyntheticScene, _ x: Int, _ y: Int, _ element: SyntheticElement, _ color: RGB) {
        let i = y * scene.width + x
        scene.elements[i] = element.rawValue
        scene.color[3 * i] = Float(color.0)
        scene.color[3 * i + 1] = Float(color.1)
        scene.color[3 * i + 2] = Float(color.2)
    }

    // MARK: Scene parts

    func drawSky(_ scene: inout SyntheticScene, ground: Ground, palette: Palette) {
        let horizonRow = max(1, Int(ground.horizon.rounded(.up)))
        for y in 0..<min(horizonRow, scene.height) {
            let f = Double(y) / Double(horizonRow)
            let c = (palette.skyTop.0 + (palette.skyHorizon.0 - palette.skyTop.0) * f,
                     palette.skyTop.1 + (palette.skyHorizon.1 - palette.skyTop.1) * f,
                     palette.skyTop.2 + (palette.skyHorizon.2 - palette.skyTop.2) * f)
            for x in 0..<scene.width { set(&scene, x, y, .sky, c) }
        }
    }

    mutating func drawBuildings(_ scene: inout SyntheticScene, ground: Ground, palette: Palette) {
        let w = Double(scene.width), h = Double(scene.height)
        let base = ground.horizon + 0.02 * h
        let gap = uniform(0.08, 0.3) * w
        for side in [-1.0, 1.0] {
            guard chance(0.92) else { continue }
            var x = side < 0 ? 0.0 : ground.vanishingX + gap / 2
            let end = side < 0 ? ground.vanishingX - gap / 2 : w
            while x < end {
                let width = min(uniform(0.06, 0.22) * w, end - x)
                let distance = abs((x + width / 2) - ground.vanishingX) / (w / 2)
                let top = ground.horizon - uniform(style.buildingHeight) * h * (0.6 + 0.8 * distance)
                let color = jitter(pick(palette.buildings), 12)
                fill(&scene, x, top, x + width, base, .building, color)
                // Windows: a grid of darker or lighter panes, still "building".
                if chance(0.75) {
                    let pane = max(2, 0.02 * h * (0.6 + distance))
                    let shade = chance(0.5) ? 0.55 : 1.3
                    let windowColor = (color.0 * shade, color.1 * shade, color.2 * shade)
                    var wy = top + pane
                    while wy + pane < base - pane {
                        var wx = x + pane
                        while wx + pane < x + width - pane / 2 {
                            fill(&scene, wx, wy, wx + pane, wy + pane * 1.3, .building, windowColor)
                            wx += pane * 2
                        }
                        wy += pane * 2.4
                    }
                }
                x += width
            }
            // A wall or a fence along part of the block.
            if chance(0.45) {
                let element: SyntheticElement = chance(0.5) ? .wall : .fence
                let from = side < 0 ? uniform(0, 0.25) * w : ground.vanishingX + gap / 2 + uniform(0, 0.1) * w
                let to = min(side < 0 ? ground.vanishingX - gap / 2 : w, from + uniform(0.1, 0.3) * w)
                let wallHeight = uniform(0.04, 0.1) * h
                let color: RGB = element == .wall ? jitter((165, 155, 140), 15) : jitter((125, 115, 95), 15)
                fill(&scene, from, base - wallHeight, to, base + 0.01 * h, element, color)
                if element == .fence {
                    var bar = from
                    while bar < to {
                        fill(&scene, bar, base - wallHeight, bar + 1, base, .fence, (color.0 * 0.6, color.1 * 0.6, color.2 * 0.6))
                        bar += 4
                    }
                }
            }
        }
    }

    func drawGround(_ scene: inout SyntheticScene, ground: Ground, palette: Palette) {
        let h = Double(scene.height)
        let firstRow = max(0, Int(ground.horizon.rounded(.up)))
        guard firstRow < scene.height else { return }
        for y in firstRow..<scene.height {
            let t = ground.depth(row: Double(y) + 0.5, height: h)
            guard t > 0 else { continue }
            let left = ground.project(ground.roadLeft, depth: t), right = ground.project(ground.roadRight, depth: t)
            let curbWidth = ground.hasSidewalks ? max(1, 3 * t) : 0
            let walk = ground.sidewalkWidth * t
            let lane = ground.project(ground.laneX, depth: t)
            let laneHalf = 0.4 + 2.2 * t
            let dashOn = (1 / t * 1.3 + ground.dashPhase).truncatingRemainder(dividingBy: 1) < 0.5
            let shade = 0.75 + 0.3 * t
            for x in 0..<scene.width {
                let px = Double(x) + 0.5
                let element: SyntheticElement
                var color: RGB
                if px >= left && px < right {
                    if ground.hasLaneMarking && dashOn && abs(px - lane) < laneHalf {
                        element = .laneMarking
                        color = palette.marking
                    } else {
                        element = .road
                        color = palette.road
                    }
                } else if ground.hasSidewalks && (px >= left - curbWidth && px < right + curbWidth) {
                    element = .curb
                    color = palette.curb
                } else if ground.hasSidewalks && (px >= left - curbWidth - walk && px < right + curbWidth + walk) {
                    element = .sidewalk
                    color = palette.sidewalk
                } else {
                    // Keep buildings, walls and fences that reach below the horizon.
                    let existing = scene.elements[y * scene.width + x]
                    if existing == SyntheticElement.building.rawValue || existing == SyntheticElement.wall.rawValue
                        || existing == SyntheticElement.fence.rawValue {
                        continue
                    }
                    element = ground.shoulder
                    switch ground.shoulder {
                    case .dirt: color = palette.dirt
                    case .terrain: color = palette.terrain
                    default: color = palette.sidewalk
                    }
                }
                color = (color.0 * shade, color.1 * shade, color.2 * shade)
                set(&scene, x, y, element, color)
            }
        }
    }

    /// Things standing on the ground, drawn far to near.
    enum Thing {
        case tree(depth: Double, x: Double)
        case pole(depth: Double, x: Double)
        case vehicle(depth: Double, x: Double, kind: SyntheticElement)
        case person(depth: Double, x: Double)

        var depth: Double {
            switch self {
            case let .tree(d, _), let .pole(d, _), let .vehicle(d, _, _), let .person(d, _): return d
            }
        }
    }

    mutating func drawObjects(_ scene: inout SyntheticScene, ground: Ground, palette: Palette) {
        let w = Double(scene.width)
        var things: [Thing] = []
        // Side positions at the bottom row: just beyond the road (and sidewalk) edges.
        func sideX(_ painter: inout ScenePainter, outer: Bool) -> Double {
            let left = painter.chance(0.5)
            let margin = ground.sidewalkWidth * (outer ? painter.uniform(0.6, 0.95) : painter.uniform(0.1, 0.6))
                + (ground.hasSidewalks ? 0 : painter.uniform(0.02, 0.12) * w)
            return left ? ground.roadLeft - margin : ground.roadRight + margin
        }
        for _ in 0..<integer(style.trees) { things.append(.tree(depth: uniform(0.08, 0.8), x: sideX(&self, outer: true))) }
        for _ in 0..<integer(style.poles) { things.append(.pole(depth: uniform(0.1, 0.9), x: sideX(&self, outer: true))) }
        for _ in 0..<integer(style.people) {
            let onRoad = !ground.hasSidewalks && chance(0.5)
            let x = onRoad ? uniform(ground.roadLeft, ground.roadRight) : sideX(&self, outer: false)
            things.append(.person(depth: uniform(0.1, 0.95), x: x))
        }
        for _ in 0..<integer(style.vehicles) {
            let kind: SyntheticElement
            if chance(style.twoWheelerShare) {
                kind = chance(0.6) ? .motorcycle : (style.twoWheelerShare > 0.5 ? .autorickshaw : .motorcycle)
            } else {
                let r = stream.nextDouble()
                kind = r < 0.72 ? .car : (r < 0.87 ? .truck : .bus)
            }
            let x = ground.roadLeft + uniform(0.12, 0.88) * (ground.roadRight - ground.roadLeft)
            things.append(.vehicle(depth: uniform(0.12, 1.0), x: x, kind: kind))
        }
        if nineteenClasses {
            // After every draw of the 7-class scene, so those draws stay as they were.
            if chance(0.8) {
                let x = ground.roadLeft + uniform(0.05, 0.95) * (ground.roadRight - ground.roadLeft)
                things.append(.vehicle(depth: uniform(0.3, 1.0), x: x, kind: .bicycle))
            }
            if chance(0.6) {
                let x = ground.roadLeft + uniform(0.2, 0.8) * (ground.roadRight - ground.roadLeft)
                things.append(.vehicle(depth: uniform(0.15, 0.6), x: x, kind: .tram))
            }
        }
        things.sort { $0.depth < $1.depth }
        for thing in things {
            switch thing {
            case let .tree(t, x): drawTree(&scene, ground: ground, t: t, x: x, palette: palette)
            case let .pole(t, x): drawPole(&scene, ground: ground, t: t, x: x, palette: palette)
            case let .vehicle(t, x, kind): drawVehicle(&scene, ground: ground, t: t, x: x, kind: kind, palette: palette)
            case let .person(t, x): drawPerson(&scene, ground: ground, t: t, x: x, palette: palette)
            }
        }
    }

    mutating func drawTree(_ scene: inout SyntheticScene, ground: Ground, t: Double, x: Double, palette: Palette) {
        let h = Double(scene.height)
        let baseY = ground.row(depth: t, height: h), cx = ground.project(x, depth: t)
        let size = uniform(0.7, 1.3) * t * h
        let trunkWidth = max(1, 0.04 * size)
        fill(&scene, cx - trunkWidth / 2, baseY - 0.55 * size, cx + trunkWidth / 2, baseY, .vegetation, palette.trunk)
        let crown = jitter(palette.vegetation, 12)
        ellipse(&scene, cx, baseY - 0.7 * size, 0.28 * size, 0.3 * size, .vegetation, crown)
        ellipse(&scene, cx - 0.15 * size, baseY - 0.6 * size, 0.18 * size, 0.18 * size, .vegetation,
                (crown.0 * 0.85, crown.1 * 0.85, crown.2 * 0.85))
    }

    mutating func drawPole(_ scene: inout SyntheticScene, ground: Ground, t: Double, x: Double, palette: Palette) {
        let h = Double(scene.height)
        let baseY = ground.row(depth: t, height: h), cx = ground.project(x, depth: t)
        let height = uniform(0.5, 0.75) * t * h
        let width = max(1, 0.012 * t * h * style.thingScale)
        fill(&scene, cx - width / 2, baseY - height, cx + width / 2, baseY, .pole, palette.pole)
        let top = baseY - height
        let sign = 0.07 * t * h * style.thingScale
        switch stream.nextInt(below: 3) {
        case 0:
            let color = pick([(235, 235, 235), (30, 80, 180), (200, 40, 40), (240, 200, 30)])
            fill(&scene, cx - sign, top, cx + sign, top + sign * 1.2, .trafficSign, color)
        case 1:
            ellipse(&scene, cx, top + sign * 0.6, sign * 0.7, sign * 0.7, .trafficSign, pick([(200, 40, 40), (30, 80, 180)]))
        default:
            fill(&scene, cx - sign * 0.4, top, cx + sign * 0.4, top + sign * 1.5, .trafficLight, (35, 35, 35))
            let lit: RGB = pick([(230, 40, 30), (240, 190, 30), (40, 210, 80)])
            ellipse(&scene, cx, top + sign * 0.4, sign * 0.25, sign * 0.25, .trafficLight, lit)
        }
    }

    mutating func drawVehicle(_ scene: inout SyntheticScene, ground: Ground, t: Double, x: Double,
                              kind: SyntheticElement, palette: Palette) {
        let w = Double(scene.width), h = Double(scene.height)
        let baseY = ground.row(depth: t, height: h), cx = ground.project(x, depth: t)
        switch kind {
        case .motorcycle:
            let size = 0.09 * w * t
            fill(&scene, cx - size * 0.25, baseY - size * 0.55, cx + size * 0.25, baseY, .motorcycle, (50, 50, 55))
            ellipse(&scene, cx, baseY - size * 0.12, size * 0.18, size * 0.12, .motorcycle, (20, 20, 20))
            let coat = pick(palette.clothes)
            fill(&scene, cx - size * 0.15, baseY - size * 1.1, cx + size * 0.15, baseY - size * 0.5, .rider, coat)
            ellipse(&scene, cx, baseY - size * 1.2, size * 0.11, size * 0.12, .rider, (195, 155, 125))
        case .bicycle:
            let size = 0.08 * w * t
            ellipse(&scene, cx - size * 0.3, baseY - size * 0.15, size * 0.15, size * 0.15, .bicycle, (25, 25, 25))
            ellipse(&scene, cx + size * 0.3, baseY - size * 0.15, size * 0.15, size * 0.15, .bicycle, (25, 25, 25))
            fill(&scene, cx - size * 0.3, baseY - size * 0.4, cx + size * 0.3, baseY - size * 0.25, .bicycle,
                 pick([(180, 30, 40), (30, 90, 170), (220, 220, 220)]))
            let coat = pick(palette.clothes)
            fill(&scene, cx - size * 0.12, baseY - size * 1.0, cx + size * 0.12, baseY - size * 0.4, .rider, coat)
            ellipse(&scene, cx, baseY - size * 1.1, size * 0.1, size * 0.11, .rider, (195, 155, 125))
        case .tram:
            let width = 0.5 * w * t * uniform(0.9, 1.1), height = width * 0.55
            fill(&scene, cx - width / 2, baseY - height, cx + width / 2, baseY - height * 0.05, .tram,
                 jitter(pick([(210, 45, 40), (240, 230, 210), (40, 140, 90)]), 10))
            fill(&scene, cx - width * 0.46, baseY - height * 0.88, cx + width * 0.46, baseY - height * 0.55, .tram, (45, 55, 70))
            fill(&scene, cx - width * 0.02, baseY - height * 1.25, cx + width * 0.02, baseY - height, .tram, (60, 60, 60))
        case .autorickshaw:
            let width = 0.12 * w * t, height = width * 1.05
            fill(&scene, cx - width / 2, baseY - height, cx + width / 2, baseY - height * 0.1, .autorickshaw, (40, 140, 60))
            fill(&scene, cx - width / 2, baseY - height, cx + width / 2, baseY - height * 0.75, .autorickshaw, (225, 190, 30))
            ellipse(&scene, cx - width * 0.3, baseY - height * 0.08, width * 0.12, height * 0.08, .autorickshaw, (20, 20, 20))
            ellipse(&scene, cx + width * 0.3, baseY - height * 0.08, width * 0.12, height * 0.08, .autorickshaw, (20, 20, 20))
        default:
            let (widthFactor, heightFactor): (Double, Double) = kind == .car ? (0.2, 0.5) : (kind == .truck ? (0.27, 0.85) : (0.32, 0.8))
            let width = widthFactor * w * t * uniform(0.9, 1.1), height = width * heightFactor
            let body = jitter(kind == .bus ? pick([(205, 170, 40), (40, 120, 200), (200, 60, 50)]) : pick(palette.vehicles), 10)
            if kind == .car {
                fill(&scene, cx - width / 2, baseY - height * 0.6, cx + width / 2, baseY - height * 0.1, kind, body)
                fill(&scene, cx - width * 0.35, baseY - height, cx + width * 0.35, baseY - height * 0.6, kind, body)
                fill(&scene, cx - width * 0.3, baseY - height * 0.92, cx + width * 0.3, baseY - height * 0.62, kind, (50, 60, 75))
            } else {
                fill(&scene, cx - width / 2, baseY - height, cx + width / 2, baseY - height * 0.1, kind, body)
                fill(&scene, cx - width * 0.45, baseY - height * 0.9, cx + width * 0.45, baseY - height * 0.65, kind, (50, 60, 75))
            }
            ellipse(&scene, cx - width * 0.32, baseY - height * 0.1, width * 0.1, height * 0.12, kind, (20, 20, 22))
            ellipse(&scene, cx + width * 0.32, baseY - height * 0.1, width * 0.1, height * 0.12, kind, (20, 20, 22))
        }
    }

    mutating func drawPerson(_ scene: inout SyntheticScene, ground: Ground, t: Double, x: Double, palette: Palette) {
        let h = Double(scene.height)
        let baseY = ground.row(depth: t, height: h), cx = ground.project(x, depth: t)
        let height = uniform(0.85, 1.15) * 0.32 * t * h * style.thingScale
        let coat = pick(palette.clothes), legs = pick(palette.clothes)
        fill(&scene, cx - height * 0.1, baseY - height * 0.45, cx - height * 0.01, baseY, .person, legs)
        fill(&scene, cx + height * 0.01, baseY - height * 0.45, cx + height * 0.1, baseY, .person, legs)
        fill(&scene, cx - height * 0.14, baseY - height * 0.85, cx + height * 0.14, baseY - height * 0.42, .person, coat)
        ellipse(&scene, cx, baseY - height * 0.92, height * 0.08, height * 0.08, .person, (195, 155, 125))
    }

    func drawEgoHood(_ scene: inout SyntheticScene, palette: Palette) {
        let w = Double(scene.width), h = Double(scene.height)
        ellipse(&scene, w / 2, h * 1.08, w * 0.75, h * 0.16, .egoVehicle, (38, 38, 44))
        ellipse(&scene, w / 2, h * 1.1, w * 0.45, h * 0.1, .egoVehicle, (60, 62, 70))
    }

    // MARK: Camera

    /// Rolls the camera by up to ±`style.roll` degrees and narrows its field of view to a random
    /// window of `style.zoom` of the scene, resampled to the full size: colours bilinearly,
    /// elements by nearest neighbour. Pixels that fall outside the drawn scene become void
    /// (black, ignored by the losses and the evaluation).
    mutating func moveCamera(_ scene: inout SyntheticScene) {
        let w = Double(scene.width), h = Double(scene.height)
        let angle = uniform(-style.roll, style.roll) * Double.pi / 180
        let scale = uniform(style.zoom)
        let centerX = w / 2 + uniform(-1, 1) * (1 - scale) * w / 2
        let centerY = h / 2 + uniform(-1, 1) * (1 - scale) * h / 2
        let (sine, cosine) = (sin(angle), cos(angle))
        var elements = [UInt8](repeating: SyntheticElement.void.rawValue, count: scene.elements.count)
        var color = [Float](repeating: 0, count: scene.color.count)
        for y in 0..<scene.height {
            for x in 0..<scene.width {
                // Output pixel centre → scene coordinates: rotate about the image centre, scale,
                // move to the window's centre.
                let dx = Double(x) + 0.5 - w / 2, dy = Double(y) + 0.5 - h / 2
                let sx = centerX + scale * (cosine * dx - sine * dy)
                let sy = centerY + scale * (sine * dx + cosine * dy)
                guard sx >= 0, sx < w, sy >= 0, sy < h else { continue }
                let i = y * scene.width + x
                elements[i] = scene.elements[Int(sy) * scene.width + Int(sx)]
                // Bilinear between the four nearest pixel centres (edges clamped).
                let fx = sx - 0.5, fy = sy - 0.5
                let x0 = max(0, min(scene.width - 1, Int(fx.rounded(.down))))
                let y0 = max(0, min(scene.height - 1, Int(fy.rounded(.down))))
                let x1 = min(scene.width - 1, x0 + 1), y1 = min(scene.height - 1, y0 + 1)
                let ax = Float(max(0, min(1, fx - Double(x0)))), ay = Float(max(0, min(1, fy - Double(y0))))
                for c in 0..<3 {
                    let top = scene.color[3 * (y0 * scene.width + x0) + c] * (1 - ax) + scene.color[3 * (y0 * scene.width + x1) + c] * ax
                    let bottom = scene.color[3 * (y1 * scene.width + x0) + c] * (1 - ax) + scene.color[3 * (y1 * scene.width + x1) + c] * ax
                    color[3 * i + c] = top * (1 - ay) + bottom * ay
                }
            }
        }
        scene.elements = elements
        scene.color = color
    }

    // MARK: Appearance

    /// Texture, shading, then the domain's colour transform, haze, blur and noise.
    mutating func finish(_ scene: inout SyntheticScene, ground: Ground) {
        let width = scene.width, height = scene.height
        // Two octaves of value noise as texture.
        let fine = NoiseLattice(width: width, height: height, cell: 3, stream: &stream)
        let coarse = NoiseLattice(width: width, height: height, cell: 14, stream: &stream)
        let brightness = uniform(style.brightness) * (dusk ? 0.6 : 1)
        let gamma = uniform(style.gamma)
        let gammaCurve: [Double]? = gamma == 1 ? nil : (0..<256).map { 255 * pow(Double($0) / 255, gamma) }
        let duskLight = dusk ? (1.15, 0.95, 0.75) : (1.0, 1.0, 1.0)
        let gains = (style.cast.0 * duskLight.0 * (1 + uniform(-style.castJitter, style.castJitter)),
                     style.cast.1 * duskLight.1 * (1 + uniform(-style.castJitter, style.castJitter)),
                     style.cast.2 * duskLight.2 * (1 + uniform(-style.castJitter, style.castJitter)))
        let sky = SyntheticElement.sky.rawValue
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let textured = scene.elements[i] != sky
                let n = textured ? style.texture * (0.6 * fine.value(x, y) + 0.4 * coarse.value(x, y)) : 0
                var r = Double(scene.color[3 * i]) + n
                var g = Double(scene.color[3 * i + 1]) + n
                var b = Double(scene.color[3 * i + 2]) + n
                let luma = 0.299 * r + 0.587 * g + 0.114 * b
                r = luma + style.saturation * (r - luma)
                g = luma + style.saturation * (g - luma)
                b = luma + style.saturation * (b - luma)
                r = (128 + style.contrast * (r - 128)) * brightness * gains.0
                g = (128 + style.contrast * (g - 128)) * brightness * gains.1
                b = (128 + style.contrast * (b - 128)) * brightness * gains.2
                if style.hazeAmount > 0 {
                    let a = style.hazeAmount
                    r = (1 - a) * r + a * style.hazeColor.0
                    g = (1 - a) * g + a * style.hazeColor.1
                    b = (1 - a) * b + a * style.hazeColor.2
                }
                if let curve = gammaCurve {
                    r = curve[min(max(Int(r), 0), 255)]
                    g = curve[min(max(Int(g), 0), 255)]
                    b = curve[min(max(Int(b), 0), 255)]
                }
                scene.color[3 * i] = Float(r)
                scene.color[3 * i + 1] = Float(g)
                scene.color[3 * i + 2] = Float(b)
            }
        }
        if style.blurRadius > 0 { boxBlur(&scene.color, width: width, height: height, radius: style.blurRadius) }
        if style.noise > 0 {
            // Approximately Gaussian sensor noise: the sum of four 16-bit uniforms of one draw,
            // centred and scaled to unit variance (Irwin–Hall).
            let scale = Float(style.noise) * (3 as Float).squareRoot() / 32768
            for i in 0..<scene.color.count {
                let bits = stream.nextUInt64()
                let sum = Int(bits & 0xFFFF) + Int((bits >> 16) & 0xFFFF) + Int((bits >> 32) & 0xFFFF) + Int(bits >> 48)
                scene.color[i] += Float(sum - 131070) * scale
            }
        }
    }

    /// A separable box blur of an H×W×3 buffer (edges clamped).
    func boxBlur(_ color: inout [Float], width: Int, height: Int, radius: Int) {
        var temp = color
        let scale = 1 / Float(2 * radius + 1)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    var sum: Float = 0
                    for k in -radius...radius { sum += color[3 * (y * width + min(max(x + k, 0), width - 1)) + c] }
                    temp[3 * (y * width + x) + c] = sum * scale
                }
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    var sum: Float = 0
                    for k in -radius...radius { sum += temp[3 * (min(max(y + k, 0), height - 1) * width + x) + c] }
                    color[3 * (y * width + x) + c] = sum * scale
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
