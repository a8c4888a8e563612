// FCDiscriminator: the PyTorch fixture, keys and sizes, and one forward serving two backwards.

import XCTest
@testable import MTAFNet

final class FCDiscriminatorTests: XCTestCase {
    func testFixtureNdf8() {
        XCTAssertFixturePasses("model_discriminator_ndf8")
    }

    /// Spec §3 and Appendix A: ten keys, 2,768,833 scalars for C = 7, output sizes.
    func testKeysAndSizes() {
        let d = FCDiscriminator(inChannels: 7, ndf: 64, random: RandomStream(seed: 1))
        XCTAssertEqual(d.stateDict.keys, ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias",
                                          "6.weight", "6.bias", "8.weight", "8.bias"])
        XCTAssertEqual(d.stateDict.entry(forKey: "6.weight")?.shape, [512, 256, 4, 4])
        XCTAssertEqual(d.stateDict.trainableScalarCount, 2_768_833)
        XCTAssertEqual(FCDiscriminator.outputSize(320), 10)
        XCTAssertEqual(FCDiscriminator.outputSize(640), 20)
        XCTAssertEqual(FCDiscriminator.outputSize(1280), 40)
        let w = d.parameters.withValues(d.convs[1].weight) { Array($0) }
        let bound = 1 / Float(64 * 16).squareRoot()
        XCTAssertTrue(w.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(w.map(abs).max()!, 0.9 * bound)
    }

    /// A data-only backward (frozen D, generator loss) and a weight-only backward (D's own loss)
    /// from one forward give what two full backwards give.
    func testOneForwardTwoBackwards() {
        let reference = FCDiscriminator(inChannels: 3, ndf: 4, random: RandomStream(seed: 2))
        let shared = FCDiscriminator(inChannels: 3, ndf: 4, random: RandomStream(seed: 2), storePrefix: "d.")
        var random = RandomStream(seed: 3)
        let input = Tensor(shape: [2, 3, 37, 45])
        random.fillNormal(input, mean: 0, std: 1)
        let gradA = Tensor(shape: [2, 1, 1, 1], values: [0.3, -0.2])
        let gradB = Tensor(shape: [2, 1, 1, 1], values: [-0.1, 0.5])

        _ = reference.forward(input)
        let referenceInputGrad = reference.backward(gradA, computeWeightGradients: false)!
        _ = reference.forward(input)
        reference.backward(gradB, computeInputGradient: false)

        let out = shared.forward(input)
        XCTAssertEqual(out.shape, [2, 1, 1, 1])
        let inputGrad = shared.backward(gradA, computeWeightGradients: false, release: false)!
        XCTAssertFalse(shared.parameters.hasReceivedGradient(shared.convs[0].weight))
        XCTAssertNil(shared.backward(gradB, computeInputGradient: false))
        XCTAssertFalse(shared.convs[0].hasRetainedForward)
        XCTAssertEqual(inputGrad.scalars, referenceInputGrad.scalars)
        for (a, b) in zip(reference.parameterIDs, shared.parameterIDs) {
            XCTAssertTrue(shared.parameters.hasReceivedGradient(b))
            XCTAssertEqual(reference.parameters.withGradientUnmarked(a) { Array($0) },
                           shared.parameters.withGradientUnmarked(b) { Array($0) })
        }
        XCTAssertEqual(shared.parameters.entries[0].name, "d.0.weight")
    }
}
