import XCTest
@testable import MTAFNet

/// `RandomStream`: determinism, independence of split streams, moments.
final class RandomStreamTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = RandomStream(seed: 42)
        var b = RandomStream(seed: 42)
        for _ in 0..<1000 { XCTAssertEqual(a.nextUInt64(), b.nextUInt64()) }
        var c = RandomStream(seed: 43)
        var d = RandomStream(seed: 42)
        XCTAssertNotEqual((0..<4).map { _ in c.nextUInt64() }, (0..<4).map { _ in d.nextUInt64() })
    }

    /// Pins the first outputs so that any platform or refactoring change is caught.
    func testPinnedValues() {
        // SplitMix64 with seed 0 produces 0xE220A8397B1DCDAF first; ours mixes the seed once more
        // (so that seed 0 is not special) and is pinned here.
        XCTAssertEqual(RandomStream.mix(RandomStream.gamma), 0xE220_A839_7B1D_CDAF)
        var s = RandomStream(seed: 0)
        let first = s.nextUInt64()
        var again = RandomStream(seed: 0)
        XCTAssertEqual(first, again.nextUInt64())
        XCTAssertEqual(first, RandomStream.mix(RandomStream.mix(RandomStream.gamma) &+ RandomStream.gamma))
        XCTAssertEqual([first, s.nextUInt64(), s.nextUInt64()],
                       [0xA706_DD2F_4D19_7E6F, 0xB382_A305_F441_4F5E, 0x631A_9154_FBAB_F717])
        var split = RandomStream(seed: 42).split(index: 1)
        XCTAssertEqual(split.nextUInt64(), 0xB5C7_8D34_458D_0436)
    }

    func testSplitStreamsDifferAndAreDeterministic() {
        let root = RandomStream(seed: 7)
        var streams = (0..<8).map { root.split(index: $0) }
        let firsts = streams.indices.map { streams[$0].nextUInt64() }
        XCTAssertEqual(Set(firsts).count, 8)
        var again = root.split(index: 3)
        var three = root.split(index: 3)
        XCTAssertEqual(again.nextUInt64(), three.nextUInt64())
        // Splitting does not depend on how much of the parent was used.
        var used = RandomStream(seed: 7)
        _ = used.nextUInt64()
        var fromUsed = used.split(index: 5)
        var fromFresh = root.split(index: 5)
        XCTAssertEqual(fromUsed.nextUInt64(), fromFresh.nextUInt64())
        // A child differs from its parent.
        var parent = RandomStream(seed: 7)
        var child = root.split(index: 0)
        XCTAssertNotEqual(parent.nextUInt64(), child.nextUInt64())
    }

    func testNormalMoments() {
        var s = RandomStream(seed: 2024)
        let n = 100_000
        let t = Tensor(shape: [n])
        s.fillNormal(t, mean: 1.5, std: 2)
        let values = t.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        // Standard errors: mean 2/sqrt(n) ≈ 0.0063, std ≈ 2/sqrt(2n) ≈ 0.0045; allow ~5σ.
        XCTAssertEqual(mean, 1.5, accuracy: 0.032)
        XCTAssertEqual(variance.squareRoot(), 2, accuracy: 0.023)
        let within1 = values.filter { abs($0 - 1.5) < 2 }.count
        XCTAssertEqual(Double(within1) / Double(n), 0.6827, accuracy: 0.008)
        XCTAssertTrue(values.allSatisfy { $0.isFinite })
    }

    func testUniformRangeAndMean() {
        var s = RandomStream(seed: 9)
        let t = Tensor(shape: [100_000])
        s.fillUniform(t, low: -2, high: 3)
        let values = t.scalars
        XCTAssertTrue(values.allSatisfy { $0 >= -2 && $0 <= 3 })
        let mean = values.reduce(0) { $0 + Double($1) } / Double(values.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.03)
        var u = RandomStream(seed: 1)
        for _ in 0..<10_000 {
            let x = u.nextUniform()
            XCTAssertTrue(x >= 0 && x < 1)
        }
    }

    func testNextIntBelowCoversRange() {
        var s = RandomStream(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[s.nextInt(below: 7)] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 500) }
        var shuffled = Array(0..<50)
        s.shuffle(&shuffled)
        XCTAssertEqual(shuffled.sorted(), Array(0..<50))
        XCTAssertNotEqual(shuffled, Array(0..<50))
    }
}
