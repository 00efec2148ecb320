// The federated simulation: a server loop over rounds with K simulated clients.
//
// One round (ARCHITECTURE.md, "Federated round"):
//   sample clients (seeded) -> each client loads the global set into the one working model,
//   trains its strategy's parameters locally -> update (values, sample count, metrics) ->
//   aggregator -> new global set -> evaluation on the test split when scheduled.
// Clients that throw or return non-finite values are dropped and reported; the round fails
// only when fewer than `minimumSuccessfulClients` remain.
// Every random draw derives from (config.seed, round, client), so a resumed run repeats an
// uninterrupted one exactly.

import Aggregators
import Datasets
import Foundation
import Models
import NN
import Tensors

/// One client's outcome in a round, for the log.
public struct ClientRecord: Codable, Sendable, Equatable {
    public var clientID: Int
    public var sampleCount: Int
    public var steps: Int
    public var meanLoss: Double?
    /// Why the client was dropped, nil when its update was used.
    public var failure: String?
}

/// Everything that happened in one round.
public struct RoundRecord: Codable, Sendable, Equatable {
    public var round: Int
    public var learningRate: Float
    public var trainableGroups: [String]
    public var clients: [ClientRecord]
    /// Sample-weighted mean training loss of the successful clients.
    public var meanTrainingLoss: Double
    /// Bytes of the communicated set sent to the clients and back (Float32).
    public var bytesDown: Int
    public var bytesUp: Int
    public var seconds: Double
    /// Test metrics, when the round was evaluated.
    public var evaluation: TestEvaluation?
}

/// A federated fine-tuning run in simulation.
public final class FederatedSimulation {
    public let model: any VisionLanguageModel
    public let strategy: FineTuningStrategy
    public let aggregator: any Aggregator
    /// Each client's private training samples.
    public let clients: [[Sample]]
    public let testSamples: [Sample]
    public let config: FederatedConfig
    /// The server's copy of every parameter the strategy ever trains.
    public private(set) var global: ParameterSet
    /// Rounds completed so far.
    public private(set) var completedRounds = 0
    public private(set) var records: [RoundRecord] = []
    /// Called after each round (progress display).
    public var onRoundFinished: ((RoundRecord) -> Void)?
    /// Called after each client of a round (progress display): (round, client position, clients this round).
    public var onClientFinished: ((Int, Int, Int) -> Void)?
    /// The aggregator's state before the first round, restored when the trained groups change.
    private let freshAggregatorState: AggregatorState

    /// - Throws: on an invalid config, no clients, an empty client, or a strategy the architecture cannot run.
    public init(model: any VisionLanguageModel, strategy: FineTuningStrategy, aggregator: any Aggregator,
                clients: [[Sample]], testSamples: [Sample], config: FederatedConfig) throws {
        try config.validate()
        try strategy.validate(for: model.architecture)
        guard !clients.isEmpty else { throw FederationError("no clients: a federation needs at least one") }
        if let empty = clients.firstIndex(where: { $0.isEmpty }) {
            throw FederationError("client \(empty) has no training samples")
        }
        guard config.minimumSuccessfulClients <= clients.count else {
            throw FederationError("config: minimumSuccessfulClients \(config.minimumSuccessfulClients) exceeds the \(clients.count) clients")
        }
        self.model = model
        self.strategy = strategy
        self.aggregator = aggregator
        self.freshAggregatorState = aggregator.stateSnapshot()
        self.clients = clients
        self.testSamples = testSamples
        self.config = config
        let names = model.names(in: strategy.allGroups)
        self.global = model.parameterSet { names.contains($0) }
        guard !global.isEmpty else { throw FederationError("strategy \(strategy) selects no parameters of this model") }
    }

    /// Clients taking part in `round`: all when `clientFraction` is 1, else a seeded sample of
    /// max(minimumClients, round(fraction·K)) clients.
    public func sampledClients(round: Int) -> [Int] {
        let count = clients.count
        let wanted = min(count, max(config.minimumClients, Int((config.clientFraction * Double(count)).rounded())))
        if wanted == count { return Array(0..<count) }
        var generator = RandomGenerator(seed: RandomGenerator.derivedSeed(config.seed, 1_000_000 + UInt64(round)))
        return Array(generator.permutation(count).prefix(wanted)).sorted()
    }

    /// The seed of client `clientID`'s local work in `round`.
    public func clientSeed(round: Int, clientID: Int) -> UInt64 {
        RandomGenerator.derivedSeed(RandomGenerator.derivedSeed(config.seed, UInt64(round)), UInt64(clientID))
    }

