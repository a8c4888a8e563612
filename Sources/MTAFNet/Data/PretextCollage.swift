// PretextCollage: one image of the pretext segmentation task that stands in for ImageNet
// (docs/pretraining.md): a value-noise background under many random shapes. Each of the seven
// classes is a shape or a texture, never a colour: every colour is drawn uniformly from the RGB
// cube, so what a network learns here is edges, corners, curvature and texture, nothing of a street.
// Sizes: W×H pixels; `classes` H×W (`PretextClass` raw values), `color` H×W×3 (0…255).

/// The pretext classes. Each is written as one Cityscapes label id (GTA5's label space), the one
/// whose 7-class train id has the class's number (`LabelMaps`, Appendix B.1): the pairing is by
/// number only and says nothing about what the shapes look like.
enum PretextClass: UInt8, CaseIterable, Sendable {
    /// The value-noise background between the shapes (two random colours blended by noise).
    case background
    /// Filled rectangles, upright or rotated.
    case rectangle
    /// Filled ellipses, rotated.
    case ellipse
    /// Filled triangles.
    case triangle
    /// Thin bars (lines 1.5–5 pixels thick) at any angle.
    case bar
    /// Blobs (wobbly ellipses) filled with stripes of two colours.
    case stripedBlob
    /// Blobs filled with a checkerboard or a grid of dots of two colours.
    case checkerBlob

    /// The label id written for the class: 7, 11, 17, 21, 23, 24, 26 (train ids 0…6 of GTA5-7).
    var cityscapesID: Int32 { [7, 11, 17, 21, 23, 24, 26][Int(rawValue)] }
}

/// A rendered collage: its class map and its image.
struct PretextCollage {
    let width: Int
    let height: Int
    /// H×W class ids (`PretextClass.rawValue`).
    var classes: [UInt8]
    /// H×W×3 RGB, 0…255 before the final rounding.
    var color: [Float]

    /// Draws a collage: the background, then 10–24 shapes of uniformly drawn classes, each over
    /// the ones before, partly outside the image at times.
    ///
    /// - Parameters:
    ///   - size: W×H.
    ///   - stream: the collage's own random stream.
    static func render(size: ImageSize, stream: inout RandomStream) -> PretextCollage {
        var painter = CollagePainter(size: size, stream: stream)
        var collage = PretextCollage(width: size.width, height: size.height,
                                     classes: [UInt8](repeating: PretextClass.background.rawValue, count: size.pixelCount),
                                     color: [Float](repeating: 0, count: size.pixelCount * 3))
        painter.drawBackground(&collage)
        let shapes = painter.integer(10...24)
        for _ in 0..<shapes {
            let kind = PretextClass(rawValue: UInt8(painter.integer(1...6)))!
            painter.drawShape(kind, on: &collage)
        }
        stream = painter.stream
        return collage
    }

    /// The image as 8-bit RGB.
    var pixelImage: PixelImage {
        PixelImage(width: width, height: height, channels: 3, pixels: color.map { UInt8(min(max($0.rounded(), 0), 255)) })
    }

    /// The class map as Cityscapes label ids.
    var labels: LabelImage {
        let ids = PretextClass.allCases.map(\.cityscapesID)
        return LabelImage(width: width, height: height, values: classes.map { ids[Int($0)] })
    }
}

/// The drawing state of one collage.
private struct CollagePainter {
    typealias RGB = (Double, Double, Double)

    var stream: RandomStream
    /// The fine noise (3-pixel cells) of the plain shapes' fills, one lattice per collage.
    let grain: NoiseLattice

