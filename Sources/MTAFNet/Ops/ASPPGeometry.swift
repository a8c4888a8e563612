// The shape of DeepLab-v2's classifier: B parallel 3×3 convolutions (with bias, stride 1,
// dilation = padding = dᵦ) from Cin to C channels, whose outputs are summed. Spatial size is kept.
//
// Sizes: B branches (4 upstream), Cin input channels, C classes (outputs), H×W map.

/// Channel counts and dilations of the DeepLab-v2 "ASPP" classifier.
/// Spec §2.4; upstream `ClassifierModule(inplanes, dilation_series, padding_series, num_classes)`.
public struct ASPPGeometry: Sendable, Hashable, CustomStringConvertible {
    public var inChannels: Int
    public var classes: Int
    /// dᵦ per branch; padding equals dilation (upstream's (6, 12, 18, 24)).
    public var dilations: [Int]

    public init(inChannels: Int, classes: Int, dilations: [Int] = [6, 12, 18, 24]) {
        precondition(inChannels > 0 && classes > 0, "ASPPGeometry: channels must be positive")
        precondition(!dilations.isEmpty && dilations.allSatisfy { $0 > 0 },
                     "ASPPGeometry: dilations must be positive and non-empty")
        self.inChannels = inChannels
        self.classes = classes
        self.dilations = dilations
    }

    /// The number of branches B.
    public var branches: Int { dilations.count }

    /// Branch `b` as a plain convolution (3×3, padding = dilation = dᵦ).
    public func branch(_ b: Int) -> Conv2dGeometry {
        Conv2dGeometry(inChannels: inChannels, outChannels: classes, kernel: 3, stride: 1,
                       padding: dilations[b], dilation: dilations[b])
    }

    /// Nominal forward FLOPs: the B full 3×3 convolutions (bias not counted).
    public func flops(batch: Int, height: Int, width: Int) -> Double {
        Double(branches) * branch(0).flops(batch: batch, height: height, width: width)
    }

    public var description: String {
        "aspp \(inChannels)->\(classes) d\(dilations.map(String.init).joined(separator: ","))"
    }
}
