// A client's local work in one round: load the global set, train the strategy's
// parameters on private data, return the new values. One working model serves every
// client in turn, so memory does not grow with the number of clients.

import Aggregators
import Autograd
import Datasets
import Models
import NN
import Tensors

/// What a client returns after local training.
public struct LocalTrainingResult: Sendable {
    /// New values of the parameters that trained this round.
    public var parameters: ParameterSet
    public var steps: Int
    /// Mean training loss over the round's steps.
    public var meanLoss: Double
    public var sampleCount: Int
    /// What the client-side algorithm sends up besides the parameters (e.g. SCAFFOLD's Δc).
    public var extras: [String: ParameterSet]
}

/// A client's training failed; the message says why (the runtime adds the client and round).
struct LocalTrainingFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs local training on `model` for one client.
public struct LocalTrainer {
    public let config: FederatedConfig

    public init(config: FederatedConfig) { self.config = config }

    /// Batches of sample indices for one round, shuffled from `seed`.
    public func batchSchedule(sampleCount: Int, seed: UInt64) -> [[Int]] {
        var generator = RandomGenerator(seed: seed)
        var batches: [[Int]] = []
        func pass() -> [[Int]] {
            let order = generator.permutation(sampleCount)
            return stride(from: 0, to: sampleCount, by: config.batchSize).map {
                Array(order[$0..<min(sampleCount, $0 + config.batchSize)])
            }
        }
        switch config.localWork {
        case .epochs(let epochs):
            for _ in 0..<epochs { batches += pass() }
        case .steps(let steps):
            while batches.count < steps { batches += pass() }
            batches = Array(batches.prefix(steps))
        }
        return batches
    }

    /// Trains the parameters named in `trainable` on `samples`, starting from `start` (loaded into
    /// the model first), and returns their new values.
    /// - Parameters:
    ///   - learningRate: the round's rate (constant within the round).
    ///   - clientAlgorithm: optional client-side hook (FedProx's proximal term, SCAFFOLD's correction).
    ///   - seed: the client's seed for this round: data order and dropout.
    func train(model: any VisionLanguageModel, samples: [Sample], start: ParameterSet, trainable: Set<String>,
               learningRate: Float, clientAlgorithm: (any ClientAlgorithm)?, serverExtras: [String: ParameterSet],
               clientID: Int, context: RoundContext, seed: UInt64) throws -> LocalTrainingResult {
        guard !samples.isEmpty else { throw LocalTrainingFailure(description: "client has no training samples") }
        try model.load(start)
        model.freeze()
        model.unfreeze { trainable.contains($0) }
        model.train()
        model.reseedRandomness(RandomGenerator.derivedSeed(seed, 1))
        let parameters = model.trainableParameters()
        let optimizer: any Optimizer = config.optimizer == .adamW
            ? AdamW(learningRate: learningRate, weightDecay: config.weightDecay)
            : SGD(learningRate: learningRate, weightDecay: config.weightDecay)
        let globalTrainable = start.filter { trainable.contains($0) }
        let session = try clientAlgorithm?.beginLocalTraining(global: globalTrainable, serverExtras: serverExtras,
                                                              clientID: clientID, context: context)
        var totalLoss = 0.0
        let batches = batchSchedule(sampleCount: samples.count, seed: RandomGenerator.derivedSeed(seed, 2))
        for (step, batch) in batches.enumerated() {
            let loss = try model.loss(batch.map { samples[$0] })
            let value = loss.value.scalar
            guard value.isFinite else {
                throw LocalTrainingFailure(description: "loss became \(value) at local step \(step + 1)")
            }
            totalLoss += Double(value)
            model.zeroGradients()
            loss.backward()
            if let session {
                // Parameters without a gradient this step (unused by the batch) get zeros so the
                // hook sees the full trainable set.
                var gradients = ParameterSet(parameters.map { name, p in (name, p.grad ?? .zeros(p.value.shape)) })
                try session.adjustGradients(parameters: ParameterSet(parameters.map { ($0.0, $0.1.value) }),
                                            gradients: &gradients, learningRate: Double(learningRate))
                for (name, parameter) in parameters { parameter.grad = gradients[name] }
            }
            if let clip = config.gradientClipNorm { clipGradientNorm(parameters, maxNorm: clip) }
            optimizer.step(parameters)
        }
        model.zeroGradients()
        let result = model.parameterSet { trainable.contains($0) }
        guard result.isFinite else { throw LocalTrainingFailure(description: "parameters became non-finite during local training") }
        let extras = try session?.finishLocalTraining(parameters: result) ?? [:]
        return LocalTrainingResult(parameters: result, steps: batches.count, meanLoss: totalLoss / Double(max(1, batches.count)),
                                   sampleCount: samples.count, extras: extras)
    }
}
