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
    ///     where spec §5.1 repeats the same term.
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

extension AdversarialTerm {
    /// Both phases of one discriminator on one map from a single forward (the MDis exchange,
    /// architecture §3.4): the weights do not change before the step, so the generator-phase output
    /// equals the discriminator-phase one. Accumulates `train.scale`·dBCE(·, train.label)/dθ into
    /// D's parameter gradients and returns `fool.weight`·dBCE(·, fool.label)/dI (nil without a
    /// generator term).
    ///
    /// - Parameters:
    ///   - discriminator: D.
    ///   - map: I, [N, C, H, W] (detached; the caller sends the data gradient to its producer).
    ///   - fool: the generator term's label and weight, or nil.
    ///   - train: the discriminator term's label and scale.
    /// - Returns: dLoss/dI [N, C, H, W] of the generator term, or nil.
    /// Spec §4.3, §5.2 steps 2 and 4(b)/(d) (upstream `bce_loss`).
    static func foolAndTrain(_ discriminator: FCDiscriminator, map: Tensor, fool: (label: Float, weight: Float)?,
                             train: (label: Float, scale: Float)) -> Tensor? {
        let output = discriminator.forward(map, retain: true)
        func gradient(label: Float, scale: Float) -> Tensor {
            let gradOutput = Tensor(shape: output.shape)
            output.withUnsafeBufferPointer { x in
                gradOutput.withUnsafeMutableBufferPointer { g in
                    _ = bceWithLogitsLoss(gradInput: g.baseAddress!, input: x.baseAddress!, target: label, scale: scale,
                                          count: x.count)
                }
            }
            return gradOutput
        }
        var gradMap: Tensor? = nil
        if let fool {
            gradMap = discriminator.backward(gradient(label: fool.label, scale: fool.weight), computeWeightGradients: false,
                                             computeInputGradient: true, release: false)
        }
        discriminator.backward(gradient(label: train.label, scale: train.scale), computeWeightGradients: true,
                               computeInputGradient: false, release: true)
        return gradMap
    }
}
