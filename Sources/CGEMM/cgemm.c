// Row-major SGEMM with an AVX-512 micro-kernel (Goto/BLIS structure). See cgemm.h for the API;
// Sources/MTAFNet/Ops/BLAS.swift decides when it runs instead of OpenBLAS.
//
// Sizes: C (m × n) = alpha · op(A) (m × k) · op(B) (k × n) + beta · C, row-major; MR × NR is the
// register tile, KC × NC the packed block of op(B), MC × KC the packed block of op(A).
//
// BLOCKING (loops from outer to inner, for one thread's stripe of C):
//   jc over n in steps of NC    B block KC × NC (up to 2 MiB) packed once per (jc, pc): L2 and L3.
//   pc over k in steps of KC    the first pc block applies the caller's beta, later ones add (beta 1).
//   ic over m in steps of MC    A block MC × KC (168 KiB) packed once per (jc, pc, ic): lives in L2.
//   jr over the block's n in steps of NR   one B sliver KC × NR (32 KiB): stays in L1 for the ir loop.
//   ir over the block's m in steps of MR   one A sliver MR × KC (14 KiB) streamed from L2: micro-kernel.
// Block sizes are balanced (k cut into ceil(k / KC) nearly equal blocks rounded up to 8, m likewise
// to MR and n to NR), so that k = 257 does not leave a block of one.
//
// PACKED LAYOUTS: a B sliver is KC rows of NR = 32 contiguous floats (op(B)[p][j...j+31], zero padded
// past n); an A sliver is KC groups of MR contiguous floats (op(A)[i...i+MR-1][p], zero padded past
// m). Operands whose packing direction is across their rows (A not transposed, B transposed) are
// packed with 16 × 16 in-register transposes, the others with (masked) vector copies.
//
// MICRO-KERNEL (MR × NR = 14 × 32): 28 zmm accumulators (14 rows × 2 vectors of 16 columns), two zmm
// for the row of the B sliver at the current p, one for the broadcast op(A)[i][p]: 31 of the 32 zmm
// registers. Per p: 2 vector loads and 14 broadcasts feed 28 FMAs (14 cycles on Zen 5's two 512-bit
// FMA pipes, whose latency 4 needs ≥ 8 independent accumulators: 28 also hide the loads). C's tile
// is prefetched at the start. Rows past m run the kernel instantiated for fewer rows (no wasted
// FMAs), a tile of ≤ 16 columns runs one vector per row; columns past n are masked loads/stores of C.
// With beta == 0, C is written without being read (NaN-safe).
//
// THREADS (plan_grid): C is cut into a 2-D grid of row shares (whole MR tiles) × column shares
// (whole 16-column units). The threads of one column share form a group: for each (jc, pc) block
// they pack the group's B block together, each its share of the slivers, into one buffer, meet at
// a barrier, compute the block for their own rows (each packing its own A block), and meet again.
// So B is packed once per group, not once per thread, and packing itself runs on every thread. The
// grid minimizes one thread's multiply-adds plus packing, with the fewest threads for that; k is
// never split, so every element of C is summed in the same order whatever the thread count (the
// results are bit-identical for 1, 2, ... threads). `cgemm_partition_of` reports the grid and the
// per-thread work without running anything (`mtaf-mpi bench ops --plan-threads N`).
// The T - 1 pool threads sleep on a condition variable between calls: they never spin outside a
// call, so they take no core away from OpenBLAS, GCD or MPI; inside a call a group barrier spins
// briefly, then yields. The wake-up of a sleeping vCPU costs about 20-30 µs per call on this VM, so
// a product of fewer than MIN_WORK_PER_THREAD = 2²² multiply-adds per thread runs on fewer threads
// (2 threads vs 1, quiet machine: 0.25-0.34× at 64 × 256 × 64, 0.65-0.96× at 2²², 1.15-1.24× at
// 2²³, 1.4-1.7× at 2²⁴, 1.65-1.9× at 2²⁶). The pool threads are kept off the caller's CPU
// (keep_pool_off_caller_cpu).
//
// SIZES CHOSEN: measured on the 2-core AMD EPYC (Zen 5, L1d 48 KiB, L2 1 MiB per core, 32 MiB L3)
// this project runs on, one thread, CPU-time clock (the machine was shared), best of 3 interleaved
// rounds, GFLOP/s. Round 1, register tile:    MR 14 (KC 256)   MR 12
//   NN 256 × 1053 × 2304 (layer3 3×3 fwd)         232           217
//   NT 512 × 4608 × 1053 (layer4 3×3 wgt)         202           188
//   TN 4608 × 1053 × 512 (layer4 3×3 data)        229           216
//   NN 2048 × 2048 × 2048                         198           181
// Round 2, blocking:                 KC 256, MC 168   KC 192, MC 224   KC 320   KC 256 + C prefetch
//   NN 256 × 1053 × 2304                   228              222           227        230
//   NT 512 × 4608 × 1053                   209              216           204        241
//   TN 4608 × 1053 × 512                   227              196           224        235
//   NN 2048 × 2048 × 2048                  200              175           205        228
// MC = 14·6, 14·12, 14·24 differed by less than the noise except 14·6 on 2048³ (worse). NC = 2048,
// 3072, 4096, 6144 were equal within 2% except NN 256 × 13041 × 64 (256 with NC 2048, 231-235 with
// the others). The peak of
// one core is 288 GFLOP/s (a pure FMA loop); OpenBLAS (OPENBLAS_CORETYPE=Haswell, AVX2) reaches
// 131-138 on these shapes.
//
// BF16 (cgemm_bf16gemm): the same job, partition, threads and loops with a flag that swaps in
// cgemm_bf16.c's packing (pairs of k values rounded to bf16, one 32-bit word each) and micro-kernel
// (vdpbf16ps); its k block is KC_BF16 = 512 values, ceil(kc / 2) packed words per sliver row, the
// same bytes as FP32's KC. Its rates and the tile measurement are in bench/README.md.
//
// Everything AVX-512 is compiled with a target attribute, so the file builds for baseline x86-64 and
// the kernel is only reached after the run-time check in cgemm_available() (cgemm_bf16_available()
// for bf16). -DCGEMM_DISABLE_AVX512 builds the portable stub (both report 0).

