// AVX-512 versions of the library's hottest element-wise kernels (SwiGLU forward and backward,
// the AdamW update, e^(x - shift) for softmax and cross-entropy, rotary position embedding, the
// backward pass of layer and RMS norm, the attention kernel's row exponentials, row maxima).
//
// Why: the Swift targets are compiled for baseline x86-64 (no per-target flags, see
// Docs/Architecture.md), so their SIMD16 code runs as four SSE registers per vector and spills;
// a target attribute on a C function is the one way a package can use AVX-512 without flags.
// Each kernel here performs the same IEEE operations in the same order as its Swift twin
// (multiplies and adds stay separate: no FMA contraction), so both give the same bits and the
// choice between them never changes a result (TensorsTests/VectorKernelsTests checks this).

#include "CKernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)

#include <immintrin.h>

#define VECFN __attribute__((target("avx512f,avx512dq")))
#define INLINE static inline __attribute__((always_inline))

// The kernels need AVX-512F and AVX-512DQ; the SGEMM's check (those plus BW, VL and FMA, which
// every such CPU has) answers for both.
int fedvlm_vector_kernels_available(void) { return fedvlm_sgemm_available(); }

/// Lanes [0, count) of x (count <= 16); the others hold `padding`.
VECFN INLINE __m512 loadLanes(const float *x, long count, float padding) {
    if (count >= 16) return _mm512_loadu_ps(x);
    __mmask16 mask = (__mmask16)((1u << count) - 1);
    return _mm512_mask_loadu_ps(_mm512_set1_ps(padding), mask, x);
}

VECFN INLINE void storeLanes(float *x, long count, __m512 value) {
    if (count >= 16) { _mm512_storeu_ps(x, value); return; }
    _mm512_mask_storeu_ps(x, (__mmask16)((1u << count) - 1), value);
}

VECFN INLINE __m512 mul(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }
VECFN INLINE __m512 add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
VECFN INLINE __m512 sub(__m512 a, __m512 b) { return _mm512_sub_ps(a, b); }
VECFN INLINE __m512 splat(float x) { return _mm512_set1_ps(x); }

/// VectorMath.expOfClamped: e^x for lanes inside [-87.3, 88.4] by Cody-Waite reduction
/// x = n ln 2 + r, Cephes' degree-6 polynomial for e^r and 2^n built in the exponent bits.
VECFN INLINE __m512 expOfClamped16(__m512 clamped) {
    const float shifter = 12582912.0f;
    __m512 shifted = add(mul(clamped, splat(1.44269504088896341f)), splat(shifter));
    __m512 n = sub(shifted, splat(shifter));
    __m512 r = sub(clamped, mul(n, splat(0.693359375f)));
    r = sub(r, mul(n, splat(-2.12194440e-4f)));
    __m512 p = splat(1.9875691500e-4f);
    p = add(mul(p, r), splat(1.3981999507e-3f));
    p = add(mul(p, r), splat(8.3334519073e-3f));
    p = add(mul(p, r), splat(4.1665795894e-2f));
    p = add(mul(p, r), splat(1.6666665459e-1f));
    p = add(mul(p, r), splat(5.0000001201e-1f));
    p = add(add(mul(p, mul(r, r)), r), splat(1.0f));
    __m512i exponent = _mm512_slli_epi32(_mm512_add_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(127 - 0x4B400000)), 23);
    return mul(p, _mm512_castsi512_ps(exponent));
}

/// VectorMath.exp: `expOfClamped16` with the same clamps and special cases (below -87.34 -> 0,
/// above 88.38 -> inf, NaN -> NaN).
VECFN INLINE __m512 exp16(__m512 x) {
    const float upper = 88.3762626647949f, lower = -87.3365447504f;
    __mmask16 below = _mm512_cmp_ps_mask(x, splat(lower), _CMP_LT_OQ);
    __mmask16 above = _mm512_cmp_ps_mask(x, splat(upper), _CMP_GT_OQ);
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_NEQ_UQ);
    __m512 clamped = _mm512_mask_mov_ps(x, below, _mm512_setzero_ps());
    clamped = _mm512_mask_mov_ps(clamped, _mm512_cmp_ps_mask(clamped, splat(upper), _CMP_GT_OQ), splat(upper));
    __m512 result = expOfClamped16(clamped);
    result = _mm512_mask_mov_ps(result, below, _mm512_setzero_ps());
    result = _mm512_mask_mov_ps(result, above, splat(__builtin_inff()));
    return _mm512_mask_mov_ps(result, nan, x);
}

