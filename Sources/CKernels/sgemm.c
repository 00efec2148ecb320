// FedVLM's AVX-512 SGEMM: C = alpha op(A) op(B) + beta C, row-major, single-threaded.
//
// Layouts (all row-major, strides in floats):
//   op(A) is m x k: a[i*lda + p], or a[p*lda + i] when transA.
//   op(B) is k x n: b[p*ldb + j], or b[j*ldb + p] when transB.
//   C is m x n: c[i*ldc + j].
// Blocking after Goto & van de Geijn (2008), with the loop order and cache roles of BLIS's
// analytical model (Low et al. 2016) for 48 KB L1d / 2 MB L2 per core:
//   - micro-tile MR x NR = 12 x 32: 24 zmm accumulators (enough independent FMA chains for
//     2 FMA ports x 4 cycles latency), 2 zmm loads of B and 12 broadcasts of A per k;
//   - packed A: MR-row micro-panels, element (i, p) at [p*MR + i] (the broadcast side: one
//     micro-panel, MR*KC*4 = 12 KB, stays in L1 while the kernel walks a row of B panels);
//   - packed B: NR-column micro-panels, element (p, j) at [p*NR + j] (the vector side: a
//     KC x NB block, 768 KB, stays in L2; the kernel prefetches the stream 4 KB ahead);
//   - loops: rows of A in blocks of MB, K in blocks of KC (at fixed offsets 0, KC, 2KC, ...
//     whatever m and n), columns in blocks of NB, then 12-row by 32-column tiles;
//   - edges: tiles of exactly the remaining height (1 ... 12 rows), masked column stores;
//   - small products (and A when few B panels reuse it) skip packing and read A/B in place.
// Determinism: every element of C is computed as acc = fma chain over p in one KC block in
// increasing order starting from 0, then c = alpha*acc + beta'*c (beta' = beta for the first
// block, 1 after; c not read when beta' = 0). None of this depends on m, n, the element's
// position, or the micro-kernel variant used at the edges, so splitting C into row or column
// blocks gives the same bits.

#include "CKernels.h"
#include "common.h"
#include <stddef.h>
#include <stdlib.h>

#if defined(__x86_64__)

#include <immintrin.h>
#include <sys/time.h>

#define MR 12
#define NR 32
#ifndef KC
#define KC 256
#endif
#ifndef MB
#define MB 2400            /* rows of A packed at once (multiple of MR) */
#endif
#ifndef NB
#define NB 768             /* columns of B packed at once (multiple of NR): KC*NB*4 = 768 KB */
#endif
#ifndef PF
#define PF 1024            /* floats ahead in the packed B stream (4 KB) */
#endif
#ifndef DIRECT_N
#define DIRECT_N 256       /* A read in place (not transposed) when n <= this: few B panels reuse it */
#endif
#ifndef DIRECT_SMALL
#define DIRECT_SMALL 128   /* transposed A, and B, read in place when both m and n <= this */
#endif

#define AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define INLINE static inline __attribute__((always_inline))

int fedvlm_sgemm_available(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
              && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
              && __builtin_cpu_supports("fma");
    }
    return cached;
}

// MARK: packing

// Transposes 16 rows of 16 floats in place: r[j] lane i <- r[i] lane j.
AVX512 INLINE void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    // Per 128-bit lane L: u[4g + c] holds column 4L + c of rows 4g..4g+3.
    for (int g = 0; g < 16; g += 4) {
        u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[g]), _mm512_castps_pd(t[g + 2])));
        u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[g]), _mm512_castps_pd(t[g + 2])));
        u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[g + 1]), _mm512_castps_pd(t[g + 3])));
        u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[g + 1]), _mm512_castps_pd(t[g + 3])));
    }
    // A 4 x 4 transpose of 128-bit lanes across the four row groups.
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
        __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44), v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
        r[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
        r[8 + c] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
    }
}

INLINE __mmask16 lowMask(long count) { return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1); }

// Stores lanes 0-11 of r0 ... r3 as 48 consecutive floats with three whole-vector stores (twelve
// 12-float masked stores would split every other cache line).
AVX512 INLINE void store4x12(float *dst, __m512 r0, __m512 r1, __m512 r2, __m512 r3) {
    const __m512i i0 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19);
    const __m512i i1 = _mm512_setr_epi32(4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i i2 = _mm512_setr_epi32(8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27);
    _mm512_storeu_ps(dst, _mm512_permutex2var_ps(r0, i0, r1));
    _mm512_storeu_ps(dst + 16, _mm512_permutex2var_ps(r1, i1, r2));
    _mm512_storeu_ps(dst + 32, _mm512_permutex2var_ps(r2, i2, r3));
}

