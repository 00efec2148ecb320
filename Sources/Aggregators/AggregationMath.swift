// The numerical core of the aggregators as small functions over named sets, public so a
// new rule can reuse them. They work on flat Float32 buffers (one parameter tensor at a
// time) and accumulate sums over clients in Double.
//
// Shapes: every set passed together has the same names and shapes (callers validate first,
// see `RoundValidation`); K = number of client sets, P = elements of one tensor.

import Tensors

/// Coordinate-wise aggregation primitives.
public enum AggregationMath {
    /// Calls `body(name, clients, output, count)` for every tensor of `reference`, where
    /// `clients[k]` points at the P dense elements of `sets[k][name]` and `output` at the P
    /// elements of the result tensor (to be fully written). Returns the result set, named and
    /// ordered as `reference`.
    public static func mapCoordinates(
        reference: ParameterSet, sets: [ParameterSet],
        _ body: (_ name: String, _ clients: [UnsafePointer<Float>], _ output: UnsafeMutablePointer<Float>,
                 _ count: Int) throws -> Void
    ) rethrows -> ParameterSet {
        var pairs: [(String, Tensor)] = []
        pairs.reserveCapacity(reference.count)
        for (name, tensor) in reference.entries {
            let dense = sets.map { set -> Tensor in
                guard let member = set[name], member.shape == tensor.shape else {
                    preconditionFailure("AggregationMath: a set lacks \(name) of shape \(tensor.shape); validate first")
                }
                return member.contiguous()
            }
            var result = Tensor(uninitializedShape: tensor.shape)
            let count = tensor.scalarCount
            try withExtendedLifetime(dense) {
                let pointers = dense.map { UnsafePointer($0.storage.base + $0.offset) }
                try result.withUnsafeMutableBufferPointer { output in
                    if count > 0 { try body(name, pointers, output.baseAddress!, count) }
                }
            }
            pairs.append((name, result))
        }
        return ParameterSet(pairs)
    }

    /// sum_k weights[k] * sets[k], accumulated in Double and rounded once to Float32.
    /// With one set and weight 1 the result equals that set exactly.
    public static func weightedSum(_ sets: [ParameterSet], weights: [Double]) -> ParameterSet {
        precondition(!sets.isEmpty && sets.count == weights.count,
                     "weightedSum: \(sets.count) sets for \(weights.count) weights")
        return mapCoordinates(reference: sets[0], sets: sets) { _, clients, output, count in
            parallelChunks(count, grain: 1 << 14) { range in
                forEachTile(of: range) { tile, accumulator in
                    for (pointer, weight) in zip(clients, weights) {
                        let source = pointer + tile.lowerBound
                        for i in 0..<tile.count { accumulator[i] += weight * Double(source[i]) }
                    }
                    let destination = output + tile.lowerBound
                    for i in 0..<tile.count { destination[i] = Float(accumulator[i]) }
                }
            }
        }
    }

    /// Elements per tile of the client-outer loops: the Double accumulator (32 KiB) stays in
    /// cache while every client's slice streams through it.
    static let tileLength = 4096

    /// Splits `range` into tiles and calls `body(tile, accumulator)` with a zeroed Double
    /// buffer of `tile.count` elements. Each element is summed over clients in index order,
    /// so results do not depend on the tiling or the number of threads.
    static func forEachTile(of range: Range<Int>,
                            _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) {
        let accumulator = UnsafeMutablePointer<Double>.allocate(capacity: tileLength)
        defer { accumulator.deallocate() }
        var start = range.lowerBound
        while start < range.upperBound {
            let end = Swift.min(start + tileLength, range.upperBound)
            accumulator.initialize(repeating: 0, count: end - start)
            body(start..<end, accumulator)
            start = end
        }
    }

    /// The weighted client update delta = sum_k w_k (x_k - x) for every coordinate, handed to
    /// `body(name, global, delta, output, count)`, which writes the new global values into
    /// `output`. `delta` is in Double (P values). This is the shared first stage of every
    /// server optimiser, SCAFFOLD and FedNova.
    public static func mapWeightedDelta(
        global: ParameterSet, clients: [ParameterSet], weights: [Double],
        _ body: (_ name: String, _ global: UnsafePointer<Float>, _ delta: UnsafeBufferPointer<Double>,
                 _ output: UnsafeMutablePointer<Float>) throws -> Void
    ) rethrows -> ParameterSet {
        precondition(!clients.isEmpty && clients.count == weights.count,
                     "mapWeightedDelta: \(clients.count) sets for \(weights.count) weights")
        var delta: [Double] = []
        return try mapCoordinates(reference: global, sets: [global] + clients) { name, pointers, output, count in
            let start = pointers[0], clientPointers = Array(pointers.dropFirst())
            if delta.count < count { delta = [Double](repeating: 0, count: count) }
            try delta.withUnsafeMutableBufferPointer { buffer in
                let deltaBase = buffer.baseAddress!
                parallelChunks(count, grain: 1 << 14) { range in
                    forEachTile(of: range) { tile, accumulator in
                        let origin = start + tile.lowerBound
                        for (pointer, weight) in zip(clientPointers, weights) {
                            let source = pointer + tile.lowerBound
                            for i in 0..<tile.count { accumulator[i] += weight * (Double(source[i]) - Double(origin[i])) }
                        }
                        (deltaBase + tile.lowerBound).update(from: accumulator, count: tile.count)
                    }
                }
                try body(name, start, UnsafeBufferPointer(start: deltaBase, count: count), output)
            }
        }
    }

