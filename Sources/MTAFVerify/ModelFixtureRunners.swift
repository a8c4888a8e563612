// Model fixture runners: sidecar "model": "DeepLabv2", "DeepLabv2MTKT", "FCDiscriminator".
// Everything comes from the sidecar and the tensor names: `blocks`, `width`, `num_classes`,
// `heads`, `upsample_to`, `ndf`, `in_channels`; weights `param.<key>` (state_dict keys), `input`,
// `labels` (I32); results `expected.train.*`, `expected.eval.*`, `expected.grad.<key>`,
// `expected.after_train.<key>`, `expected.loss`, `expected.output`, `expected.grad_input`.
// DeepLab loss: CE(up(main)) + 0.1·CE(up(aux)), up = bilinear (align_corners) to `upsample_to`,
// summed over the heads for MTKT.

import MTAFNet

/// Shared steps of the model runners.
enum ModelFixtureSupport {
    /// Copies `<prefix><key>` (default `param.<key>`) into every float entry of the state dict;
    /// a `num_batches_tracked` may be absent (it then keeps its value); a `<prefix>*` tensor that
    /// is no key of the model throws. Also used by the training runner (`init.seg.`, `init.<disc>.`).
    static func loadStateDict(_ fixture: Fixture, prefix: String = "param.", into stateDict: StateDict) throws {
        for key in fixture.keys where key.hasPrefix(prefix) {
            guard stateDict.entry(forKey: String(key.dropFirst(prefix.count))) != nil else {
                throw FixtureError.unsupported(file: fixture.path, reason: "tensor '\(key)' is not a key of the model")
            }
        }
        for entry in stateDict.entries {
            let key = prefix + entry.key
            switch entry.slot {
            case let .floats(store, id):
                let tensor = try fixture.tensor(key)
                guard tensor.shape == entry.shape else {
                    throw FixtureError.unsupported(file: fixture.path,
                                                   reason: "tensor '\(key)' has shape \(tensor.shape), the model \(entry.shape)")
                }
                tensor.withUnsafeBufferPointer { src in
                    store.withValues(id) { dst in
                        for i in 0..<dst.count { dst[i] = src[i] }
                    }
                }
            case let .counter(layer):
                if fixture.hasTensor(key) {
                    layer.numBatchesTracked = Int64(try fixture.floats(key).scalars.first ?? 0)
                }
            }
        }
    }