// `rows` (<= 16) source rows of length kc at src + r*stride, written transposed: dst[p*width + r].
// Rows beyond `rows` up to `width` are zero.
AVX512 static void packTransposed(const float *src, long stride, long rows, long kc, float *dst, long width) {
    __mmask16 store = lowMask(width);
    for (long p = 0; p < kc; p += 16) {
        __mmask16 load = lowMask(kc - p);
        __m512 r[16];
        for (int i = 0; i < 16; i++)
            r[i] = i < rows ? _mm512_maskz_loadu_ps(load, src + i * stride + p) : _mm512_setzero_ps();
        transpose16(r);
        long count = kc - p < 16 ? kc - p : 16;
        if (width == MR && count == 16) {
            // A micro-panel's rows are 12 floats: four at a time as three whole vectors (1.5x
            // faster packing than sixteen masked stores, half of which split a cache line).
            for (int q = 0; q < 16; q += 4) store4x12(dst + (p + q) * MR, r[q], r[q + 1], r[q + 2], r[q + 3]);
        } else {
            for (int q = 0; q < count; q++) _mm512_mask_storeu_ps(dst + (p + q) * width, store, r[q]);
        }
    }
}

// Packs rows [0, mb) x k [0, kc) of op(A) into MR-row micro-panels (zero-padded).
AVX512 static void packA(int trans, long mb, long kc, const float *a, long lda, float *dst) {
    for (long i = 0; i < mb; i += MR) {
        long rows = mb - i < MR ? mb - i : MR;
        float *d = dst + i * kc;
        if (!trans) {
            packTransposed(a + i * lda, lda, rows, kc, d, MR);
        } else {
            // Row p of the panel is 12 contiguous floats of A (masked loads: nothing past row
            // `rows` is read), stored four rows at a time.
            __mmask16 load = lowMask(rows);
            const float *s = a + i;
            long p = 0;
            for (; p + 4 <= kc; p += 4)
                store4x12(d + p * MR, _mm512_maskz_loadu_ps(load, s + p * lda), _mm512_maskz_loadu_ps(load, s + (p + 1) * lda),
                          _mm512_maskz_loadu_ps(load, s + (p + 2) * lda), _mm512_maskz_loadu_ps(load, s + (p + 3) * lda));
            for (; p < kc; p++)
                _mm512_mask_storeu_ps(d + p * MR, 0x0FFF, _mm512_maskz_loadu_ps(load, s + p * lda));
        }
    }
}

// Packs k [0, kc) x columns [0, nb) of op(B) into NR-column micro-panels (zero-padded).
AVX512 static void packB(int trans, long kc, long nb, const float *b, long ldb, float *dst) {
    if (!trans) {
        // The full panels eight rows of B at a time: each row is read in one sequential sweep
        // (a panel at a time would read 128 bytes from each of kc rows, one 4 KB page apart or
        // more, which the hardware prefetchers do not follow), and each panel gets 1 KB of
        // consecutive stores (one row at a time wrote 128 bytes to every panel, kc*128 bytes
        // apart: all in one L1 set; 2.2-2.5x slower on a 256 x 768 block).
        long full = nb / NR * NR;
        for (long p0 = 0; p0 < kc; p0 += 8) {
            long rowsEnd = p0 + 8 < kc ? p0 + 8 : kc;
            for (long j = 0; j < full; j += NR) {
                for (long p = p0; p < rowsEnd; p++) {
                    const float *s = b + p * ldb + j;
                    float *d = dst + j * kc + p * NR;
                    _mm512_store_ps(d, _mm512_loadu_ps(s));
                    _mm512_store_ps(d + 16, _mm512_loadu_ps(s + 16));
                }
            }
        }
    }
    for (long j = 0; j < nb; j += NR) {
        long cols = nb - j < NR ? nb - j : NR;
        float *d = dst + j * kc;
        if (!trans) {
            const float *s = b + j;
            if (cols == NR) {
                continue;  // full panels: copied above
            } else {
                __mmask16 m0 = lowMask(cols), m1 = lowMask(cols > 16 ? cols - 16 : 0);
                for (long p = 0; p < kc; p++) {
                    _mm512_store_ps(d + p * NR, _mm512_maskz_loadu_ps(m0, s + p * ldb));
                    _mm512_store_ps(d + p * NR + 16, _mm512_maskz_loadu_ps(m1, s + p * ldb + 16));
                }
            }
        } else {
            const float *s = b + j * ldb;
            packTransposed(s, ldb, cols < 16 ? cols : 16, kc, d, NR);
            if (cols > 16) packTransposed(s + 16 * ldb, ldb, cols - 16, kc, d + 16, NR);
            else for (long p = 0; p < kc; p++) _mm512_storeu_ps(d + p * NR + 16, _mm512_setzero_ps());
        }
    }
}