#define _GNU_SOURCE
#include "cgemm.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cgemm_internal.h"

/// `total` cut into ceil(total / cap) nearly equal blocks, each rounded up to a multiple of `unit`
/// (and at most `cap`, which is a multiple of `unit`).
static long balanced_block(long total, long cap, long unit) {
    long blocks = (total + cap - 1) / cap;
    if (blocks < 1) blocks = 1;
    long size = (total + blocks - 1) / blocks;
    size = (size + unit - 1) / unit * unit;
    return size > cap ? cap : size;
}

/// C = beta · C over m × n (beta == 0 writes zeros without reading C).
static void scale_c(long m, long n, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0) {
            memset(row, 0, (size_t)n * sizeof(float));
        } else if (beta != 1) {
            for (long j = 0; j < n; j++) row[j] *= beta;
        }
    }
}

#ifdef CGEMM_HAVE_AVX512

/// Packs 16 source rows of `kc` contiguous floats each (`src`, `ld` apart) transposed, one group
/// of 16 values per p, `stride` floats apart, of which the lanes in `store_mask` are written:
/// dst[p · stride + t] = src[t · ld + p] for t < rows, 0 for rows ≤ t < 16 (rows ≥ 16: all 16).
INLINE TGT void pack_transposed16(long kc, long rows, const float *src, long ld,
                                  float *dst, long stride, __mmask16 store_mask) {
    long p = 0;
    for (; p < kc; p += 16) {
        __mmask16 km = lane_mask(kc - p);
        __m512 r[16];
        for (int t = 0; t < 16; t++) {
            r[t] = t < rows ? _mm512_maskz_loadu_ps(km, src + t * ld + p) : _mm512_setzero_ps();
        }
        transpose16(r);
        long q_end = min_l(16, kc - p);
        for (long q = 0; q < q_end; q++) {
            _mm512_mask_storeu_ps(dst + (p + q) * stride, store_mask, r[q]);
        }
    }
}

