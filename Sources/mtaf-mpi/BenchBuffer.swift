/// A heap Float32 buffer filled with a deterministic pattern in [-1, 1), freed on release.
final class BenchBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int, seed: UInt32 = 1) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        var s = seed &* 2_654_435_761 | 1
        for i in 0..<count {
            s = s &* 1_664_525 &+ 1_013_904_223
            pointer[i] = Float(s >> 8) / Float(1 << 23) - 1
        }
    }

    func zero() { pointer.update(repeating: 0, count: count) }

    deinit { pointer.deallocate() }
}
