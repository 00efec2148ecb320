import Aggregators
import Datasets
import Federation
import Foundation
import Metrics
import Models
import Tensors
import Testing

@Suite struct SimulationTests {
    /// Server-side learning rates large enough for a 4-round test (the reference's 1e-3 moves
    /// adapters too little in so few rounds); FedAvg and FedProx take no server rate.
    static let algorithms: [(String, [String: Double])] = [
        ("fedavg", [:]), ("fedprox", [:]), ("fedavgm", ["eta": 1]), ("fedadam", ["eta": 1e-2]), ("fedyogi", ["eta": 1e-2]),
    ]

    @Test(arguments: algorithms.map(\.0))
    func everyAlgorithmImprovesTheTestMetric(algorithm: String) throws {
        let options = Self.algorithms.first { $0.0 == algorithm }!.1
        let (clients, test) = FederationFixtures.federation(clients: 2)
        let model = try FederationFixtures.model()
        let config = FederationFixtures.config()
        let before = try ModelEvaluator(config: config).evaluate(model, on: test).value(task: .captioning, metric: .rougeL)!
        let simulation = try FederatedSimulation(model: model, strategy: .connectorAndLoRA,
                                                 aggregator: AggregatorRegistry.make(name: algorithm, options: options),
                                                 clients: clients, testSamples: test, config: config)
        let records = try simulation.run()
        // The mean over the evaluated rounds: the last round's ROUGE-L of this 3-round fixture
        // swings by up to 0.4 when the GEMM results change by one ulp (measured with both
        // OpenBLAS and the library's AVX-512 kernel), so it alone says more about rounding than
        // about the algorithm.
        let scores = records.compactMap { $0.evaluation?.value(task: .captioning, metric: .rougeL) }
        let after = scores.reduce(0, +) / Double(Swift.max(scores.count, 1))
        #expect(scores.count == records.count)
        #expect(after > before + 0.1, "\(algorithm): ROUGE-L \(before) -> \(scores) (mean \(after))")
        #expect(records.last!.meanTrainingLoss < records.first!.meanTrainingLoss)
        #expect(records.allSatisfy { $0.clients.allSatisfy { $0.failure == nil } })
    }

    @Test func onlyTheCommunicatedSetTravelsAndIsCounted() throws {
        let (clients, test) = FederationFixtures.federation(clients: 2)
        let model = try FederationFixtures.model()
        let simulation = try FederatedSimulation(model: model, strategy: .connectorOnly, aggregator: FedAvg(), clients: clients,
                                                 testSamples: test, config: FederationFixtures.config(rounds: 1))
        let record = try simulation.runRound()
        let connectorBytes = model.parameterNames(in: .connector).reduce(0) { total, name in
            total + model.parameterSet { $0 == name }.byteCount
        }
        #expect(Set(simulation.global.names) == Set(model.parameterNames(in: .connector)))
        #expect(record.bytesDown == 2 * connectorBytes)
        #expect(record.bytesUp == 2 * connectorBytes)
    }

    @Test func resumedRunMatchesUninterruptedRunExactly() throws {
        let (clients, test) = FederationFixtures.federation(clients: 3)
        let config = FederationFixtures.config(rounds: 3)
        func makeSimulation() throws -> FederatedSimulation {
            try FederatedSimulation(model: FederationFixtures.model(), strategy: .connectorAndLoRA,
                                    aggregator: AggregatorRegistry.make(name: "fedadam", options: ["eta": 3e-2]),
                                    clients: clients, testSamples: test, config: config)
        }
        let uninterrupted = try makeSimulation()
        try uninterrupted.run()

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedvlm-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try makeSimulation()
        try first.runRound()
        try first.runRound()
        try first.writeCheckpoint(to: directory)
        // A new process would build everything anew: a fresh model and aggregator, then resume.
        let resumed = try makeSimulation()
        try resumed.resume(from: directory)
        #expect(resumed.completedRounds == 2)
        try resumed.run()
        #expect(resumed.global == uninterrupted.global)
        #expect(resumed.records.map(\.evaluation) == uninterrupted.records.map(\.evaluation))
        #expect(resumed.records.map(\.meanTrainingLoss) == uninterrupted.records.map(\.meanTrainingLoss))
    }

