// Upstream's initialization of the segmenter and PyTorch's default one of the discriminator,
// drawn from our seeded stream (bit-identity with PyTorch's generator is not a goal, spec §2.8).
// Sizes: a view of `count` scalars of a parameter store.

/// Fills parameter-store views with random values.
enum UpstreamInitialization {
    /// Normal(0, std) into the view of `id`. Spec §2.8 (upstream `m.weight.data.normal_(0, 0.01)`).
    static func normal(_ store: ParameterStore, _ id: ParameterID, std: Float, random: inout RandomStream) {
        let t = Tensor(shape: [store[id].count])
        random.fillNormal(t, mean: 0, std: std)
        copy(t, into: store, id)
    }

    /// Uniform(−bound, bound) into the view of `id`. Spec §2.8, §3 (PyTorch `Conv2d.reset_parameters`).
    static func uniform(_ store: ParameterStore, _ id: ParameterID, bound: Float, random: inout RandomStream) {
        let t = Tensor(shape: [store[id].count])
        random.fillUniform(t, low: -bound, high: bound)
        copy(t, into: store, id)
    }

    /// Conv weights N(0, 0.01) in the given order, classifier biases U(±1/√(Cin·9)), BN reset.
    /// Spec §2.8.
    static func segmenter(convs: [Conv2dLayer], classifiers: [ASPPClassifier],
                          batchNorms: [BatchNorm2dLayer], random: RandomStream) {
        var r = random
        for conv in convs { normal(conv.store, conv.weight, std: 0.01, random: &r) }
        for head in classifiers {
            let bound = 1 / Float(Double(head.geometry.inChannels * 9).squareRoot())
            for (w, b) in zip(head.weights, head.biases) {
                normal(head.store, w, std: 0.01, random: &r)
                uniform(head.store, b, bound: bound, random: &r)
            }
        }
        for bn in batchNorms { bn.resetParameters() }
    }

    private static func copy(_ t: Tensor, into store: ParameterStore, _ id: ParameterID) {
        t.withUnsafeBufferPointer { src in
            store.withValues(id) { dst in
                for i in 0..<dst.count { dst[i] = src[i] }
            }
        }
    }
}
