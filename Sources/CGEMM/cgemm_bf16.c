// The bf16 path of cgemm: packing into bfloat16 pairs and the `vdpbf16ps` micro-kernel. cgemm.c's
// blocking, threads and partition drive it exactly as they drive the FP32 kernel (gemm_part).
//
// PACKED LAYOUTS: the FP32 slivers with each two consecutive k values (2q, 2q + 1) rounded to bf16
// (round to nearest even, `vcvtne2ps2bf16`) and stored together in one 32-bit word, the even k in
// the low half; an odd k is padded with a zero. A B sliver is kp = ceil(kc / 2) rows of NR = 32
// words (op(B)[2q..2q+1][j...j+31]); an A sliver is kp groups of MR words (op(A)[i...i+MR-1][2q..2q+1]).
// Operands whose k values are contiguous in memory (A not transposed, B transposed) convert 32
// floats of one row into 16 words and transpose 16 × 16 words; the others load the rows 2q and
// 2q + 1 and interleave their bf16 halves (`vpermw`).
//
// MICRO-KERNEL: the FP32 kernel's structure (28 zmm accumulators for 14 × 32, two B vectors, one
// broadcast), with `vdpbf16ps`: lane j of an accumulator gets a[2q]·b[2q][j] + a[2q+1]·b[2q+1][j]
// per instruction, i.e. 32 multiply-adds per instruction instead of 16. The products of two bf16
// values are exact in FP32; the sums are FP32 (inputs and outputs denormal-flushed by the
// instruction). Each element of C is summed in the same order whatever the tile or thread count.
//
// Compiled with a target attribute that includes avx512bf16, so the file builds for any x86-64;
// it only runs after cgemm_bf16_available() (CPUID) said so.

#include "cgemm_internal.h"

#ifdef CGEMM_HAVE_AVX512
#include <cpuid.h>

#define TGT16 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512bf16,fma")))

int cgemm_bf16_cpu(void) {
    unsigned eax, ebx, ecx, edx;
    // Leaf 7 sub-leaf 0 gives the highest sub-leaf in EAX; sub-leaf 1 EAX bit 5 is AVX512_BF16.
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || eax < 1) return 0;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    return (eax >> 5) & 1;
}

/// The 16-bit lane order that turns [x0 … x15, y0 … y15] into [x0, y0, x1, y1, …, x15, y15].
static const uint16_t interleave_index[32] = {
    0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
    8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31,
};

/// 16 words, word t = (bf16(x[t]) low, bf16(y[t]) high): two k values of 16 columns.
INLINE TGT16 __m512i pair_rows(__m512 x, __m512 y) {
    __m512i v = (__m512i)_mm512_cvtne2ps_pbh(y, x);  // x in 16-bit lanes 0..15, y in 16..31
    return _mm512_permutexvar_epi16(_mm512_loadu_si512(interleave_index), v);
}

/// 16 words from 32 consecutive k values (lo = k 0..15, hi = k 16..31): word t = (k 2t, k 2t+1).
INLINE TGT16 __m512 pair_run(__m512 lo, __m512 hi) {
    return (__m512)_mm512_cvtne2ps_pbh(hi, lo);
}

/// Packs 16 source rows of `kc` contiguous floats each (`src`, `ld` apart) as pairs, transposed:
/// one group of 16 words per pair q, `stride` words apart, of which the lanes in `store_mask` are
/// written: dst[q · stride + t] = pair q of row t for t < rows, 0 for rows ≤ t < 16.
INLINE TGT16 void pack_pairs_transposed16(long kc, long rows, const float *src, long ld,
                                          uint32_t *dst, long stride, __mmask16 store_mask) {
    for (long p = 0; p < kc; p += 32) {
        __mmask16 k0 = lane_mask(kc - p), k1 = lane_mask(kc - p - 16);
        __m512 r[16];
        for (int t = 0; t < 16; t++) {
            const float *s = src + t * ld + p;
            r[t] = t < rows ? pair_run(_mm512_maskz_loadu_ps(k0, s), _mm512_maskz_loadu_ps(k1, s + 16))
                            : _mm512_setzero_ps();
        }
        transpose16(r);
        long q_end = min_l(16, (kc - p + 1) / 2);
        for (long q = 0; q < q_end; q++) {
            _mm512_mask_storeu_ps((float *)(dst + (p / 2 + q) * stride), store_mask, r[q]);
        }
    }
}