/// Packs op(B)[0..<kc][0..<nc] into slivers of KC' × NR (KC' = kc): sliver s holds columns
/// s·NR..., row p at s·NR·kc + p·NR. `b` points at op(B)[0][0].
static TGT void pack_b(int trans_b, long kc, long nc, const float *b, long ldb, float *dst) {
    for (long j = 0; j < nc; j += NR) {
        long nr = min_l(NR, nc - j);
        float *d = dst + j * kc;
        if (!trans_b) {
            // op(B)[p][j] = b[p · ldb + j]: copy 32 contiguous floats per p.
            __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
            const float *s = b + j;
            for (long p = 0; p < kc; p++) {
                _mm512_store_ps(d, _mm512_maskz_loadu_ps(m0, s));
                _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(m1, s + 16));
                s += ldb;
                d += NR;
            }
        } else {
            // op(B)[p][j] = b[j · ldb + p]: two 16 × 16 transposes per 16 values of p.
            for (int h = 0; h < 2; h++) {
                long rows = nr - 16 * h;
                if (rows <= 0) {
                    for (long p = 0; p < kc; p++) _mm512_store_ps(d + p * NR + 16 * h, _mm512_setzero_ps());
                } else {
                    pack_transposed16(kc, rows, b + (j + 16 * h) * ldb, ldb, d + 16 * h, NR, 0xFFFF);
                }
            }
        }
    }
}

/// Packs op(A)[0..<mc][0..<kc] into slivers of MR × kc: sliver s holds rows s·MR..., the MR values
/// of column p at s·MR·kc + p·MR. `a` points at op(A)[0][0].
static TGT void pack_a(int trans_a, long mc, long kc, const float *a, long lda, float *dst) {
    __mmask16 store_mask = lane_mask(MR);
    for (long i = 0; i < mc; i += MR) {
        long mr = min_l(MR, mc - i);
        float *d = dst + i * kc;
        if (trans_a) {
            // op(A)[i][p] = a[p · lda + i]: MR contiguous floats per p.
            __mmask16 lm = lane_mask(mr);
            const float *s = a + i;
            for (long p = 0; p < kc; p++) {
                _mm512_mask_storeu_ps(d, store_mask, _mm512_maskz_loadu_ps(lm, s));
                s += lda;
                d += MR;
            }
        } else {
            // op(A)[i][p] = a[i · lda + p]: one 16 × 16 transpose per 16 values of p.
            pack_transposed16(kc, mr, a + i * lda, lda, d, MR, store_mask);
        }
    }
}

/// The micro-kernel for the first R (≤ MR) rows and H (1 or 2) 16-column halves of a tile:
/// C[0..<R][0..<16·H] (columns masked by m0, m1) = alpha · Σₚ a[p·MR + i] · b[p·NR + j] + beta · C.
INLINE TGT void kernel_rows(const int R, const int H, long kc, const float *restrict a,
                            const float *restrict b, float *restrict c, long ldc, float alpha,
                            float beta, __mmask16 m0, __mmask16 m1) {
    __m512 acc0[MR], acc1[MR];
    tile_begin(R, H, c, ldc, acc0, acc1);
#pragma clang loop unroll_count(4)
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(b), b1 = H == 2 ? _mm512_load_ps(b + 16) : _mm512_setzero_ps();
#pragma clang loop unroll(full)
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
            if (H == 2) acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
        }
        a += MR;
        b += NR;
    }
    tile_store(R, H, c, ldc, alpha, beta, m0, m1, acc0, acc1);
}

#define KERNEL_CASE(R) \
    case R: \
        if (R > MR) break; /* only with -DCGEMM_MR < 14 */ \
        if (nr > 16) kernel_rows(R, 2, kc, a, b, c, ldc, alpha, beta, m0, m1); \
        else kernel_rows(R, 1, kc, a, b, c, ldc, alpha, beta, m0, m1); \
        break;

/// The micro-kernel for an mr × nr tile (mr ≤ MR, nr ≤ NR); a tile of at most 16 columns runs
/// half the FMAs.
static TGT void kernel(long mr, long nr, long kc, const float *a, const float *b, float *c, long ldc,
                       float alpha, float beta) {
    __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16);
    switch (mr) {
        KERNEL_CASE(14) KERNEL_CASE(13) KERNEL_CASE(12) KERNEL_CASE(11) KERNEL_CASE(10)
        KERNEL_CASE(9) KERNEL_CASE(8) KERNEL_CASE(7) KERNEL_CASE(6) KERNEL_CASE(5)
        KERNEL_CASE(4) KERNEL_CASE(3) KERNEL_CASE(2) KERNEL_CASE(1)
        default: break;
    }
}