// MARK: micro-kernel

// One row of the tile: c = alpha*acc + beta*c (c not read when beta == 0), masked at the edge.
AVX512 INLINE void storeRow(float *row, __m512 x0, __m512 x1, __m512 va, float beta, int full,
                            __mmask16 m0, __mmask16 m1) {
    x0 = _mm512_mul_ps(x0, va);
    x1 = _mm512_mul_ps(x1, va);
    if (full) {
        if (beta != 0) {
            __m512 vb = _mm512_set1_ps(beta);
            x0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), x0);
            x1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), x1);
        }
        _mm512_storeu_ps(row, x0);
        _mm512_storeu_ps(row + 16, x1);
    } else {
        if (beta != 0) {
            __m512 vb = _mm512_set1_ps(beta);
            x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), x0);
            x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), x1);
        }
        _mm512_mask_storeu_ps(row, m0, x0);
        _mm512_mask_storeu_ps(row + 16, m1, x1);
    }
}

// An R x 32 tile of C (R <= MR, a compile-time constant after inlining), columns < `cols`;
// `narrow` (cols <= 16): only the first 16 columns are computed, half the FMAs.
// Element (i, p) of A is ap[i*rsA + p*csA]: packed panels (rsA 1, csA MR) or A itself.
// Row p of B's 32 columns starts at bp + p*ldbk: packed panels (ldbk NR, aligned, zero-padded)
// or B itself (`directB`: masked loads so nothing past column `cols` is read).
#define ROW(i, x0, x1) if (R > i) { __m512 av = _mm512_set1_ps(a3[i / 3][(i % 3) * rsA]); \
    x0 = _mm512_fmadd_ps(av, b0, x0); if (!narrow) x1 = _mm512_fmadd_ps(av, b1, x1); }
#define WRITE(i, x0, x1) if (R > i) storeRow(c + i * ldc, x0, x1, va, beta, full, m0, m1);

AVX512 INLINE void tile(const int R, const int narrow, const int directB, long kc, const float *ap, const long rsA, const long csA,
                        const float *bp, const long ldbk, float *c, long ldc, float alpha, float beta, long cols) {
    __m512 z = _mm512_setzero_ps();
    __m512 c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
    __m512 c60 = z, c61 = z, c70 = z, c71 = z, c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
    int full = cols == NR;
    __mmask16 m0 = lowMask(cols), m1 = lowMask(cols > 16 ? cols - 16 : 0);
    // Row i is read at a3[i / 3] + (i % 3) * rsA: four pointers, each a base register of
    // base + index * scale addresses. (Left to itself the compiler turns ap + i*rsA into a
    // chain of 12 dependent adds per k.)
    const float *a3[4] = {ap, ap + 3 * rsA, ap + 6 * rsA, ap + 9 * rsA};
    // The C rows are needed after the loop: start bringing them in now.
    for (int i = 0; i < R; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    for (long p = 0; p < kc; p++) {
        __m512 b0, b1 = z;
        if (directB) {
            b0 = _mm512_maskz_loadu_ps(m0, bp);
            if (!narrow) b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
        } else {
            b0 = _mm512_load_ps(bp);
            if (!narrow) b1 = _mm512_load_ps(bp + 16);
            // The next B panel streams from L2; ask for it a few k ahead.
            _mm_prefetch((const char *)(bp + PF), _MM_HINT_T0);
            _mm_prefetch((const char *)(bp + PF + 16), _MM_HINT_T0);
        }
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31)
        ROW(4, c40, c41) ROW(5, c50, c51) ROW(6, c60, c61) ROW(7, c70, c71)
        ROW(8, c80, c81) ROW(9, c90, c91) ROW(10, ca0, ca1) ROW(11, cb0, cb1)
        for (int g = 0; g < 4; g++) a3[g] += csA;
        if (rsA != 1) __asm__("" : "+r"(a3[0]), "+r"(a3[1]), "+r"(a3[2]), "+r"(a3[3]));
        bp += ldbk;
    }
    __m512 va = _mm512_set1_ps(alpha);
    WRITE(0, c00, c01) WRITE(1, c10, c11) WRITE(2, c20, c21) WRITE(3, c30, c31)
    WRITE(4, c40, c41) WRITE(5, c50, c51) WRITE(6, c60, c61) WRITE(7, c70, c71)
    WRITE(8, c80, c81) WRITE(9, c90, c91) WRITE(10, ca0, ca1) WRITE(11, cb0, cb1)
}
#undef ROW
#undef WRITE