/// VectorMath.sigmoid: 1 / (1 + e^-x), the negation a sign flip as in Swift.
VECFN INLINE __m512 sigmoid16(__m512 x) {
    __m512 negated = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
    return _mm512_div_ps(splat(1.0f), add(splat(1.0f), exp16(negated)));
}

VECFN void fedvlm_swiglu(const float *gate, const float *up, float *out, long count) {
    for (long i = 0; i < count; i += 16) {
        long lanes = count - i;
        __m512 x = loadLanes(gate + i, lanes, 0);
        __m512 silu = mul(x, sigmoid16(x));
        storeLanes(out + i, lanes, mul(silu, loadLanes(up + i, lanes, 0)));
    }
}

VECFN void fedvlm_swiglu_backward(const float *gate, const float *up, const float *outputGradient,
                                  float *gateGradient, float *upGradient, long count) {
    for (long i = 0; i < count; i += 16) {
        long lanes = count - i;
        __m512 x = loadLanes(gate + i, lanes, 0);
        __m512 incoming = loadLanes(outputGradient + i, lanes, 0);
        __m512 sigma = sigmoid16(x);
        __m512 silu = mul(x, sigma);
        __m512 siluDerivative = mul(sigma, add(splat(1.0f), mul(x, sub(splat(1.0f), sigma))));
        __m512 gradientOfSilu = mul(incoming, loadLanes(up + i, lanes, 0));
        storeLanes(gateGradient + i, lanes, mul(gradientOfSilu, siluDerivative));
        storeLanes(upGradient + i, lanes, mul(incoming, silu));
    }
}

VECFN void fedvlm_adamw(float *weights, float *firstMoment, float *secondMoment, const float *gradient, long count,
                        float beta1, float beta2, float decay, float stepSize, float inverseSqrtCorrection2,
                        float epsilon) {
    const __m512 b1 = splat(beta1), b2 = splat(beta2), oneMinusB1 = splat(1.0f - beta1), oneMinusB2 = splat(1.0f - beta2);
    for (long i = 0; i < count; i += 16) {
        long lanes = count - i;
        __m512 g = loadLanes(gradient + i, lanes, 0);
        __m512 m = add(mul(b1, loadLanes(firstMoment + i, lanes, 0)), mul(oneMinusB1, g));
        __m512 v = add(mul(b2, loadLanes(secondMoment + i, lanes, 0)), mul(mul(oneMinusB2, g), g));
        __m512 denominator = add(mul(_mm512_sqrt_ps(v), splat(inverseSqrtCorrection2)), splat(epsilon));
        __m512 w = sub(mul(loadLanes(weights + i, lanes, 0), splat(decay)),
                       _mm512_div_ps(mul(splat(stepSize), m), denominator));
        storeLanes(firstMoment + i, lanes, m);
        storeLanes(secondMoment + i, lanes, v);
        storeLanes(weights + i, lanes, w);
    }
}

VECFN void fedvlm_exp_shifted(const float *row, float shift, float *out, long count, float *laneSums) {
    __m512 total = _mm512_setzero_ps();
    for (long i = 0; i < count; i += 16) {
        long lanes = count - i;
        // Padding lanes hold -inf: e^-inf = 0 adds nothing to the sums.
        __m512 e = exp16(sub(loadLanes(row + i, lanes, -__builtin_inff()), splat(shift)));
        if (out) storeLanes(out + i, lanes, e);
        total = add(total, e);
    }
    _mm512_storeu_ps(laneSums, total);
}