#endif  // CGEMM_HAVE_AVX512

// MARK: - Partition of C among threads

/// Columns of C are dealt to threads in units of half a B sliver.
enum { COL_UNIT = NR / 2 };

static long ceil_div(long a, long b) { return (a + b - 1) / b; }

/// Part `index` of `units` units cut into `ways` nearly equal contiguous parts, in elements of
/// `unit` (clamped to `total`): [*lo, *hi).
static void share(long total, long unit, long ways, long index, long *lo, long *hi) {
    long units = ceil_div(total, unit);
    *lo = min_l(total, units * index / ways * unit);
    *hi = min_l(total, units * (index + 1) / ways * unit);
}

/// The largest part that `share` makes: shares hold floor(units / ways) or ceil(units / ways)
/// units, the last one holding the partial unit; with units mod ways = 1 the one larger share is
/// the last, so when the partial unit is small no share exceeds the others by a whole unit.
static long largest_share(long total, long unit, long ways) {
    long units = ceil_div(total, unit);
    long last = total - units * (ways - 1) / ways * unit;
    if (ways == 1) return last;
    long others = (units % ways >= 2 ? ceil_div(units, ways) : units / ways) * unit;
    return others > last ? others : last;
}

/// Minimum multiply-adds (m·n·k) per thread for a part of its own.
#ifndef CGEMM_MIN_WORK
#define CGEMM_MIN_WORK (1 << 22)
#endif
enum { MIN_WORK_PER_THREAD = CGEMM_MIN_WORK };

/// The 2-D grid of threads for an m × n × k product on at most `threads` threads: C is cut into
/// `row_ways` row shares (whole MR tiles) times `col_ways` column shares (whole COL_UNITs). The
/// threads of one column share form a group that packs each B block of that share together and
/// computes it for their own rows (BLIS's ic loop split, with jc split across groups).
///
/// The grid minimizes one thread's cost, estimated as its multiply-adds plus 8 per float it packs
/// (a packed float costs about a load and a store; a multiply-add 1/16 of a cycle on one 512-bit
/// FMA pipe), then the number of threads, so that a ceiling that more threads cannot lower uses
/// the fewest threads. Every candidate has whole tiles per thread; k is never split, so each
/// element of C is summed in the same order for every thread count.
static void plan_grid(long m, long n, long k, int threads, int *row_ways, int *col_ways) {
    double work = (double)m * (double)n * (double)k;
    long cap = threads;
    while (cap > 1 && work / (double)cap < MIN_WORK_PER_THREAD) cap--;
    long tm = ceil_div(m, MR), tn = ceil_div(n, COL_UNIT);
    double best = -1;
    long best_parts = 1;
    *row_ways = 1;
    *col_ways = 1;
    for (long rw = 1; rw <= cap && rw <= tm; rw++) {
        long rows = largest_share(m, MR, rw);
        for (long cw = 1; rw * cw <= cap && cw <= tn; cw++) {
            long cols = largest_share(n, COL_UNIT, cw);
            double packed = (double)rows * k * ceil_div(cols, NC) + (double)cols * k / rw;
            double cost = (double)rows * cols * k + 8 * packed;
            if (best < 0 || cost < best || (cost == best && rw * cw < best_parts)) {
                best = cost;
                best_parts = rw * cw;
                *row_ways = (int)rw;
                *col_ways = (int)cw;
            }
        }
    }
}

