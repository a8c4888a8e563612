// Which implementation `sgemm` (Ops/BLAS.swift) runs: OpenBLAS or our AVX-512 kernel (CGEMM).

import Distributed

/// The GEMM implementation `sgemm` uses, chosen once per process by the environment variable
/// `MTAF_GEMM` (`auto` when unset): `auto` runs our AVX-512 kernel where the CPU has AVX-512 and
/// the shape is large enough to gain (`sgemmUsesOwnKernel`), OpenBLAS otherwise; `own` runs our
/// kernel for every shape (OpenBLAS where the CPU lacks AVX-512); `openblas` always runs OpenBLAS.
/// No algorithm section; a speed choice only (architecture §5.1; the speed goals are in
/// bench/README.md).
public enum GEMMPath: String, Sendable, CaseIterable {
    case auto
    case own
    case openblas

    /// The value of `MTAF_GEMM` in `environment`; an unknown value is reported on stderr and
    /// read as `auto`.
    ///
    /// - Parameter environment: the process environment (only `MTAF_GEMM` is read).
    /// - Returns: the path named there, `auto` when unset or unknown.
    static func fromEnvironment(_ environment: [String: String]) -> GEMMPath {
        guard let text = environment["MTAF_GEMM"], !text.isEmpty else { return .auto }
        if let path = GEMMPath(rawValue: text.lowercased()) { return path }
        printToStandardError("mtaf-mpi: MTAF_GEMM=\(text) is not one of auto, own, openblas; using auto")
        return .auto
    }
}