typedef void (*TileFunction)(long kc, const float *ap, long rsA, long csA, const float *bp, long ldbk,
                             float *c, long ldc, float alpha, float beta, long cols);

// Per row count R = 1 ... 12: packed A and B; A read in place with packed B; both in place.
// (N: the narrow variant, for tiles of at most 16 columns.)
#define DEFINE_TILES(R, N, S) \
    AVX512 static void packedTile##R##S(long kc, const float *ap, long rsA, long csA, const float *bp, long ldbk, \
                                        float *c, long ldc, float alpha, float beta, long cols) { \
        (void)rsA; (void)csA; (void)ldbk; tile(R, N, 0, kc, ap, 1, MR, bp, NR, c, ldc, alpha, beta, cols); } \
    AVX512 static void directATile##R##S(long kc, const float *ap, long rsA, long csA, const float *bp, long ldbk, \
                                         float *c, long ldc, float alpha, float beta, long cols) { \
        (void)ldbk; tile(R, N, 0, kc, ap, rsA, csA, bp, NR, c, ldc, alpha, beta, cols); } \
    AVX512 static void directTile##R##S(long kc, const float *ap, long rsA, long csA, const float *bp, long ldbk, \
                                        float *c, long ldc, float alpha, float beta, long cols) { \
        tile(R, N, 1, kc, ap, rsA, csA, bp, ldbk, c, ldc, alpha, beta, cols); }
#define DEFINE_BOTH(R) DEFINE_TILES(R, 0, ) DEFINE_TILES(R, 1, narrow)
DEFINE_BOTH(1) DEFINE_BOTH(2) DEFINE_BOTH(3) DEFINE_BOTH(4) DEFINE_BOTH(5) DEFINE_BOTH(6)
DEFINE_BOTH(7) DEFINE_BOTH(8) DEFINE_BOTH(9) DEFINE_BOTH(10) DEFINE_BOTH(11) DEFINE_BOTH(12)
#undef DEFINE_BOTH
#undef DEFINE_TILES

#define TABLE(name, S) {0, name##1##S, name##2##S, name##3##S, name##4##S, name##5##S, name##6##S, \
    name##7##S, name##8##S, name##9##S, name##10##S, name##11##S, name##12##S}
// [narrow][rows]
static const TileFunction packedTiles[2][MR + 1] = {TABLE(packedTile, ), TABLE(packedTile, narrow)};
static const TileFunction directATiles[2][MR + 1] = {TABLE(directATile, ), TABLE(directATile, narrow)};
static const TileFunction directTiles[2][MR + 1] = {TABLE(directTile, ), TABLE(directTile, narrow)};
#undef TABLE

// MARK: driver

// Per-thread packing buffers, grown on demand (64-byte aligned for the panels' aligned loads).
static _Thread_local void *bufferA, *bufferB;
static _Thread_local size_t capacityA, capacityB;

// All of op(B) packed ahead (`fedvlm_sgemm_pack_b`) is the blocks the driver packs, one after
// another: K block pc (rows pc ... pc + kc) holds its column blocks jc in order, each kc x nb
// rounded up to whole panels, so block (pc, jc) starts at pc * paddedN + jc * kc.
static long paddedColumns(long n) { return (n + NR - 1) / NR * NR; }

// The offset of block (pc, jc) in a packed op(B) with n columns (kc: the block's rows).
static long packedBlockOffset(long n, long pc, long jc, long kc) { return pc * paddedColumns(n) + jc * kc; }

