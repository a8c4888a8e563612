// Internal to the CGEMM target (not exported): the blocking both kernels share, the AVX-512
// helpers both use, and the bf16 packing and micro-kernel of cgemm_bf16.c that cgemm.c's
// threading drives. See cgemm.c for the blocking and the threads, cgemm_bf16.c for the bf16 layout.

#ifndef CGEMM_INTERNAL_H
#define CGEMM_INTERNAL_H

#include <stdint.h>

#ifndef CGEMM_MR
#define CGEMM_MR 14
#endif
#ifndef CGEMM_KC
#define CGEMM_KC 256
#endif
#ifndef CGEMM_MC
#define CGEMM_MC (CGEMM_MR * 12)
#endif
#ifndef CGEMM_NC
#define CGEMM_NC 2048
#endif

#ifndef CGEMM_KC_BF16
#define CGEMM_KC_BF16 (2 * CGEMM_KC)
#endif

/// KC_BF16: the k block of the bf16 path, in k values (pairs: KC_BF16 / 2 packed 32-bit words per
/// row of a sliver, the same bytes as FP32's KC).
enum { MR = CGEMM_MR, NR = 32, KC = CGEMM_KC, MC = CGEMM_MC, NC = CGEMM_NC, KC_BF16 = CGEMM_KC_BF16 };

_Static_assert(MR >= 1 && MR <= 14, "MR: 2·MR accumulators + 3 must fit in 32 zmm registers");
_Static_assert(MC % MR == 0, "MC must be a multiple of MR");
_Static_assert(NC % NR == 0, "NC must be a multiple of NR");
_Static_assert(KC % 8 == 0, "KC must be a multiple of 8");
_Static_assert(KC_BF16 % 8 == 0, "KC_BF16 must be a multiple of 8 (k blocks hold whole pairs)");

static inline long min_l(long a, long b) { return a < b ? a : b; }

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__)) && !defined(CGEMM_DISABLE_AVX512)
#define CGEMM_HAVE_AVX512 1
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma")))
#define INLINE static inline __attribute__((always_inline))

/// Lanes 0..<count set (count clamped to 0...16).
INLINE TGT __mmask16 lane_mask(long count) {
    if (count <= 0) return 0;
    if (count >= 16) return 0xFFFF;
    return (__mmask16)((1u << count) - 1);
}

/// A micro-kernel's start (both kernels): prefetches the R rows of its C tile (16·H columns)
/// and zeroes their accumulators.
INLINE TGT void tile_begin(const int R, const int H, const float *c, long ldc, __m512 *acc0, __m512 *acc1) {
#ifndef CGEMM_NO_PREFETCH_C
#pragma clang loop unroll(full)
    for (int i = 0; i < R; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16 * H - 1), _MM_HINT_T0);
    }
#endif
#pragma clang loop unroll(full)
    for (int i = 0; i < R; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }
}

/// A micro-kernel's end (both kernels): C[0..<R][columns m0, m1] = alpha · acc + beta · C, where
/// beta 0 never reads C (it may hold garbage or NaN, as BLAS allows).
INLINE TGT void tile_store(const int R, const int H, float *c, long ldc, float alpha, float beta, __mmask16 m0,
                           __mmask16 m1, const __m512 *acc0, const __m512 *acc1) {
    __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0) {
#pragma clang loop unroll(full)
        for (int i = 0; i < R; i++) {
            _mm512_mask_storeu_ps(c + i * ldc, m0, _mm512_mul_ps(va, acc0[i]));
            if (H == 2) _mm512_mask_storeu_ps(c + i * ldc + 16, m1, _mm512_mul_ps(va, acc1[i]));
        }
    } else {
        __m512 vb = _mm512_set1_ps(beta);
#pragma clang loop unroll(full)
        for (int i = 0; i < R; i++) {
            __m512 c0 = _mm512_maskz_loadu_ps(m0, c + i * ldc);
            _mm512_mask_storeu_ps(c + i * ldc, m0, _mm512_fmadd_ps(va, acc0[i], _mm512_mul_ps(vb, c0)));
            if (H == 2) {
                __m512 c1 = _mm512_maskz_loadu_ps(m1, c + i * ldc + 16);
                _mm512_mask_storeu_ps(c + i * ldc + 16, m1, _mm512_fmadd_ps(va, acc1[i], _mm512_mul_ps(vb, c1)));
            }
        }
    }
}

/// Transposes 16 rows of 16 floats in place: afterwards r[j] holds element j of every input row.
INLINE TGT void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // Within each 128-bit lane L, r[4i + j] becomes rows 4i...4i+3 of column 4L + j.
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    // A 4 × 4 transpose of 128-bit lanes among r[j], r[4 + j], r[8 + j], r[12 + j].
    for (int j = 0; j < 4; j++) {
        t[j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
        t[4 + j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
        t[8 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
    }
    for (int j = 0; j < 4; j++) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
        r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xDD);
        r[4 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0xDD);
    }
}

/// Whether the CPU reports AVX512_BF16 (CPUID leaf 7 sub-leaf 1, EAX bit 5). The OS support of
/// the zmm state is checked by cgemm_available(), which cgemm_bf16_available() also requires.
int cgemm_bf16_cpu(void);

/// The bf16 path's packing and micro-kernel (cgemm_bf16.c): the same slivers as FP32's pack_b,
/// pack_a and kernel, with each pair of consecutive k values rounded to bf16 and stored in one
/// 32-bit word (low half the even k); `kp` = ceil(kc / 2) words per row of a sliver.
void cgemm_bf16_pack_b(int trans_b, long kc, long nc, const float *b, long ldb, uint32_t *dst);
void cgemm_bf16_pack_a(int trans_a, long mc, long kc, const float *a, long lda, uint32_t *dst);
void cgemm_bf16_kernel(long mr, long nr, long kp, const uint32_t *a, const uint32_t *b, float *c,
                       long ldc, float alpha, float beta);

#endif  // CGEMM_HAVE_AVX512

#endif
