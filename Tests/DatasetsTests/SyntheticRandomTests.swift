// SyntheticRandom: the SplitMix64 stream, derived streams and the sampling helpers.

import Testing
@testable import Datasets

@Suite struct SyntheticRandomTests {
    @Test func matchesTheSplitMix64ReferenceStream() {
        // Test vectors of Vigna's splitmix64.c (seeds 0 and 1234567).
        var zero = SyntheticRandom(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        #expect(zero.next() == 0x6E78_9E6A_A1B9_65F4)
        var other = SyntheticRandom(seed: 1_234_567)
        #expect(other.next() == 0x599E_D017_FB08_FC85)
        #expect(other.next() == 0x2C73_F084_5854_0FA5)
    }

    @Test func derivedStreamsAreStableAndDistinct() {
        let root = SyntheticRandom(seed: 42)
        var a = root.derived("train"), b = root.derived("train"), c = root.derived("test")
        var d = root.derived(3), e = root.derived(4)
        let first = a.next()
        #expect(first == b.next())
        #expect(first != c.next())
        #expect(d.next() != e.next())
        // Deriving does not consume the parent's stream.
        var parent = root, fresh = SyntheticRandom(seed: 42)
        _ = root.derived("anything")
        #expect(parent.next() == fresh.next())
    }

    @Test func integersAreInRangeAndRoughlyUniform() {
        var random = SyntheticRandom(seed: 7)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<6000 {
            let value = random.index(below: 6)
            #expect((0..<6).contains(value))
            counts[value] += 1
        }
        // Expected 1000 each; a fair die stays within +-15% with overwhelming probability.
        #expect(counts.allSatisfy { (850...1150).contains($0) }, "counts \(counts)")
        for _ in 0..<200 {
            #expect((-2...3).contains(random.integer(in: -2...3)))
            let unit = random.unit()
            #expect(unit >= 0 && unit < 1)
        }
    }

    @Test func normalDrawsHaveUnitMoments() {
        var random = SyntheticRandom(seed: 9)
        let draws = (0..<20000).map { _ in random.normal() }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }

    @Test func shuffleAndDistinctIndicesArePermutations() {
        var random = SyntheticRandom(seed: 3)
        var values = Array(0..<50)
        random.shuffle(&values)
        #expect(values.sorted() == Array(0..<50))
        #expect(values != Array(0..<50))
        let picked = random.distinctIndices(7, from: 10)
        #expect(Set(picked).count == 7)
        #expect(picked.allSatisfy { (0..<10).contains($0) })
    }
}
