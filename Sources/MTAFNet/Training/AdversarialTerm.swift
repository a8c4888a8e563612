// BCE(D(I), y) in the two phases of an iteration (spec §4.3, §5 steps 2–3):
// - generator phase: D frozen (no weight gradient); its data gradient flows back into I and on
//   into the segmenter;
// - discriminator phase: I detached; only D's weight gradient.
//
// Sizes: I [N, C, H, W] at the input resolution; D(I) [N, 1, h, w] (h = ⌊H/32⌋, spec §3).

/// The adversarial loss terms of the frameworks. Spec §4.3 (upstream `bce_loss`).
enum AdversarialTerm {
    /// Generator phase: λ·BCE(D(I), label) with D frozen; accumulates λ·dBCE/dI into `map`.
    ///
    /// - Parameters:
    ///   - discriminator: D (its weights get no gradient).
    ///   - map: I, not detached.
    ///   - label: the domain label the segmenter wants D to output (0 = source).
    ///   - weight: λ (the term's factor in the pass's loss).
    /// - Returns: the unweighted BCE.
    static func fool(_ discriminator: FCDiscriminator, map: SelfInformationMap, label: Float,
                     weight: Float) -> Double {
        let output = discriminator.forward(map.map, retain: true)
        let gradOutput = Tensor(shape: output.shape)
        let loss = output.withUnsafeBufferPointer { x in
            gradOutput.withUnsafeMutableBufferPointer { g in
                bceWithLogitsLoss(gradInput: g.baseAddress!, input: x.baseAddress!, target: label, scale: weight,
                                  count: x.count)
            }
        }
        let gradMap = discriminator.backward(gradOutput, computeWeightGradients: false,
                                             computeInputGradient: true, release: true)!
        map.accumulateGradient(gradMap)
        return loss
    }

    /// Discriminator phase: scale·BCE(D(I), label) on a detached map; accumulates
    /// scale·dBCE/dθ into D's parameter gradients (one backward).
    ///
    /// - Parameters:
    ///   - discriminator: D (trainable).
    ///   - map: I, [N, C, H, W], a constant.
    ///   - label: the domain label D should output.
    ///   - scale: the term's divisor as a factor (1/2, 1/(1 + T), …), times a repetition count
    ///     where the spec repeats the same term.
    /// - Returns: the unscaled BCE.
    static func train(_ discriminator: FCDiscriminator, map: Tensor, label: Float, scale: Float) -> Double {
        let output = discriminator.forward(map, retain: true)
        let gradOutput = Tensor(shape: output.shape)
        let loss = output.withUnsafeBufferPointer { x in
            gradOutput.withUnsafeMutableBufferPointer { g in
                bceWithLogitsLoss(gradInput: g.baseAddress!, input: x.baseAddress!, target: label, scale: scale,
                                  count: x.count)
            }
        }
        discriminator.backward(gradOutput, computeWeightGradients: true, computeInputGradient: false, release: true)
        return loss
    }
}
