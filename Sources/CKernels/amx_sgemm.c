// FedVLM's fp32 GEMM on AMX tiles: C = alpha op(A) op(B) + beta C with fp32 inputs and
// outputs, computed from a three-way bf16 split of every operand (see Docs/Performance.md,
// "fp32 GEMM on AMX").
//
// Why: AMX multiplies bf16 tiles at 1,024 FLOPs per cycle and core, about 16x the fp32 FMA
// units. An fp32 number x is split exactly into three bf16 numbers, x = x0 + x1 + x2, with
// |x1| <= 2^-8 |x| and |x2| <= 2^-16 |x| (each piece rounds the remainder of the previous one
// to nearest). The product of two bf16 numbers is exact in fp32, so
//     a b = a0 b0 + (a0 b1 + a1 b0) + (a0 b2 + a1 b1 + a2 b0) + (a1 b2 + a2 b1 + a2 b2)
// and the last group, at most 3 * 2^-24 |a b|, is dropped: six bf16 products per fp32 product,
// the "bf16x6" scheme of Henry, Tang & Heinecke, "Leveraging the bfloat16 artificial
// intelligence datatype for higher-precision computations" (ARITH 2019). The leading product
// a0 b0 goes into its own fp32 accumulator tile and the five small ones into a second, so the
// rounding of the big sum is that of an ordinary fp32 dot product and the corrections, 256
// times smaller, add almost nothing; the two are added once per K block. The error is that
// of fp32 FMA accumulation plus at most ~2^-23 |a||b| per product (measured in the tests and
// in Docs/Performance.md).
//
// Layouts (row-major, strides in floats) as in sgemm.c:
//   op(A) is m x k: a[i*lda + p], or a[p*lda + i] when transA; op(B) is k x n: b[p*ldb + j],
//   or b[j*ldb + p] when transB; C is m x n: c[i*ldc + j].
// Packed operands (bf16, zero-padded to whole tiles):
//   - A: 16-row panels; per panel, K in chunks of 32; per chunk the three pieces, each one
//     16 x 32 tile (row r = 64 bytes: the chunk's 32 values of row r);
//   - B: 16-column panels; per panel, chunks of 32; per chunk three pieces, each one tile in
//     AMX's pair-interleaved layout (row u = 16 columns x the two values of K rows 2u, 2u+1).
// Tiles: pairs of 16 x 16 output tiles share the A pieces (hi/lo accumulators of both, the
// three A pieces, one B piece at a time): nine tile loads feed twelve tile products.
// Loops (Goto & van de Geijn 2008): columns in blocks sized so packed B stays near 768 KB (L2),
// K in blocks of AMX_KC at fixed offsets, pack B, rows in blocks of about 192 KB of packed A
// (op(A) packed on the first column block only and reused when there are several; one
// L2-resident buffer when there is one), then pairs of tiles.
// Determinism: each element of C is c = beta*c (or 0 when beta == 0, c not read), then for
// every K block in order c += alpha * (hi + lo) with hi, lo the two tile sums over that block
// in chunk order. Nothing depends on m, n or the element's position, so splitting C into row
// or column blocks gives the same bits.
// Limits: AMX treats bf16 denormals as zero, so inputs below 2^-126 in magnitude count as 0
// and pieces that would fall below it are lost (values under ~1e-33 lose relative precision;
// the absolute error stays below 1e-38). Finite inputs above the largest bf16 (3.39e38) round
// to infinity. NaN and infinity reach the same outputs as in fp32, but an infinity may arrive
// as NaN (its pieces multiply zeros: inf * 0).

#include "CKernels.h"
#include "common.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)

#include <immintrin.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TILE 16                 /* rows and fp32 columns of a tile */
#define CHUNK 32                /* K values per tile (bf16 pairs x 16) */
#define TILE_BYTES 1024
#define CHUNK_BYTES (3 * TILE_BYTES)
#ifndef AMX_KC
#define AMX_KC 512              /* K block (multiple of CHUNK); 128 and 256 measured within noise */
#endif
#ifndef AMX_MB
#define AMX_MB 256              /* at most this many rows of A per block (multiple of TILE) */
#endif
#ifndef AMX_B_BYTES
#define AMX_B_BYTES (768 * 1024)
#endif
#ifndef AMX_A_BYTES
#define AMX_A_BYTES (192 * 1024)
#endif
#ifndef AMX_NB
#define AMX_NB 1024             /* at most this many columns of B per block (multiple of 2 TILE) */
#endif

