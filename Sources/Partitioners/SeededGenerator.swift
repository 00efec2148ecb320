// SeededGenerator: the one source of randomness for every partitioner.
//
// Every partitioner takes an explicit seed and draws only from this generator, so the same
// seed gives the same partition on every machine and every Swift version. For that reason the
// bounded-integer, shuffle, normal, Gamma and Dirichlet draws are written out here instead of
// using the standard library's `Int.random(in:using:)` / `shuffle(using:)`, whose algorithms
// are not promised to stay the same between releases.
import Foundation

/// A small, fast, seeded pseudo-random number generator (SplitMix64) with the few
/// distributions the partitioners need: uniform doubles, unbiased bounded integers,
/// Fisher–Yates shuffles, standard normals, Gamma variates (Marsaglia–Tsang) and
/// Dirichlet vectors.
///
/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014; constants as in Vigna's reference `splitmix64.c`) keeps a 64-bit counter
/// that advances by the golden-ratio increment and returns a strong 64-bit mix of it.
/// It passes BigCrush, has period 2^64 and needs no warm-up, which is plenty for shuffling
/// and sampling index sets.
///
/// The stream is a pure function of the seed: two generators built with the same seed
/// produce the same numbers. This generator is independent of the `Tensors` module's own.
///
/// ```swift
/// var generator = SeededGenerator(seed: 42)
/// let u = generator.nextUnitInterval()          // in [0, 1)
/// let k = generator.nextIndex(below: 10)        // in 0..<10, unbiased
/// let p = generator.nextDirichlet(concentrations: [0.5, 0.5, 0.5])  // sums to 1
/// ```
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable {
    /// The SplitMix64 counter; the next output is a mix of `state + goldenGamma`.
    public private(set) var state: UInt64

    /// 2^64 / golden ratio, odd: the SplitMix64 increment.
    private static let goldenGamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Creates a generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 uniformly distributed random bits.
    public mutating func next() -> UInt64 {
        state &+= Self.goldenGamma
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A uniform double in `[0, 1)` built from the top 53 bits of one draw, so every
    /// representable value `k / 2^53` is equally likely.
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in the open interval `(0, 1)`: never exactly 0, so its logarithm
    /// is finite. Uses the midpoints `(k + 0.5) / 2^53`.
    public mutating func nextOpenUnitInterval() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// A uniform integer in `0..<upperBound`, without modulo bias
    /// (Lemire, "Fast random integer generation in an interval", ACM TOMACS 2019).
    ///
    /// - Precondition: `upperBound > 0`.
    public mutating func nextIndex(below upperBound: Int) -> Int {
        precondition(upperBound > 0, "SeededGenerator.nextIndex(below:) needs a positive bound, got \(upperBound)")
        let bound = UInt64(upperBound)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            // Values of the low word below 2^64 mod bound would make some results more likely:
            // reject them and draw again.
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// Shuffles `elements` in place with the Fisher–Yates (Durstenfeld) algorithm:
    /// every permutation is equally likely and the result depends only on the generator state.
    public mutating func shuffle<Element>(_ elements: inout [Element]) {
        guard elements.count > 1 else { return }
        for position in stride(from: elements.count - 1, to: 0, by: -1) {
            let other = nextIndex(below: position + 1)
            if other != position { elements.swapAt(position, other) }
        }
    }

    /// A standard normal variate (mean 0, variance 1) by the Box–Muller transform.
    /// Uses exactly two uniform draws, so the stream position after the call is predictable.
    public mutating func nextStandardNormal() -> Double {
        let radius = (-2.0 * Foundation.log(nextOpenUnitInterval())).squareRoot()
        let angle = 2.0 * Double.pi * nextUnitInterval()
        return radius * Foundation.cos(angle)
    }

    /// A Gamma(shape, scale 1) variate: mean `shape`, variance `shape`.
    ///
    /// Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26(3), 2000:
    /// for shape >= 1 a squeeze-accelerated rejection from a transformed normal; for shape < 1
    /// the boost `Gamma(a) = Gamma(a + 1) * U^(1/a)`.
    ///
    /// For very small shapes the result can underflow to exactly 0; use
    /// ``nextLogGamma(shape:)`` when the logarithm is what you need (as the Dirichlet draw does).
    ///
    /// - Precondition: `shape` is finite and positive.
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "Gamma shape must be finite and positive, got \(shape)")
        if shape >= 1 { return marsagliaTsang(shape: shape) }
        return Foundation.exp(nextLogGamma(shape: shape))
    }

    /// The natural logarithm of a Gamma(shape, 1) variate, computed without forming the
    /// variate itself, so it stays finite even when the variate would underflow
    /// (for example shape 0.001, where `U^(1/shape)` is often below the smallest double).
    ///
    /// - Precondition: `shape` is finite and positive.
    public mutating func nextLogGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "Gamma shape must be finite and positive, got \(shape)")
        if shape >= 1 { return Foundation.log(marsagliaTsang(shape: shape)) }
        // log(Gamma(a + 1) * U^(1/a)) = log Gamma(a + 1) + log(U) / a
        let boosted = marsagliaTsang(shape: shape + 1)
        return Foundation.log(boosted) + Foundation.log(nextOpenUnitInterval()) / shape
    }

    /// A Dirichlet(concentrations) vector: non-negative entries summing to 1, with mean
    /// `concentrations[i] / sum(concentrations)`.
    ///
    /// Drawn as normalised independent Gamma(concentrations[i]) variates. The normalisation is
    /// done on logarithms (subtract the largest, exponentiate, divide by the sum), so the sum is
    /// at least 1 and never zero, however small the concentrations are.
    ///
    /// - Precondition: `concentrations` is non-empty and every entry is finite and positive.
    public mutating func nextDirichlet(concentrations: [Double]) -> [Double] {
        precondition(!concentrations.isEmpty, "Dirichlet needs at least one concentration")
        let logWeights = concentrations.map { nextLogGamma(shape: $0) }
        return Self.normalizedExponentials(logWeights)
    }

    /// `exp(logWeights) / sum(exp(logWeights))`, computed stably: the largest entry maps to
    /// `exp(0) = 1` before dividing, so the denominator is in `[1, count]`.
    /// Entries equal to `-infinity` get probability 0; at least one entry must be finite.
    static func normalizedExponentials(_ logWeights: [Double]) -> [Double] {
        let largest = logWeights.max() ?? -Double.infinity
        precondition(largest.isFinite, "normalizedExponentials needs at least one finite log-weight, got \(logWeights)")
        let weights = logWeights.map { Foundation.exp($0 - largest) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Marsaglia–Tsang rejection sampler for shape >= 1.
    private mutating func marsagliaTsang(shape: Double) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            let x = nextStandardNormal()
            let base = 1.0 + c * x
            guard base > 0 else { continue }  // v = base^3 must be positive
            let v = base * base * base
            let u = nextOpenUnitInterval()
            let xSquared = x * x
            // Cheap squeeze accepts about 98% of proposals without a logarithm.
            if u < 1.0 - 0.0331 * xSquared * xSquared { return d * v }
            if Foundation.log(u) < 0.5 * xSquared + d * (1.0 - v + Foundation.log(v)) { return d * v }
        }
    }
}