    /// The gradient of every trainable entry as `expected.grad.<key>`, and every running
    /// statistic as `expected.after_train.<key>`.
    static func parameterResults(_ stateDict: StateDict) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for entry in stateDict.entries {
            guard case let .floats(store, id) = entry.slot else { continue }
            let t = Tensor(shape: entry.shape)
            if entry.isTrainable {
                store.withGradientUnmarked(id) { src in
                    t.withUnsafeMutableBufferPointer { dst in for i in 0..<dst.count { dst[i] = src[i] } }
                }
                out["expected.grad." + entry.key] = t
            } else if entry.key.hasSuffix(".running_mean") || entry.key.hasSuffix(".running_var") {
                store.withValues(id) { src in
                    t.withUnsafeMutableBufferPointer { dst in for i in 0..<dst.count { dst[i] = src[i] } }
                }
                out["expected.after_train." + entry.key] = t
            }
        }
        return out
    }

    /// The configuration from `blocks`, `width`, `num_classes`; multi-level iff the case has aux outputs.
    static func configuration(_ fixture: Fixture, multiLevel: Bool) throws -> DeepLabV2Configuration {
        let blocks = try fixture.intArray("blocks")
        let width = try fixture.int("width"), classes = try fixture.int("num_classes")
        guard blocks.count == 4, blocks.allSatisfy({ $0 >= 1 }), width >= 1, classes >= 1 else {
            throw FixtureError.unsupported(file: fixture.path, reason: "blocks \(blocks), width \(width), classes \(classes)")
        }
        return DeepLabV2Configuration(blocks: blocks, width: width, classes: classes, multiLevel: multiLevel)
    }

    /// The input image and labels, with the loss's upsampling size.
    static func batch(_ fixture: Fixture) throws -> (input: Tensor, labels: [Int32], size: (Int, Int)) {
        let input = try fixture.tensor("input")
        let (labelShape, labels) = try fixture.int32s("labels")
        let size = try fixture.intArray("upsample_to")
        guard input.rank == 4, input.shape[1] == 3, size.count == 2,
              labelShape == [input.shape[0], size[0], size[1]] else {
            throw FixtureError.unsupported(file: fixture.path,
                                           reason: "input \(input.shape), labels \(labelShape), upsample_to \(size)")
        }
        return (input, labels, (size[0], size[1]))
    }

    /// weight·CE(up(logits), labels) and its gradient w.r.t. `logits` (spec §4.2, §4.7).
    static func segmentationLoss(_ logits: Tensor, labels: [Int32], size: (Int, Int),
                                 weight: Float) -> (loss: Double, grad: Tensor) {
        let (n, c, h, w) = (logits.shape[0], logits.shape[1], logits.shape[2], logits.shape[3])
        let up = Tensor(shape: [n, c, size.0, size.1])
        let gradUp = Tensor(shape: up.shape)
        let grad = Tensor(shape: logits.shape)
        var loss = 0.0
        logits.withUnsafeBufferPointer { x in
            up.withUnsafeMutableBufferPointer { u in
                bilinearResizeForward(output: u.baseAddress!, input: x.baseAddress!, batch: n, channels: c,
                                      inputHeight: h, inputWidth: w, outputHeight: size.0, outputWidth: size.1)
                gradUp.withUnsafeMutableBufferPointer { gu in
                    labels.withUnsafeBufferPointer { lab in
                        loss = crossEntropy2dLoss(gradLogits: gu.baseAddress!, logits: u.baseAddress!,
                                                  labels: lab.baseAddress!, scale: weight, batch: n,
                                                  channels: c, height: size.0, width: size.1)
                    }
                    grad.withUnsafeMutableBufferPointer { g in
                        bilinearResizeBackwardData(gradInput: g.baseAddress!, gradOutput: gu.baseAddress!,
                                                   batch: n, channels: c, inputHeight: h, inputWidth: w,
                                                   outputHeight: size.0, outputWidth: size.1)
                    }
                }
            }
        }
        return (Double(weight) * loss, grad)
    }

    /// Keeps only the outputs the case expects (extra outputs are not an error).
    static func expectedOnly(_ outputs: [String: Tensor], _ fixture: Fixture) -> [String: Tensor] {
        let wanted = Set(fixture.expectedKeys)
        return outputs.filter { wanted.contains($0.key) }
    }
}

/// Runs `"model": "DeepLabv2"` cases: eval forward from the initial state, then a train forward,
/// the loss CE(up(main)) + 0.1·CE(up(aux)), the backward; returns logits, loss, gradients and
/// running statistics. Spec §2, §4.2, §4.7 (upstream `ResNetMulti`).
public enum DeepLabV2FixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        // A training case names its model too; it belongs to TrainingFixtureRunner.
        (try? fixture.string("model")) == DeepLabV2.upstreamName && !fixture.has("framework")
    }

    /// A chain of layers: bf16 deviations compound, no element bound (spec §4.13).
    public static func bf16Bound(_ fixture: Fixture) throws -> BF16Bound { .compound }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let multiLevel = fixture.hasTensor("expected.train.aux") || fixture.hasTensor("expected.eval.aux")
        let model = DeepLabV2(try ModelFixtureSupport.configuration(fixture, multiLevel: multiLevel),
                              random: RandomStream(seed: 0))
        try ModelFixtureSupport.loadStateDict(fixture, into: model.stateDict)
        let (input, labels, size) = try ModelFixtureSupport.batch(fixture)
        var out: [String: Tensor] = [:]
        let eval = model.forward(input, training: false)
        out["expected.eval.main"] = eval.main
        out["expected.eval.aux"] = eval.aux
        let train = model.forward(input, training: true)
        out["expected.train.main"] = train.main
        out["expected.train.aux"] = train.aux
        let main = ModelFixtureSupport.segmentationLoss(train.main, labels: labels, size: size, weight: 1)
        let aux = train.aux.map { ModelFixtureSupport.segmentationLoss($0, labels: labels, size: size, weight: 0.1) }
        out["expected.train.loss"] = Tensor(shape: [1], values: [Float(main.loss + (aux?.loss ?? 0))])
        model.backward(gradAux: aux?.grad, gradMain: main.grad)
        out.merge(ModelFixtureSupport.parameterResults(model.stateDict)) { a, _ in a }
        return ModelFixtureSupport.expectedOnly(out, fixture)
    }
}