    /// Runs the remaining rounds.
    @discardableResult
    public func run() throws -> [RoundRecord] {
        while completedRounds < config.rounds { try runRound() }
        return records
    }

    /// Runs the next round and returns its record.
    @discardableResult
    public func runRound() throws -> RoundRecord {
        let round = completedRounds + 1
        let started = Date()
        let groups = strategy.trainableGroups(round: round, totalRounds: config.rounds)
        if round > 1 && groups != strategy.trainableGroups(round: round - 1, totalRounds: config.rounds) {
            // F-2stage's switch from the connector to the LoRA adapters starts a new federated
            // training of other parameters: moments and control variates kept for the first
            // stage's parameters do not apply, so the aggregator starts from its initial state.
            try aggregator.restore(freshAggregatorState)
        }
        let trainable = model.names(in: groups)
        let learningRate = config.learningRate(round: round)
        let context = RoundContext(round: round, totalRounds: config.rounds, totalClients: clients.count)
        let roundGlobal = global.filter { trainable.contains($0) }
        let serverExtras = aggregator.broadcastExtras(global: roundGlobal)
        let participants = sampledClients(round: round)
        let trainer = LocalTrainer(config: config)

        var updates: [ClientUpdate] = []
        var failures: [ClientFailure] = []
        var clientRecords: [ClientRecord] = []
        for (position, clientID) in participants.enumerated() {
            let samples = clients[clientID]
            do {
                let result = try trainer.train(model: model, samples: samples, start: global, trainable: trainable,
                                               learningRate: learningRate, clientAlgorithm: aggregator.clientAlgorithm,
                                               serverExtras: serverExtras, clientID: clientID, context: context,
                                               seed: clientSeed(round: round, clientID: clientID))
                updates.append(ClientUpdate(clientID: clientID, parameters: result.parameters, sampleCount: result.sampleCount,
                                            localSteps: result.steps, metrics: ["loss": result.meanLoss], extras: result.extras))
                clientRecords.append(ClientRecord(clientID: clientID, sampleCount: samples.count, steps: result.steps,
                                                  meanLoss: result.meanLoss, failure: nil))
            } catch {
                let reason = "\(error)"
                failures.append(ClientFailure(clientID: clientID, reason: reason))
                clientRecords.append(ClientRecord(clientID: clientID, sampleCount: samples.count, steps: 0,
                                                  meanLoss: nil, failure: reason))
            }
            onClientFinished?(round, position + 1, participants.count)
        }
        guard updates.count >= config.minimumSuccessfulClients else {
            let reasons = failures.map { "client \($0.clientID): \($0.reason)" }.joined(separator: "; ")
            throw FederationError("round \(round): only \(updates.count) of \(participants.count) clients returned usable updates (minimum \(config.minimumSuccessfulClients)); \(reasons)")
        }
        let aggregated = try aggregator.aggregate(global: roundGlobal, updates: updates, failures: failures, context: context)
        guard aggregated.isFinite else { throw FederationError("round \(round): aggregator \(aggregator.name) produced non-finite parameters") }
        for (name, tensor) in aggregated.entries { global[name] = tensor }

        var evaluation: TestEvaluation? = nil
        if round % config.evaluateEvery == 0 || round == config.rounds {
            try model.load(global)
            evaluation = try ModelEvaluator(config: config).evaluate(model, on: testSamples)
        }
        let totalSamples = updates.reduce(0) { $0 + $1.sampleCount }
        let meanLoss = updates.reduce(0.0) { $0 + ($1.metrics["loss"] ?? 0) * Double($1.sampleCount) } / Double(max(1, totalSamples))
        let record = RoundRecord(round: round, learningRate: learningRate, trainableGroups: groups.map(\.rawValue),
                                 clients: clientRecords, meanTrainingLoss: meanLoss,
                                 bytesDown: roundGlobal.byteCount * participants.count,
                                 bytesUp: updates.reduce(0) { $0 + $1.parameters.byteCount + $1.extras.values.reduce(0) { $0 + $1.byteCount } },
                                 seconds: Date().timeIntervalSince(started), evaluation: evaluation)
        records.append(record)
        completedRounds = round
        onRoundFinished?(record)
        return record
    }

    /// The model with the current global parameters loaded (for evaluation or export).
    public func modelWithGlobalParameters() throws -> any VisionLanguageModel {
        try model.load(global)
        return model
    }

    // MARK: Checkpoints

    /// Restores server state written by `writeCheckpoint` (the run continues from the next round).
    func restore(global: ParameterSet, completedRounds: Int, records: [RoundRecord]) throws {
        try self.global.validateCompatible(with: global, context: "checkpoint global parameters")
        self.global = global
        self.completedRounds = completedRounds
        self.records = records
    }
}