/// fpclass categories of a value that a leading piece must carry alone: quiet NaN, +inf,
/// -inf, signalling NaN.
#define NON_FINITE (0x01 | 0x08 | 0x10 | 0x80)

#define AMXFN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,amx-tile,amx-bf16")))
#define INLINE static inline __attribute__((always_inline))

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static int amxAvailable = 0;
static pthread_once_t amxOnce = PTHREAD_ONCE_INIT;

static void probeAMX(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")
        || !__builtin_cpu_supports("avx512bf16") || !__builtin_cpu_supports("amx-tile")
        || !__builtin_cpu_supports("amx-bf16")) return;
    // Linux hands out the 8 KB tile state only to processes that ask for it.
    amxAvailable = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

int fedvlm_amx_available(void) {
    pthread_once(&amxOnce, probeAMX);
    return amxAvailable;
}

// Palette 1, eight tiles of 16 rows x 64 bytes.
typedef struct {
    unsigned char palette, startRow, reserved[14];
    unsigned short bytesPerRow[16];
    unsigned char rows[16];
} __attribute__((packed)) TileConfig;

AMXFN static void configureTiles(void) {
    TileConfig config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.bytesPerRow[t] = 64; config.rows[t] = TILE; }
    _tile_loadconfig(&config);
}

// MARK: Splitting and packing

/// Sixteen K pairs (lane c: `even` c and `odd` c) rounded to bf16 and pair-interleaved: 32-bit
/// lane c holds even c in its low half (first in memory) and odd c in its high half. That is
/// AMX's layout for a K pair, and for pairs taken from one row it is the row's K order.
/// `vcvtne2ps2bf16(odd, even)` puts even's 16 words before odd's; one word permute pairs them.
AMXFN INLINE __m512i roundPairs(__m512 even, __m512 odd) {
    const __m512i interleaveWords = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                     23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(interleaveWords, (__m512i)_mm512_cvtne2ps_pbh(odd, even));
}

/// The pairs of `roundPairs` back to fp32, exactly and in place: even is the low half shifted
/// up, odd the high half with the low one cleared (no cross-lane widening).
AMXFN INLINE void widenPairs(__m512i pairs, __m512 *even, __m512 *odd) {
    *even = _mm512_castsi512_ps(_mm512_slli_epi32(pairs, 16));
    *odd = _mm512_castsi512_ps(_mm512_and_si512(pairs, _mm512_set1_epi32((int)0xFFFF0000u)));
}

/// Splits sixteen K pairs into the three bf16 pieces of each value, x = x0 + x1 + x2, each
/// piece rounding the previous remainder to nearest even; non-finite leading pieces (NaN,
/// infinity, overflow) carry the value alone. Each piece comes back as `roundPairs` lays it
/// out. About half the instructions of splitting 16 values at a time and interleaving the
/// pieces afterwards, for the same pieces bit for bit.
AMXFN INLINE void splitPairs(__m512 even, __m512 odd, __m512i pieces[3]) {
    __m512 even0, odd0, even1, odd1;
    pieces[0] = roundPairs(even, odd);
    widenPairs(pieces[0], &even0, &odd0);
    __m512 evenRemainder = _mm512_maskz_sub_ps(~_mm512_fpclass_ps_mask(even0, NON_FINITE), even, even0);
    __m512 oddRemainder = _mm512_maskz_sub_ps(~_mm512_fpclass_ps_mask(odd0, NON_FINITE), odd, odd0);
    pieces[1] = roundPairs(evenRemainder, oddRemainder);
    widenPairs(pieces[1], &even1, &odd1);
    pieces[2] = roundPairs(_mm512_sub_ps(evenRemainder, even1), _mm512_sub_ps(oddRemainder, odd1));
}

/// 16 values from x[i*ld + p] on; those at or past `limit` read as 0.
AMXFN INLINE __m512 loadRow(const float *x, long ld, long i, long p, long limit) {
    long count = limit - p;
    if (count <= 0) return _mm512_setzero_ps();
    __mmask16 mask = count >= 16 ? 0xFFFF : (__mmask16)((1u << count) - 1);
    return _mm512_maskz_loadu_ps(mask, x + i * ld + p);
}

