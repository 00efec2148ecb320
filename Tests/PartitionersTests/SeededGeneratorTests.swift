// SeededGenerator: SplitMix64 stream against the fixture (published vector + recorded streams),
// and the sampled distributions against their analytic moments.
//
// Moment checks use tolerances of 5 standard errors computed from the distribution itself, so
// a correct sampler fails with probability far below 1e-5 while a wrong formula fails reliably.
import Foundation
import Testing
@testable import Partitioners

private struct SplitMixFixture: Decodable {
    struct Published: Decodable { let seed: String; let outputs: [String] }
    struct Stream: Decodable {
        let seed: String
        let outputs: [String]
        let unit_interval: [Double]
    }
    let published: Published
    let streams: [Stream]

    static func load() throws -> SplitMixFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/splitmix64.json")
        return try JSONDecoder().decode(SplitMixFixture.self, from: Data(contentsOf: url))
    }
}

/// Sample mean and (unbiased) sample variance.
private func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    return (mean, variance)
}

/// Digamma by the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 6, then the asymptotic series.
private func digamma(_ x: Double) -> Double {
    var x = x
    var shift = 0.0
    while x < 6 { shift -= 1 / x; x += 1 }
    let inverseSquare = 1 / (x * x)
    return shift + log(x) - 0.5 / x
        - inverseSquare * (1.0 / 12 - inverseSquare * (1.0 / 120 - inverseSquare / 252))
}

/// Trigamma by psi1(x) = psi1(x + 1) + 1/x^2 up to x >= 6, then the asymptotic series.
private func trigamma(_ x: Double) -> Double {
    var x = x
    var shift = 0.0
    while x < 6 { shift += 1 / (x * x); x += 1 }
    let inverseSquare = 1 / (x * x)
    return shift + 1 / x + inverseSquare / 2
        + inverseSquare / x * (1.0 / 6 - inverseSquare * (1.0 / 30 - inverseSquare / 42))
}

@Suite struct SeededGeneratorTests {
    @Test func reproducesThePublishedSplitMix64Vector() throws {
        let fixture = try SplitMixFixture.load()
        var generator = SeededGenerator(seed: UInt64(fixture.published.seed)!)
        let outputs = (0..<fixture.published.outputs.count).map { _ in generator.next() }
        #expect(outputs == fixture.published.outputs.map { UInt64($0)! })
    }

    @Test func matchesTheRecordedStreamsAndUnitIntervals() throws {
        for stream in try SplitMixFixture.load().streams {
            var raw = SeededGenerator(seed: UInt64(stream.seed)!)
            var unit = SeededGenerator(seed: UInt64(stream.seed)!)
            for (expectedRaw, expectedUnit) in zip(stream.outputs, stream.unit_interval) {
                #expect(raw.next() == UInt64(expectedRaw)!, "seed \(stream.seed)")
                #expect(unit.nextUnitInterval() == expectedUnit, "seed \(stream.seed)")
            }
        }
    }

