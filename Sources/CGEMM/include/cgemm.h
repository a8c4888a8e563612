// A row-major single-precision GEMM with an AVX-512 micro-kernel (see cgemm.c for the blocking),
// and its variant with bfloat16 operands and FP32 sums (cgemm_bf16gemm, cgemm_bf16.c).
//
// Sizes: C (m × n) = alpha · op(A) (m × k) · op(B) (k × n) + beta · C, all matrices row-major.
// op(A) is A (m × k, leading dimension lda ≥ k) or, with trans_a, Aᵀ where A is stored k × m
// (lda ≥ m); likewise op(B) is B (k × n, ldb ≥ n) or, with trans_b, Bᵀ where B is stored n × k
// (ldb ≥ k). The same contract as `sgemm` and `bf16gemm` in Sources/MTAFNet/Ops/BLAS.swift, the
// only caller.

#ifndef CGEMM_H
#define CGEMM_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU (and build) can run the AVX-512 kernel (avx512f, avx512vl, avx512bw,
/// avx512dq), else 0. `cgemm_sgemm` must only be called when this is 1.
int cgemm_available(void);

/// Sets the number of threads used by every following `cgemm_sgemm` call (the caller's thread
/// counts as one; count - 1 pool threads are started on first use). Values below 1 become 1.
void cgemm_set_threads(int count);

/// The number of threads `cgemm_sgemm` uses.
int cgemm_threads(void);

/// The kernel's register tile and blocking, e.g. "AVX-512 14x32 tile, KC 256, MC 168, NC 2048".
const char *cgemm_kernel_description(void);

/// The most threads `cgemm_set_threads` accepts.
int cgemm_max_threads(void);

/// How `cgemm_sgemm` cuts an m × n × k product among threads: a grid of `row_ways` × `col_ways`
/// threads (the ones that take part), and per taking-part thread the multiply-adds it computes
/// and the bytes it packs (A and its share of B, padding included).
typedef struct {
    int threads, row_ways, col_ways;
    double max_madds, mean_madds;
    double max_packed_bytes, mean_packed_bytes;
} cgemm_partition;

/// The partition `cgemm_sgemm` uses for an m × n × k product when `threads` threads are set
/// (pure arithmetic: runs on any CPU, starts no thread). All zero when m, n or k is 0.
void cgemm_partition_of(long m, long n, long k, int threads, cgemm_partition *out);

/// C = alpha · op(A) · op(B) + beta · C (row-major, see the header comment).
/// With beta == 0 the prior contents of C are ignored (NaN-safe); with k == 0 or alpha == 0,
/// C is only scaled by beta. Sizes must be non-negative and leading dimensions large enough
/// (the Swift wrapper checks them). Safe to call from several threads at once: a call that
/// finds the thread pool busy runs on its own thread only.
void cgemm_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb,
                 float beta, float *c, long ldc);

/// 1 when this CPU (and build) can also run the bf16 kernel: cgemm_available() and AVX512_BF16
/// (CPUID leaf 7 sub-leaf 1, EAX bit 5), else 0. `cgemm_bf16gemm` must only be called when this is 1.
int cgemm_bf16_available(void);

/// The bf16 kernel's register tile and blocking, e.g. "AVX512-BF16 14x32 tile of bf16 pairs, KC 512, ...".
const char *cgemm_bf16_kernel_description(void);

/// C = alpha · op(A) · op(B) + beta · C like `cgemm_sgemm`, but every element of op(A) and op(B) is
/// first rounded to bfloat16 (round to nearest even) and the products are summed in FP32
/// (`vdpbf16ps`, two products per lane and instruction). C, alpha and beta stay FP32. The same
/// blocking, threads and partition as `cgemm_sgemm`: k is never split, so results are
/// bit-identical for any thread count.
void cgemm_bf16gemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                    const float *a, long lda, const float *b, long ldb,
                    float beta, float *c, long ldc);

#ifdef __cplusplus
}
#endif

#endif