/// Splits sixteen K pairs and stores their pieces as one row of a chunk's three tiles
/// (`tileRow`: that row of the first tile).
AMXFN INLINE void storeSplitPairs(__m512 even, __m512 odd, unsigned char *tileRow) {
    __m512i pieces[3];
    splitPairs(even, odd, pieces);
    for (int s = 0; s < 3; s++) _mm512_store_si512((void *)(tileRow + s * TILE_BYTES), pieces[s]);
}

/// Splits 32 consecutive K values of one row of A (`low`: the first 16, `high`: the next)
/// and stores them as that row of a chunk's three tiles: its even and odd K values, taken
/// apart, are the row's sixteen pairs.
AMXFN INLINE void storeSplitRow(__m512 low, __m512 high, unsigned char *tileRow) {
    const __m512i evenPlaces = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i oddPlaces = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    storeSplitPairs(_mm512_permutex2var_ps(low, evenPlaces, high), _mm512_permutex2var_ps(low, oddPlaces, high),
                    tileRow);
}

/// 16 x 16 transpose of 32-bit lanes, in place (rows r[0..15]).
AMXFN INLINE void transpose16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int g = 0; g < 16; g += 4) {   // u[g + q], 128-bit lane l: rows g..g+3 at column 4l + q
        u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
        u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
        u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
        u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
    }
    for (int q = 0; q < 4; q++) {
        t[q] = _mm512_shuffle_i32x4(u[q], u[4 + q], 0x88);
        t[4 + q] = _mm512_shuffle_i32x4(u[q], u[4 + q], 0xdd);
        t[8 + q] = _mm512_shuffle_i32x4(u[8 + q], u[12 + q], 0x88);
        t[12 + q] = _mm512_shuffle_i32x4(u[8 + q], u[12 + q], 0xdd);
    }
    for (int q = 0; q < 4; q++) {
        r[q] = _mm512_shuffle_i32x4(t[q], t[8 + q], 0x88);
        r[8 + q] = _mm512_shuffle_i32x4(t[q], t[8 + q], 0xdd);
        r[4 + q] = _mm512_shuffle_i32x4(t[4 + q], t[12 + q], 0x88);
        r[12 + q] = _mm512_shuffle_i32x4(t[4 + q], t[12 + q], 0xdd);
    }
}

/// A 16 x 16 fp32 block, transposed: lines first ... first + 15 of memory (line i at x + i*ld;
/// lines at or past `lineLimit` read as zero), values from `value` on (those at or past
/// `valueLimit` read as zero). On return block[q] holds value `value + q` of every line (lane l:
/// line first + l).
AMXFN INLINE void loadTransposed(const float *x, long ld, long first, long lineLimit, long value, long valueLimit,
                                 __m512i block[16]) {
    for (long l = 0; l < 16; l++)
        block[l] = _mm512_castps_si512(first + l < lineLimit ? loadRow(x, ld, first + l, value, valueLimit)
                                                             : _mm512_setzero_ps());
    transpose16(block);
}

/// One B chunk (three piece tiles) from 16 lines of memory that each hold 32 consecutive K
/// values (line l at x + l*ld, K from p0; lines past `lines` and K past `kc` are zero): the
/// columns of op(B) when transB. Two fp32 transposes turn them into 32 K rows of 16 columns,
/// which pair and split as in `packPairs` (transposing before the split moves one fp32
/// matrix per 16 K values instead of three piece matrices per 32).
AMXFN INLINE void packLines(const float *x, long ld, long lines, long kc, long p0, unsigned char *tiles) {
    __m512i halves[2][16];   // halves[h][q]: K value p0 + 16h + q of every line
    for (int h = 0; h < 2; h++) loadTransposed(x, ld, 0, lines, p0 + 16 * h, kc, halves[h]);
    for (long v = 0; v < 16; v++) {
        const __m512i *kRows = halves[v / 8] + 2 * (v % 8);
        storeSplitPairs(_mm512_castsi512_ps(kRows[0]), _mm512_castsi512_ps(kRows[1]), tiles + v * 64);
    }
}

/// One B chunk from 32 K rows of memory that each hold 16 values side by side (K row p at
/// x + p*ld, values from j0; values past `width` and K past `kc` are zero): K rows 2v and
/// 2v+1 pair into row v of the B tile as they stand (op(B)'s rows, not transposed).
AMXFN INLINE void packPairs(const float *x, long ld, long width, long kc, long p0, long j0, unsigned char *tiles) {
    for (long v = 0; v < 16; v++) {
        long p = p0 + 2 * v;
        __m512 even = p < kc ? loadRow(x, ld, p, j0, width) : _mm512_setzero_ps();
        __m512 odd = p + 1 < kc ? loadRow(x, ld, p + 1, j0, width) : _mm512_setzero_ps();
        storeSplitPairs(even, odd, tiles + v * 64);
    }
}