TGT16 void cgemm_bf16_pack_b(int trans_b, long kc, long nc, const float *b, long ldb, uint32_t *dst) {
    long kp = (kc + 1) / 2;
    for (long j = 0; j < nc; j += NR) {
        long nr = min_l(NR, nc - j);
        uint32_t *d = dst + j * kp;
        if (!trans_b) {
            // op(B)[p][j] = b[p · ldb + j]: rows 2q and 2q + 1, 32 columns each, interleaved.
            __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
            const float *s = b + j;
            for (long q = 0; q < kp; q++, s += 2 * ldb, d += NR) {
                __m512 x0 = _mm512_maskz_loadu_ps(m0, s), x1 = _mm512_maskz_loadu_ps(m1, s + 16);
                __m512 y0 = _mm512_setzero_ps(), y1 = _mm512_setzero_ps();
                if (2 * q + 1 < kc) {
                    y0 = _mm512_maskz_loadu_ps(m0, s + ldb);
                    y1 = _mm512_maskz_loadu_ps(m1, s + ldb + 16);
                }
                _mm512_store_si512(d, pair_rows(x0, y0));
                _mm512_store_si512(d + 16, pair_rows(x1, y1));
            }
        } else {
            // op(B)[p][j] = b[j · ldb + p]: each column's k values are contiguous.
            for (int h = 0; h < 2; h++) {
                long rows = nr - 16 * h;
                if (rows <= 0) {
                    for (long q = 0; q < kp; q++) _mm512_store_si512(d + q * NR + 16 * h, _mm512_setzero_si512());
                } else {
                    pack_pairs_transposed16(kc, rows, b + (j + 16 * h) * ldb, ldb, d + 16 * h, NR, 0xFFFF);
                }
            }
        }
    }
}

TGT16 void cgemm_bf16_pack_a(int trans_a, long mc, long kc, const float *a, long lda, uint32_t *dst) {
    long kp = (kc + 1) / 2;
    __mmask16 store_mask = lane_mask(MR);
    for (long i = 0; i < mc; i += MR) {
        long mr = min_l(MR, mc - i);
        uint32_t *d = dst + i * kp;
        if (trans_a) {
            // op(A)[i][p] = a[p · lda + i]: rows 2q and 2q + 1 of MR contiguous floats, interleaved.
            __mmask16 lm = lane_mask(mr);
            const float *s = a + i;
            for (long q = 0; q < kp; q++, s += 2 * lda, d += MR) {
                __m512 x = _mm512_maskz_loadu_ps(lm, s);
                __m512 y = 2 * q + 1 < kc ? _mm512_maskz_loadu_ps(lm, s + lda) : _mm512_setzero_ps();
                _mm512_mask_storeu_epi32(d, store_mask, pair_rows(x, y));
            }
        } else {
            // op(A)[i][p] = a[i · lda + p]: each row's k values are contiguous.
            pack_pairs_transposed16(kc, mr, a + i * lda, lda, d, MR, store_mask);
        }
    }
}

/// The micro-kernel for the first R (≤ MR) rows and H (1 or 2) 16-column halves of a tile:
/// C[0..<R][0..<16·H] (columns masked by m0, m1) = alpha · Σ_q pair a[q·MR + i] · pair b[q·NR + j] + beta · C.
INLINE TGT16 void kernel_rows(const int R, const int H, long kp, const uint32_t *restrict a,
                              const uint32_t *restrict b, float *restrict c, long ldc, float alpha,
                              float beta, __mmask16 m0, __mmask16 m1) {
    __m512 acc0[MR], acc1[MR];
    tile_begin(R, H, c, ldc, acc0, acc1);
#pragma clang loop unroll_count(4)
    for (long q = 0; q < kp; q++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(b);
        __m512bh b1 = H == 2 ? (__m512bh)_mm512_load_si512(b + 16) : (__m512bh)_mm512_setzero_si512();
#pragma clang loop unroll(full)
        for (int i = 0; i < R; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);
            acc0[i] = _mm512_dpbf16_ps(acc0[i], ai, b0);
            if (H == 2) acc1[i] = _mm512_dpbf16_ps(acc1[i], ai, b1);
        }
        a += MR;
        b += NR;
    }
    tile_store(R, H, c, ldc, alpha, beta, m0, m1, acc0, acc1);
}

#define KERNEL_CASE(R) \
    case R: \
        if (R > MR) break; /* only with -DCGEMM_MR < 14 */ \
        if (nr > 16) kernel_rows(R, 2, kp, a, b, c, ldc, alpha, beta, m0, m1); \
        else kernel_rows(R, 1, kp, a, b, c, ldc, alpha, beta, m0, m1); \
        break;

TGT16 void cgemm_bf16_kernel(long mr, long nr, long kp, const uint32_t *a, const uint32_t *b, float *c,
                             long ldc, float alpha, float beta) {
    __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
    switch (mr) {
        KERNEL_CASE(14) KERNEL_CASE(13) KERNEL_CASE(12) KERNEL_CASE(11) KERNEL_CASE(10)
        KERNEL_CASE(9) KERNEL_CASE(8) KERNEL_CASE(7) KERNEL_CASE(6) KERNEL_CASE(5)
        KERNEL_CASE(4) KERNEL_CASE(3) KERNEL_CASE(2) KERNEL_CASE(1)
        default: break;
    }
}

#else

// No AVX-512 in this build: the bf16 path is never available.
typedef int cgemm_bf16_unused;

#endif
