import ArgumentParser
import MTAFNet

/// An input size `HxW` (e.g. `320x640`, height first like the tables of docs/algorithm.md) for `bench`.
struct BenchSize: ExpressibleByArgument, Equatable, CustomStringConvertible, Sendable {
    var height: Int
    var width: Int

    init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    init?(argument: String) {
        let parts = argument.lowercased().replacingOccurrences(of: "×", with: "x").split(separator: "x")
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h >= 1, w >= 1 else { return nil }
        self.init(height: h, width: w)
    }

    /// `HxW`, the JSON value of every suite's `size` key.
    var description: String { "\(height)x\(width)" }

    var defaultValueDescription: String { description }

    /// MTAF's training size (INPUT_SIZE_SOURCE/TARGET, spec §6.2).
    static let training = BenchSize(height: 320, width: 640)
}

/// The segmenter a `bench` suite builds: ResNet-101 at the real width 64, or the width-16
/// variant (spec §2.11) for quick checks.
enum BenchModelChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// ResNet-101, width 64 (the real model).
    case r101
    /// ResNet-101 blocks at width 16.
    case w16

    var width: Int { self == .r101 ? 64 : 16 }

    /// The name in reports and JSON (`deeplabv2-r101-w64`, `deeplabv2-r101-w16`).
    var name: String { "deeplabv2-r101-w\(width)" }

    /// DeepLab-v2 with 7 classes and both levels.
    var configuration: DeepLabV2Configuration { .resNet101(classes: 7, width: width) }
}

/// The training framework `bench iteration` runs (spec §5), spelled as TRAIN.MT_FRAMEWORK in
/// lower case: sourceonly, baseline, minent, mdis, mtkt (bench/torch_mtaf.py takes the same).
extension TrainingFrameworkKind: ExpressibleByArgument {
    public init?(argument: String) {
        guard let kind = Self.allCases.first(where: { $0.argumentName == argument }) else { return nil }
        self = kind
    }

    public static var allValueStrings: [String] { allCases.map(\.argumentName) }

    /// The command-line spelling.
    var argumentName: String { rawValue.lowercased() }
}
