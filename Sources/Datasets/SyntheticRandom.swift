// The seeded random number generator behind every synthetic dataset.
//
// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014): a 64-bit counter advanced by the golden-ratio increment and passed through
// a bijective mixing function. It is tiny, has no bad seeds, and makes independent
// streams cheap: `derived(_:)` hashes a label into the state, so every sample of every
// split gets its own stream and samples do not depend on the order they are generated in.
//
// All helpers below (integers, unit floats, normals, shuffles) are written here rather than
// taken from the standard library so that the drawn numbers cannot change with the Swift
// version: the same seed gives byte-identical datasets.

import Foundation

/// A seeded SplitMix64 generator; the only source of randomness of the synthetic datasets.
public struct SyntheticRandom: RandomNumberGenerator, Sendable, Hashable {
    /// The 64-bit counter; the next output is `mix(state + golden)`.
    public private(set) var state: UInt64

    /// Creates a generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The SplitMix64 finaliser: a bijection on 64-bit words with good avalanche.
    @inlinable static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// An independent generator for the sub-stream `label` (e.g. a split or dataset name).
    /// Deriving does not advance `self`; the same label always gives the same stream.
    public func derived(_ label: String) -> SyntheticRandom {
        // FNV-1a over the UTF-8 bytes: stable across runs (unlike `Hasher`, which is seeded per process).
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return derived(hash)
    }

    /// An independent generator for the sub-stream number `index` (e.g. a sample index).
    public func derived(_ index: Int) -> SyntheticRandom {
        derived(UInt64(bitPattern: Int64(index)))
    }

    private func derived(_ key: UInt64) -> SyntheticRandom {
        SyntheticRandom(seed: Self.mix(Self.mix(state ^ 0x5851_F42D_4C95_7F2D) ^ Self.mix(key)))
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform `Double` in [`low`, `high`).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * unit()
    }

    /// A uniform integer in [0, `count`), without modulo bias (Lemire's multiply-and-reject).
    public mutating func index(below count: Int) -> Int {
        precondition(count > 0, "SyntheticRandom.index(below:): count \(count) must be positive")
        let bound = UInt64(count)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// A uniform integer in `range`.
    public mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + index(below: range.upperBound - range.lowerBound + 1)
    }

    /// `true` with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    /// A uniformly chosen element of a non-empty array.
    public mutating func pick<Element>(_ elements: [Element]) -> Element {
        precondition(!elements.isEmpty, "SyntheticRandom.pick: empty array")
        return elements[index(below: elements.count)]
    }

    /// A standard normal draw (Box–Muller; one of the pair is discarded to keep the state simple).
    public mutating func normal() -> Double {
        let radius = (-2 * log(1 - unit())).squareRoot()  // 1 - unit() is in (0, 1]: log is finite
        return radius * cos(2 * Double.pi * unit())
    }

    /// Shuffles `elements` in place (Fisher–Yates).
    public mutating func shuffle<Element>(_ elements: inout [Element]) {
        guard elements.count > 1 else { return }
        for last in stride(from: elements.count - 1, to: 0, by: -1) {
            elements.swapAt(last, index(below: last + 1))
        }
    }

    /// `count` distinct indices from [0, `population`), in random order.
    public mutating func distinctIndices(_ count: Int, from population: Int) -> [Int] {
        precondition(count <= population, "SyntheticRandom.distinctIndices: \(count) of \(population)")
        var all = Array(0..<population)
        shuffle(&all)
        return Array(all.prefix(count))
    }
}
