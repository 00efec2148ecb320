// Vectorised transcendental functions for the element-wise kernels.
//
// The library is compiled for the baseline x86-64 target (no per-target compiler flags, see
// Docs/Architecture.md), where a call to libm's `expf` per element costs ~20 cycles and
// blocks vectorisation. `exp` below works on SIMD16 lanes with only add, multiply, convert
// and bit operations, so LLVM lowers it to plain vector instructions on any x86-64 (and on
// arm64). Accuracy: within 2 ulp of `Foundation.exp` over the whole Float range (checked in
// TensorsTests/VectorMathTests).

import CKernels

/// Element-wise math on SIMD vectors and on buffers.
public enum VectorMath {
    public typealias Vector = SIMD16<Float>

    /// Lanes per vector.
    @inlinable
    public static var width: Int { 16 }

    /// e^x per lane: Cody–Waite range reduction x = n ln 2 + r, |r| ≤ ln2/2, then a degree-6
    /// minimax polynomial for e^r (the coefficients of Cephes' `expf`), scaled by 2^n built in
    /// the exponent bits. exp(−∞) = 0, exp(+∞) = +∞, NaN stays NaN.
    @inlinable @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        let upper: Float = 88.3762626647949, lower: Float = -87.3365447504
        // Only add, multiply, compare-and-select and integer bit operations below: Swift's
        // generic `pointwiseMin`, `clamped` and float-to-int conversions fall back to scalar
        // loops on SIMD types, the selects do not.
        // Lanes below `lower` (masked scores are −∞) compute e^0 and are set to 0 at the end:
        // clamping them to `lower` instead would make p · 2^−126 subnormal, and every subnormal
        // product costs a microcode assist of about a hundred cycles.
        var clamped = x.replacing(with: 0, where: x .< lower)
        clamped.replace(with: upper, where: clamped .> upper)
        var result = expOfClamped(clamped)
        result.replace(with: 0, where: x .< lower)
        result.replace(with: .infinity, where: x .> upper)
        result.replace(with: x, where: x .!= x)       // NaN in, NaN out
        return result
    }

    /// e^x for lanes already inside [−87.3, 88.4] (callers clamp and select their own special
    /// cases): Cody–Waite reduction x = n ln 2 + r, the degree-6 polynomial for e^r, 2^n built in
    /// the exponent bits. Shared by `exp` and by kernels that know their inputs' range.
    @inlinable @inline(__always)
    public static func expOfClamped(_ clamped: Vector) -> Vector {
        // Round x·log2(e) to the nearest integer n by adding 1.5·2²³: the sum's low mantissa
        // bits then hold n in two's complement (no SSE4.1 `roundps` or cvt needed).
        let shifter: Float = 12_582_912
        let shifted = clamped * 1.44269504088896341 + shifter
        let n = shifted - shifter
        var r = clamped - n * 0.693359375            // ln 2, high part (exact in 9 bits)
        r = r - n * -2.12194440e-4                    // ln 2, low part
        var p = Vector(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // 2^n: n + 127 in the exponent field; n ∈ [−126, 127] after clamping, so the biased
        // exponent stays in 1...254. Bits of `shifted` are 0x4B400000 + n.
        let shiftedBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self)
        let exponent = (shiftedBits &+ (127 - 0x4B40_0000)) &<< 23
        return p * unsafeBitCast(exponent, to: Vector.self)
    }

    /// 1 / (1 + e^−x) per lane.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    /// Φ(x) = P(N(0, 1) ≤ x) = erfc(−x/√2) / 2 per lane. erfc(z) for z ≥ 0 is the Chebyshev
    /// fit t·exp(−z² + P(t)), t = 1/(1 + z/2), of Press et al., *Numerical Recipes*, §6.2
    /// (relative error below 1.2e−7 in exact arithmetic); Φ(x) = 1 − erfc(|x|/√2)/2 for x ≥ 0.
    /// Working from erfc keeps the relative accuracy of the lower tail, where 1 + erf(x/√2)
    /// would cancel. Within 1e−6 of the float64 value everywhere (VectorMathTests).
    @inlinable @inline(__always)
    public static func normalCDF(_ x: Vector) -> Vector {
        let z = x.replacing(with: -x, where: x .< 0) * 0.70710678118654752
        let t = 1 / (1 + 0.5 * z)
        var p = Vector(repeating: 0.17087277)
        p = p * t - 0.82215223
        p = p * t + 1.48851587
        p = p * t - 1.13520398
        p = p * t + 0.27886807
        p = p * t - 0.18628806
        p = p * t + 0.09678418
        p = p * t + 0.37409196
        p = p * t + 1.00002368
        p = p * t - 1.26551223
        let halfTail = 0.5 * t * exp(p - z * z)          // erfc(|x|/√2) / 2
        return halfTail.replacing(with: 1 - halfTail, where: x .>= 0)
    }

    /// Calls `body(start, lanes)` for consecutive blocks of `range`, 16 elements at a time and
    /// a shorter last block.
    @inlinable
    public static func forEachVector(in range: Range<Int>, _ body: (Int, Int) -> Void) {
        var i = range.lowerBound
        while i + VectorMath.width <= range.upperBound {
            body(i, VectorMath.width)
            i += VectorMath.width
        }
        if i < range.upperBound { body(i, range.upperBound - i) }
    }

    /// Loads `count` ≤ 16 elements from `pointer`, filling the other lanes with `padding`.
    /// Always inlined: the full load is one vector move, and a call per vector (the optimiser
    /// sometimes declined to inline the whole function because of the partial-load loop) cost
    /// more than the arithmetic in the element-wise loops.
    @inlinable @inline(__always)
    public static func load(_ pointer: UnsafePointer<Float>, count: Int, padding: Float = 0) -> Vector {
        if count == width { return UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self) }
        return loadPartial(pointer, count: count, padding: padding)
    }

    @inlinable @inline(never)
    static func loadPartial(_ pointer: UnsafePointer<Float>, count: Int, padding: Float) -> Vector {
        var v = Vector(repeating: padding)
        for i in 0..<count { v[i] = pointer[i] }
        return v
    }

    /// Stores the first `count` ≤ 16 lanes of `v` to `pointer` (always inlined, as `load`).
    @inlinable @inline(__always)
    public static func store(_ v: Vector, to pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count == width { UnsafeMutableRawPointer(pointer).storeBytes(of: v, as: Vector.self); return }
        storePartial(v, to: pointer, count: count)
    }

    @inlinable @inline(never)
    static func storePartial(_ v: Vector, to pointer: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { pointer[i] = v[i] }
    }

    /// dst[i] = f(src[i]) for i < count, sixteen lanes at a time (src and dst may be the same buffer).
    @inlinable
    public static func apply(_ count: Int, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                             _ f: (Vector) -> Vector) {
        forEachVector(in: 0..<count) { i, lanes in store(f(load(source + i, count: lanes)), to: destination + i, count: lanes) }
    }

    /// e^x over a buffer.
    @inlinable
    public static func exp(_ count: Int, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>) {
        apply(count, source, destination, exp)
    }
}