void cgemm_partition_of(long m, long n, long k, int threads, cgemm_partition *out) {
    memset(out, 0, sizeof *out);
    if (m <= 0 || n <= 0 || k <= 0) return;
    if (threads < 1) threads = 1;
    int rw, cw;
    plan_grid(m, n, k, threads, &rw, &cw);
    out->row_ways = rw;
    out->col_ways = cw;
    out->threads = rw * cw;
    double total_madds = 0, total_packed = 0;
    for (int j = 0; j < cw; j++) {
        long c0, c1;
        share(n, COL_UNIT, cw, j, &c0, &c1);
        long cols = c1 - c0, ncb = balanced_block(cols, NC, NR);
        for (int i = 0; i < rw; i++) {
            long r0, r1;
            share(m, MR, rw, i, &r0, &r1);
            long rows = r1 - r0;
            // A: this thread's rows (padded to MR) once per column block; B: its slivers of every
            // block of the group's columns (padded to NR).
            double packed = (double)ceil_div(rows, MR) * MR * k * ceil_div(cols, ncb);
            for (long jc = 0; jc < cols; jc += ncb) {
                long slivers = ceil_div(min_l(ncb, cols - jc), NR);
                packed += (double)(slivers * (i + 1) / rw - slivers * i / rw) * NR * k;
            }
            double madds = (double)rows * cols * k;
            packed *= sizeof(float);
            total_madds += madds;
            total_packed += packed;
            if (madds > out->max_madds) out->max_madds = madds;
            if (packed > out->max_packed_bytes) out->max_packed_bytes = packed;
        }
    }
    out->mean_madds = total_madds / out->threads;
    out->mean_packed_bytes = total_packed / out->threads;
}

// MARK: - One thread's part

enum { MAX_THREADS = 256 };

/// A barrier for the threads of one column group inside one call: they spin briefly (the waits
/// are a B block's packing, microseconds), then yield the CPU, so that more threads than cores
/// (tests, an oversubscribed node) still make progress.
typedef struct {
    _Atomic int arrived;
    _Atomic int generation;
    char pad[64 - 2 * sizeof(int)];  // one cache line per barrier
} group_barrier;

static void barrier_wait(group_barrier *b, int count) {
    int generation = atomic_load_explicit(&b->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) == count - 1) {
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->generation, 1, memory_order_release);
        return;
    }
    for (int spins = 0; atomic_load_explicit(&b->generation, memory_order_acquire) == generation; spins++) {
        if (spins < 2000) {
#if defined(__x86_64__)
            __builtin_ia32_pause();
#endif
        } else {
            sched_yield();
        }
    }
}

/// The whole problem, shared by the threads of one call.
typedef struct {
    int trans_a, trans_b;
    int bf16;                 // 1: operands rounded to bf16 pairs (cgemm_bf16.c), 0: FP32
    long m, n, k;
    float alpha, beta;
    const float *a, *b;
    long lda, ldb, ldc;
    float *c;
    int row_ways, col_ways;   // the grid (plan_grid); parts = row_ways · col_ways
    float **group_b;          // packed B block of each column group (row_ways > 1)
    group_barrier *barriers;  // one per column group (row_ways > 1)
} gemm_job;

/// Packing buffers of one thread, 64-byte aligned; they grow to the largest block seen (at most
/// MC × KC and KC × NC floats) and are reused.
typedef struct {
    float *a_pack, *b_pack;
    size_t a_cap, b_cap;  // floats
} pack_buffers;

/// The k block of a job (in k values) and the 32-bit words one row of a sliver of `kc` k values
/// takes when packed: kc floats, or ceil(kc / 2) bf16 pairs.
static long job_k_block(const gemm_job *g) { return balanced_block(g->k, g->bf16 ? KC_BF16 : KC, 8); }
static long packed_depth(const gemm_job *g, long kc) { return g->bf16 ? (kc + 1) / 2 : kc; }

/// Makes `*p` hold at least `need` floats (keeping the larger of old and new); 0 when out of memory.
static int grow(float **p, size_t *cap, size_t need) {
    if (*cap >= need) return 1;
    float *q = aligned_alloc(64, (need * sizeof(float) + 63) / 64 * 64);
    if (!q) return 0;
    free(*p);
    *p = q;
    *cap = need;
    return 1;
}

