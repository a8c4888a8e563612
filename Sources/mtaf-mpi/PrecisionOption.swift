import ArgumentParser
import MTAFNet

/// `--precision fp32|bf16` of `train`, `test`, `bench` and `verify`: the arithmetic of the convolution GEMMs
/// (Ops/GEMMPrecision.swift). Unset, `train` follows TRAIN.AMP and `test` TEST.AMP; `bench` and
/// `verify` run FP32.
struct PrecisionOption: ParsableArguments {
    /// The values `--precision` takes.
    enum Value: String, ExpressibleByArgument, CaseIterable {
        case fp32
        case bf16

        var precision: GEMMPrecision { self == .bf16 ? .bf16 : .fp32 }
    }

    @Option(help: ArgumentHelp(
        "Convolution GEMMs in fp32, or bf16 (bfloat16 operands, FP32 sums; needs AVX512-BF16). Default: from TRAIN.AMP (train) or TEST.AMP (test), fp32 for bench and verify.",
        valueName: "fp32|bf16"))
    var precision: Value?

    /// Resolves the request against the config's AMP key and this CPU, and sets the process-wide
    /// convolution precision.
    ///
    /// - Parameters:
    ///   - amp: the AMP key's value (false for bench).
    ///   - ampKey: its name ("TRAIN.AMP", "TEST.AMP").
    /// - Returns: the resolved choice (its note is the one line to log at start).
    /// - Throws: `PrecisionError` for `--precision bf16` on a CPU without AVX512-BF16.
    func apply(amp: Bool, ampKey: String) throws -> ConvolutionPrecision.Choice {
        let choice = try ConvolutionPrecision.resolve(requested: precision?.precision, amp: amp, ampKey: ampKey,
                                                      bf16Available: bf16GEMMAvailable)
        ConvolutionPrecision.set(choice.precision)
        return choice
    }

    /// The option as it appears on the command line ("" when not given), for run identities.
    var commandSuffix: String { precision.map { " --precision \($0.rawValue)" } ?? "" }
}
