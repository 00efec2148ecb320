// The flat-buffer kernels on tensors larger than one tile (4096 elements) and one parallel
// chunk, against element-by-element sums written out here.
import Testing
import Tensors
@testable import Aggregators

/// `count` seeded values in [-2, 2).
func seededValues(_ count: Int, seed: UInt64) -> [Float] {
    var generator = RandomGenerator(seed: seed)
    return (0..<count).map { _ in generator.nextUniform() * 4 - 2 }
}

@Suite("Aggregation kernels")
struct AggregationMathTests {
    static let length = 70_001   // several tiles, several chunks, and a ragged end

    let sets: [ParameterSet] = (0..<3).map { k in
        ParameterSet([("big", Tensor(shape: [length], scalars: seededValues(length, seed: UInt64(k + 1)))),
                      ("small", Tensor(shape: [3], scalars: [Float(k), -Float(k), 0.5]))])
    }

    @Test("weightedSum equals the per-element Double sum rounded once")
    func weightedSum() {
        // Prepare
        let weights = [0.2, 0.3, 0.5]
        let columns = sets.map { $0["big"]!.scalars }
        // Execute
        let result = AggregationMath.weightedSum(sets, weights: weights)["big"]!.scalars
        // Assert
        var mismatches = 0
        for index in 0..<Self.length {
            var total = 0.0
            for k in 0..<3 { total += weights[k] * Double(columns[k][index]) }
            if result[index] != Float(total) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test("mapWeightedDelta hands over sum_k w_k (x_k - x) per element")
    func weightedDelta() {
        // Prepare
        let global = sets[0], clients = Array(sets.dropFirst()), weights = [0.25, 0.75]
        let x = global["big"]!.scalars, columns = clients.map { $0["big"]!.scalars }
        var deltas: [Double] = []
        // Execute
        _ = AggregationMath.mapWeightedDelta(global: global, clients: clients, weights: weights) { name, _, delta, output in
            if name == "big" { deltas = Array(delta) }
            for index in delta.indices { output[index] = 0 }
        }
        // Assert
        #expect(deltas.count == Self.length)
        var mismatches = 0
        for index in 0..<Self.length {
            let origin = Double(x[index])
            var expected = 0.0
            expected += weights[0] * (Double(columns[0][index]) - origin)
            expected += weights[1] * (Double(columns[1][index]) - origin)
            if deltas[index] != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test("pairwise squared distances match a direct sum")
    func distances() {
        let flat = sets.map { $0["big"]!.scalars + $0["small"]!.scalars }
        let matrix = AggregationMath.pairwiseSquaredDistances(sets)
        for i in 0..<3 {
            #expect(matrix[i][i] == 0)
            for j in 0..<3 where j != i {
                let direct = zip(flat[i], flat[j]).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
                #expect(abs(matrix[i][j] - direct) <= 1e-9 * direct)
                #expect(matrix[i][j] == matrix[j][i])
            }
        }
    }

    @Test("median and trimmed mean agree with sorting, below and above the insertion-sort limit",
          arguments: [5, 40])
    func sortedReductions(clientCount: Int) {
        // Prepare: clientCount sets of 50 values each
        let many = (0..<clientCount).map { k in
            ParameterSet([("w", Tensor(shape: [50], scalars: seededValues(50, seed: UInt64(100 + k))))])
        }
        // Execute
        let median = AggregationMath.coordinateMedian(many)["w"]!.scalars
        let trimmed = AggregationMath.coordinateTrimmedMean(many, trimCount: 2)["w"]!.scalars
        // Assert
        for index in 0..<50 {
            let column = many.map { $0["w"]!.scalars[index] }.sorted()
            let middle = clientCount / 2
            let expectedMedian = clientCount % 2 == 1 ? Double(column[middle])
                                                      : (Double(column[middle - 1]) + Double(column[middle])) / 2
            let kept = column[2..<(clientCount - 2)]
            let expectedTrimmed = kept.reduce(0.0) { $0 + Double($1) } / Double(kept.count)
            #expect(median[index] == Float(expectedMedian))
            #expect(trimmed[index] == Float(expectedTrimmed))
        }
    }

    @Test("allFinite finds NaN and infinities anywhere")
    func finiteCheck() {
        var values = seededValues(10_000, seed: 9)
        #expect(RoundValidation.allFinite(Tensor(shape: [10_000], scalars: values)))
        values[9_999] = .infinity
        #expect(!RoundValidation.allFinite(Tensor(shape: [10_000], scalars: values)))
        values[9_999] = 1
        values[17] = -.nan
        #expect(!RoundValidation.allFinite(Tensor(shape: [10_000], scalars: values)))
    }
}