// MARK: - Row reductions for the softmax-style kernels

extension VectorMath {
    /// The largest of `count` elements (−∞ for an empty row). NaN elements are skipped.
    /// `native` runs the AVX-512 twin, `fedvlm_row_maximum` (same result).
    @inlinable
    public static func maximum(_ row: UnsafePointer<Float>, count: Int, native: Bool = VectorKernels.native) -> Float {
        if native { return fedvlm_row_maximum(row, count) }
        var peak = Vector(repeating: -.infinity)
        var i = 0
        while i + width <= count {
            let v = load(row + i, count: width)
            peak.replace(with: v, where: peak .< v)
            i += width
        }
        var result = -Float.infinity
        for lane in 0..<width where result < peak[lane] { result = peak[lane] }
        while i < count { if result < row[i] { result = row[i] }; i += 1 }
        return result
    }

    /// out[j] = e^(row[j] − shift) for j < count; returns Σ_j out[j] (out may alias row).
    /// `native` runs the AVX-512 twin, `fedvlm_exp_shifted` (same bits).
    @inlinable
    public static func expShifted(_ row: UnsafePointer<Float>, shift: Float, into out: UnsafeMutablePointer<Float>,
                                  count: Int, native: Bool = VectorKernels.native) -> Float {
        if native { return nativeExpShifted(row, shift: shift, into: out, count: count) }
        var total = Vector(repeating: 0)
        var i = 0
        while i + width <= count {
            let e = exp(load(row + i, count: width) - shift)
            store(e, to: out + i, count: width)
            total += e
            i += width
        }
        if i < count {
            // Padding lanes hold −∞ so they contribute e^−∞ = 0 to the total.
            let e = exp(load(row + i, count: count - i, padding: -.infinity) - shift)
            store(e, to: out + i, count: count - i)
            total += e
        }
        return total.sum()
    }

    /// Σ_j e^(row[j] − shift), without storing the exponentials. `native` as in `expShifted`.
    @inlinable
    public static func sumExpShifted(_ row: UnsafePointer<Float>, shift: Float, count: Int,
                                     native: Bool = VectorKernels.native) -> Float {
        if native { return nativeExpShifted(row, shift: shift, into: nil, count: count) }
        var total = Vector(repeating: 0)
        var i = 0
        while i + width <= count {
            total += exp(load(row + i, count: width) - shift)
            i += width
        }
        if i < count {
            // Padding lanes hold −∞ so they contribute e^−∞ = 0.
            total += exp(load(row + i, count: count - i, padding: -.infinity) - shift)
        }
        return total.sum()
    }

    /// The AVX-512 exponentials: the C kernel leaves the sixteen lane sums, which `sum()` adds
    /// exactly as the Swift loops add their `total`.
    @usableFromInline
    static func nativeExpShifted(_ row: UnsafePointer<Float>, shift: Float, into out: UnsafeMutablePointer<Float>?,
                                 count: Int) -> Float {
        var laneSums = Vector(repeating: 0)
        withUnsafeMutableBytes(of: &laneSums) { bytes in
            fedvlm_exp_shifted(row, shift, out, count, bytes.baseAddress!.assumingMemoryBound(to: Float.self))
        }
        return laneSums.sum()
    }

    /// Σ_j row[j], summed in sixteen running lanes.
    @inlinable
    public static func sum(_ row: UnsafePointer<Float>, count: Int) -> Float {
        var total = Vector()
        forEachVector(in: 0..<count) { j, lanes in total += load(row + j, count: lanes) }
        return total.sum()
    }

    /// Σ_j a[j] b[j], summed in sixteen running lanes.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var total = Vector()
        forEachVector(in: 0..<count) { j, lanes in total += load(a + j, count: lanes) * load(b + j, count: lanes) }
        return total.sum()
    }

    /// 0, 1, ..., 15: compare with a lane count to mask the padding lanes of a partial vector.
    @inlinable
    public static var laneIndices: SIMD16<Int32> { SIMD16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) }

    /// row[j] *= factor for j < count.
    @inlinable
    public static func scale(_ row: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        forEachVector(in: 0..<count) { i, lanes in store(load(row + i, count: lanes) * factor, to: row + i, count: lanes) }
    }
}
