// NoiseLattice: value noise for the synthetic images (spec §9): the street scenes' texture
// (SyntheticScene) and the pretext collages' backgrounds and shading (PretextCollage).

/// Value noise: random values on a lattice of `cell`-pixel squares, bilinearly interpolated, in [−1, 1].
struct NoiseLattice {
    let columns: Int
    let cell: Int
    var values: [Double]

    /// Draws the lattice of a W×H image from `stream` ((W / cell + 2) × (H / cell + 2) values).
    init(width: Int, height: Int, cell: Int, stream: inout RandomStream) {
        self.cell = cell
        columns = width / cell + 2
        let rows = height / cell + 2
        values = (0..<(columns * rows)).map { _ in 2 * stream.nextDouble() - 1 }
    }

    /// The noise at pixel (x, y), 0 ≤ x < W, 0 ≤ y < H.
    func value(_ x: Int, _ y: Int) -> Double {
        let gx = x / cell, gy = y / cell
        let fx = Double(x % cell) / Double(cell), fy = Double(y % cell) / Double(cell)
        let a = values[gy * columns + gx], b = values[gy * columns + gx + 1]
        let c = values[(gy + 1) * columns + gx], d = values[(gy + 1) * columns + gx + 1]
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    }
}