// Where block (pc, jc) of op(B) starts in B itself.
static const float *blockOfB(int transB, const float *b, long ldb, long pc, long jc) {
    return transB ? b + jc * ldb + pc : b + pc * ldb + jc;
}

size_t fedvlm_sgemm_packed_b_bytes(long k, long n) {
    return k > 0 && n > 0 ? sizeof(float) * (size_t)(k * paddedColumns(n)) : 0;
}

// The driver: op(B) packed here block by block, or taken from `packedB` (all of it, packed
// ahead) when that is not NULL.
AVX512 static void multiply(int transA, int transB, long m, long n, long k, float alpha,
                            const float *a, long lda, const float *b, long ldb, const float *packedB,
                            float beta, float *c, long ldc) {
    if (isTrivialProduct(m, n, k, alpha, beta, c, ldc)) return;
    // Small products skip packing: packing pays off only when a panel is reused many times.
    // (The arithmetic per element is the same either way, so this choice cannot change a bit.)
    // A panel is used once when n <= NR, a B panel once when m <= MR (LoRA's rank-8 products):
    // then packing it is pure overhead.
    int small = m <= DIRECT_SMALL && n <= DIRECT_SMALL;
    int directA = (!transA && n <= DIRECT_N) || n <= NR || small;
    int directB = !packedB && !transB && (small || m <= MR);
    long mbMax = m < MB ? (m + MR - 1) / MR * MR : MB;
    long nbMax = n < NB ? (n + NR - 1) / NR * NR : NB;
    long kcMax = k < KC ? k : KC;
    float *pa = directA ? 0 : reserveAligned(&bufferA, &capacityA, sizeof(float) * (size_t)(mbMax * kcMax));
    float *pb = directB || packedB ? 0 : reserveAligned(&bufferB, &capacityB, sizeof(float) * (size_t)(nbMax * kcMax));
    const TileFunction (*tiles)[MR + 1] = directB ? directTiles : directA ? directATiles : packedTiles;
    long rsA = directA ? (transA ? 1 : lda) : 1, csA = directA ? (transA ? lda : 1) : MR;
    for (long ic = 0; ic < m; ic += MB) {
        long mb = m - ic < MB ? m - ic : MB;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            float blockBeta = pc == 0 ? beta : 1.0f;
            const float *aBlock = transA ? a + pc * lda + ic : a + ic * lda + pc;
            if (!directA) packA(transA, mb, kc, aBlock, lda, pa);
            for (long jc = 0; jc < n; jc += NB) {
                long nb = n - jc < NB ? n - jc : NB;
                // The block's panels: packed ahead, packed here, or (directB) B itself.
                const float *bBlock = packedB ? packedB + packedBlockOffset(n, pc, jc, kc) : blockOfB(transB, b, ldb, pc, jc);
                if (!packedB && !directB) packB(transB, kc, nb, bBlock, ldb, pb);
                const float *panels = packedB ? bBlock : pb;
                for (long ir = 0; ir < mb; ir += MR) {
                    long rows = mb - ir < MR ? mb - ir : MR;
                    const float *ap = directA ? aBlock + ir * rsA : pa + ir * kc;
                    float *cRow = c + (ic + ir) * ldc + jc;
                    for (long jr = 0; jr < nb; jr += NR) {
                        long cols = nb - jr < NR ? nb - jr : NR;
                        const float *bp = directB ? bBlock + jr : panels + jr * kc;
                        tiles[cols <= 16][rows](kc, ap, rsA, csA, bp, directB ? ldb : NR, cRow + jr, ldc, alpha, blockBeta, cols);
                    }
                }
            }
        }
    }
}

AVX512 void fedvlm_sgemm(int transA, int transB, long m, long n, long k, float alpha,
                         const float *a, long lda, const float *b, long ldb,
                         float beta, float *c, long ldc) {
    multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, 0, beta, c, ldc);
}

AVX512 void fedvlm_sgemm_pack_b(int transB, long k, long n, const float *b, long ldb, float *packed) {
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        for (long jc = 0; jc < n; jc += NB) {
            long nb = n - jc < NB ? n - jc : NB;
            packB(transB, kc, nb, blockOfB(transB, b, ldb, pc, jc), ldb, packed + packedBlockOffset(n, pc, jc, kc));
        }
    }
}