/// One A chunk (three piece tiles) for 16 rows of A stored as the columns of A^T (K row p at
/// x + p*ld, rows of A from j0; rows past `width` and K past `kc` are zero): two 16 x 16 fp32
/// transposes turn 32 K rows into 16 rows of 32 K values, which split straight into tile rows.
AMXFN INLINE void packColumns(const float *x, long ld, long width, long kc, long p0, long j0, unsigned char *tiles) {
    __m512i halves[2][16];   // halves[h][l]: K values p0 + 16h ... + 15 of row j0 + l
    for (int h = 0; h < 2; h++) loadTransposed(x, ld, p0 + 16 * h, kc, j0, width, halves[h]);
    for (long l = 0; l < 16; l++)
        storeSplitRow(_mm512_castsi512_ps(halves[0][l]), _mm512_castsi512_ps(halves[1][l]), tiles + l * 64);
}

/// Packs rows [0, rows) x K [0, kc) of op(A) (already offset to the block), `panels` 16-row
/// panels of `chunks` chunks each. Rows past `rows` and K past `kc` are zero.
AMXFN __attribute__((noinline)) static void packA(int transA, const float *a, long lda, long rows, long kc,
                                                long panels, long chunks, unsigned char *packed) {
    if (transA) {
        // K row p of A^T holds the rows of A side by side: walk each K row from left to right
        // (panel inside chunk), so the reads stream instead of striding.
        for (long chunk = 0; chunk < chunks; chunk++)
            for (long panel = 0; panel < panels; panel++)
                packColumns(a, lda, rows, kc, chunk * CHUNK, panel * TILE,
                            packed + (panel * chunks + chunk) * CHUNK_BYTES);
    } else {
        // Rows of A are tile rows as they stand: read each row once from left to right and
        // write its pieces straight into that row of every chunk's three tiles (one stream per
        // row instead of sixteen interleaved ones; 25-40 % less time than chunk by chunk).
        for (long panel = 0; panel < panels; panel++) {
            unsigned char *panelTiles = packed + panel * chunks * CHUNK_BYTES;
            for (long line = 0; line < TILE; line++) {
                long row = panel * TILE + line;
                for (long chunk = 0; chunk < chunks; chunk++) {
                    long p0 = chunk * CHUNK;
                    __m512 low = row < rows ? loadRow(a, lda, row, p0, kc) : _mm512_setzero_ps();
                    __m512 high = row < rows ? loadRow(a, lda, row, p0 + 16, kc) : _mm512_setzero_ps();
                    storeSplitRow(low, high, panelTiles + chunk * CHUNK_BYTES + line * 64);
                }
            }
        }
    }
}

/// Packs K [0, kc) x columns [0, cols) of op(B) (already offset to the block) into pair-
/// interleaved tiles.
AMXFN __attribute__((noinline)) static void packB(int transB, const float *b, long ldb, long kc, long cols,
                                                long panels, long chunks, unsigned char *packed) {
    if (transB) {
        // Column j of op(B) is row j of B^T: 32 K values in a line.
        for (long panel = 0; panel < panels; panel++)
            for (long chunk = 0; chunk < chunks; chunk++)
                packLines(b + panel * TILE * ldb, ldb, cols - panel * TILE, kc, chunk * CHUNK,
                          packed + (panel * chunks + chunk) * CHUNK_BYTES);
    } else {
        for (long chunk = 0; chunk < chunks; chunk++)
            for (long panel = 0; panel < panels; panel++)
                packPairs(b, ldb, cols, kc, chunk * CHUNK, panel * TILE,
                          packed + (panel * chunks + chunk) * CHUNK_BYTES);
    }
}

// MARK: Tile kernel

// Tiles 2/3/6 hold a chunk's three A pieces, 7 the B piece in use. The tile numbers of AMX
// instructions are immediates, hence macros rather than functions.
#define LOAD_A_PIECES(at)                          \
    _tile_loadd(2, (at), 64);                      \
    _tile_loadd(3, (at) + TILE_BYTES, 64);         \
    _tile_loadd(6, (at) + 2 * TILE_BYTES, 64)

