// RandomGenerator: the xoshiro256** stream against the fixture written by
// Tests/Fixtures/make_engine_fixtures.py (the published reference vector plus SplitMix64-seeded
// streams), determinism, state save/restore, and the moments of the tensor initialisers.
// Moment tolerances are about 5 standard errors, so a correct sampler practically never fails.
import Foundation
import Testing
import Tensors

private struct XoshiroFixture: Decodable {
    struct Published: Decodable { let state: [String]; let outputs: [String] }
    struct Stream: Decodable {
        let seed: String
        let state: [String]
        let outputs: [String]
        let uniform: [Double]
    }
    let published: Published
    let streams: [Stream]

    static func load() throws -> XoshiroFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/xoshiro256starstar.json")
        return try JSONDecoder().decode(XoshiroFixture.self, from: Data(contentsOf: url))
    }
}

private func words(_ strings: [String]) -> [UInt64] { strings.map { UInt64($0)! } }

@Suite("Seeded random numbers")
struct RandomTests {
    @Test func reproducesThePublishedXoshiroVector() throws {
        let fixture = try XoshiroFixture.load()
        var generator = RandomGenerator(state: words(fixture.published.state))
        let outputs = (0..<fixture.published.outputs.count).map { _ in generator.next() }
        #expect(outputs == words(fixture.published.outputs))
    }

    @Test func seededStreamsMatchTheReferenceImplementation() throws {
        let fixture = try XoshiroFixture.load()
        #expect(fixture.streams.count >= 3)
        for stream in fixture.streams {
            let seed = UInt64(stream.seed)!
            var generator = RandomGenerator(seed: seed)
            #expect(generator.state == words(stream.state), "seed \(seed)")
            let outputs = (0..<stream.outputs.count).map { _ in generator.next() }
            #expect(outputs == words(stream.outputs), "seed \(seed)")
            var uniformGenerator = RandomGenerator(seed: seed)
            let uniforms = (0..<stream.uniform.count).map { _ in Double(uniformGenerator.nextUniform()) }
            #expect(uniforms == stream.uniform, "seed \(seed)")
        }
    }

