// The Central baseline (the paper's performance ceiling): the same model, strategy and
// local-training settings, trained on the union of all clients' data.
//
// It is run as a federation of one client holding the union, aggregated by FedAvg: with a
// single client FedAvg returns that client's parameters, so each "round" is exactly one
// budget of local work (e.g. one epoch) on the pooled data, with the same learning-rate
// schedule across rounds and the same evaluation. One difference from the reference's
// central trainer: the optimiser's moments restart each round, as they do for clients.

import Aggregators
import Datasets
import Models

extension FederatedSimulation {
    /// A Central-baseline run: all clients' samples pooled into one.
    /// - Parameter config: its `rounds` are the number of central epochs (with `.epochs(1)` local work).
    public static func central(model: any VisionLanguageModel, strategy: FineTuningStrategy, clients: [[Sample]],
                               testSamples: [Sample], config: FederatedConfig) throws -> FederatedSimulation {
        let pooled = clients.flatMap { $0 }
        guard !pooled.isEmpty else { throw FederationError("central baseline: no training samples") }
        return try FederatedSimulation(model: model, strategy: strategy, aggregator: FedAvg(), clients: [pooled],
                                       testSamples: testSamples, config: config)
    }
}