/// The six products of one chunk for one 16 x 16 block of C with B pieces at `bt`: tile `HI`
/// sums a0 b0, tile `LO` the corrections in the order a1 b0, a2 b0, a0 b1, a1 b1, a0 b2. Every
/// kernel goes through this one sequence, which is what makes blocks of C give the same bits.
#define BLOCK_PRODUCTS(HI, LO, bt)                 \
    _tile_loadd(7, (bt), 64);                      \
    _tile_dpbf16ps(HI, 2, 7); /* a0 b0 */          \
    _tile_dpbf16ps(LO, 3, 7); /* a1 b0 */          \
    _tile_dpbf16ps(LO, 6, 7); /* a2 b0 */          \
    _tile_loadd(7, (bt) + TILE_BYTES, 64);         \
    _tile_dpbf16ps(LO, 2, 7); /* a0 b1 */          \
    _tile_dpbf16ps(LO, 3, 7); /* a1 b1 */          \
    _tile_loadd(7, (bt) + 2 * TILE_BYTES, 64);     \
    _tile_dpbf16ps(LO, 2, 7)  /* a0 b2 */

/// One 16 x 16 block of C over `chunks` chunks (tiles 0/1 = hi/lo), stored to `hi` and `lo`.
AMXFN __attribute__((noinline)) static void tileProducts(long chunks, const unsigned char *ap, const unsigned char *bp,
                                                       float *hi, float *lo) {
    _tile_zero(0);
    _tile_zero(1);
    for (long chunk = 0; chunk < chunks; chunk++) {
        LOAD_A_PIECES(ap + chunk * CHUNK_BYTES);
        BLOCK_PRODUCTS(0, 1, bp + chunk * CHUNK_BYTES);
    }
    _tile_stored(0, hi, 64);
    _tile_stored(1, lo, 64);
}

/// Two neighbouring 16 x 16 blocks of C (B panels `bp` and `bq`) sharing the A pieces: nine
/// tile loads per twelve tile products instead of twelve. Tiles 0/1 = hi/lo of the first
/// block, 4/5 = hi/lo of the second.
AMXFN __attribute__((noinline)) static void tilePairProducts(long chunks, const unsigned char *ap,
                                                           const unsigned char *bp, const unsigned char *bq,
                                                           float *hi, float *lo, float *hi2, float *lo2) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(4);
    _tile_zero(5);
    for (long chunk = 0; chunk < chunks; chunk++) {
        LOAD_A_PIECES(ap + chunk * CHUNK_BYTES);
        BLOCK_PRODUCTS(0, 1, bp + chunk * CHUNK_BYTES);
        BLOCK_PRODUCTS(4, 5, bq + chunk * CHUNK_BYTES);
    }
    _tile_stored(0, hi, 64);
    _tile_stored(1, lo, 64);
    _tile_stored(4, hi2, 64);
    _tile_stored(5, lo2, 64);
}

/// c[r][0 ..< cols] = (first ? beta c : c) + alpha (hi + lo) for r < rows.
AMXFN __attribute__((noinline)) static void accumulate(const float *hi, const float *lo, long rows, long cols, float alpha, float beta,
                             int first, float *c, long ldc) {
    __mmask16 mask = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    __m512 alphaV = _mm512_set1_ps(alpha), betaV = _mm512_set1_ps(beta);
    for (long r = 0; r < rows; r++) {
        __m512 sum = _mm512_mul_ps(alphaV, _mm512_add_ps(_mm512_load_ps(hi + r * 16), _mm512_load_ps(lo + r * 16)));
        float *row = c + r * ldc;
        if (first && beta == 0) {
            _mm512_mask_storeu_ps(row, mask, sum);
        } else {
            __m512 old = _mm512_maskz_loadu_ps(mask, row);
            if (first && beta != 1) old = _mm512_mul_ps(betaV, old);
            _mm512_mask_storeu_ps(row, mask, _mm512_add_ps(old, sum));
        }
    }
}

// MARK: Driver

static _Thread_local void *bufferA, *bufferB;
static _Thread_local size_t capacityA, capacityB;

/// Packs the block of op(B) at K offset pc and column offset jc (kc x nb).
AMXFN INLINE void packBlockOfB(int transB, const float *b, long ldb, long jc, long pc, long kc, long nb, long nPanels,
                               long chunks, unsigned char *packed) {
    packB(transB, transB ? b + jc * ldb + pc : b + pc * ldb + jc, ldb, kc, nb, nPanels, chunks, packed);
}