    @Test func unitIntervalsStayInRange() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<10_000 {
            let closedOpen = generator.nextUnitInterval()
            let open = generator.nextOpenUnitInterval()
            #expect(closedOpen >= 0 && closedOpen < 1)
            #expect(open > 0 && open < 1)
        }
    }

    @Test func boundedIntegersAreUniform() {
        var generator = SeededGenerator(seed: 11)
        let bound = 7
        let draws = 70_000
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<draws { counts[generator.nextIndex(below: bound)] += 1 }
        let expected = Double(draws) / Double(bound)
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 6 degrees of freedom: P(chi^2 > 27.86) = 1e-4.
        #expect(chiSquare < 27.86, "counts \(counts)")
        #expect(generator.nextIndex(below: 1) == 0)
    }

    @Test func shuffleIsADeterministicPermutation() {
        let original = Array(0..<50)
        var first = original, second = original, third = original
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5), c = SeededGenerator(seed: 6)
        a.shuffle(&first)
        b.shuffle(&second)
        c.shuffle(&third)
        #expect(first.sorted() == original)
        #expect(first == second)
        #expect(first != third)
        #expect(first != original)
    }

    @Test func standardNormalHasMeanZeroAndVarianceOne() {
        var generator = SeededGenerator(seed: 17)
        let count = 40_000
        let sample = moments((0..<count).map { _ in generator.nextStandardNormal() })
        #expect(abs(sample.mean) < 5 * (1 / Double(count)).squareRoot())
        // Var of the sample variance of a normal: 2 / (n - 1).
        #expect(abs(sample.variance - 1) < 5 * (2 / Double(count - 1)).squareRoot())
    }

    @Test(arguments: [0.1, 0.5, 1.0, 2.5, 10.0])
    func gammaHasMeanAndVarianceEqualToShape(shape: Double) {
        var generator = SeededGenerator(seed: 23)
        let count = 40_000
        let draws = (0..<count).map { _ in generator.nextGamma(shape: shape) }
        #expect(draws.allSatisfy { $0 >= 0 && $0.isFinite })
        let sample = moments(draws)
        #expect(abs(sample.mean - shape) < 5 * (shape / Double(count)).squareRoot(), "mean \(sample.mean)")
        // Var of the sample variance ~ sigma^4 (2 + excess kurtosis) / n, excess kurtosis 6 / shape.
        let varianceError = shape * ((2 + 6 / shape) / Double(count)).squareRoot()
        #expect(abs(sample.variance - shape) < 5 * varianceError, "variance \(sample.variance)")
    }

    @Test(arguments: [0.001, 0.05, 0.7, 4.0])
    func logGammaHasTheDigammaMean(shape: Double) {
        // E[log X] = digamma(shape), Var[log X] = trigamma(shape) for X ~ Gamma(shape, 1).
        var generator = SeededGenerator(seed: 29)
        let count = 40_000
        let draws = (0..<count).map { _ in generator.nextLogGamma(shape: shape) }
        #expect(draws.allSatisfy { $0.isFinite })
        let sample = moments(draws)
        let standardError = (trigamma(shape) / Double(count)).squareRoot()
        #expect(abs(sample.mean - digamma(shape)) < 5 * standardError,
                "mean \(sample.mean), digamma \(digamma(shape))")
        #expect(abs(sample.variance / trigamma(shape) - 1) < 0.1, "variance \(sample.variance)")
    }

    @Test func dirichletHasTheAnalyticMeanAndVariance() {
        let concentrations = [0.2, 1.0, 3.0]
        let total = concentrations.reduce(0, +)
        var generator = SeededGenerator(seed: 31)
        let count = 40_000
        let draws = (0..<count).map { _ in generator.nextDirichlet(concentrations: concentrations) }
        for draw in draws {
            #expect(abs(draw.reduce(0, +) - 1) < 1e-12)
            #expect(draw.allSatisfy { $0 >= 0 })
        }
        for (component, concentration) in concentrations.enumerated() {
            let mean = concentration / total
            let variance = concentration * (total - concentration) / (total * total * (total + 1))
            let sample = moments(draws.map { $0[component] })
            #expect(abs(sample.mean - mean) < 5 * (variance / Double(count)).squareRoot(),
                    "component \(component): mean \(sample.mean) vs \(mean)")
            #expect(abs(sample.variance / variance - 1) < 0.1,
                    "component \(component): variance \(sample.variance) vs \(variance)")
        }
    }

    @Test func dirichletWithTinyConcentrationNeverDividesByZero() {
        // Gamma(1e-4) underflows to 0 almost always; the log-space normalisation still sums to 1.
        var generator = SeededGenerator(seed: 37)
        for _ in 0..<1_000 {
            let draw = generator.nextDirichlet(concentrations: [1e-4, 1e-4, 1e-4, 1e-4])
            #expect(draw.allSatisfy { $0.isFinite && $0 >= 0 })
            #expect(abs(draw.reduce(0, +) - 1) < 1e-12)
        }
    }

    @Test func sameSeedSameStream() {
        var a = SeededGenerator(seed: 99), b = SeededGenerator(seed: 99)
        for _ in 0..<100 {
            #expect(a.nextGamma(shape: 0.3) == b.nextGamma(shape: 0.3))
            #expect(a.nextDirichlet(concentrations: [0.5, 2]) == b.nextDirichlet(concentrations: [0.5, 2]))
        }
    }
}
