// Single-precision GEMM behind a thin, row-major, Float32-only interface: OpenBLAS, or our AVX-512
// kernel (the CGEMM target) where the CPU has AVX-512; and `bf16gemm`, the same product with
// operands rounded to bfloat16 (CGEMM's AVX512-BF16 kernel). This is the only file of the project
// that imports CBLAS or CGEMM (architecture §1.1: one file per C library).
//
// Sizes: C (m × n) = alpha · op(A) (m × k) · op(B) (k × n) + beta · C, all matrices row-major.
// op(A) is A (m × k, leading dimension lda ≥ k) or, with `transA`, Aᵀ where A is k × m (lda ≥ m);
// likewise op(B) is B (k × n, ldb ≥ n) or, with `transB`, Bᵀ where B is n × k (ldb ≥ k).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import CGEMM

/// The path `sgemm` takes, from `MTAF_GEMM` (read once, on the first GEMM).
public let gemmPath: GEMMPath = {
    guard let value = getenv("MTAF_GEMM") else { return .auto }
    return GEMMPath.fromEnvironment(["MTAF_GEMM": String(cString: value)])
}()

/// Whether this CPU runs our AVX-512 kernel (avx512f/vl/bw/dq, checked once at run time). Its
/// first evaluation also gives our kernel OpenBLAS's thread count, for callers that never call
/// `setBLASThreads`.
public let ownGEMMAvailable: Bool = {
    guard cgemm_available() != 0 else { return false }
    cgemm_set_threads(openblas_get_num_threads())
    return true
}()

/// Smallest m·n·k that `auto` gives to our kernel. Measured with `mtaf-mpi bench ops --only gemm`
/// (Sources/CGEMM/cgemm.c has the blocking): on one thread ours is 1.1× OpenBLAS at 16³, 1.4× at
/// 32³ and 1.6-1.9× from 64³ up (the convolution shapes: 256 × 1053 × 2304 and the like), equal
/// at 8³. Below 2¹² OpenBLAS keeps the call; it runs such sizes on one thread (up to 2¹⁸), so its
/// worker threads are never woken in `auto` mode and never spin next to ours.
let ownGEMMMinimumWork = 1 << 12

/// Whether `auto` runs our kernel for an m × n × k product (on a CPU where it is available).
///
/// - Parameters:
///   - m, n, k: op(A) is m × k, op(B) is k × n.
/// - Returns: true when our kernel is expected to beat OpenBLAS on this shape.
public func sgemmUsesOwnKernel(m: Int, n: Int, k: Int) -> Bool {
    ownGEMMAvailable && m * n * k >= ownGEMMMinimumWork
}

/// Row-major single-precision GEMM: `c = alpha · op(a) · op(b) + beta · c`, through the path
/// chosen by `MTAF_GEMM` (`gemmPath`).
///
/// - Parameters:
///   - transA: use Aᵀ; `a` is then stored k × m.
///   - transB: use Bᵀ; `b` is then stored n × k.
///   - m, n, k: op(A) is m × k, op(B) is k × n, C is m × n.
///   - a: `transA ? [k, lda ≥ m] : [m, lda ≥ k]`.
///   - b: `transB ? [n, ldb ≥ k] : [k, ldb ≥ n]`.
///   - c: `[m, ldc ≥ n]`; with `beta == 0` its prior contents are ignored.
///
/// With `k == 0` the product is empty and C is only scaled by `beta`. No spec section; BLAS `sgemm`.
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                  alpha: Float, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    sgemm(path: gemmPath, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
          a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// `sgemm` through a given path, whatever `MTAF_GEMM` says (benchmarks and tests).
///
/// - Parameters:
///   - path: `openblas`; `own` (our kernel for every shape; OpenBLAS where `ownGEMMAvailable` is
///     false); or `auto` (our kernel where `sgemmUsesOwnKernel`, else OpenBLAS).
///   - transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc: as in `sgemm`, same shapes.
///
/// No spec section; BLAS `sgemm`.
public func sgemm(path: GEMMPath, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                  alpha: Float, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k), "sgemm: lda \(lda) too small (m=\(m) k=\(k) transA=\(transA))")
    precondition(ldb >= max(1, transB ? k : n), "sgemm: ldb \(ldb) too small (k=\(k) n=\(n) transB=\(transB))")
    precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small (n=\(n))")
    precondition(max(m, n, k, lda, ldb, ldc) <= Int(Int32.max), "sgemm: size exceeds 32-bit BLAS indices")
    if m == 0 || n == 0 { return }
    if GEMMShapes.recording != nil {
        GEMMShapes.recording![GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k), default: 0] += 1
    }
    let own: Bool
    switch path {
    case .own: own = ownGEMMAvailable
    case .openblas: own = false
    case .auto: own = sgemmUsesOwnKernel(m: m, n: n, k: k)
    }
    if own {
        cgemm_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k),
                alpha, a, blasint(lda), b, blasint(ldb),
                beta, c, blasint(ldc))
}

/// Whether this CPU runs our bf16 kernel (the AVX-512 kernel's checks plus avx512_bf16, CPUID
/// leaf 7 sub-leaf 1), before `MTAF_GEMM_BF16` (`bf16GEMMAvailable` applies it).
let bf16KernelOnThisCPU: Bool = ownGEMMAvailable && cgemm_bf16_available() != 0

/// The bf16 kernel's tile and blocking, for reports.
public var bf16KernelDescription: String { String(cString: cgemm_bf16_kernel_description()) }