// Block widths follow the K block so packed B stays near AMX_B_BYTES and packed A near
// AMX_A_BYTES (bytes per packed element: 6). They only decide which tiles are computed when,
// never an element's sequence of operations.
static long columnBlock(long k) {
    long kcMax = k < AMX_KC ? k : AMX_KC;
    long blockN = AMX_B_BYTES / (6 * kcMax) / (2 * TILE) * (2 * TILE);
    if (blockN < 2 * TILE) blockN = 2 * TILE;
    return blockN > AMX_NB ? AMX_NB : blockN;
}

/// The product, with op(B) packed block by block as it goes, or read from `packedB` (all of
/// op(B) packed beforehand by `fedvlm_amx_pack_b`, blocks in the order this loop visits them).
AMXFN static void amxProduct(int transA, int transB, long m, long n, long k, float alpha,
                             const float *a, long lda, const float *b, long ldb, const unsigned char *packedB,
                             float beta, float *c, long ldc) {
    if (isTrivialProduct(m, n, k, alpha, beta, c, ldc)) return;
    long kcMax = k < AMX_KC ? k : AMX_KC;
    long chunksMax = (kcMax + CHUNK - 1) / CHUNK;
    long blockN = columnBlock(k), blockM = AMX_A_BYTES / (6 * kcMax) / TILE * TILE;
    if (blockM < TILE) blockM = TILE;
    if (blockM > AMX_MB) blockM = AMX_MB;
    long nbMax = n < blockN ? n : blockN;
    unsigned char *pb = packedB ? NULL
        : reserveAligned(&bufferB, &capacityB, (size_t)((nbMax + TILE - 1) / TILE * chunksMax) * CHUNK_BYTES);
    const unsigned char *nextPackedBlock = packedB;
    // With several column blocks, all of op(A) is packed once, on the first column block, and
    // reused by the others: K block q, 16-row panel P start at (q * panelsA + P) * chunksMax
    // chunks. With one column block (n <= blockN: every product whose N is the model width),
    // each block of op(A) is used once, so all blocks share one buffer that stays in L2: keeping
    // them all would send every packed byte to memory and back (1.5x op(A)'s size; measured
    // 8-17 % of such a product, the output head's backward ones most).
    long panelsA = (m + TILE - 1) / TILE, blocksK = (k + AMX_KC - 1) / AMX_KC;
    int keepPackedA = n > blockN;
    long chunksOfA = keepPackedA ? blocksK * panelsA * chunksMax : (blockM / TILE) * chunksMax;
    unsigned char *pa = reserveAligned(&bufferA, &capacityA, (size_t)chunksOfA * CHUNK_BYTES);
    float hi[TILE * TILE] __attribute__((aligned(64))), lo[TILE * TILE] __attribute__((aligned(64)));
    float hi2[TILE * TILE] __attribute__((aligned(64))), lo2[TILE * TILE] __attribute__((aligned(64)));
    configureTiles();
    for (long jc = 0; jc < n; jc += blockN) {
        long nb = n - jc < blockN ? n - jc : blockN, nPanels = (nb + TILE - 1) / TILE;
        for (long pc = 0; pc < k; pc += AMX_KC) {
            long kc = k - pc < AMX_KC ? k - pc : AMX_KC, chunks = (kc + CHUNK - 1) / CHUNK;
            const unsigned char *bTiles;
            if (packedB) {
                bTiles = nextPackedBlock;
                nextPackedBlock += nPanels * chunks * CHUNK_BYTES;
            } else {
                packBlockOfB(transB, b, ldb, jc, pc, kc, nb, nPanels, chunks, pb);
                bTiles = pb;
            }
            for (long ic = 0; ic < m; ic += blockM) {
                long mb = m - ic < blockM ? m - ic : blockM, mPanels = (mb + TILE - 1) / TILE;
                unsigned char *packedA =
                    keepPackedA ? pa + ((pc / AMX_KC) * panelsA + ic / TILE) * chunksMax * CHUNK_BYTES : pa;
                if (jc == 0) {
                    const float *aBlock = transA ? a + pc * lda + ic : a + ic * lda + pc;
                    packA(transA, aBlock, lda, mb, kc, mPanels, chunks, packedA);
                }
                for (long jp = 0; jp < nPanels; jp += 2) {
                    long cols = nb - jp * TILE < TILE ? nb - jp * TILE : TILE;
                    long cols2 = nb - (jp + 1) * TILE < TILE ? nb - (jp + 1) * TILE : TILE;
                    const unsigned char *bp = bTiles + jp * chunks * CHUNK_BYTES;
                    for (long ip = 0; ip < mPanels; ip++) {
                        long rows = mb - ip * TILE < TILE ? mb - ip * TILE : TILE;
                        const unsigned char *ap = packedA + ip * chunks * CHUNK_BYTES;
                        float *cTile = c + (ic + ip * TILE) * ldc + jc + jp * TILE;
                        if (jp + 1 < nPanels) {
                            tilePairProducts(chunks, ap, bp, bp + chunks * CHUNK_BYTES, hi, lo, hi2, lo2);
                            accumulate(hi, lo, rows, cols, alpha, beta, pc == 0, cTile, ldc);
                            accumulate(hi2, lo2, rows, cols2, alpha, beta, pc == 0, cTile + TILE, ldc);
                        } else {
                            tileProducts(chunks, ap, bp, hi, lo);
                            accumulate(hi, lo, rows, cols, alpha, beta, pc == 0, cTile, ldc);
                        }
                    }
                }
            }
        }
    }
    _tile_release();
}

