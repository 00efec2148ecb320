// Byzantine-robust aggregation: rules whose result a minority of arbitrary (faulty or
// malicious) updates cannot drag far. They act on the clients' parameters x_k directly,
// as Flower's strategies do (coordinate-wise rules commute with the shift by x, so this is
// the same as robustly aggregating delta_k and adding x).
//
//   FedMedian:    x[i] <- median_k x_k[i]                          (Yin et al., 2018)
//   TrimmedMean:  x[i] <- mean of x_k[i] without the floor(beta K) smallest and largest
//                                                                  (Yin et al., 2018)
//   Krum:         score_k = sum of squared distances to its K - f - 2 nearest others;
//                 x <- sample-weighted mean of the m lowest-scoring x_k (m = 1: Krum,
//                 m > 1: Multi-Krum)                               (Blanchard et al., 2017)
//
// Both conventions agree here (Flower 1.42's FedMedian, FedTrimmedAvg, Krum, MultiKrum).

import Tensors

/// Coordinate-wise median of the client parameters (unweighted).
public final class FedMedian: StatelessAggregator {
    public init() {}

    public var name: String { "fedmedian" }

    public func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                          context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                     algorithm: name)
        return reorder(AggregationMath.coordinateMedian(updates.map(\.parameters)), like: global)
    }
}

/// Coordinate-wise trimmed mean of the client parameters (unweighted; Flower's FedTrimmedAvg).
public final class TrimmedMean: StatelessAggregator {
    /// Fraction cut from each end, in [0, 0.5); 0.2 by default (Flower).
    public let beta: Double

    /// - Throws: `AggregatorError.invalidOption` when beta is outside [0, 0.5).
    public init(beta: Double = 0.2) throws {
        guard beta >= 0, beta < 0.5 else {
            throw AggregatorError(.invalidOption, "trimmedmean: beta must be in [0, 0.5), got \(beta)")
        }
        self.beta = beta
    }

    public var name: String { "trimmedmean" }
    public var configuration: [String: String] { ["beta": beta.configurationText] }

    /// Values cut from each end when `clientCount` clients report: floor(beta * K).
    public func trimCount(clientCount: Int) -> Int { Int(beta * Double(clientCount)) }

    public func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                          context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                     algorithm: name)
        let trimmed = AggregationMath.coordinateTrimmedMean(updates.map(\.parameters),
                                                            trimCount: trimCount(clientCount: updates.count))
        return reorder(trimmed, like: global)
    }
}

/// Krum and Multi-Krum: keep the updates closest to their neighbours.
public final class Krum: StatelessAggregator {
    /// f, the number of Byzantine clients to tolerate.
    public let byzantineCount: Int
    /// m, how many updates to keep (1 = Krum).
    public let selectionCount: Int
    /// Client ids kept in the last round, lowest score first (for logs and tests).
    public private(set) var lastSelection: [Int] = []

    /// - Throws: `AggregatorError.invalidOption` when f < 0 or m < 1.
    public init(byzantineCount: Int = 0, selectionCount: Int = 1) throws {
        guard byzantineCount >= 0 else {
            throw AggregatorError(.invalidOption, "krum: byzantine must be >= 0, got \(byzantineCount)")
        }
        guard selectionCount >= 1 else {
            throw AggregatorError(.invalidOption, "krum: selected must be >= 1, got \(selectionCount)")
        }
        self.byzantineCount = byzantineCount
        self.selectionCount = selectionCount
    }

    public var name: String { "krum" }
    public var configuration: [String: String] {
        ["byzantine": String(byzantineCount), "selected": String(selectionCount)]
    }

    /// Krum score of every set: the sum of squared distances to its max(1, K - f - 2) nearest
    /// other sets (Flower's clamp; the paper assumes K > 2f + 2).
    public func scores(_ sets: [ParameterSet]) -> [Double] {
        let distances = AggregationMath.pairwiseSquaredDistances(sets)
        let neighbours = min(max(1, sets.count - byzantineCount - 2), sets.count - 1)
        return distances.indices.map { row in
            let others = distances[row].indices.filter { $0 != row }.map { distances[row][$0] }.sorted()
            return others.prefix(neighbours).reduce(0, +)
        }
    }

    public func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                          context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                     algorithm: name)
        guard selectionCount <= updates.count else {
            throw AggregatorError(.invalidOption,
                                  "krum, round \(context.round): selected = \(selectionCount) exceeds the "
                                  + "\(updates.count) updates of this round")
        }
        let score = scores(updates.map(\.parameters))
        // Lowest score first; ties keep the earlier update (numpy's argmin for Krum).
        let chosen = updates.indices.sorted { (score[$0], $0) < (score[$1], $1) }.prefix(selectionCount)
        lastSelection = chosen.map { updates[$0].clientID }
        let kept = chosen.map { updates[$0] }
        let average = AggregationMath.weightedSum(kept.map(\.parameters),
                                                  weights: UpdateWeighting.sampleCount.weights(of: kept))
        return reorder(average, like: global)
    }
}
