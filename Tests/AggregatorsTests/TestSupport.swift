// Shared helpers for the Aggregators tests: tiny named sets, updates built as "global plus a
// client delta", and element-wise comparisons with a stated tolerance.
import Foundation
import Testing
import Tensors
@testable import Aggregators

/// A set from (name, values) pairs; every tensor is 1-D.
func vectors(_ pairs: KeyValuePairs<String, [Float]>) -> ParameterSet {
    ParameterSet(pairs.map { ($0.key, Tensor(shape: [$0.value.count], scalars: $0.value)) })
}

/// The tiny global set of the hand-computed tests: a = [1, 2], b = [0].
let tinyGlobal = vectors(["a": [1, 2], "b": [0]])

/// A client whose result is `global + delta` (computed in Float32, as a client would send it).
func client(_ id: Int, _ global: ParameterSet, delta: [String: [Float]], samples: Int, steps: Int = 1,
            extras: [String: ParameterSet] = [:]) -> ClientUpdate {
    let parameters = global.mapTensors { name, tensor in
        let shift = Tensor(shape: tensor.shape, scalars: delta[name]!)
        return tensor + shift
    }
    return ClientUpdate(clientID: id, parameters: parameters, sampleCount: samples, localSteps: steps,
                        extras: extras)
}

/// Round `round` of a run of `total` rounds.
func roundContext(_ round: Int, of total: Int = 3, clients: Int? = nil) -> RoundContext {
    RoundContext(round: round, totalRounds: total, totalClients: clients)
}

/// Expects `set[name]` to match `expected` within `tolerance` (absolute plus relative).
func expectValues(_ set: ParameterSet, _ expected: [String: [Double]], tolerance: Double = 1e-6,
                  _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Set(set.names) == Set(expected.keys), comment, sourceLocation: sourceLocation)
    for (name, values) in expected {
        guard let tensor = set[name] else { continue }
        let actual = tensor.scalars
        #expect(actual.count == values.count, comment, sourceLocation: sourceLocation)
        for (index, (got, want)) in zip(actual, values).enumerated() {
            let allowed = tolerance * (1 + abs(want))
            #expect(abs(Double(got) - want) <= allowed,
                    "\(comment.map { "\($0) " } ?? "")\(name)[\(index)] = \(got), expected \(want)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// The error `body` throws, as an `AggregatorError`, or nil when it throws nothing (or
/// something else).
func aggregatorError(_ body: () throws -> Void) -> AggregatorError? {
    do {
        try body()
        return nil
    } catch let error as AggregatorError {
        return error
    } catch {
        return nil
    }
}

/// Bit patterns of every element, for bit-identity checks.
func bitPatterns(_ set: ParameterSet) -> [String: [UInt32]] {
    Dictionary(uniqueKeysWithValues: set.entries.map { ($0.name, $0.tensor.scalars.map(\.bitPattern)) })
}