VECFN void fedvlm_rotary(const float *x, long outerStride, long innerStride, long rowStride, long inner, long length,
                         float *y, const float *cosines, const float *sines, long half, float direction,
                         long firstRow, long rowCount) {
    const __m512 sign = splat(direction);
    for (long r = firstRow; r < firstRow + rowCount; r++) {
        long t = r % length, plane = r / length;
        const float *xr = x + (plane / inner) * outerStride + (plane % inner) * innerStride + t * rowStride;
        float *yr = y + r * 2 * half;
        const float *cr = cosines + t * half, *sr = sines + t * half;
        for (long j = 0; j < half; j += 16) {
            long lanes = half - j;
            __m512 first = loadLanes(xr + j, lanes, 0), second = loadLanes(xr + half + j, lanes, 0);
            __m512 cosine = loadLanes(cr + j, lanes, 0), sine = mul(sign, loadLanes(sr + j, lanes, 0));
            storeLanes(yr + j, lanes, sub(mul(first, cosine), mul(second, sine)));
            storeLanes(yr + half + j, lanes, add(mul(second, cosine), mul(first, sine)));
        }
    }
}

/// SIMD16.sum() in Swift: the lanes added in order, starting from -0.
VECFN INLINE float laneSum(__m512 v) {
    float lanes[16], total = -0.0f;
    _mm512_storeu_ps(lanes, v);
    for (int i = 0; i < 16; i++) total += lanes[i];
    return total;
}

VECFN void fedvlm_norm_backward(const float *x, const float *outputGradient, float *inputGradient, const float *gamma,
                                const float *mean, const float *inverseStd, long firstRow, long rowCount, long length,
                                int centered, float *weightGradient, float *biasGradient) {
    for (long r = firstRow; r < firstRow + rowCount; r++) {
        const float *xr = x + r * length, *gr = outputGradient + r * length;
        float *dr = inputGradient + r * length;
        const __m512 m = splat(mean ? mean[r] : 0), s = splat(inverseStd[r]);
        __m512 sumG = _mm512_setzero_ps(), sumGX = _mm512_setzero_ps();
        for (long j = 0; j < length; j += 16) {
            long lanes = length - j;
            __m512 xhat = mul(sub(loadLanes(xr + j, lanes, 0), m), s);
            __m512 dy = loadLanes(gr + j, lanes, 0);
            __m512 g = gamma ? mul(dy, loadLanes(gamma + j, lanes, 0)) : dy;
            sumG = add(sumG, g);
            sumGX = add(sumGX, mul(g, xhat));
            storeLanes(weightGradient + j, lanes, add(loadLanes(weightGradient + j, lanes, 0), mul(dy, xhat)));
            if (centered) storeLanes(biasGradient + j, lanes, add(loadLanes(biasGradient + j, lanes, 0), dy));
        }
        const __m512 meanG = splat(centered ? laneSum(sumG) / (float)length : 0);
        const __m512 meanGX = splat(laneSum(sumGX) / (float)length);
        for (long j = 0; j < length; j += 16) {
            long lanes = length - j;
            __m512 xhat = mul(sub(loadLanes(xr + j, lanes, 0), m), s);
            __m512 dy = loadLanes(gr + j, lanes, 0);
            __m512 g = gamma ? mul(dy, loadLanes(gamma + j, lanes, 0)) : dy;
            storeLanes(dr + j, lanes, mul(s, sub(sub(g, meanG), mul(xhat, meanGX))));
        }
    }
}

/// e^x for x <= 0 as the attention kernel computes it (RowKernels.expNonPositive): inputs
/// below -86.6 give 0, the rest go through `expOfClamped16`.
VECFN INLINE __m512 expNonPositive16(__m512 x) {
    const float lower = -86.6f;
    __mmask16 underflow = _mm512_cmp_ps_mask(x, splat(lower), _CMP_LT_OQ);
    __m512 result = expOfClamped16(_mm512_mask_mov_ps(x, underflow, splat(lower)));
    return _mm512_mask_mov_ps(result, underflow, _mm512_setzero_ps());
}

