// RandomStream: a seeded, splittable stream of random numbers (SplitMix64: a 64-bit Weyl
// sequence passed through a bijective mixer). Integer output is bit-identical on every platform;
// normal samples use Box–Muller in Double (libm log, cos, sin) rounded to Float.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic, splittable random stream (SplitMix64).
///
/// `split(index:)` derives an independent stream per rank or worker from the same seed, so a
/// run's randomness depends only on the seed and the index, never on scheduling.
public struct RandomStream: Sendable {
    /// The Weyl increment (the golden ratio in 64 bits).
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The stream's key, from the seed and the chain of split indices.
    public let key: UInt64
    private var state: UInt64

    /// Creates a stream from a seed.
    ///
    /// - Parameter seed: Any value; equal seeds give equal streams.
    public init(seed: UInt64) {
        self.key = RandomStream.mix(seed &+ RandomStream.gamma)
        self.state = key
    }

    /// An independent stream for a rank or worker: its own key, derived from this stream's key
    /// and `index` (not from how much of this stream has been used).
    ///
    /// - Parameter index: The rank, worker or purpose number; different indices give different streams.
    /// - Returns: A new stream.
    public func split(index: Int) -> RandomStream {
        let derived = RandomStream.mix(key ^ RandomStream.mix(UInt64(bitPattern: Int64(index)) &+ 0xD1B5_4A32_D192_ED03))
        return RandomStream(seed: derived)
    }

    /// The next 64 random bits.
    public mutating func nextUInt64() -> UInt64 {
        state = state &+ RandomStream.gamma
        return RandomStream.mix(state)
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(nextUInt64() >> 40) * 0x1p-24
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(nextUInt64() >> 11) * 0x1p-53
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire's method).
    ///
    /// - Parameter bound: The exclusive upper bound; must be positive.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "RandomStream.nextInt(below:): bound \(bound) must be positive")
        let range = UInt64(bound)
        var product = nextUInt64().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = nextUInt64().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Fills a tensor with samples of N(mean, std²) (Box–Muller, two samples per pair of draws).
    ///
    /// - Parameters:
    ///   - tensor: Any shape; every element is overwritten.
    ///   - mean: The mean.
    ///   - std: The standard deviation.
    public mutating func fillNormal(_ tensor: Tensor, mean: Float, std: Float) {
        tensor.withUnsafeMutableBufferPointer { out in
            var i = 0
            while i < out.count {
                let u1 = 1 - nextDouble()            // (0, 1]: log is finite
                let u2 = nextDouble()
                let radius = (-2 * log(u1)).squareRoot()
                let angle = 2 * Double.pi * u2
                out[i] = mean + std * Float(radius * cos(angle))
                if i + 1 < out.count { out[i + 1] = mean + std * Float(radius * sin(angle)) }
                i += 2
            }
        }
    }

    /// Fills a tensor with samples of U[low, high).
    ///
    /// - Parameters:
    ///   - tensor: Any shape; every element is overwritten.
    ///   - low: The inclusive lower bound.
    ///   - high: The exclusive upper bound.
    public mutating func fillUniform(_ tensor: Tensor, low: Float, high: Float) {
        let width = high - low
        tensor.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count {
                out[i] = low + width * nextUniform()
            }
        }
    }

    /// Shuffles indices in place (Fisher–Yates).
    ///
    /// - Parameter values: The array to permute.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// SplitMix64's finalizer (Stafford's variant 13), a bijection on 64 bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
