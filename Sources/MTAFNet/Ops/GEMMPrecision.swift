// The arithmetic of the convolution GEMMs: FP32, or bfloat16 operands with FP32 accumulation
// (TRAIN.AMP / TEST.AMP, `--precision`); how a run's request is resolved on this CPU; and the one
// process-wide setting the convolutions read (`ConvolutionPrecision.current`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Distributed

/// The arithmetic of the convolutions' three GEMMs (forward, input gradient, weight gradient).
/// `bf16` rounds both operands of each product to bfloat16 (round to nearest even) and sums in
/// FP32, what PyTorch autocast does for convolutions on CPUs; everything else (weights, optimizer
/// state, BatchNorm, softmax, losses, elementwise operations) stays FP32. No loss scaling: bf16
/// keeps FP32's 8-bit exponent, so gradients do not underflow as they would in FP16. Spec §4.13.
public enum GEMMPrecision: String, Sendable, CaseIterable {
    case fp32
    case bf16
}

/// Whether `MTAF_GEMM_BF16` in `environment` switches the bf16 kernel off (`off`: behave as on a
/// CPU without AVX512-BF16, for tests and comparisons; `auto` or unset: use it where the CPU has
/// it; anything else is reported on stderr and read as `auto`).
///
/// - Parameter environment: the process environment (only `MTAF_GEMM_BF16` is read).
/// - Returns: true for `off`.
func bf16DisabledByEnvironment(_ environment: [String: String]) -> Bool {
    guard let text = environment["MTAF_GEMM_BF16"], !text.isEmpty else { return false }
    switch text.lowercased() {
    case "off": return true
    case "auto": return false
    default:
        printToStandardError("mtaf-mpi: MTAF_GEMM_BF16=\(text) is not one of auto, off; using auto")
        return false
    }
}

/// Whether `bf16` convolutions can run here: the CPU has AVX512-BF16 (and our AVX-512 kernel) and
/// `MTAF_GEMM_BF16` is not `off`. Read once.
public let bf16GEMMAvailable: Bool = {
    guard let value = getenv("MTAF_GEMM_BF16") else { return bf16KernelOnThisCPU }
    return bf16KernelOnThisCPU && !bf16DisabledByEnvironment(["MTAF_GEMM_BF16": String(cString: value)])
}()

/// Why `bf16GEMMAvailable` is false ("" when it is true).
public var bf16UnavailableReason: String {
    if bf16GEMMAvailable { return "" }
    return bf16KernelOnThisCPU ? "MTAF_GEMM_BF16=off" : "this CPU has no AVX512-BF16"
}

/// The precision of the convolution GEMMs of this process. A run sets it once at start from its
/// resolved `Choice` (`mtaf-mpi train`, `test`, `bench`); `fp32` until then, so library callers
/// and the PyTorch fixtures run FP32 unless they ask. One process-wide setting rather than a
/// parameter of every layer: a run's whole model uses one precision.
public enum ConvolutionPrecision {
    nonisolated(unsafe) public private(set) static var current: GEMMPrecision = .fp32

    /// Sets `current`; `bf16` only where `bf16GEMMAvailable` (resolve a request with `resolve`).
    /// Call it between runs, not while a convolution runs.
    public static func set(_ precision: GEMMPrecision) {
        precondition(precision == .fp32 || bf16GEMMAvailable,
                     "ConvolutionPrecision.set(.bf16): \(bf16UnavailableReason)")
        current = precision
    }

    /// A resolved request: the precision and, when there is something to say, one line for the
    /// start of the run's log (`isWarning`: it reports a fallback).
    public struct Choice: Equatable, Sendable {
        public var precision: GEMMPrecision
        public var note: String?
        public var isWarning = false
    }

    /// A run's precision from its command-line request and its config's AMP key.
    ///
    /// - Parameters:
    ///   - requested: `--precision`, nil when not given.
    ///   - amp: the value of the AMP key (TRAIN.AMP for train, TEST.AMP for test).
    ///   - ampKey: that key's name, for the message.
    ///   - bf16Available: `bf16GEMMAvailable` (a parameter so that tests can play a CPU without).
    /// - Returns: `--precision` when given; else bf16 when AMP is on (FP32 with a warning where
    ///   bf16 cannot run); else FP32.
    /// - Throws: `PrecisionError.bf16Unavailable` for `--precision bf16` where bf16 cannot run.
    public static func resolve(requested: GEMMPrecision?, amp: Bool, ampKey: String,
                               bf16Available: Bool, unavailableReason: String = bf16UnavailableReason)
        throws(PrecisionError) -> Choice {
        let bf16Note = "convolution GEMMs in bfloat16 (FP32 accumulation; weights, optimizer, BatchNorm, losses in FP32)"
        switch requested {
        case .fp32?:
            return Choice(precision: .fp32, note: amp ? "--precision fp32 overrides \(ampKey): True: FP32 throughout" : nil)
        case .bf16?:
            guard bf16Available else { throw .bf16Unavailable(reason: unavailableReason) }
            return Choice(precision: .bf16, note: "--precision bf16: \(bf16Note)")
        case nil:
            guard amp else { return Choice(precision: .fp32, note: nil) }
            guard bf16Available else {
                return Choice(precision: .fp32, note: "warning: \(ampKey): True asks for bfloat16 convolutions, but "
                    + "\(unavailableReason): running FP32", isWarning: true)
            }
            return Choice(precision: .bf16, note: "\(ampKey): True: \(bf16Note); --precision fp32 overrides")
        }
    }
}

/// A precision request that cannot be met.
public enum PrecisionError: Error, CustomStringConvertible, Equatable {
    /// `--precision bf16` where `bf16GEMMAvailable` is false.
    case bf16Unavailable(reason: String)

    public var description: String {
        switch self {
        case .bf16Unavailable(let reason): "--precision bf16: \(reason); use --precision fp32"
        }
    }
}

/// A convolution's GEMM (`sgemm`'s arguments) in `ConvolutionPrecision.current`: `sgemm` for
/// FP32 (unchanged, bit for bit), `bf16gemm` for bf16. Conv2d.swift and ASPP.swift call this for
/// all their products.
@inline(__always)
func convolutionGEMM(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if ConvolutionPrecision.current == .bf16 {
        bf16gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    } else {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}