/// Row-major GEMM with bfloat16 operands: `c = alpha · bf16(op(a)) · bf16(op(b)) + beta · c`,
/// every element of op(A) and op(B) rounded to bfloat16 (to nearest, ties to even), products
/// summed in FP32 by our AVX512-BF16 kernel; C, alpha and beta stay FP32. Same arguments and
/// shapes as `sgemm`; `MTAF_GEMM` does not apply (only our kernel has a bf16 path). Only where
/// `bf16GEMMAvailable`.
///
/// No spec section; the bf16 arithmetic of PyTorch autocast (architecture §5.1).
public func bf16gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                     alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    precondition(bf16KernelOnThisCPU, "bf16gemm: this CPU has no AVX512-BF16")
    precondition(m >= 0 && n >= 0 && k >= 0, "bf16gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k), "bf16gemm: lda \(lda) too small (m=\(m) k=\(k) transA=\(transA))")
    precondition(ldb >= max(1, transB ? k : n), "bf16gemm: ldb \(ldb) too small (k=\(k) n=\(n) transB=\(transB))")
    precondition(ldc >= max(1, n), "bf16gemm: ldc \(ldc) too small (n=\(n))")
    if m == 0 || n == 0 { return }
    if GEMMShapes.recording != nil {
        GEMMShapes.recording![GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k), default: 0] += 1
    }
    cgemm_bf16gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// Sets the number of threads OpenBLAS (`openblas_set_num_threads`) and our kernel
/// (`cgemm_set_threads`) use for every following call.
/// - Parameter count: at least 1.
public func setBLASThreads(_ count: Int) {
    precondition(count >= 1, "setBLASThreads: count \(count) < 1")
    precondition(count <= maximumBLASThreads, "setBLASThreads: count \(count) > \(maximumBLASThreads)")
    openblas_set_num_threads(Int32(count))
    cgemm_set_threads(Int32(count))
}

/// Which kernel `auto` runs for the products it gives our kernel, and why, for reports
/// (`mtaf-mpi bench ops`).
public var gemmPathDescription: String {
    let cpu = ownGEMMAvailable ? "this CPU has AVX-512 (avx512f/vl/bw/dq)" : "this CPU has no AVX-512"
    let own = String(cString: cgemm_kernel_description())
    switch gemmPath {
    case .openblas: return "MTAF_GEMM=openblas: OpenBLAS for every product"
    case .own: return ownGEMMAvailable ? "MTAF_GEMM=own: our kernel (\(own)) for every product" : "MTAF_GEMM=own, but \(cpu): OpenBLAS"
    case .auto:
        return ownGEMMAvailable
            ? "MTAF_GEMM=auto: our kernel (\(own)) for products of at least \(ownGEMMMinimumWork) multiply-adds, OpenBLAS below; \(cpu)"
            : "MTAF_GEMM=auto: OpenBLAS, since \(cpu)"
    }
}

/// The most threads `setBLASThreads` accepts (our kernel's pool size).
public var maximumBLASThreads: Int { Int(cgemm_max_threads()) }

/// The number of threads OpenBLAS currently uses (`openblas_get_num_threads`).
public var blasThreads: Int { Int(openblas_get_num_threads()) }

/// The operand layout and sizes of one `sgemm` call: op(A) m × k, op(B) k × n.
public struct GEMMShape: Hashable, Codable, Sendable, CustomStringConvertible {
    public var transA: Bool, transB: Bool
    public var m: Int, n: Int, k: Int

    public init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) {
        (self.transA, self.transB, self.m, self.n, self.k) = (transA, transB, m, n, k)
    }

    public var description: String { "\(transA ? "T" : "N")\(transB ? "T" : "N") \(m)x\(n)x\(k)" }

    /// How our kernel cuts this product among `threads` threads (Sources/CGEMM: `plan_grid`).
    public func partition(threads: Int) -> GEMMPartition {
        var plan = cgemm_partition()
        cgemm_partition_of(m, n, k, Int32(threads), &plan)
        return GEMMPartition(threads: Int(plan.threads), rowWays: Int(plan.row_ways), columnWays: Int(plan.col_ways),
                             maxMultiplyAdds: plan.max_madds, meanMultiplyAdds: plan.mean_madds,
                             maxPackedBytes: plan.max_packed_bytes, meanPackedBytes: plan.mean_packed_bytes)
    }
}

/// A grid of `rowWays` × `columnWays` threads taking part in one product, with the work of one
/// taking-part thread (largest and mean): multiply-adds and bytes packed (A, and its share of B).
public struct GEMMPartition: Sendable {
    public var threads: Int, rowWays: Int, columnWays: Int
    public var maxMultiplyAdds: Double, meanMultiplyAdds: Double
    public var maxPackedBytes: Double, meanPackedBytes: Double

    /// Mean over max multiply-adds of the taking-part threads (1: perfectly even).
    public var balance: Double { maxMultiplyAdds > 0 ? meanMultiplyAdds / maxMultiplyAdds : 1 }
}

/// The shapes of the `sgemm` calls a piece of code makes (the thread-partition model of
/// `mtaf-mpi bench ops --plan-threads`).
public enum GEMMShapes {
    /// Calls per shape while `record` runs; nil otherwise. Only the recording thread may call
    /// `sgemm` meanwhile (the model's GEMMs all run on the calling thread).
    nonisolated(unsafe) static var recording: [GEMMShape: Int]?

    /// Runs `body` and returns how many times it called `sgemm` with each shape.
    public static func record(_ body: () -> Void) -> [GEMMShape: Int] {
        precondition(recording == nil, "GEMMShapes.record: already recording")
        recording = [:]
        body()
        defer { recording = nil }
        return recording!
    }
}