AMXFN void fedvlm_sgemm_amx(int transA, int transB, long m, long n, long k, float alpha,
                            const float *a, long lda, const float *b, long ldb,
                            float beta, float *c, long ldc) {
    amxProduct(transA, transB, m, n, k, alpha, a, lda, b, ldb, NULL, beta, c, ldc);
}

size_t fedvlm_amx_packed_b_bytes(long k, long n) {
    if (k <= 0 || n <= 0) return 0;
    long blockN = columnBlock(k), chunks = 0, panels = 0;
    for (long pc = 0; pc < k; pc += AMX_KC) chunks += ((k - pc < AMX_KC ? k - pc : AMX_KC) + CHUNK - 1) / CHUNK;
    for (long jc = 0; jc < n; jc += blockN) panels += ((n - jc < blockN ? n - jc : blockN) + TILE - 1) / TILE;
    return (size_t)(panels * chunks) * CHUNK_BYTES;
}

AMXFN void fedvlm_amx_pack_b(int transB, long k, long n, const float *b, long ldb, void *packed) {
    unsigned char *next = packed;
    long blockN = columnBlock(k);
    for (long jc = 0; jc < n; jc += blockN) {
        long nb = n - jc < blockN ? n - jc : blockN, nPanels = (nb + TILE - 1) / TILE;
        for (long pc = 0; pc < k; pc += AMX_KC) {
            long kc = k - pc < AMX_KC ? k - pc : AMX_KC, chunks = (kc + CHUNK - 1) / CHUNK;
            packBlockOfB(transB, b, ldb, jc, pc, kc, nb, nPanels, chunks, next);
            next += nPanels * chunks * CHUNK_BYTES;
        }
    }
}

AMXFN void fedvlm_sgemm_amx_packed(int transA, long m, long n, long k, float alpha, const float *a, long lda,
                                   const void *packedB, float beta, float *c, long ldc) {
    amxProduct(transA, 0, m, n, k, alpha, a, lda, NULL, 0, packedB, beta, c, ldc);
}

#else

int fedvlm_amx_available(void) { return 0; }

size_t fedvlm_amx_packed_b_bytes(long k, long n) { (void)k; (void)n; return 0; }

void fedvlm_amx_pack_b(int transB, long k, long n, const float *b, long ldb, void *packed) {
    (void)transB; (void)k; (void)n; (void)b; (void)ldb; (void)packed;
    abort();
}

void fedvlm_sgemm_amx_packed(int transA, long m, long n, long k, float alpha, const float *a, long lda,
                             const void *packedB, float beta, float *c, long ldc) {
    (void)transA; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda; (void)packedB; (void)beta;
    (void)c; (void)ldc;
    abort();
}

void fedvlm_sgemm_amx(int transA, int transB, long m, long n, long k, float alpha,
                      const float *a, long lda, const float *b, long ldb,
                      float beta, float *c, long ldc) {
    (void)transA; (void)transB; (void)m; (void)n; (void)k; (void)alpha;
    (void)a; (void)lda; (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    abort();
}

#endif