    /// F-2stage trains the connector, then the LoRA adapters. A stateful aggregator must start
    /// the second stage afresh (its moments and control variates describe the connector); before
    /// this was handled, round 3 failed with "parameter names differ from the global set".
    @Test(arguments: ["fedadam", "fedyogi", "fedavgm", "scaffold"])
    func twoStageRestartsTheAggregatorAtTheSwitch(algorithm: String) throws {
        let (clients, test) = FederationFixtures.federation(clients: 2)
        let options: [String: Double] = algorithm == "scaffold" ? [:] : ["eta": 1e-2]
        let simulation = try FederatedSimulation(model: FederationFixtures.model(), strategy: .twoStage(connectorFraction: 0.5),
                                                 aggregator: AggregatorRegistry.make(name: algorithm, options: options),
                                                 clients: clients, testSamples: test, config: FederationFixtures.config(rounds: 4))
        try simulation.runRound()
        try simulation.runRound()
        let afterStageOne = simulation.global
        try simulation.run()
        #expect(simulation.records.map(\.trainableGroups) == [["connector"], ["connector"], ["llm_lora"], ["llm_lora"]])
        #expect(simulation.records.allSatisfy { $0.clients.allSatisfy { $0.failure == nil } })
        let connector = simulation.model.names(in: [.connector]), lora = simulation.model.names(in: [.languageModelLoRA])
        for name in connector { #expect(simulation.global[name] == afterStageOne[name], "\(name) moved in stage 2") }
        #expect(lora.contains { simulation.global[$0] != afterStageOne[$0] }, "stage 2 did not move the adapters")
    }

    @Test func sameSeedSameNumbers() throws {
        let (clients, test) = FederationFixtures.federation(clients: 2)
        func run() throws -> ParameterSet {
            let simulation = try FederatedSimulation(model: FederationFixtures.model(), strategy: .connectorAndLoRA,
                                                     aggregator: FedAvg(), clients: clients, testSamples: test,
                                                     config: FederationFixtures.config(rounds: 2))
            try simulation.run()
            return simulation.global
        }
        #expect(try run() == run())
    }

    @Test func failingClientsAreDroppedAndReported() throws {
        var (clients, test) = FederationFixtures.federation(clients: 3)
        // Client 1 diverges: a NaN pixel makes its loss NaN. Client 2 throws: its prompt lacks <image>.
        clients[1][0].image.pixels[0] = .nan
        clients[2][0].conversations[0].value = "What colour is the image?"
        let simulation = try FederatedSimulation(model: FederationFixtures.model(), strategy: .connectorAndLoRA,
                                                 aggregator: FedAvg(), clients: clients, testSamples: test,
                                                 config: FederationFixtures.config(rounds: 1))
        let record = try simulation.runRound()
        let failures = Dictionary(uniqueKeysWithValues: record.clients.map { ($0.clientID, $0.failure) })
        #expect(failures[0]! == nil)
        #expect(failures[1]!?.contains("nan") == true)
        #expect(failures[2]!?.contains("<image>") == true)
        #expect(simulation.global.isFinite)

        var strict = FederationFixtures.config(rounds: 1)
        strict.minimumSuccessfulClients = 2
        let failing = try FederatedSimulation(model: FederationFixtures.model(), strategy: .connectorAndLoRA,
                                              aggregator: FedAvg(), clients: clients, testSamples: test, config: strict)
        #expect { try failing.runRound() } throws: { error in
            let text = "\(error)"
            return text.contains("round 1") && text.contains("only 1 of 3") && text.contains("client 2")
        }
    }

    /// Several seeds: at the fixtures' learning rate one seed can land in a collapsed minimum by
    /// rounding alone (it did when the attention kernel changed), so the claim is checked on three.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func centralBaselineTrainsOnThePooledData(seed: UInt64) throws {
        let (clients, test) = FederationFixtures.federation(clients: 3)
        let model = try FederationFixtures.model()
        let before = try ModelEvaluator(config: FederationFixtures.config()).evaluate(model, on: test)
            .value(task: .captioning, metric: .rougeL)!
        var config = FederationFixtures.config(rounds: 2, seed: seed)
        config.learningRate = 1e-2
        config.minimumLearningRate = 5e-3
        let central = try FederatedSimulation.central(model: model, strategy: .connectorAndLoRA,
                                                      clients: clients, testSamples: test, config: config)
        #expect(central.clients.count == 1)
        #expect(central.clients[0].count == clients.reduce(0) { $0 + $1.count })
        let records = try central.run()
        let after = records.last!.evaluation!.value(task: .captioning, metric: .rougeL)!
        #expect(records.last!.meanTrainingLoss < records.first!.meanTrainingLoss)
        #expect(after > before + 0.1, "central ROUGE-L \(before) -> \(after)")
    }

    @Test func clientSamplingIsSeededAndRespectsTheMinimum() throws {
        let (clients, test) = FederationFixtures.federation(clients: 4)
        var config = FederationFixtures.config(rounds: 3)
        config.clientFraction = 0.25
        config.minimumClients = 2
        let simulation = try FederatedSimulation(model: FederationFixtures.model(), strategy: .connectorOnly,
                                                 aggregator: FedAvg(), clients: clients, testSamples: test, config: config)
        for round in 1...3 {
            let sampled = simulation.sampledClients(round: round)
            #expect(sampled.count == 2)
            #expect(sampled == simulation.sampledClients(round: round))
        }
    }

    @Test func badInputsAreClearErrors() throws {
        let (clients, test) = FederationFixtures.federation(clients: 2)
        let model = try FederationFixtures.model()
        #expect { try FederatedSimulation(model: model, strategy: .connectorOnly, aggregator: FedAvg(), clients: [],
                                          testSamples: test, config: FederationFixtures.config()) }
            throws: { "\($0)".contains("no clients") }
        #expect { try FederatedSimulation(model: model, strategy: .connectorOnly, aggregator: FedAvg(), clients: [clients[0], []],
                                          testSamples: test, config: FederationFixtures.config()) }
            throws: { "\($0)".contains("client 1 has no training samples") }
        var config = FederationFixtures.config()
        config.rounds = 0
        #expect { try FederatedSimulation(model: model, strategy: .connectorOnly, aggregator: FedAvg(), clients: clients,
                                          testSamples: test, config: config) }
            throws: { "\($0)".contains("rounds 0") }
        // An update whose names differ from the global set is rejected by the aggregator.
        let global = ParameterSet([("a", Tensor.zeros([2]))])
        let wrong = ClientUpdate(clientID: 5, parameters: ParameterSet([("b", Tensor.zeros([2]))]), sampleCount: 1)
        #expect { try FedAvg().aggregate(global: global, updates: [wrong], failures: [],
                                         context: RoundContext(round: 1, totalRounds: 1)) }
            throws: { "\($0)".contains("5") }
    }
}
