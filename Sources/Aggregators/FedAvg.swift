// FedAvg (McMahan et al., 2017, "Communication-Efficient Learning of Deep Networks from
// Decentralized Data") and FedProx (Li et al., 2020, "Federated Optimization in
// Heterogeneous Networks"), whose server side is FedAvg's.
//
//   FedAvg:  x <- sum_k (n_k / N) x_k,   N = sum_k n_k
//
// Both conventions agree (the reference implementation and Flower both weight by sample
// count), so FedAvg has no `Convention`.

import Tensors

/// Federated averaging: the sample-weighted mean of the clients' parameters.
///
/// Open so that variants (a server learning rate, a different weighting, a client-side
/// term) can subclass it; FedProx does.
open class FedAvg: Aggregator {
    public init() {}

    /// "fedavg".
    open var name: String { "fedavg" }

    /// Plain local training.
    open var clientAlgorithm: (any ClientAlgorithm)? { nil }

    /// Hyperparameters recorded in snapshots; none for FedAvg.
    open var configuration: [String: String] { [:] }

    /// x <- sum_k (n_k / N) x_k, summed in Double; with one client the result is that client's
    /// set exactly.
    open func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                        context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                     algorithm: name)
        let weights = UpdateWeighting.sampleCount.weights(of: updates)
        let average = AggregationMath.weightedSum(updates.map(\.parameters), weights: weights)
        return reorder(average, like: global)
    }

    /// FedAvg keeps nothing between rounds: the snapshot records only name and configuration.
    open func stateSnapshot() -> AggregatorState {
        AggregatorState(algorithm: name, configuration: configuration)
    }

    open func restore(_ state: AggregatorState) throws {
        try state.requireMatches(algorithm: name, configuration: configuration)
    }
}

/// `set` with its tensors in `reference`'s name order (updates may list names in any order).
func reorder(_ set: ParameterSet, like reference: ParameterSet) -> ParameterSet {
    if set.names == reference.names { return set }
    return ParameterSet(reference.names.map { ($0, set[$0]!) })
}

/// FedProx: FedAvg on the server; on the client the loss gains mu/2 ||w - x||^2 over the
/// parameters shared with the server, so each gradient gains mu (w - x).
///
/// Both conventions use this formula; they differ only in the default mu (`defaultMu`).
/// With mu = 0 it is exactly FedAvg.
open class FedProx: FedAvg {
    /// The default mu: 0.01 in the reference implementation; 0 in Flower 1.42's `FedProx`
    /// (which then logs that it equals FedAvg).
    public static func defaultMu(_ convention: Convention) -> Double {
        switch convention {
        case .reference: return 0.01
        case .flower: return 0
        }
    }

    /// The proximal coefficient mu (>= 0).
    public let mu: Double
    private let proximalTerm: ProximalTerm

    /// - Throws: `AggregatorError.invalidOption` when mu is negative or not finite.
    public init(mu: Double = 0.01) throws {
        self.mu = mu
        self.proximalTerm = try ProximalTerm(mu: mu)
        super.init()
    }

    open override var name: String { "fedprox" }
    open override var clientAlgorithm: (any ClientAlgorithm)? { proximalTerm }
    open override var configuration: [String: String] { ["mu": mu.configurationText] }
}

/// FedProx's client side (Li et al., 2020, eq. 2): adds mu (w - x) to the gradient of every
/// parameter that the round's global set also holds.
public final class ProximalTerm: ClientAlgorithm {
    public let mu: Double

    /// - Throws: `AggregatorError.invalidOption` when mu is negative or not finite.
    public init(mu: Double) throws {
        guard mu.isFinite, mu >= 0 else {
            throw AggregatorError(.invalidOption, "fedprox: mu must be a finite number >= 0, got \(mu)")
        }
        self.mu = mu
    }

    public var name: String { "fedprox.client" }

    public func beginLocalTraining(global: ParameterSet, serverExtras: [String: ParameterSet], clientID: Int,
                                   context: RoundContext) throws -> any LocalTrainingSession {
        ProximalSession(mu: Float(mu), anchor: global, clientID: clientID)
    }

    /// No per-client state.
    public func stateSnapshot() -> AggregatorState {
        AggregatorState(algorithm: name, configuration: ["mu": mu.configurationText])
    }

    public func restore(_ state: AggregatorState) throws {
        try state.requireMatches(algorithm: name, configuration: ["mu": mu.configurationText])
    }
}

/// One client's FedProx training: remembers x (the round's global set).
final class ProximalSession: LocalTrainingSession {
    let mu: Float
    let anchor: ParameterSet
    let clientID: Int

    init(mu: Float, anchor: ParameterSet, clientID: Int) {
        self.mu = mu
        self.anchor = anchor
        self.clientID = clientID
    }

    func adjustGradients(parameters: ParameterSet, gradients: inout ParameterSet, learningRate: Double) throws {
        if mu == 0 { return }
        try addScaledDifference(to: &gradients, scale: mu, current: parameters, anchor: anchor,
                                source: "fedprox client \(clientID)")
    }

    func finishLocalTraining(parameters: ParameterSet) throws -> [String: ParameterSet] { [:] }
}

/// gradients[name] += scale * (current[name] - anchor[name]) for every gradient whose name the
/// anchor holds (names only in `gradients` are local-only parameters). Throws when a needed
/// current value is missing or a shape differs.
func addScaledDifference(to gradients: inout ParameterSet, scale: Float, current: ParameterSet,
                         anchor: ParameterSet, source: String) throws {
    for name in gradients.names {
        guard let anchorValue = anchor[name] else { continue }
        guard let currentValue = current[name] else {
            throw AggregatorError(.invalidClientInput,
                                  "\(source): gradient \(name) has no matching entry in the current parameters")
        }
        var gradient = gradients[name]!
        guard gradient.shape == anchorValue.shape, currentValue.shape == anchorValue.shape else {
            throw AggregatorError(.invalidClientInput,
                                  "\(source): parameter \(name) has gradient shape \(gradient.shape) and value "
                                  + "shape \(currentValue.shape), the global set has \(anchorValue.shape)")
        }
        let w = currentValue.contiguous(), x = anchorValue.contiguous()
        w.withUnsafeBufferPointer { wValues in
            x.withUnsafeBufferPointer { xValues in
                gradient.withUnsafeMutableBufferPointer { g in
                    for index in g.indices { g[index] += scale * (wValues[index] - xValues[index]) }
                }
            }
        }
        gradients[name] = gradient
    }
}