#ifdef CGEMM_HAVE_AVX512
/// Part `t` of the job: member i = t mod row_ways of column group j = t / row_ways. For each
/// (jc, pc) block of the group's columns the members pack the B block together (member i its
/// share of the slivers), meet at the group's barrier, compute the block for their own rows, and
/// meet again before the buffer is packed anew.
static TGT void gemm_part(const gemm_job *g, int t, pack_buffers *buf) {
    int rw = g->row_ways, i = t % rw, j = t / rw;
    long r0, r1, c0, c1, k = g->k;
    share(g->m, MR, rw, i, &r0, &r1);
    share(g->n, COL_UNIT, g->col_ways, j, &c0, &c1);
    long rows = r1 - r0, cols = c1 - c0;
    if (cols <= 0) return;  // the whole group is empty (never planned; kept for safety)
    long kcb = job_k_block(g), ncb = balanced_block(cols, NC, NR), kdb = packed_depth(g, kcb);
    long mcb = rows > 0 ? balanced_block(rows, MC, MR) : MR;
    float *b_pack;
    if (rw == 1) {
        if (!grow(&buf->b_pack, &buf->b_cap, (size_t)kdb * ncb)) abort();
        b_pack = buf->b_pack;
    } else {
        b_pack = g->group_b[j];  // grown by the caller before the job was posted
    }
    if (!grow(&buf->a_pack, &buf->a_cap, (size_t)mcb * kdb)) abort();  // a few hundred KiB at most
    for (long jc = 0; jc < cols; jc += ncb) {
        long nc = min_l(ncb, cols - jc), col = c0 + jc, slivers = ceil_div(nc, NR);
        long s0 = slivers * i / rw, s1 = slivers * (i + 1) / rw;
        for (long pc = 0; pc < k; pc += kcb) {
            long kc = min_l(kcb, k - pc), kd = packed_depth(g, kc);
            if (s1 > s0) {
                long first = col + s0 * NR, count = min_l(nc, s1 * NR) - s0 * NR;
                const float *bsrc = g->trans_b ? g->b + first * g->ldb + pc : g->b + pc * g->ldb + first;
                if (g->bf16) {
                    cgemm_bf16_pack_b(g->trans_b, kc, count, bsrc, g->ldb, (uint32_t *)b_pack + s0 * NR * kd);
                } else {
                    pack_b(g->trans_b, kc, count, bsrc, g->ldb, b_pack + s0 * NR * kc);
                }
            }
            if (rw > 1) barrier_wait(&g->barriers[j], rw);
            float beta = pc == 0 ? g->beta : 1.0f;
            for (long ic = 0; ic < rows; ic += mcb) {
                long mc = min_l(mcb, rows - ic), row = r0 + ic;
                const float *asrc = g->trans_a ? g->a + pc * g->lda + row : g->a + row * g->lda + pc;
                float *cblock = g->c + row * g->ldc + col;
                if (g->bf16) {
                    const uint32_t *ap = (const uint32_t *)buf->a_pack, *bp = (const uint32_t *)b_pack;
                    cgemm_bf16_pack_a(g->trans_a, mc, kc, asrc, g->lda, (uint32_t *)buf->a_pack);
                    for (long jr = 0; jr < nc; jr += NR) {
                        long nr = min_l(NR, nc - jr);
                        for (long ir = 0; ir < mc; ir += MR) {
                            cgemm_bf16_kernel(min_l(MR, mc - ir), nr, kd, ap + ir * kd, bp + jr * kd,
                                              cblock + ir * g->ldc + jr, g->ldc, g->alpha, beta);
                        }
                    }
                    continue;
                }
                pack_a(g->trans_a, mc, kc, asrc, g->lda, buf->a_pack);
                for (long jr = 0; jr < nc; jr += NR) {
                    long nr = min_l(NR, nc - jr);
                    for (long ir = 0; ir < mc; ir += MR) {
                        kernel(min_l(MR, mc - ir), nr, kc, buf->a_pack + ir * kc, b_pack + jr * kc,
                               cblock + ir * g->ldc + jr, g->ldc, g->alpha, beta);
                    }
                }
            }
            if (rw > 1) barrier_wait(&g->barriers[j], rw);
        }
    }
}
#else
static void gemm_part(const gemm_job *g, int t, pack_buffers *buf) {
    (void)g; (void)t; (void)buf;
    abort();  // cgemm_sgemm called although cgemm_available() == 0
}
#endif

// MARK: - Thread pool