    /// Coordinate-wise median of the sets (the mean of the two middle values for an even
    /// count, as `numpy.median`); Yin et al., 2018.
    public static func coordinateMedian(_ sets: [ParameterSet]) -> ParameterSet {
        precondition(!sets.isEmpty, "coordinateMedian: no sets")
        return sortedCoordinateReduction(sets) { sorted in
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? Double(sorted[middle])
                                         : (Double(sorted[middle - 1]) + Double(sorted[middle])) / 2
        }
    }

    /// Coordinate-wise trimmed mean: drop the `trimCount` smallest and `trimCount` largest
    /// values of each coordinate and average the rest (Yin et al., 2018; `scipy.stats.trim_mean`).
    /// - Precondition: `2 * trimCount < sets.count`.
    public static func coordinateTrimmedMean(_ sets: [ParameterSet], trimCount: Int) -> ParameterSet {
        precondition(trimCount >= 0 && 2 * trimCount < sets.count,
                     "coordinateTrimmedMean: cannot trim \(trimCount) per side from \(sets.count) values")
        let kept = sets.count - 2 * trimCount
        return sortedCoordinateReduction(sets) { sorted in
            var total = 0.0
            for value in sorted[trimCount..<(sorted.count - trimCount)] { total += Double(value) }
            return total / Double(kept)
        }
    }

    /// Applies `reduce` to the K values of every coordinate, sorted ascending.
    static func sortedCoordinateReduction(_ sets: [ParameterSet],
                                          _ reduce: (UnsafeBufferPointer<Float>) -> Double) -> ParameterSet {
        mapCoordinates(reference: sets[0], sets: sets) { _, clients, output, count in
            parallelChunks(count, grain: 1 << 12) { range in
                var column = [Float](repeating: 0, count: clients.count)
                column.withUnsafeMutableBufferPointer { values in
                    for index in range {
                        for (k, pointer) in clients.enumerated() { values[k] = pointer[index] }
                        sortSmall(values)
                        output[index] = Float(reduce(UnsafeBufferPointer(values)))
                    }
                }
            }
        }
    }

    /// Sorts ascending: insertion sort for the few values of one coordinate (K clients), the
    /// standard sort beyond 32.
    static func sortSmall(_ values: UnsafeMutableBufferPointer<Float>) {
        guard values.count <= 32 else {
            var whole = values
            whole.sort()
            return
        }
        for i in 1..<Swift.max(values.count, 1) {
            let value = values[i]
            var j = i - 1
            while j >= 0 && values[j] > value {
                values[j + 1] = values[j]
                j -= 1
            }
            values[j + 1] = value
        }
    }

    /// Squared Euclidean distances between every pair of sets, over all their elements, in
    /// Double (summed in a fixed order, so the matrix is the same on every machine).
    public static func pairwiseSquaredDistances(_ sets: [ParameterSet]) -> [[Double]] {
        let count = sets.count
        var distances = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        guard count > 1 else { return distances }
        let pairs = (0..<count).flatMap { i in ((i + 1)..<count).map { (i, $0) } }
        var pairTotals = [Double](repeating: 0, count: pairs.count)
        for name in sets[0].names {
            let dense = sets.map { $0[name]!.contiguous() }
            let elements = dense[0].scalarCount
            withExtendedLifetime(dense) {
                let pointers = dense.map { UnsafePointer($0.storage.base + $0.offset) }
                pairTotals.withUnsafeMutableBufferPointer { totals in
                    // One pair per work item: each sum runs in a fixed order on one thread.
                    parallelChunks(pairs.count, grain: 1) { range in
                        for pair in range {
                            let a = pointers[pairs[pair].0], b = pointers[pairs[pair].1]
                            var partial = (0.0, 0.0, 0.0, 0.0)
                            var index = 0
                            while index + 4 <= elements {
                                let d0 = Double(a[index]) - Double(b[index])
                                let d1 = Double(a[index + 1]) - Double(b[index + 1])
                                let d2 = Double(a[index + 2]) - Double(b[index + 2])
                                let d3 = Double(a[index + 3]) - Double(b[index + 3])
                                partial.0 += d0 * d0
                                partial.1 += d1 * d1
                                partial.2 += d2 * d2
                                partial.3 += d3 * d3
                                index += 4
                            }
                            while index < elements {
                                let d = Double(a[index]) - Double(b[index])
                                partial.0 += d * d
                                index += 1
                            }
                            totals[pair] += (partial.0 + partial.1) + (partial.2 + partial.3)
                        }
                    }
                }
            }
        }
        for (pair, (i, j)) in pairs.enumerated() {
            distances[i][j] = pairTotals[pair]
            distances[j][i] = pairTotals[pair]
        }
        return distances
    }

    /// Sign with sign(0) = 0, as `numpy.sign` (the Yogi rule depends on it).
    @inlinable
    public static func signum(_ value: Double) -> Double {
        value > 0 ? 1 : (value < 0 ? -1 : 0)
    }
}
