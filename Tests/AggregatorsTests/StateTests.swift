// Checkpointing: a run that saves the aggregator state after round 1 (through JSON), builds
// a fresh aggregator and restores it must produce bit-identical rounds 2 and 3.
import Foundation
import Testing
import Tensors
@testable import Aggregators

@Suite("State snapshot and restore")
struct StateTests {
    static let configurations: [(String, Convention)] = AggregatorRegistry.standard.names.flatMap { name in
        Convention.allCases.map { (name, $0) }
    }

    @Test("resume after round 1 is bit-identical", arguments: configurations)
    func resumeIsBitIdentical(name: String, convention: Convention) throws {
        // Prepare
        let fixture = TrajectoryFixture.shared
        let uninterrupted = try AggregatorRegistry.make(name: name, convention: convention)
        let interrupted = try AggregatorRegistry.make(name: name, convention: convention)
        let initial = fixture.set(fixture.initial)

        // Execute: an uninterrupted run of three rounds...
        var straight = initial
        for round in 0..<3 {
            straight = try uninterrupted.aggregate(global: straight, updates: fixture.updates(round: round, global: straight),
                                                   failures: [], context: fixture.context(round: round))
        }
        // ...and a run that stops after round 1, saves, and continues in a new aggregator.
        var resumed = try interrupted.aggregate(global: initial, updates: fixture.updates(round: 0, global: initial),
                                                failures: [], context: fixture.context(round: 0))
        let saved = try JSONEncoder().encode(interrupted.stateSnapshot())
        let restarted = try AggregatorRegistry.make(name: name, convention: convention)
        try restarted.restore(JSONDecoder().decode(AggregatorState.self, from: saved))
        for round in 1..<3 {
            resumed = try restarted.aggregate(global: resumed, updates: fixture.updates(round: round, global: resumed),
                                              failures: [], context: fixture.context(round: round))
        }

        // Assert
        #expect(bitPatterns(resumed) == bitPatterns(straight))
        #expect(restarted.stateSnapshot() == uninterrupted.stateSnapshot())
    }

    @Test("a fresh aggregator differs from a trained one (the resume test can fail)")
    func stateMatters() throws {
        let fixture = TrajectoryFixture.shared
        let trained = try FedAdam(), fresh = try FedAdam()
        let initial = fixture.set(fixture.initial)
        let x1 = try trained.aggregate(global: initial, updates: fixture.updates(round: 0, global: initial),
                                       failures: [], context: fixture.context(round: 0))
        let fromTrained = try trained.aggregate(global: x1, updates: fixture.updates(round: 1, global: x1),
                                                failures: [], context: fixture.context(round: 1))
        let fromFresh = try fresh.aggregate(global: x1, updates: fixture.updates(round: 1, global: x1),
                                            failures: [], context: fixture.context(round: 1))
        #expect(bitPatterns(fromTrained) != bitPatterns(fromFresh))
    }

    @Test("stored tensors keep exact bit patterns, including subnormals and negative zero")
    func exactStorage() throws {
        let values: [Float] = [-0.0, .leastNonzeroMagnitude, 1.0e-38, .greatestFiniteMagnitude, 0.1, -3.3]
        let set = ParameterSet([("t", Tensor(shape: [2, 3], scalars: values))])
        let data = try JSONEncoder().encode(StoredParameterSet(set))
        let decoded = try JSONDecoder().decode(StoredParameterSet.self, from: data).parameterSet(context: "test")
        #expect(decoded["t"]?.shape == [2, 3])
        #expect(decoded["t"]?.scalars.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test("SCAFFOLD's snapshot carries every client's control variate")
    func scaffoldClientState() throws {
        // Prepare: one hand-driven round so that client 0 has c_0 = [1, -1].
        let scaffold = try Scaffold()
        let x0 = ParameterSet([("w", Tensor(shape: [2], scalars: [0, 0]))])
        let update = try trainScaffoldClient(try #require(scaffold.clientAlgorithm), extras: scaffold.broadcastExtras(global: x0),
                                             global: x0, clientID: 0, gradient: [1, -1], steps: 2, learningRate: 0.1,
                                             context: roundContext(1, clients: 1))
        _ = try scaffold.aggregate(global: x0, updates: [update], failures: [], context: roundContext(1, clients: 1))
        // Execute
        let restored = try Scaffold()
        try restored.restore(scaffold.stateSnapshot())
        // Assert
        let client = try #require(restored.clientAlgorithm as? ScaffoldClient)
        expectValues(try #require(client.controlVariate(clientID: 0)), ["w": [1, -1]], tolerance: 1e-5)
        #expect(restored.serverControlVariate == scaffold.serverControlVariate)
        #expect(restored.stepCount == 1)
    }

    @Test("restore rejects another algorithm, another configuration and malformed tensors")
    func restoreErrors() throws {
        let adam = try FedAdam()
        _ = try adam.aggregate(global: tinyGlobal, updates: tinyRoundOne(tinyGlobal), failures: [], context: roundContext(1))
        let state = adam.stateSnapshot()

        let wrongAlgorithm = aggregatorError { try FedYogi().restore(state) }
        #expect(wrongAlgorithm?.kind == .invalidState)
        #expect(wrongAlgorithm?.message.contains("cannot restore fedyogi from a state saved by fedadam") == true)

        let otherEta = try AggregatorRegistry.make(name: "fedadam", options: ["eta": 0.5])
        let wrongConfiguration = aggregatorError { try otherEta.restore(state) }
        #expect(wrongConfiguration?.message.contains("eta = 0.001") == true)

        var truncated = state
        truncated.parameterSets["firstMoment"]?.tensors[0].bytes.removeLast()
        let malformed = aggregatorError { try FedAdam().restore(truncated) }
        #expect(malformed?.message.contains("needs 8 bytes, found 7") == true)

        var inconsistent = state
        inconsistent.counters["step"] = 0
        #expect(aggregatorError { try FedAdam().restore(inconsistent) }?.kind == .invalidState)
    }
}