/// Runs `"model": "DeepLabv2MTKT"` cases (`heads` = 1 + T): as `DeepLabV2FixtureRunner` with
/// every head, the loss summed over the heads; outputs `expected.{train,eval}.{aux,main}.<k>`.
/// Spec §2.6 (upstream `ResNetMultiMTKT`).
public enum DeepLabV2MTKTFixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        (try? fixture.string("model")) == DeepLabV2MTKT.upstreamName && !fixture.has("framework")
    }

    /// A chain of layers: bf16 deviations compound, no element bound (spec §4.13).
    public static func bf16Bound(_ fixture: Fixture) throws -> BF16Bound { .compound }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let heads = try fixture.int("heads")
        guard heads >= 1 else { throw FixtureError.unsupported(file: fixture.path, reason: "heads \(heads)") }
        let multiLevel = fixture.keys.contains { $0.hasPrefix("param.aux_classifier_list.") }
        let model = DeepLabV2MTKT(try ModelFixtureSupport.configuration(fixture, multiLevel: multiLevel),
                                  heads: heads, random: RandomStream(seed: 0))
        try ModelFixtureSupport.loadStateDict(fixture, into: model.stateDict)
        let (input, labels, size) = try ModelFixtureSupport.batch(fixture)
        var out: [String: Tensor] = [:]
        let eval = model.forward(input, training: false)
        for k in 0..<heads {
            out["expected.eval.main.\(k)"] = eval.main[k]
            out["expected.eval.aux.\(k)"] = eval.aux[k]
        }
        let train = model.forward(input, training: true)
        var total = 0.0
        var gradMain: [Tensor?] = [], gradAux: [Tensor?] = []
        for k in 0..<heads {
            let main = ModelFixtureSupport.segmentationLoss(train.main[k]!, labels: labels, size: size, weight: 1)
            total += main.loss
            gradMain.append(main.grad)
            out["expected.train.main.\(k)"] = train.main[k]
            if let a = train.aux[k] {
                let aux = ModelFixtureSupport.segmentationLoss(a, labels: labels, size: size, weight: 0.1)
                total += aux.loss
                gradAux.append(aux.grad)
                out["expected.train.aux.\(k)"] = a
            } else {
                gradAux.append(nil)
            }
        }
        out["expected.train.loss"] = Tensor(shape: [1], values: [Float(total)])
        model.backward(gradAux: gradAux, gradMain: gradMain)
        out.merge(ModelFixtureSupport.parameterResults(model.stateDict)) { a, _ in a }
        return ModelFixtureSupport.expectedOnly(out, fixture)
    }
}

/// Runs `"model": "FCDiscriminator"` cases (`in_channels`, `ndf`): forward, BCE-with-logits
/// against 0 (mean), backward to the parameters and the input. Spec §3, §4.3
/// (upstream `get_fc_discriminator`, `bce_loss`).
public enum FCDiscriminatorFixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        (try? fixture.string("model")) == "FCDiscriminator"
    }

    /// A chain of layers: bf16 deviations compound, no element bound (spec §4.13).
    public static func bf16Bound(_ fixture: Fixture) throws -> BF16Bound { .compound }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let inChannels = try fixture.int("in_channels"), ndf = try fixture.int("ndf")
        guard inChannels >= 1, ndf >= 1 else {
            throw FixtureError.unsupported(file: fixture.path, reason: "in_channels \(inChannels), ndf \(ndf)")
        }
        let model = FCDiscriminator(inChannels: inChannels, ndf: ndf, random: RandomStream(seed: 0))
        try ModelFixtureSupport.loadStateDict(fixture, into: model.stateDict)
        let input = try fixture.tensor("input")
        guard input.rank == 4, input.shape[1] == inChannels else {
            throw FixtureError.unsupported(file: fixture.path, reason: "input \(input.shape) for \(inChannels) channels")
        }
        let output = model.forward(input)
        let gradOutput = Tensor(shape: output.shape)
        let loss = output.withUnsafeBufferPointer { y in
            gradOutput.withUnsafeMutableBufferPointer { g in
                bceWithLogitsLoss(gradInput: g.baseAddress!, input: y.baseAddress!, target: 0, count: y.count)
            }
        }
        let gradInput = model.backward(gradOutput, computeWeightGradients: true, computeInputGradient: true)
        var out = ModelFixtureSupport.parameterResults(model.stateDict)
        out["expected.output"] = output
        out["expected.loss"] = Tensor(shape: [1], values: [Float(loss)])
        out["expected.grad_input"] = gradInput
        return ModelFixtureSupport.expectedOnly(out, fixture)
    }
}