VECFN float fedvlm_attention_exponentiate(float *row, long count, long end, float shift) {
    const __m512 offset = splat(shift);
    __m512 total = _mm512_setzero_ps();
    long c = 0;
    for (; c + 16 <= count; c += 16) {
        __m512 e = expNonPositive16(sub(_mm512_loadu_ps(row + c), offset));
        _mm512_storeu_ps(row + c, e);
        total = add(total, e);
    }
    if (c < count) {
        // The row is padded to whole vectors: lanes past `count` read as -inf and store 0.
        __mmask16 outside = (__mmask16)~((1u << (count - c)) - 1);
        __m512 x = _mm512_mask_mov_ps(sub(_mm512_loadu_ps(row + c), offset), outside, splat(-__builtin_inff()));
        __m512 e = expNonPositive16(x);
        _mm512_storeu_ps(row + c, e);
        total = add(total, e);
        c += 16;
    }
    for (; c < end; c += 16) _mm512_storeu_ps(row + c, _mm512_setzero_ps());
    __m256 half = _mm256_add_ps(_mm512_castps512_ps256(total), _mm512_extractf32x8_ps(total, 1));
    __m128 quarter = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
    float q[4];
    _mm_storeu_ps(q, quarter);
    return (q[0] + q[1]) + (q[2] + q[3]);
}

VECFN float fedvlm_row_maximum(const float *row, long count) {
    __m512 peak = splat(-__builtin_inff());
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_loadu_ps(row + i);
        peak = _mm512_mask_mov_ps(peak, _mm512_cmp_ps_mask(peak, v, _CMP_LT_OQ), v);
    }
    float lanes[16], result = -__builtin_inff();
    _mm512_storeu_ps(lanes, peak);
    for (int lane = 0; lane < 16; lane++) if (result < lanes[lane]) result = lanes[lane];
    for (; i < count; i++) if (result < row[i]) result = row[i];
    return result;
}

#else  // not x86-64: callers use the Swift kernels.

#include <stdlib.h>

int fedvlm_vector_kernels_available(void) { return 0; }

void fedvlm_swiglu(const float *gate, const float *up, float *out, long count) {
    (void)gate; (void)up; (void)out; (void)count;
    abort();
}

void fedvlm_swiglu_backward(const float *gate, const float *up, const float *outputGradient,
                            float *gateGradient, float *upGradient, long count) {
    (void)gate; (void)up; (void)outputGradient; (void)gateGradient; (void)upGradient; (void)count;
    abort();
}

void fedvlm_adamw(float *weights, float *firstMoment, float *secondMoment, const float *gradient, long count,
                  float beta1, float beta2, float decay, float stepSize, float inverseSqrtCorrection2, float epsilon) {
    (void)weights; (void)firstMoment; (void)secondMoment; (void)gradient; (void)count; (void)beta1; (void)beta2;
    (void)decay; (void)stepSize; (void)inverseSqrtCorrection2; (void)epsilon;
    abort();
}

void fedvlm_exp_shifted(const float *row, float shift, float *out, long count, float *laneSums) {
    (void)row; (void)shift; (void)out; (void)count; (void)laneSums;
    abort();
}

void fedvlm_rotary(const float *x, long outerStride, long innerStride, long rowStride, long inner, long length,
                   float *y, const float *cosines, const float *sines, long half, float direction,
                   long firstRow, long rowCount) {
    (void)x; (void)outerStride; (void)innerStride; (void)rowStride; (void)inner; (void)length; (void)y;
    (void)cosines; (void)sines; (void)half; (void)direction; (void)firstRow; (void)rowCount;
    abort();
}

void fedvlm_norm_backward(const float *x, const float *outputGradient, float *inputGradient, const float *gamma,
                          const float *mean, const float *inverseStd, long firstRow, long rowCount, long length,
                          int centered, float *weightGradient, float *biasGradient) {
    (void)x; (void)outputGradient; (void)inputGradient; (void)gamma; (void)mean; (void)inverseStd; (void)firstRow;
    (void)rowCount; (void)length; (void)centered; (void)weightGradient; (void)biasGradient;
    abort();
}

float fedvlm_attention_exponentiate(float *row, long count, long end, float shift) {
    (void)row; (void)count; (void)end; (void)shift;
    abort();
}

float fedvlm_row_maximum(const float *row, long count) {
    (void)row; (void)count;
    abort();
}

#endif
