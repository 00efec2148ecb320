// Settings of a federated run (and of the Central baseline that shares them).
// Defaults follow the reference implementation (REFERENCE.md): AdamW, lr 1e-4 on a cosine
// schedule across rounds down to 1e-6 and constant within a round, batch 8, weight decay 0,
// one local epoch per round, every client in every round.

import Foundation

/// How much a client trains in one round.
public enum LocalWork: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Full passes over the client's data, in shuffled batches (the last batch may be smaller).
    case epochs(Int)
    /// A fixed number of optimiser steps, reshuffling each time the data runs out
    /// (the encoder-free reference uses 30 steps per round).
    case steps(Int)

    public var description: String {
        switch self {
        case .epochs(let n): return "\(n) epoch\(n == 1 ? "" : "s")"
        case .steps(let n): return "\(n) step\(n == 1 ? "" : "s")"
        }
    }
}

/// The optimiser clients use locally.
public enum LocalOptimizer: String, Codable, Sendable, CaseIterable {
    case adamW = "adamw"
    case sgd
}

/// Teacher-forced (reference) or generated evaluation.
public enum EvaluationProtocol: String, Codable, Sendable, CaseIterable {
    /// Argmax at the answer positions while the gold prefix is fed (the reference's protocol).
    case teacherForced = "teacher-forced"
    /// Greedy decoding from the prompt with a KV cache.
    case generated
}

/// Everything about a federated run except the model, the data and the algorithm.
public struct FederatedConfig: Codable, Sendable, Equatable {
    public var rounds: Int
    /// Fraction of clients sampled each round (1 = all, the reference's setting).
    public var clientFraction: Double
    /// At least this many clients are sampled each round.
    public var minimumClients: Int
    /// A round fails when fewer clients than this return usable updates.
    public var minimumSuccessfulClients: Int
    public var localWork: LocalWork
    public var batchSize: Int
    /// Learning rate of round 1.
    public var learningRate: Float
    /// Learning rate the cosine schedule reaches at the last round.
    public var minimumLearningRate: Float
    /// Cosine across rounds (reference) or constant.
    public var cosineSchedule: Bool
    public var optimizer: LocalOptimizer
    public var weightDecay: Float
    /// Clip the local gradient norm to this value (nil: no clipping).
    public var gradientClipNorm: Float?
    /// Evaluate on the test split after every `evaluateEvery` rounds (and always after the last).
    public var evaluateEvery: Int
    public var evaluationProtocol: EvaluationProtocol
    /// Batch size for evaluation passes.
    public var evaluationBatchSize: Int
    /// Longest generated answer (generated protocol).
    public var maxNewTokens: Int
    /// Seed of everything random in the run: sampling, data order, dropout.
    public var seed: UInt64

    public init(rounds: Int = 5, clientFraction: Double = 1, minimumClients: Int = 1, minimumSuccessfulClients: Int = 1,
                localWork: LocalWork = .epochs(1), batchSize: Int = 8, learningRate: Float = 1e-4,
                minimumLearningRate: Float = 1e-6, cosineSchedule: Bool = true, optimizer: LocalOptimizer = .adamW,
                weightDecay: Float = 0, gradientClipNorm: Float? = nil, evaluateEvery: Int = 1,
                evaluationProtocol: EvaluationProtocol = .teacherForced, evaluationBatchSize: Int = 16,
                maxNewTokens: Int = 24, seed: UInt64 = 0) {
        self.rounds = rounds
        self.clientFraction = clientFraction
        self.minimumClients = minimumClients
        self.minimumSuccessfulClients = minimumSuccessfulClients
        self.localWork = localWork
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.minimumLearningRate = minimumLearningRate
        self.cosineSchedule = cosineSchedule
        self.optimizer = optimizer
        self.weightDecay = weightDecay
        self.gradientClipNorm = gradientClipNorm
        self.evaluateEvery = evaluateEvery
        self.evaluationProtocol = evaluationProtocol
        self.evaluationBatchSize = evaluationBatchSize
        self.maxNewTokens = maxNewTokens
        self.seed = seed
    }

    /// Throws naming the first impossible setting.
    public func validate() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw FederationError("config: \(message)") }
        }
        try require(rounds >= 1, "rounds \(rounds) must be at least 1")
        try require(clientFraction > 0 && clientFraction <= 1, "clientFraction \(clientFraction) must be in (0, 1]")
        try require(minimumClients >= 1, "minimumClients \(minimumClients) must be at least 1")
        try require(minimumSuccessfulClients >= 1, "minimumSuccessfulClients \(minimumSuccessfulClients) must be at least 1")
        switch localWork {
        case .epochs(let n): try require(n >= 1, "localWork epochs \(n) must be at least 1")
        case .steps(let n): try require(n >= 1, "localWork steps \(n) must be at least 1")
        }
        try require(batchSize >= 1, "batchSize \(batchSize) must be at least 1")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate \(learningRate) must be positive")
        try require(minimumLearningRate >= 0 && minimumLearningRate <= learningRate,
                    "minimumLearningRate \(minimumLearningRate) must be in [0, learningRate]")
        try require(evaluateEvery >= 1, "evaluateEvery \(evaluateEvery) must be at least 1")
        try require(evaluationBatchSize >= 1 && maxNewTokens >= 1, "evaluationBatchSize and maxNewTokens must be at least 1")
        if let clip = gradientClipNorm { try require(clip > 0, "gradientClipNorm \(clip) must be positive") }
    }

    /// The learning rate of `round` (1-based), constant within the round. Cosine across rounds
    /// as the reference code computes it (OpenFedLLM's `cosine_learning_rate` with a 0-based
    /// round r of R): min + (lr − min)·(1 + cos(π r / R)) / 2, so round 1 uses `learningRate`
    /// and the last round is one step short of `minimumLearningRate`.
    public func learningRate(round: Int) -> Float {
        guard cosineSchedule else { return learningRate }
        let progress = Float(round - 1) / Float(rounds)
        return minimumLearningRate + (learningRate - minimumLearningRate) * 0.5 * (1 + Foundation.cos(Float.pi * progress))
    }
}

/// Errors of the federated runtime; messages name the round, client or file.
public struct FederationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