AVX512 void fedvlm_sgemm_packed(int transA, long m, long n, long k, float alpha, const float *a, long lda,
                                const float *packedB, float beta, float *c, long ldc) {
    multiply(transA, 0, m, n, k, alpha, a, lda, 0, 0, packedB, beta, c, ldc);
}

// MARK: FMA peak

AVX512 __attribute__((noinline)) static float fmaChains(long iterations) {
    // 24 chains (> latency 4 x 2 ports): throughput-bound; distinct starts keep them apart.
    __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    __m512 r0 = _mm512_set1_ps(1.00f), r1 = _mm512_set1_ps(1.01f), r2 = _mm512_set1_ps(1.02f), r3 = _mm512_set1_ps(1.03f);
    __m512 r4 = _mm512_set1_ps(1.04f), r5 = _mm512_set1_ps(1.05f), r6 = _mm512_set1_ps(1.06f), r7 = _mm512_set1_ps(1.07f);
    __m512 r8 = _mm512_set1_ps(1.08f), r9 = _mm512_set1_ps(1.09f), r10 = _mm512_set1_ps(1.10f), r11 = _mm512_set1_ps(1.11f);
    __m512 r12 = _mm512_set1_ps(1.12f), r13 = _mm512_set1_ps(1.13f), r14 = _mm512_set1_ps(1.14f), r15 = _mm512_set1_ps(1.15f);
    __m512 r16 = _mm512_set1_ps(1.16f), r17 = _mm512_set1_ps(1.17f), r18 = _mm512_set1_ps(1.18f), r19 = _mm512_set1_ps(1.19f);
    __m512 r20 = _mm512_set1_ps(1.20f), r21 = _mm512_set1_ps(1.21f), r22 = _mm512_set1_ps(1.22f), r23 = _mm512_set1_ps(1.23f);
    for (long i = 0; i < iterations; i++) {
#define F(r) r = _mm512_fmadd_ps(r, x, y);
        F(r0) F(r1) F(r2) F(r3) F(r4) F(r5) F(r6) F(r7) F(r8) F(r9) F(r10) F(r11)
        F(r12) F(r13) F(r14) F(r15) F(r16) F(r17) F(r18) F(r19) F(r20) F(r21) F(r22) F(r23)
#undef F
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r0, r1), _mm512_add_ps(r2, r3)), _mm512_add_ps(_mm512_add_ps(r4, r5), _mm512_add_ps(r6, r7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r8, r9), _mm512_add_ps(r10, r11)), _mm512_add_ps(_mm512_add_ps(r12, r13), _mm512_add_ps(r14, r15))));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r16, r17), _mm512_add_ps(r18, r19)), _mm512_add_ps(_mm512_add_ps(r20, r21), _mm512_add_ps(r22, r23))));
    return _mm512_reduce_add_ps(s);
}

static double seconds(void) {
    struct timeval t;
    gettimeofday(&t, NULL);
    return (double)t.tv_sec + 1e-6 * (double)t.tv_usec;
}

double fedvlm_fma_peak_gflops(long iterations) {
    if (!fedvlm_sgemm_available() || iterations <= 0) return 0;
    double start = seconds();
    volatile float sink = fmaChains(iterations);
    (void)sink;
    double elapsed = seconds() - start;
    return elapsed > 0 ? (double)iterations * 24 * 32 / elapsed / 1e9 : 0;
}

#else  // not x86-64: no kernel; callers use BLAS.

int fedvlm_sgemm_available(void) { return 0; }

void fedvlm_sgemm(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc) {
    (void)transA; (void)transB; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    abort();
}

size_t fedvlm_sgemm_packed_b_bytes(long k, long n) { (void)k; (void)n; return 0; }

void fedvlm_sgemm_pack_b(int transB, long k, long n, const float *b, long ldb, float *packed) {
    (void)transB; (void)k; (void)n; (void)b; (void)ldb; (void)packed;
    abort();
}

void fedvlm_sgemm_packed(int transA, long m, long n, long k, float alpha, const float *a, long lda,
                         const float *packedB, float beta, float *c, long ldc) {
    (void)transA; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)packedB; (void)beta;
    (void)c; (void)ldc;
    abort();
}

double fedvlm_fma_peak_gflops(long iterations) { (void)iterations; return 0; }

#endif