static struct {
    pthread_mutex_t lock;          // guards everything below but the group buffers
    pthread_cond_t wake, done;
    pthread_mutex_t call;          // held by the caller whose job the pool runs; guards group_b
    int started;                   // pool threads created (indices 1...started)
    unsigned long generation;      // bumped per job
    unsigned long spawn_generation; // the generation a thread created now starts from
    const gemm_job *job;
    int parts;                     // threads taking part in the job: read from here, not from
                                   // the job, by a thread that wakes after the job has ended
    int pending;                   // pool threads still working on the job
    pid_t tids[MAX_THREADS];       // kernel thread ids of the pool threads (0: not known yet)
    int away_from;                 // the CPU the pool threads are kept off (-1: none)
    float *group_b[MAX_THREADS];   // shared packed B block per column group
    size_t group_b_cap[MAX_THREADS];
    group_barrier barriers[MAX_THREADS];
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL, 0, 0, {0}, -1, {NULL}, {0}, {{0}}};

static int requested_threads = 1;   // read and written under pool.lock

static void *pool_main(void *arg) {
    int index = (int)(intptr_t)arg;
    pack_buffers buf = {NULL, NULL, 0, 0};
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.lock);
#if defined(__linux__)
    pool.tids[index] = (pid_t)syscall(SYS_gettid);
#endif
    seen = pool.spawn_generation;  // not `generation`: the job that started us may be posted already
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.lock);
        seen = pool.generation;
        const gemm_job *job = pool.job;
        if (index >= pool.parts) continue;
        pthread_mutex_unlock(&pool.lock);
        gemm_part(job, index, &buf);
        pthread_mutex_lock(&pool.lock);
        if (--pool.pending == 0) pthread_cond_signal(&pool.done);
    }
    return NULL;
}

/// Keeps the pool threads off the CPU the caller runs on (called with pool.lock held).
///
/// Without this the scheduler sometimes wakes a pool thread on the caller's CPU while the other
/// core idles; the two stripes then run one after the other, and stay so for tens of calls until
/// the load balancer separates them (measured: 256 × 1053 × 256 on 2 threads took 530-570 µs
/// instead of 320 µs for the first ~40 calls after OpenBLAS's threads had gone to sleep). The pool
/// threads' CPU mask becomes the caller's mask minus its current CPU; one sched_setaffinity per
/// pool thread, only when the caller's CPU changed since the last call (none in steady state).
/// Nothing changes when the caller may run on one CPU only (e.g. an MPI rank bound to a core).
static void keep_pool_off_caller_cpu(void) {
#if defined(__linux__)
    int cpu = sched_getcpu();
    if (cpu < 0 || cpu == pool.away_from || cpu >= CPU_SETSIZE) return;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    CPU_CLR(cpu, &allowed);
    if (CPU_COUNT(&allowed) == 0) return;
    int all = 1;
    for (int i = 1; i <= pool.started; i++) {
        if (pool.tids[i] == 0 || sched_setaffinity(pool.tids[i], sizeof allowed, &allowed) != 0) all = 0;
    }
    if (all) pool.away_from = cpu;
#endif
}

/// The calling thread's packing buffers, freed when the thread exits.
static pthread_key_t caller_key;
static pthread_once_t caller_key_once = PTHREAD_ONCE_INIT;

static void caller_buffers_free(void *p) {
    pack_buffers *buf = p;
    free(buf->a_pack);
    free(buf->b_pack);
    free(buf);
}

static void caller_key_make(void) { pthread_key_create(&caller_key, caller_buffers_free); }

static pack_buffers *caller_buffers(void) {
    pthread_once(&caller_key_once, caller_key_make);
    pack_buffers *buf = pthread_getspecific(caller_key);
    if (!buf) {
        buf = calloc(1, sizeof *buf);
        if (!buf) return NULL;
        pthread_setspecific(caller_key, buf);
    }
    return buf;
}

/// Grows the shared B buffer of every column group of `job` (called with pool.call held).
static void grow_group_buffers(const gemm_job *job) {
    long kdb = packed_depth(job, job_k_block(job));
    for (int j = 0; j < job->col_ways; j++) {
        long c0, c1;
        share(job->n, COL_UNIT, job->col_ways, j, &c0, &c1);
        long ncb = c1 > c0 ? balanced_block(c1 - c0, NC, NR) : NR;
        if (!grow(&pool.group_b[j], &pool.group_b_cap[j], (size_t)kdb * ncb)) abort();
    }
}

// MARK: - API

