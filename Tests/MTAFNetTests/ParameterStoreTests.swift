import XCTest
@testable import MTAFNet

/// `ParameterStore`: layout, lookup and the "received a gradient" flags (spec §4.6 step 1).
final class ParameterStoreTests: XCTestCase {
    func testRegistrationLayoutIsAlignedAndOrdered() {
        let store = ParameterStore()
        let a = store.register(name: "conv1.weight", shape: [4, 3, 7, 7])
        let b = store.register(name: "layer1.0.conv1.weight", shape: [5])
        let c = store.register(name: "layer6.conv2d_list.0.bias", shape: [])
        XCTAssertEqual([a, b, c].map(\.index), [0, 1, 2])
        XCTAssertEqual(store.parameterCount, 3)
        XCTAssertEqual(store.ids, [a, b, c])
        XCTAssertEqual(store[a].count, 588)
        XCTAssertEqual(store[a].offset, 0)
        XCTAssertEqual(store[b].offset, 592)      // 588 rounded up to 16
        XCTAssertEqual(store[c].offset, 608)
        XCTAssertEqual(store[c].count, 1)
        XCTAssertEqual(store.scalarCount, 609)
        XCTAssertEqual(store.id(named: "layer1.0.conv1.weight"), b)
        XCTAssertNil(store.id(named: "layer1.0.conv2.weight"))
        for id in store.ids {
            store.withValues(id) { values in
                XCTAssertEqual(Int(bitPattern: values.baseAddress) % 64, 0, store[id].name)
            }
            store.withGradientUnmarked(id) { gradient in
                XCTAssertEqual(Int(bitPattern: gradient.baseAddress) % 64, 0, store[id].name)
            }
        }
    }

    func testViewsShareTheFlatBuffersAndSurviveGrowth() {
        let store = ParameterStore()
        let a = store.register(name: "a", shape: [3])
        store.withValues(a) { $0[0] = 1; $0[1] = 2; $0[2] = 3 }
        store.withGradient(a) { $0[2] = -4 }
        // Registering more parameters reallocates; earlier contents must stay.
        var later: [ParameterID] = []
        for index in 0..<40 { later.append(store.register(name: "p\(index)", shape: [17, 3])) }
        store.withValues(later[39]) { $0[50] = 9 }
        store.withFlatValues { flat in
            XCTAssertEqual(Array(flat[0..<3]), [1, 2, 3])
            XCTAssertEqual(flat[store[later[39]].offset + 50], 9)
            XCTAssertEqual(flat.count, store.scalarCount)
        }
        store.withFlatGradients { flat in
            XCTAssertEqual(flat[2], -4)
            XCTAssertEqual(flat.reduce(0, +), -4)
        }
    }

    func testReceivedFlagsSurviveZeroingAndAreSetByWriting() {
        let store = ParameterStore()
        let a = store.register(name: "a", shape: [2])
        let b = store.register(name: "b", shape: [2])
        let c = store.register(name: "c", shape: [2])
        XCTAssertFalse(store.hasReceivedGradient(a))
        store.withGradient(a) { $0[0] += 1 }
        store.markGradientReceived(b)
        store.withGradientUnmarked(c) { $0[1] = 5 }
        XCTAssertTrue(store.hasReceivedGradient(a))
        XCTAssertTrue(store.hasReceivedGradient(b))
        XCTAssertFalse(store.hasReceivedGradient(c))
        store.zeroGradients()
        XCTAssertTrue(store.hasReceivedGradient(a))
        XCTAssertTrue(store.hasReceivedGradient(b))
        store.withFlatGradients { XCTAssertTrue($0.allSatisfy { $0 == 0 }) }
    }
}
