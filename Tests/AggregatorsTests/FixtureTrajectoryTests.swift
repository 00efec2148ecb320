// Three-round trajectories of every aggregator against implementations independent of this
// code: Flower 1.42's real strategies, the reference implementation's server rules in torch
// float32, and the SCAFFOLD / FedNova papers' formulas in numpy. Written by
// Tests/Fixtures/make_aggregators_fixtures.py (see its docstring to regenerate).
import Foundation
import Testing
import Tensors
@testable import Aggregators

struct TrajectoryFixture: Decodable {
    struct Client: Decodable {
        let id: Int
        let samples: Int
        let steps: Int
        let delta: [String: [Float]]
        let controlDelta: [String: [Float]]
    }

    struct Case: Decodable {
        let algorithm: String
        let convention: String
        let options: [String: Double]
        let source: String
        let trajectory: [[String: [Float]]]
        let serverControl: [[String: [Float]]]?
    }

    let names: [String]
    let shapes: [String: [Int]]
    let totalClients: Int
    let initial: [String: [Float]]
    let rounds: [[Client]]
    let cases: [Case]

    static let shared: TrajectoryFixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/aggregator_trajectories.json")
        do {
            return try JSONDecoder().decode(TrajectoryFixture.self, from: Data(contentsOf: url))
        } catch {
            preconditionFailure("cannot read \(url.path): \(error)")
        }
    }()

    func set(_ values: [String: [Float]]) -> ParameterSet {
        ParameterSet(names.map { ($0, Tensor(shape: shapes[$0]!, scalars: values[$0]!)) })
    }

    /// The updates of round `index` when the global set is `global`.
    func updates(round index: Int, global: ParameterSet) -> [ClientUpdate] {
        rounds[index].map { client in
            let parameters = global.mapTensors { name, tensor in
                tensor + Tensor(shape: tensor.shape, scalars: client.delta[name]!)
            }
            return ClientUpdate(clientID: client.id, parameters: parameters, sampleCount: client.samples,
                                localSteps: client.steps,
                                extras: [Scaffold.controlVariateDeltaKey: set(client.controlDelta)])
        }
    }

    func context(round index: Int) -> RoundContext {
        RoundContext(round: index + 1, totalRounds: rounds.count, totalClients: totalClients)
    }
}

@Suite("Trajectories against Flower 1.42, the reference rules and the papers")
struct FixtureTrajectoryTests {
    static let caseIndices = Array(TrajectoryFixture.shared.cases.indices)

    @Test("three rounds match the fixture", arguments: caseIndices)
    func trajectoryMatches(caseIndex: Int) throws {
        // Prepare
        let fixture = TrajectoryFixture.shared
        let expected = fixture.cases[caseIndex]
        let convention = try #require(Convention(rawValue: expected.convention))
        let aggregator = try AggregatorRegistry.make(name: expected.algorithm, convention: convention,
                                                     options: expected.options)
        var global = fixture.set(fixture.initial)

        for round in fixture.rounds.indices {
            // Execute
            global = try aggregator.aggregate(global: global, updates: fixture.updates(round: round, global: global),
                                              failures: [], context: fixture.context(round: round))
            // Assert
            expectValues(global, expected.trajectory[round].mapValues { $0.map(Double.init) }, tolerance: 5e-7,
                         "\(expected.source), round \(round + 1):")
            if let controls = expected.serverControl, let scaffold = aggregator as? Scaffold {
                let control = try #require(scaffold.serverControlVariate)
                expectValues(control, controls[round].mapValues { $0.map(Double.init) }, tolerance: 5e-7,
                             "\(expected.source) server control, round \(round + 1):")
            }
        }
    }

    @Test("the fixture covers every registered aggregator in both conventions where they differ")
    func fixtureCoverage() {
        let covered = Set(TrajectoryFixture.shared.cases.map { "\($0.algorithm)/\($0.convention)" })
        for name in ["fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad"] {
            #expect(covered.contains("\(name)/reference") && covered.contains("\(name)/flower"), "\(name)")
        }
        for name in ["scaffold", "fednova", "fedmedian", "trimmedmean", "krum"] {
            #expect(covered.contains { $0.hasPrefix(name + "/") }, "\(name)")
        }
    }
}
