// Elementwise activations: ReLU (segmenter) and LeakyReLU (discriminator).
//
// Sizes: count = number of elements of the tensor (any shape, e.g. N·C·H·W); every tensor
// argument below is a contiguous buffer of `count` floats.
//
// Backward uses the forward's INPUT (PyTorch's rule "x > 0"). Because relu(x) > 0 ⇔ x > 0 and
// leakyReLU(x) > 0 ⇔ x > 0 for a positive slope, the forward's OUTPUT can be passed instead
// (what an in-place forward leaves behind): the derivative is the same.

/// ReLU forward: `output = max(input, 0)` (NaN propagates, as PyTorch's `relu`).
///
/// - Parameters:
///   - output: [count], written.
///   - input: [count].
///   - count: number of elements.
///
/// Spec §2.1, §4.12 (PyTorch `nn.ReLU`).
@inlinable
public func reluForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                        count: Int) {
    for i in 0..<count {
        let x = input[i]
        output[i] = x < 0 ? 0 : x
    }
}

/// ReLU forward in place: `values = max(values, 0)`.
///
/// - Parameters:
///   - values: [count], read and overwritten.
///   - count: number of elements.
///
/// Spec §2.1, §4.12 (PyTorch `nn.ReLU(inplace=True)`).
@inlinable
public func reluForwardInPlace(values: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let x = values[i]
        values[i] = x < 0 ? 0 : x
    }
}

/// ReLU data gradient: `gradInput += gradOutput · (input > 0)`.
///
/// - Parameters:
///   - gradInput: [count], accumulated into.
///   - gradOutput: [count].
///   - input: [count], the forward's input (or its output, see the file comment).
///   - count: number of elements.
///
/// Spec §4.12 (PyTorch `threshold_backward`).
@inlinable
public func reluBackwardData(gradInput: UnsafeMutablePointer<Float>,
                             gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>,
                             count: Int) {
    for i in 0..<count {
        gradInput[i] += input[i] > 0 ? gradOutput[i] : 0
    }
}

/// ReLU data gradient in place: `gradient = gradient · (input > 0)` (overwrites, no
/// accumulation: turns the output gradient into the input gradient in its own buffer).
///
/// - Parameters:
///   - gradient: [count], the output gradient on entry, the input gradient on return.
///   - input: [count], the forward's input (or its output).
///   - count: number of elements.
///
/// Spec §4.12 (PyTorch `threshold_backward`).
@inlinable
public func reluBackwardDataInPlace(gradient: UnsafeMutablePointer<Float>,
                                    input: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
        gradient[i] = input[i] > 0 ? gradient[i] : 0
    }
}

/// LeakyReLU forward: `output = input > 0 ? input : negativeSlope · input`.
///
/// - Parameters:
///   - output: [count], written.
///   - input: [count].
///   - negativeSlope: the slope for x ≤ 0 (0.2 in the discriminator).
///   - count: number of elements.
///
/// Spec §3 (PyTorch `nn.LeakyReLU(0.2)`).
@inlinable
public func leakyReLUForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                             negativeSlope: Float, count: Int) {
    for i in 0..<count {
        let x = input[i]
        output[i] = x > 0 ? x : x * negativeSlope
    }
}

/// LeakyReLU forward in place.
///
/// - Parameters:
///   - values: [count], read and overwritten.
///   - negativeSlope: the slope for x ≤ 0 (must be > 0 for the backward to accept the output).
///   - count: number of elements.
///
/// Spec §3 (PyTorch `nn.LeakyReLU(0.2, inplace=True)`).
@inlinable
public func leakyReLUForwardInPlace(values: UnsafeMutablePointer<Float>, negativeSlope: Float,
                                    count: Int) {
    for i in 0..<count {
        let x = values[i]
        values[i] = x > 0 ? x : x * negativeSlope
    }
}

/// LeakyReLU data gradient: `gradInput += input > 0 ? gradOutput : negativeSlope · gradOutput`.
///
/// - Parameters:
///   - gradInput: [count], accumulated into.
///   - gradOutput: [count].
///   - input: [count], the forward's input (or its output when negativeSlope > 0).
///   - negativeSlope: the forward's slope.
///   - count: number of elements.
///
/// Spec §3 (PyTorch `leaky_relu_backward`, derivative 1 for x > 0, slope for x ≤ 0).
@inlinable
public func leakyReLUBackwardData(gradInput: UnsafeMutablePointer<Float>,
                                  gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>,
                                  negativeSlope: Float, count: Int) {
    for i in 0..<count {
        let g = gradOutput[i]
        gradInput[i] += input[i] > 0 ? g : g * negativeSlope
    }
}

/// LeakyReLU data gradient in place (overwrites, no accumulation).
///
/// - Parameters:
///   - gradient: [count], the output gradient on entry, the input gradient on return.
///   - input: [count], the forward's input (or its output when negativeSlope > 0).
///   - negativeSlope: the forward's slope.
///   - count: number of elements.
///
/// Spec §3 (PyTorch `leaky_relu_backward`).
@inlinable
public func leakyReLUBackwardDataInPlace(gradient: UnsafeMutablePointer<Float>,
                                         input: UnsafePointer<Float>, negativeSlope: Float,
                                         count: Int) {
    for i in 0..<count {
        let g = gradient[i]
        gradient[i] = input[i] > 0 ? g : g * negativeSlope
    }
}
