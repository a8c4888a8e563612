// OpenBLAS behind a thin, row-major, Float32-only interface. This is the only file of the project
// that imports CBLAS (house rule 6).
//
// Sizes: C (m × n) = alpha · op(A) (m × k) · op(B) (k × n) + beta · C, all matrices row-major.
// op(A) is A (m × k, leading dimension lda ≥ k) or, with `transA`, Aᵀ where A is k × m (lda ≥ m);
// likewise op(B) is B (k × n, ldb ≥ n) or, with `transB`, Bᵀ where B is n × k (ldb ≥ k).

import CBLAS

/// Row-major single-precision GEMM: `c = alpha · op(a) · op(b) + beta · c` (OpenBLAS `cblas_sgemm`).
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
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= max(1, transA ? m : k), "sgemm: lda \(lda) too small (m=\(m) k=\(k) transA=\(transA))")
    precondition(ldb >= max(1, transB ? k : n), "sgemm: ldb \(ldb) too small (k=\(k) n=\(n) transB=\(transB))")
    precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small (n=\(n))")
    precondition(max(m, n, k, lda, ldb, ldc) <= Int(Int32.max), "sgemm: size exceeds 32-bit BLAS indices")
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k),
                alpha, a, blasint(lda), b, blasint(ldb),
                beta, c, blasint(ldc))
}

/// Sets the number of threads OpenBLAS uses for every following call (`openblas_set_num_threads`).
/// - Parameter count: at least 1.
public func setBLASThreads(_ count: Int) {
    precondition(count >= 1, "setBLASThreads: count \(count) < 1")
    openblas_set_num_threads(Int32(count))
}

/// The number of threads OpenBLAS currently uses (`openblas_get_num_threads`).
public var blasThreads: Int { Int(openblas_get_num_threads()) }
