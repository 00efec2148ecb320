// Rotary position embedding (Su et al., 2021) in Llama's "rotate half" layout, as one pass over
// the tensor instead of the split / negate / concatenate / multiply / add chain.
// Shapes: x [B, H, T, D] with D even; half = D / 2; tables [T, half].
//   y[i]        = x[i] cos θ(t,i) − x[i+half] sin θ(t,i)
//   y[i + half] = x[i + half] cos θ(t,i) + x[i] sin θ(t,i),   θ(t,i) = (offset + t) · base^(−2i/D)
// The backward pass is the same rotation by −θ (a rotation's adjoint is its inverse).

import CKernels
import Foundation

/// cos and sin of the rotary angles for positions `offset ..< offset + length`.
public struct RotaryTables: Sendable {
    public let length: Int
    public let half: Int
    /// [length, half] row-major.
    public let cos: [Float]
    public let sin: [Float]

    public init(length: Int, depth: Int, offset: Int, base: Float) {
        precondition(depth % 2 == 0 && depth > 0, "RotaryTables: depth \(depth) must be even and positive")
        precondition(offset >= 0 && length >= 0, "RotaryTables: offset \(offset) and length \(length) must not be negative")
        self.length = length
        half = depth / 2
        // Every layer and step asks for the same rows; they are computed once per (depth, base)
        // and sliced here (a copy of length · half values instead of as many cos/sin calls).
        let full = RotaryTableCache.shared.tables(depth: depth, base: base, positions: offset + length)
        cos = Array(full.cos[(offset * half)..<((offset + length) * half)])
        sin = Array(full.sin[(offset * half)..<((offset + length) * half)])
    }

    /// cos and sin for positions 0 ..< `positions`, [positions, depth / 2] row-major.
    static func computed(depth: Int, base: Float, positions: Int) -> (cos: [Float], sin: [Float]) {
        let half = depth / 2
        var cosines = [Float](repeating: 0, count: positions * half), sines = cosines
        // Angles in Double, as the reference computes its inverse frequencies in float64 before casting.
        let inverseFrequencies = (0..<half).map { Foundation.pow(Double(base), -2 * Double($0) / Double(depth)) }
        for t in 0..<positions {
            for i in 0..<half {
                let angle = Double(t) * inverseFrequencies[i]
                cosines[t * half + i] = Float(Foundation.cos(angle))
                sines[t * half + i] = Float(Foundation.sin(angle))
            }
        }
        return (cosines, sines)
    }
}

/// Rotary tables per (depth, base), grown to the longest position asked for so far (rounded
/// up to a power of two, so a decoding loop that asks one position further each step computes
/// the tables a logarithmic number of times).
final class RotaryTableCache: @unchecked Sendable {
    static let shared = RotaryTableCache()
    private struct Key: Hashable { let depth: Int; let base: Float }
    private var tables: [Key: (cos: [Float], sin: [Float])] = [:]
    private let lock = NSLock()

    func tables(depth: Int, base: Float, positions: Int) -> (cos: [Float], sin: [Float]) {
        let key = Key(depth: depth, base: base)
        lock.lock()
        defer { lock.unlock() }
        if let cached = tables[key], cached.cos.count >= positions * (depth / 2) { return cached }
        var capacity = 64
        while capacity < positions { capacity *= 2 }
        let computed = RotaryTables.computed(depth: depth, base: base, positions: capacity)
        tables[key] = computed
        return computed
    }
}

extension Tensor {
    /// x rotated by the tables' angles (`inverse`: by the negated angles, the backward pass).
    /// - Precondition: x is [B, H, T, D] with T = tables.length and D = 2 · tables.half.
    public func rotated(by tables: RotaryTables, inverse: Bool = false, native: Bool = VectorKernels.native) -> Tensor {
        precondition(rank == 4 && shape[2] == tables.length && shape[3] == 2 * tables.half,
                     "rotary embedding: x \(shape) does not match tables for \(tables.length) positions of depth \(2 * tables.half)")
        let planes = shape[0] * shape[1], length = shape[2], half = tables.half, depth = 2 * half
        let direction: Float = inverse ? -1 : 1
        // The AVX-512 kernel reads rows in place (the [B, H, T, D] head views of attention are
        // permuted), so only a view with a strided last dimension needs a copy first.
        let input = native && (depth <= 1 || strides[3] == 1) ? self : contiguous()
        var result = Tensor(uninitializedShape: shape)
        withExtendedLifetime(input) {
            result.withUnsafeMutableBufferPointer { destination in
                tables.cos.withUnsafeBufferPointer { cosines in
                    tables.sin.withUnsafeBufferPointer { sines in
                        guard let y = destination.baseAddress, let c = cosines.baseAddress, let s = sines.baseAddress else { return }
                        let x = UnsafePointer(input.storage.base + input.offset)
                        let grain = Swift.max(1, 8192 / Swift.max(depth, 1))
                        if native {
                            let (outerStride, innerStride, rowStride) = (input.strides[0], input.strides[1], input.strides[2])
                            parallelChunks(planes * length, grain: grain) { rows in
                                fedvlm_rotary(x, outerStride, innerStride, rowStride, shape[1], length, y, c, s, half,
                                              direction, rows.lowerBound, rows.count)
                            }
                            return
                        }
                        parallelChunks(planes * length, grain: grain) { rows in
                            for row in rows {
                                let t = row % length
                                let xr = x + row * depth, yr = y + row * depth
                                let cr = c + t * half, sr = s + t * half
                                for i in 0..<half {
                                    let first = xr[i], second = xr[i + half]
                                    let sine = direction * sr[i]
                                    yr[i] = first * cr[i] - second * sine
                                    yr[i + half] = second * cr[i] + first * sine
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
