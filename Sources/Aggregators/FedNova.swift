// FedNova (Wang et al., 2020, "Tackling the Objective Inconsistency Problem in
// Heterogeneous Federated Optimization"): clients that take more local steps would pull
// FedAvg toward their own objective; FedNova averages per-step (normalised) updates instead
// and rescales by the effective number of steps.
//
//   a_k      = ||a_k||_1 for client k's tau_k local steps: tau_k for plain SGD, and with
//              local momentum rho: (tau_k - rho (1 - rho^tau_k) / (1 - rho)) / (1 - rho)
//   p_k      = n_k / N
//   tau_eff  = sum_k p_k a_k
//   x       <- x + eta_g tau_eff sum_k p_k delta_k / a_k
//
// With equal step counts it reduces to FedAvg (times eta_g).

import Foundation
import Tensors

/// FedNova's normalised averaging; needs `ClientUpdate.localSteps`.
public final class FedNova: Aggregator {
    /// Server step size eta_g (1 in the paper).
    public let serverLearningRate: Double
    /// Momentum rho of the clients' local SGD (0 for plain SGD), which sets a_k.
    public let localMomentum: Double

    /// - Throws: `AggregatorError.invalidOption` for eta_g <= 0 or rho outside [0, 1).
    public init(serverLearningRate: Double = 1, localMomentum: Double = 0) throws {
        guard serverLearningRate.isFinite, serverLearningRate > 0 else {
            throw AggregatorError(.invalidOption, "fednova: eta (server learning rate) must be > 0, got \(serverLearningRate)")
        }
        guard localMomentum >= 0, localMomentum < 1 else {
            throw AggregatorError(.invalidOption, "fednova: localMomentum must be in [0, 1), got \(localMomentum)")
        }
        self.serverLearningRate = serverLearningRate
        self.localMomentum = localMomentum
    }

    public var name: String { "fednova" }
    public var clientAlgorithm: (any ClientAlgorithm)? { nil }

    var configuration: [String: String] {
        ["eta": serverLearningRate.configurationText, "localMomentum": localMomentum.configurationText]
    }

    /// ||a||_1 of `steps` local steps: the total weight the client's gradients got.
    public func normalizer(localSteps steps: Int) -> Double {
        let tau = Double(steps), rho = localMomentum
        guard rho > 0 else { return tau }
        return (tau - rho * (1 - Foundation.pow(rho, tau)) / (1 - rho)) / (1 - rho)
    }

    public func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                          context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                     algorithm: name)
        try RoundValidation.requireLocalSteps(updates, algorithm: name, context: context)
        let shares = UpdateWeighting.sampleCount.weights(of: updates)
        let norms = updates.map { normalizer(localSteps: $0.localSteps) }
        let effectiveSteps = zip(shares, norms).reduce(0.0) { $0 + $1.0 * $1.1 }
        let weights = zip(shares, norms).map { serverLearningRate * effectiveSteps * $0.0 / $0.1 }
        return AggregationMath.mapWeightedDelta(global: global, clients: updates.map(\.parameters),
                                                weights: weights) { _, x, delta, output in
            for index in delta.indices { output[index] = Float(Double(x[index]) + delta[index]) }
        }
    }

    /// FedNova keeps nothing between rounds.
    public func stateSnapshot() -> AggregatorState {
        AggregatorState(algorithm: name, configuration: configuration)
    }

    public func restore(_ state: AggregatorState) throws {
        try state.requireMatches(algorithm: name, configuration: configuration)
    }
}