int cgemm_available(void) {
#ifdef CGEMM_HAVE_AVX512
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void cgemm_set_threads(int count) {
    if (count < 1) count = 1;
    if (count > MAX_THREADS) count = MAX_THREADS;
    pthread_mutex_lock(&pool.lock);
    requested_threads = count;
    pthread_mutex_unlock(&pool.lock);
}

int cgemm_threads(void) {
    pthread_mutex_lock(&pool.lock);
    int t = requested_threads;
    pthread_mutex_unlock(&pool.lock);
    return t;
}

int cgemm_max_threads(void) { return MAX_THREADS; }

static char kernel_description[96];

static void describe_kernel(void) {
    snprintf(kernel_description, sizeof kernel_description, "AVX-512 %dx%d tile, KC %d, MC %d, NC %d",
             (int)MR, (int)NR, (int)KC, (int)MC, (int)NC);
}

const char *cgemm_kernel_description(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, describe_kernel);
    return kernel_description;
}

int cgemm_bf16_available(void) {
#ifdef CGEMM_HAVE_AVX512
    return cgemm_available() && cgemm_bf16_cpu();
#else
    return 0;
#endif
}

static char bf16_kernel_description[128];

static void describe_bf16_kernel(void) {
    snprintf(bf16_kernel_description, sizeof bf16_kernel_description,
             "AVX512-BF16 %dx%d tile of bf16 pairs, KC %d, MC %d, NC %d", (int)MR, (int)NR, (int)KC_BF16,
             (int)MC, (int)NC);
}

const char *cgemm_bf16_kernel_description(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, describe_bf16_kernel);
    return bf16_kernel_description;
}

/// cgemm_sgemm (bf16 = 0) or cgemm_bf16gemm (bf16 = 1): the same blocking, threads and grid.
static void run_gemm(int bf16, int trans_a, int trans_b, long m, long n, long k, float alpha,
                     const float *a, long lda, const float *b, long ldb,
                     float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    if (k == 0 || alpha == 0) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    pack_buffers *mine = caller_buffers();
    if (!mine) abort();  // out of memory for a few bytes
    gemm_job job = {trans_a != 0, trans_b != 0, bf16 != 0, m, n, k, alpha, beta, a, b, lda, ldb, ldc, c,
                    1, 1, pool.group_b, pool.barriers};
    int threads = cgemm_threads();
    if (threads > 1) plan_grid(m, n, k, threads, &job.row_ways, &job.col_ways);
    int parts = job.row_ways * job.col_ways;
    if (parts > 1 && pthread_mutex_trylock(&pool.call) == 0) {
        pthread_mutex_lock(&pool.lock);
        pool.spawn_generation = pool.generation;
        while (pool.started < parts - 1) {
            pthread_t th;
            if (pthread_create(&th, NULL, pool_main, (void *)(intptr_t)(pool.started + 1)) != 0) break;
            pthread_detach(th);
            pool.started++;
        }
        if (parts > pool.started + 1) {
            // Fewer threads could be created than planned: plan again for those there are.
            plan_grid(m, n, k, pool.started + 1, &job.row_ways, &job.col_ways);
            parts = job.row_ways * job.col_ways;
        }
        pthread_mutex_unlock(&pool.lock);
        if (parts > 1) {
            if (job.row_ways > 1) grow_group_buffers(&job);
            pthread_mutex_lock(&pool.lock);
            keep_pool_off_caller_cpu();
            pool.job = &job;
            pool.parts = parts;
            pool.pending = parts - 1;
            pool.generation++;
            pthread_cond_broadcast(&pool.wake);
            pthread_mutex_unlock(&pool.lock);
            gemm_part(&job, 0, mine);
            pthread_mutex_lock(&pool.lock);
            while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.lock);
            pool.job = NULL;
            pthread_mutex_unlock(&pool.lock);
            pthread_mutex_unlock(&pool.call);
            return;
        }
        pthread_mutex_unlock(&pool.call);
    }
    job.row_ways = job.col_ways = 1;  // one thread: the caller alone (the pool may be busy)
    gemm_part(&job, 0, mine);
}

void cgemm_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                 const float *a, long lda, const float *b, long ldb,
                 float beta, float *c, long ldc) {
    run_gemm(0, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void cgemm_bf16gemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                    const float *a, long lda, const float *b, long ldb,
                    float beta, float *c, long ldc) {
    run_gemm(1, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