    init(size: ImageSize, stream: RandomStream) {
        self.stream = stream
        grain = NoiseLattice(width: size.width, height: size.height, cell: 3, stream: &self.stream)
    }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * stream.nextDouble() }
    mutating func integer(_ range: ClosedRange<Int>) -> Int { range.lowerBound + stream.nextInt(below: range.count) }
    /// A colour uniform in the RGB cube.
    mutating func color() -> RGB { (uniform(0, 255), uniform(0, 255), uniform(0, 255)) }

    /// Two random colours blended by coarse value noise, plus fine noise of random strength.
    mutating func drawBackground(_ collage: inout PretextCollage) {
        let first = color(), second = color()
        let coarse = NoiseLattice(width: collage.width, height: collage.height, cell: integer(6...40), stream: &stream)
        let fine = NoiseLattice(width: collage.width, height: collage.height, cell: integer(2...5), stream: &stream)
        let contrast = uniform(0.5, 1.5), grain = uniform(0, 30)
        for y in 0..<collage.height {
            for x in 0..<collage.width {
                let t = min(max(0.5 + contrast * coarse.value(x, y), 0), 1)
                let n = grain * fine.value(x, y)
                set(&collage, x, y, .background, (first.0 + t * (second.0 - first.0) + n,
                                                  first.1 + t * (second.1 - first.1) + n,
                                                  first.2 + t * (second.2 - first.2) + n))
            }
        }
    }

    /// One shape of `kind` (not the background): a random place, size and orientation, and its fill.
    mutating func drawShape(_ kind: PretextClass, on collage: inout PretextCollage) {
        let w = Double(collage.width), h = Double(collage.height)
        let center = (uniform(-0.05, 1.05) * w, uniform(-0.05, 1.05) * h)
        let scale = uniform(0.06, 0.4) * h
        let angle = uniform(0, Double.pi)
        let fill = makeFill(kind, scale: scale)
        switch kind {
        case .background:
            preconditionFailure("CollagePainter.drawShape: the background is not a shape")
        case .rectangle:
            let halfWidth = uniform(0.3, 1.2) * scale, halfHeight = uniform(0.3, 1.2) * scale
            let rotation = integer(0...1) == 0 ? 0 : angle
            paint(&collage, kind, center: center, angle: rotation, reach: hypot(halfWidth, halfHeight), fill: fill) { u, v in
                abs(u) <= halfWidth && abs(v) <= halfHeight
            }
        case .ellipse:
            let rx = uniform(0.4, 1.2) * scale, ry = uniform(0.4, 1.2) * scale
            paint(&collage, kind, center: center, angle: angle, reach: max(rx, ry), fill: fill) { u, v in
                (u / rx) * (u / rx) + (v / ry) * (v / ry) <= 1
            }
        case .triangle:
            // Three corners at least 60° apart around the centre, at 0.5–1.3 × scale.
            let start = uniform(0, 2 * Double.pi)
            let corners = (0..<3).map { k -> (Double, Double) in
                let a = start + Double(k) * 2 * Double.pi / 3 + uniform(-0.5, 0.5)
                let r = uniform(0.5, 1.3) * scale
                return (r * cos(a), r * sin(a))
            }
            paint(&collage, kind, center: center, angle: 0, reach: 1.3 * scale, fill: fill) { u, v in
                Self.triangle(corners, contains: (u, v))
            }
        case .bar:
            let halfLength = uniform(0.8, 3) * scale, halfThickness = uniform(0.75, 2.5)
            paint(&collage, kind, center: center, angle: angle, reach: halfLength + halfThickness, fill: fill) { u, v in
                abs(u) <= halfLength && abs(v) <= halfThickness
            }
        case .stripedBlob, .checkerBlob:
            // An ellipse whose radius wobbles with three random harmonics of the angle.
            let rx = uniform(0.5, 1.2) * scale, ry = uniform(0.5, 1.2) * scale
            let wobble = (1...3).map { k in (Double(k + 1), uniform(0, 0.12), uniform(0, 2 * Double.pi)) }
            paint(&collage, kind, center: center, angle: angle, reach: 1.36 * max(rx, ry), fill: fill) { u, v in
                let phi = atan2(v / ry, u / rx)
                let radius = 1 + wobble.reduce(0) { $0 + $1.1 * sin($1.0 * phi + $1.2) }
                return (u / rx) * (u / rx) + (v / ry) * (v / ry) <= radius * radius
            }
        }
    }

    /// The colour of each pixel of a shape, from its image position (x, y) and its own rotated
    /// coordinates (u, v): a flat random colour with a random linear shade (up to ±40 levels at
    /// `scale` pixels from the centre) and a little noise for the plain shapes, two random colours
    /// in stripes, a checkerboard or a dot grid for the blobs.
    mutating func makeFill(_ kind: PretextClass, scale: Double) -> (Double, Double, Double, Double) -> RGB {
        let first = color(), second = color()
        switch kind {
        case .stripedBlob:
            let period = uniform(3, 12), turn = uniform(0, Double.pi), phase = uniform(0, 1)
            return { _, _, u, v in
                let along = (u * cos(turn) + v * sin(turn)) / period + phase
                return along - along.rounded(.down) < 0.5 ? first : second
            }
        case .checkerBlob:
            let cell = uniform(2, 8), turn = uniform(0, Double.pi)
            let dots = integer(0...1) == 1, radius = uniform(0.2, 0.4)
            return { _, _, u, v in
                let a = (u * cos(turn) + v * sin(turn)) / cell, b = (v * cos(turn) - u * sin(turn)) / cell
                if dots {
                    let da = a - a.rounded(), db = b - b.rounded()
                    return da * da + db * db <= radius * radius ? second : first
                }
                return (Int(a.rounded(.down)) + Int(b.rounded(.down))) & 1 == 0 ? first : second
            }
        default:
            let shade = (uniform(-40, 40) / scale, uniform(-40, 40) / scale), strength = uniform(0, 12)
            let noise = grain
            return { x, y, u, v in
                let n = shade.0 * u + shade.1 * v + strength * noise.value(Int(x), Int(y))
                return (first.0 + n, first.1 + n, first.2 + n)
            }
        }
    }

    /// Paints the pixels whose centres the shape contains, clipped to the image.
    ///
    /// - Parameters:
    ///   - center: the shape's centre (x, y) in pixels.
    ///   - angle: its rotation; `contains` and `fill` get coordinates (u, v) in the rotated frame.
    ///   - reach: no inside point is farther than this from the centre.
    ///   - fill: the colour at (x, y, u, v).
    ///   - contains: whether (u, v) is inside.
    func paint(_ collage: inout PretextCollage, _ kind: PretextClass, center: (Double, Double), angle: Double, reach: Double,
               fill: (Double, Double, Double, Double) -> RGB, contains: (Double, Double) -> Bool) {
        let left = max(0, Int((center.0 - reach).rounded(.down))), right = min(collage.width - 1, Int((center.0 + reach).rounded(.up)))
        let top = max(0, Int((center.1 - reach).rounded(.down))), bottom = min(collage.height - 1, Int((center.1 + reach).rounded(.up)))
        guard left <= right, top <= bottom else { return }
        let c = cos(angle), s = sin(angle)
        for y in top...bottom {
            for x in left...right {
                let dx = Double(x) + 0.5 - center.0, dy = Double(y) + 0.5 - center.1
                let u = dx * c + dy * s, v = dy * c - dx * s
                if contains(u, v) { set(&collage, x, y, kind, fill(Double(x), Double(y), u, v)) }
            }
        }
    }

    /// Whether `point` lies inside the triangle (all three edge tests of one sign).
    static func triangle(_ corners: [(Double, Double)], contains point: (Double, Double)) -> Bool {
        func side(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
            (b.0 - a.0) * (point.1 - a.1) - (b.1 - a.1) * (point.0 - a.0)
        }
        let d0 = side(corners[0], corners[1]), d1 = side(corners[1], corners[2]), d2 = side(corners[2], corners[0])
        return (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0)
    }

    @inline(__always)
    func set(_ collage: inout PretextCollage, _ x: Int, _ y: Int, _ kind: PretextClass, _ color: RGB) {
        let i = y * collage.width + x
        collage.classes[i] = kind.rawValue
        collage.color[3 * i] = Float(color.0)
        collage.color[3 * i + 1] = Float(color.1)
        collage.color[3 * i + 2] = Float(color.2)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
