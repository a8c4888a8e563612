// DeepLab-v2's classifier module: B dilated 3×3 convolutions with bias whose outputs are summed,
// over `Ops/ASPP` (one GEMM per image for all branches).
//
// Sizes: N batch, Cin input channels, C classes, H×W map (kept). Input [N, Cin, H, W], output
// [N, C, H, W]; branch i has `conv2d_list.i.weight` [C, Cin, 3, 3] and `conv2d_list.i.bias` [C].
// What the backward needs: the input (a reference).

/// The "ASPP" classifier with explicit forward and backward (architecture §2.1).
/// Spec §2.4 (upstream `ClassifierModule`).
public final class ASPPClassifier {
    /// The module's key prefix (`layer5`, `layer6`, `aux_classifier_list.k`, `main_classifier_list.k`).
    public let key: String
    public let geometry: ASPPGeometry
    /// The store holding the weights and biases.
    public let store: ParameterStore
    /// Branch weights [C, Cin, 3, 3], in branch order.
    public let weights: [ParameterID]
    /// Branch biases [C], in branch order.
    public let biases: [ParameterID]
    let workspace: ConvWorkspace
    private var savedInput: Tensor?

    /// Registers `conv2d_list.i.weight`, `conv2d_list.i.bias` for i = 0…B−1.
    public init(key: String, geometry: ASPPGeometry, store: ParameterStore, storePrefix: String = "",
                stateDict: StateDict, workspace: ConvWorkspace) {
        self.key = key
        self.geometry = geometry
        self.store = store
        self.workspace = workspace
        var w: [ParameterID] = [], b: [ParameterID] = []
        for i in 0..<geometry.branches {
            w.append(stateDict.register(key: "\(key).conv2d_list.\(i).weight",
                                        shape: [geometry.classes, geometry.inChannels, 3, 3],
                                        in: store, storePrefix: storePrefix, isTrainable: true))
            b.append(stateDict.register(key: "\(key).conv2d_list.\(i).bias", shape: [geometry.classes],
                                        in: store, storePrefix: storePrefix, isTrainable: true))
        }
        weights = w
        biases = b
    }

    /// All parameters in state-dict order (weight 0, bias 0, weight 1, …).
    public var parameterIDs: [ParameterID] {
        zip(weights, biases).flatMap { [$0, $1] }
    }

    /// Whether a forward's input is held for a backward.
    public var hasRetainedForward: Bool { savedInput != nil }

    /// output = Σᵢ conv2d(input, Wᵢ, bᵢ, padding = dilation = dᵢ).
    ///
    /// - Parameters:
    ///   - input: [N, Cin, H, W].
    ///   - retain: keep `input` (by reference) for `backward`.
    /// - Returns: [N, C, H, W], a new tensor.
    public func forward(_ input: Tensor, retain: Bool) -> Tensor {
        let (n, h, w) = checkInput(input)
        let output = Tensor(shape: [n, geometry.classes, h, w])
        let b = geometry.branches
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                store.withValuePointers(weights + biases) { p in
                    asppForward(output: y.baseAddress!, input: x.baseAddress!,
                                weights: p[0..<b].map { UnsafePointer($0) },
                                biases: p[b...].map { UnsafePointer($0) }, workspace: workspace,
                                geometry: geometry, batch: n, height: h, width: w)
                }
            }
        }
        savedInput = retain ? input : nil
        return output
    }

    /// Backward of the last retained forward.
    ///
    /// - Parameters:
    ///   - gradOutput: [N, C, H, W] (not modified).
    ///   - gradInput: [N, Cin, H, W] to accumulate into, or nil for a new one.
    ///   - computeWeightGradients: accumulate the weight and bias gradients (marking them received).
    ///   - computeInputGradient: compute the input gradient.
    ///   - release: drop the retained input afterwards.
    /// - Returns: the input gradient (`gradInput` itself when given), or nil when not computed.
    @discardableResult
    public func backward(_ gradOutput: Tensor, accumulatingInto gradInput: Tensor? = nil,
                         computeWeightGradients: Bool = true, computeInputGradient: Bool = true,
                         release: Bool = true) -> Tensor? {
        precondition(savedInput != nil, "ASPPClassifier \(key): backward without a retained forward")
        let input = savedInput!
        let (n, h, w) = checkInput(input)
        precondition(gradOutput.shape == [n, geometry.classes, h, w],
                     "ASPPClassifier \(key): gradOutput \(gradOutput.shape) does not match the forward")
        let b = geometry.branches
        if computeWeightGradients {
            input.withUnsafeBufferPointer { x in
                gradOutput.withUnsafeBufferPointer { gy in
                    store.withGradientPointers(weights + biases) { g in
                        asppBackwardWeight(gradWeights: Array(g[0..<b]), gradBiases: Array(g[b...]),
                                           input: x.baseAddress!, gradOutput: gy.baseAddress!,
                                           workspace: workspace, geometry: geometry,
                                           batch: n, height: h, width: w)
                    }
                }
            }
        }
        var result: Tensor? = nil
        if computeInputGradient {
            let gx = gradInput ?? Tensor(shape: input.shape)
            precondition(gx.shape == input.shape, "ASPPClassifier \(key): gradInput \(gx.shape) is not \(input.shape)")
            gx.withUnsafeMutableBufferPointer { dx in
                gradOutput.withUnsafeBufferPointer { gy in
                    store.withValuePointers(weights) { p in
                        asppBackwardData(gradInput: dx.baseAddress!, gradOutput: gy.baseAddress!,
                                         weights: p.map { UnsafePointer($0) }, workspace: workspace,
                                         geometry: geometry, batch: n, height: h, width: w)
                    }
                }
            }
            result = gx
        }
        if release { savedInput = nil }
        return result
    }

    /// Drops the retained input without a backward.
    public func releaseActivations() { savedInput = nil }

    private func checkInput(_ input: Tensor) -> (Int, Int, Int) {
        precondition(input.rank == 4 && input.shape[1] == geometry.inChannels,
                     "ASPPClassifier \(key): input \(input.shape), wanted [N, \(geometry.inChannels), H, W]")
        return (input.shape[0], input.shape[2], input.shape[3])
    }
}
