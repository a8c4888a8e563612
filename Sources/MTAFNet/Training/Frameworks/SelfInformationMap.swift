// I(up(x)): the weighted self-information map a discriminator sees (spec §4.1), with what its
// backward to the logits needs.
//
// Sizes: N batch, C classes, H×W the input size. `map`, the kept probabilities and the
// accumulated map gradient are [N, C, H, W].

/// The C-channel map −P ⊙ log2(P + 1e-30)/log2(C) of P = softmax(up(x)). In the generator phase
/// the discriminators' data gradients accumulate into it and `backward(into:)` carries them to
/// up(x); in the discriminator phase the map is used detached (`detach()` drops the rest).
/// Spec §4.1 (upstream `prob_2_entropy(F.softmax(x))`).
final class SelfInformationMap {
    /// I, [N, C, H, W].
    let map: Tensor
    /// P, kept for the backward until `backward` or `detach`.
    private var probabilities: Tensor?
    /// dLoss/dI, [N, C, H, W], accumulated by the generator-phase terms.
    private var gradient: Tensor?

    /// Forms I(up(x)) from an upsampled prediction.
    init(_ prediction: UpsampledPrediction) {
        let (n, c, h, w) = prediction.dimensions
        map = Tensor(shape: prediction.logits.shape)
        let p = Tensor(shape: prediction.logits.shape)
        prediction.logits.withUnsafeBufferPointer { x in
            map.withUnsafeMutableBufferPointer { i in
                p.withUnsafeMutableBufferPointer { pp in
                    selfInformationForward(output: i.baseAddress!, probabilities: pp.baseAddress!,
                                           logits: x.baseAddress!, batch: n, channels: c, height: h, width: w)
                }
            }
        }
        probabilities = p
    }

    /// Adds a discriminator's data gradient dLoss/dI ([N, C, H, W]).
    func accumulateGradient(_ gradMap: Tensor) {
        precondition(probabilities != nil, "SelfInformationMap: gradient after detach")
        if let gradient {
            gradient.accumulate(gradMap)
        } else {
            gradient = gradMap
        }
    }

    /// Carries the accumulated dLoss/dI through the self-information and the softmax into
    /// `prediction`'s gradient (dLoss/d up(x)), then keeps only the map (detached).
    func backward(into prediction: UpsampledPrediction) {
        guard let probabilities else { preconditionFailure("SelfInformationMap: backward after detach") }
        if let gradient {
            let (n, c, h, w) = prediction.dimensions
            let target = prediction.gradientBuffer()
            gradient.withUnsafeBufferPointer { g in
                probabilities.withUnsafeBufferPointer { p in
                    target.withUnsafeMutableBufferPointer { d in
                        selfInformationBackwardData(gradLogits: d.baseAddress!, gradOutput: g.baseAddress!,
                                                    probabilities: p.baseAddress!, batch: n, channels: c,
                                                    height: h, width: w)
                    }
                }
            }
        }
        detach()
    }

    /// Drops what the backward needed; the map stays, as a constant (PyTorch `detach()`).
    func detach() {
        probabilities = nil
        gradient = nil
    }
}
