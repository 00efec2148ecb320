// The AVX-512 element-wise kernels (CKernels/vector_kernels.c) against their Swift twins, bit for
// bit: SwiGLU, AdamW, shifted exponentials, rotary embedding, norm backward, the attention row
// exponentials and row maxima, on inputs with tails (lengths off the 16-lane grid), special
// values (±0, ±∞, NaN, values past exp's range) and permuted views.
import CKernels
import Foundation
import Testing
@testable import Tensors

@Suite("AVX-512 element-wise kernels give the Swift kernels' bits")
struct VectorKernelsTests {
    static let available = fedvlm_vector_kernels_available() != 0

    /// Uniform draws over many magnitudes (2^-10 ... 2^10), with ±0, ±∞, NaN and ±100 (beyond
    /// e^x's range once negated or shifted) sprinkled in when `special`.
    static func mixedScalars(_ count: Int, seed: UInt64, special: Bool = true) -> [Float] {
        var generator = RandomGenerator(seed: seed)
        let uniform = Tensor.randomUniform([Swift.max(count, 1) * 2], low: -1, high: 1, using: &generator).scalars
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 100, -100, 88.5, -87.5]
        return (0..<count).map { i in
            if special && i % 23 == 7 { return specials[(i / 23) % specials.count] }
            let exponent = Int((uniform[2 * i + 1] + 1) * 10) - 10
            return uniform[2 * i] * Float(sign: .plus, exponent: exponent, significand: 1)
        }
    }

    /// nil when `a` and `b` hold equal bit patterns (NaN on both sides counts as equal: payloads
    /// may differ between instruction sets), else where and how they first differ.
    static func firstDifference(_ a: [Float], _ b: [Float]) -> String? {
        guard a.count == b.count else { return "\(a.count) vs \(b.count) elements" }
        for (i, (x, y)) in zip(a, b).enumerated() where x.bitPattern != y.bitPattern && !(x.isNaN && y.isNaN) {
            let count = zip(a, b).filter { $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN) }.count
            return "element \(i): \(x) vs \(y) (\(count) of \(a.count) differ)"
        }
        return nil
    }

    static func expectSameBits(_ a: [Float], _ b: [Float], _ context: String = "",
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let difference = firstDifference(a, b)
        #expect(difference == nil, "\(context) \(difference ?? "")", sourceLocation: sourceLocation)
    }

    static func expectSameBits(_ a: Float, _ b: Float, _ context: String = "",
                               sourceLocation: SourceLocation = #_sourceLocation) {
        expectSameBits([a], [b], context, sourceLocation: sourceLocation)
    }

    static let lengths = [1, 15, 16, 17, 100, 1000]

    @Test func nativeFollowsTheCPU() {
        if !Self.available { #expect(!VectorKernels.native) }
    }

    @Test(.enabled(if: available), arguments: lengths)
    func swiGLUForwardAndBackward(length: Int) {
        let shape = [3, length]
        let gate = Tensor(shape: shape, scalars: Self.mixedScalars(3 * length, seed: 1))
        let up = Tensor(shape: shape, scalars: Self.mixedScalars(3 * length, seed: 2))
        let dh = Tensor(shape: shape, scalars: Self.mixedScalars(3 * length, seed: 3, special: false))
        Self.expectSameBits(Tensor.swiGLU(gate: gate, up: up, native: true).scalars,
                              Tensor.swiGLU(gate: gate, up: up, native: false).scalars)
        let native = Tensor.swiGLUBackward(gate: gate, up: up, outputGradient: dh, native: true)
        let swift = Tensor.swiGLUBackward(gate: gate, up: up, outputGradient: dh, native: false)
        Self.expectSameBits(native.gate.scalars, swift.gate.scalars)
        Self.expectSameBits(native.up.scalars, swift.up.scalars)
    }

    @Test(.enabled(if: available), arguments: lengths)
    func adamWUpdate(length: Int) {
        let gradient = Self.mixedScalars(length, seed: 4, special: false)
        let start = (weights: Self.mixedScalars(length, seed: 5, special: false),
                     first: Self.mixedScalars(length, seed: 6, special: false).map { $0 * 0.1 },
                     second: Self.mixedScalars(length, seed: 7, special: false).map { $0 * $0 })
        func run(native: Bool) -> [Float] {
            var (w, m, v) = start
            w.withUnsafeMutableBufferPointer { pw in
                m.withUnsafeMutableBufferPointer { pm in
                    v.withUnsafeMutableBufferPointer { pv in
                        gradient.withUnsafeBufferPointer { pg in
                            for _ in 0..<3 {
                                VectorKernels.adamW(weights: pw.baseAddress!, firstMoment: pm.baseAddress!,
                                                    secondMoment: pv.baseAddress!, gradient: pg.baseAddress!, count: length,
                                                    beta1: 0.9, beta2: 0.999, decay: 1 - 1e-3 * 0.01, stepSize: 1e-3 / 0.1,
                                                    inverseSqrtCorrection2: 1 / Float(0.001).squareRoot(), epsilon: 1e-8,
                                                    native: native)
                            }
                        }
                    }
                }
            }
            return w + m + v
        }
        Self.expectSameBits(run(native: true), run(native: false))
    }

    @Test(.enabled(if: available), arguments: [0] + lengths + [4099])
    func shiftedExponentials(length: Int) {
        let row = Self.mixedScalars(length, seed: 8).map { $0 * 4 }
        for shift: Float in [0, 3.5, row.filter { !$0.isNaN }.max() ?? 0] {
            var outNative = [Float](repeating: -1, count: length), outSwift = outNative
            let sumNative = VectorMath.expShifted(row, shift: shift, into: &outNative, count: length, native: true)
            let sumSwift = VectorMath.expShifted(row, shift: shift, into: &outSwift, count: length, native: false)
            Self.expectSameBits(outNative, outSwift, "shift \(shift)")
            Self.expectSameBits(sumNative, sumSwift, "shift \(shift)")
            Self.expectSameBits(VectorMath.sumExpShifted(row, shift: shift, count: length, native: true),
                                  VectorMath.sumExpShifted(row, shift: shift, count: length, native: false))
        }
    }

    @Test(.enabled(if: available), arguments: [2, 8, 64, 70])
    func rotaryEmbeddingReadsPermutedViewsInPlace(depth: Int) {
        // [B, T, H, D] storage seen as [B, H, T, D], as attention's heads are.
        let (batch, length, heads) = (2, 5, 3)
        let storage = Tensor(shape: [batch, length, heads, depth],
                             scalars: Self.mixedScalars(batch * length * heads * depth, seed: 9, special: false))
        let heads4 = storage.transposed(1, 2)
        let tables = RotaryTables(length: length, depth: depth, offset: 3, base: 10_000)
        for inverse in [false, true] {
            let native = heads4.rotated(by: tables, inverse: inverse, native: true)
            let swift = heads4.rotated(by: tables, inverse: inverse, native: false)
            Self.expectSameBits(native.scalars, swift.scalars, "depth \(depth) inverse \(inverse)")
            Self.expectSameBits(heads4.contiguous().rotated(by: tables, inverse: inverse, native: true).scalars,
                                  swift.scalars)
        }
    }

    @Test(.enabled(if: available), arguments: [1, 17, 64, 100])
    func normBackward(length: Int) {
        let rows = 5
        let x = Tensor(shape: [rows, length], scalars: Self.mixedScalars(rows * length, seed: 10, special: false))
        let dy = Tensor(shape: [rows, length], scalars: Self.mixedScalars(rows * length, seed: 11, special: false))
        let gamma = Tensor(shape: [length], scalars: Self.mixedScalars(length, seed: 12, special: false))
        let layer = Tensor.layerNorm(x, weight: gamma, bias: nil, epsilon: 1e-5)
        let rms = Tensor.rmsNorm(x, weight: nil, epsilon: 1e-6)
        let cases: [(Tensor?, Tensor?, Tensor, Bool)] = [(gamma, layer.mean, layer.inverseStd, true),
                                                          (nil, layer.mean, layer.inverseStd, true),
                                                          (gamma, nil, rms.inverseRMS, false),
                                                          (nil, nil, rms.inverseRMS, false)]
        for (weight, mean, inverseStd, centered) in cases {
            let native = Tensor.normBackward(x, weight: weight, mean: mean, inverseStd: inverseStd, outputGradient: dy,
                                             centered: centered, native: true)
            let swift = Tensor.normBackward(x, weight: weight, mean: mean, inverseStd: inverseStd, outputGradient: dy,
                                            centered: centered, native: false)
            Self.expectSameBits(native.input.scalars, swift.input.scalars, "centered \(centered) γ \(weight != nil)")
            Self.expectSameBits(native.weight?.scalars ?? [], swift.weight?.scalars ?? [])
            Self.expectSameBits(native.bias?.scalars ?? [], swift.bias?.scalars ?? [])
        }
    }

    @Test(.enabled(if: available), arguments: [1, 16, 37, 128])
    func attentionRowExponentials(count: Int) {
        let end = (count + 15) / 16 * 16 + 16
        var row = Self.mixedScalars(end, seed: 13).map { $0.isNaN ? -3 : $0 }
        let shift = row.prefix(count).max()!
        var copy = row
        let sumNative = row.withUnsafeMutableBufferPointer {
            RowKernels.exponentiate($0.baseAddress!, count: count, zeroingTo: end, shift: shift, native: true)
        }
        let sumSwift = copy.withUnsafeMutableBufferPointer {
            RowKernels.exponentiate($0.baseAddress!, count: count, zeroingTo: end, shift: shift, native: false)
        }
        Self.expectSameBits(row, copy)
        Self.expectSameBits(sumNative, sumSwift)
    }

    @Test(.enabled(if: available), arguments: [0] + lengths)
    func rowMaxima(length: Int) {
        var row = Self.mixedScalars(length, seed: 14)
        if length > 3 { row[1] = -0.0; row[2] = 0 }
        Self.expectSameBits(VectorMath.maximum(row, count: length, native: true),
                              VectorMath.maximum(row, count: length, native: false))
        let negativeZeros = [Float](repeating: -0.0, count: length)
        Self.expectSameBits(VectorMath.maximum(negativeZeros, count: length, native: true),
                              VectorMath.maximum(negativeZeros, count: length, native: false))
    }
}