    @Test func sameSeedSameNumbersOtherSeedOtherNumbers() {
        var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7), c = RandomGenerator(seed: 8)
        let x = Tensor.randomNormal([50], using: &a)
        let y = Tensor.randomNormal([50], using: &b)
        let z = Tensor.randomNormal([50], using: &c)
        #expect(x == y)
        #expect(x != z)
        #expect(a == b)
        // Consecutive draws continue the stream instead of repeating it.
        #expect(Tensor.randomNormal([50], using: &a) != x)
    }

    @Test func stateRestoreResumesTheStream() throws {
        var generator = RandomGenerator(seed: 123)
        _ = generator.next()
        let saved = generator.state
        let expected = (0..<5).map { _ in generator.nextUniform() }
        var restored = RandomGenerator(state: saved)
        #expect((0..<5).map { _ in restored.nextUniform() } == expected)
        // Codable round trip (checkpoints store generators as JSON).
        var resumed = try JSONDecoder().decode(RandomGenerator.self,
                                               from: JSONEncoder().encode(RandomGenerator(state: saved)))
        #expect((0..<5).map { _ in resumed.nextUniform() } == expected)
    }

    @Test func derivedSeedsAreDistinctAndDeterministic() {
        let children = (0..<100).map { RandomGenerator.derivedSeed(42, UInt64($0)) }
        #expect(Set(children).count == 100)
        #expect(RandomGenerator.derivedSeed(42, 3) == children[3])
        #expect(RandomGenerator.derivedSeed(43, 3) != children[3])
    }

    @Test func permutationIsAPermutation() {
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        let p = a.permutation(20)
        #expect(p.sorted() == Array(0..<20))
        #expect(p != Array(0..<20))
        #expect(b.permutation(20) == p)
        #expect(a.permutation(0).isEmpty && a.permutation(1) == [0])
    }

    @Test func uniformDrawsStayInRangeWithTheRightMean() {
        var generator = RandomGenerator(seed: 11)
        let n = 20_000
        let draws = Tensor.randomUniform([n], low: -2, high: 3, using: &generator).scalars
        #expect(draws.allSatisfy { $0 >= -2 && $0 < 3 })
        let mean = draws.reduce(0.0) { $0 + Double($1) } / Double(n)
        let standardError = (25.0 / 12 / Double(n)).squareRoot()      // variance (b − a)² / 12
        #expect(Swift.abs(mean - 0.5) < 5 * standardError)
        #expect(generator.nextUniformDouble() < 1)
    }

    @Test func normalDrawsHaveTheRequestedMeanAndStd() {
        var generator = RandomGenerator(seed: 12)
        let n = 20_000
        let draws = Tensor.randomNormal([n], mean: 1.5, std: 0.5, using: &generator).scalars.map(Double.init)
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        #expect(Swift.abs(mean - 1.5) < 5 * 0.5 / Double(n).squareRoot())
        // Var of the sample variance of a normal: 2σ⁴/(n−1).
        #expect(Swift.abs(variance - 0.25) < 5 * (2 * 0.0625 / Double(n - 1)).squareRoot())
        // Tails: about 4.55% of draws lie beyond 2σ.
        let beyond = Double(draws.filter { Swift.abs($0 - 1.5) > 1 }.count) / Double(n)
        #expect(Swift.abs(beyond - 0.0455) < 0.01)
    }

    @Test func kaimingUniformUsesPyTorchsLinearBound() {
        var generator = RandomGenerator(seed: 13)
        let fanIn = 64
        let weight = Tensor.kaimingUniform([32, fanIn], fanIn: fanIn, using: &generator)
        // a = √5: bound = sqrt(6 / (6 · fanIn)) = 1 / sqrt(fanIn).
        let bound = 1 / Float(fanIn).squareRoot()
        let values = weight.scalars
        #expect(values.allSatisfy { Swift.abs($0) <= bound })
        #expect(values.max()! > 0.98 * bound && values.min()! < -0.98 * bound)
        let relu = Tensor.kaimingUniform([4096], fanIn: 8, a: 0, using: &generator).scalars
        let reluBound = (6 / Float(8)).squareRoot()                    // He et al.: sqrt(6 / fanIn)
        #expect(relu.allSatisfy { Swift.abs($0) <= reluBound } && relu.max()! > 0.95 * reluBound)
    }

    /// Dropout masks: only 0 and 1/(1 − rate), the drop frequency close to the rate, the same
    /// masks from the same seed, every element written for any count (tails included), and
    /// nothing written past the end.
    @Test func dropoutMasksHaveTheRateAndRepeat() {
        for rate: Float in [0.05, 0.3, 0.5] {
            var generator = RandomGenerator(seed: 11)
            let count = 200_003
            var mask = [Float](repeating: -1, count: count + 1)
            mask.withUnsafeMutableBufferPointer { generator.fillDropoutMask($0.baseAddress!, count: count, rate: rate) }
            #expect(mask[count] == -1)
            let kept = 1 / (1 - rate)
            #expect(mask[..<count].allSatisfy { $0 == 0 || $0 == kept })
            let dropped = Double(mask[..<count].filter { $0 == 0 }.count) / Double(count)
            // Binomial standard deviation sqrt(p(1 − p)/n) is at most 0.0012 here: allow 5 of them.
            #expect(abs(dropped - Double(rate)) < 0.006, "rate \(rate): dropped \(dropped)")
            var again = RandomGenerator(seed: 11)
            #expect(Tensor.dropoutMask(shape: [count], rate: rate, generator: &again).scalars == Array(mask[..<count]))
        }
        for count in [1, 7, 8, 9, 15, 16, 17, 31] {
            var generator = RandomGenerator(seed: 12)
            let mask = Tensor.dropoutMask(shape: [count], rate: 0.5, generator: &generator)
            #expect(mask.scalars.allSatisfy { $0 == 0 || $0 == 2 }, "count \(count)")
        }
        // The layout is fixed: element i comes from 16-bit lane i mod 4 of draw i / 4, and a mask
        // of any length uses whole draws (the generator then continues where it should).
        for count in [1, 2, 3, 4, 5, 7, 8, 9, 17, 1003] {
            var generator = RandomGenerator(seed: 14), reference = generator
            var mask = [Float](repeating: -1, count: count)
            mask.withUnsafeMutableBufferPointer { generator.fillDropoutMask($0.baseAddress!, count: count, rate: 0.3) }
            let threshold = UInt64((0.3 * 65_536).rounded()), kept = 1 / (1 - Float(0.3))
            var bits: UInt64 = 0
            var expected: [Float] = []
            for i in 0..<count {
                if i % 4 == 0 { bits = reference.next() }
                expected.append((bits >> UInt64(16 * (i % 4))) & 0xFFFF < threshold ? 0 : kept)
            }
            let mismatch = (0..<count).first { mask[$0] != expected[$0] }
            #expect(mismatch == nil, "count \(count): element \(mismatch ?? -1) differs")
            #expect(generator.next() == reference.next(), "count \(count)")
        }
        // Consecutive masks differ (the generator advances).
        var generator = RandomGenerator(seed: 13)
        let first = Tensor.dropoutMask(shape: [64], rate: 0.5, generator: &generator)
        let second = Tensor.dropoutMask(shape: [64], rate: 0.5, generator: &generator)
        #expect(first.scalars != second.scalars)
    }
}
