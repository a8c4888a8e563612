// The static shape of one 2-D convolution (groups = 1), PyTorch `nn.Conv2d` semantics.
//
// Sizes: Cin input channels, Cout output channels, KH×KW kernel, input map H×W,
// Ho = ⌊(H + 2·padH − dilationH·(KH − 1) − 1) / strideH⌋ + 1 and Wo likewise,
// K = Cin·KH·KW (rows of the im2col matrix), P = Ho·Wo (its columns).

/// Kernel, stride, padding, dilation and channel counts of a convolution, and its output-size math.
/// Spec §2.1–§2.4, §3; PyTorch `torch.nn.Conv2d` (groups = 1, zero padding).
public struct Conv2dGeometry: Sendable, Hashable, CustomStringConvertible {
    public var inChannels: Int
    public var outChannels: Int
    public var kernelH: Int
    public var kernelW: Int
    public var strideH: Int
    public var strideW: Int
    public var padH: Int
    public var padW: Int
    public var dilationH: Int
    public var dilationW: Int

    /// A square convolution: `kernel`×`kernel`, the same stride, padding and dilation on both axes.
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelH: kernel, kernelW: kernel,
                  strideH: stride, strideW: stride, padH: padding, padW: padding,
                  dilationH: dilation, dilationW: dilation)
    }

    /// A convolution with separate vertical and horizontal parameters.
    public init(inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int,
                strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int) {
        precondition(inChannels > 0 && outChannels > 0, "Conv2dGeometry: channels must be positive")
        precondition(kernelH > 0 && kernelW > 0, "Conv2dGeometry: kernel must be positive")
        precondition(strideH > 0 && strideW > 0, "Conv2dGeometry: stride must be positive")
        precondition(padH >= 0 && padW >= 0, "Conv2dGeometry: padding must be non-negative")
        precondition(dilationH > 0 && dilationW > 0, "Conv2dGeometry: dilation must be positive")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
        self.dilationH = dilationH
        self.dilationW = dilationW
    }

    /// Ho for an input of `height` rows (PyTorch's floor formula); may be ≤ 0 for a too-small map.
    public func outputHeight(_ height: Int) -> Int {
        Self.floorDiv(height + 2 * padH - dilationH * (kernelH - 1) - 1, strideH) + 1
    }

    /// Wo for an input of `width` columns (PyTorch's floor formula); may be ≤ 0 for a too-small map.
    public func outputWidth(_ width: Int) -> Int {
        Self.floorDiv(width + 2 * padW - dilationW * (kernelW - 1) - 1, strideW) + 1
    }

    /// K = Cin·KH·KW, the length of one output pixel's receptive field (im2col rows).
    public var columnRows: Int { inChannels * kernelH * kernelW }

    /// Number of weights, Cout·Cin·KH·KW.
    public var weightCount: Int { outChannels * columnRows }

    /// A 1×1, stride-1, unpadded convolution: a plain GEMM on the input, no im2col.
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }

    /// Floating-point operations of the forward pass (2 per multiply-add, bias not counted).
    public func flops(batch: Int, height: Int, width: Int) -> Double {
        2 * Double(batch) * Double(outChannels) * Double(columnRows)
            * Double(max(0, outputHeight(height))) * Double(max(0, outputWidth(width)))
    }

    public var description: String {
        var s = "\(kernelH)x\(kernelW) \(inChannels)->\(outChannels)"
        if strideH != 1 || strideW != 1 { s += strideH == strideW ? " s\(strideH)" : " s\(strideH)x\(strideW)" }
        if padH != 0 || padW != 0 { s += padH == padW ? " p\(padH)" : " p\(padH)x\(padW)" }
        if dilationH != 1 || dilationW != 1 {
            s += dilationH == dilationW ? " d\(dilationH)" : " d\(dilationH)x\(dilationW)"
        }
        return s
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
