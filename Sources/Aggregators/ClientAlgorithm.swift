// The client side of algorithms that change local training. The runtime's training loop
// calls these hooks without knowing what they do; the hooks see only named sets.

import Tensors

/// The client half of an aggregation algorithm (FedProx, SCAFFOLD).
///
/// Call protocol, per client per round (the runtime's local training):
/// 1. `beginLocalTraining(global:serverExtras:clientID:context:)` once, after the client
///    has loaded the global set into its model and before its first step. `serverExtras`
///    is what `Aggregator.broadcastExtras(global:)` returned this round.
/// 2. `session.adjustGradients(parameters:gradients:learningRate:)` once per optimiser
///    step: after the backward pass (and after summing micro-batch gradients, if any),
///    before gradient clipping, weight decay and the optimiser update. `parameters` are
///    the trainable values the gradients belong to (the values before this step) and
///    `learningRate` is the rate this step's update will use.
/// 3. `session.finishLocalTraining(parameters:)` once, after the last step, with the trained
///    values; what it returns goes into `ClientUpdate.extras`.
///
/// One instance serves every simulated client (sessions keep per-client work apart), so it
/// must be safe to call from several threads at once.
public protocol ClientAlgorithm: AnyObject, Sendable {
    /// Name for logs and saved state ("fedprox.client").
    var name: String { get }

    /// Starts one client's local training for this round.
    func beginLocalTraining(global: ParameterSet, serverExtras: [String: ParameterSet], clientID: Int,
                            context: RoundContext) throws -> any LocalTrainingSession

    /// Per-client state kept on the client side between rounds (SCAFFOLD's c_k).
    func stateSnapshot() -> AggregatorState
    /// Replaces the client-side state.
    func restore(_ state: AggregatorState) throws
}

/// One client's local training in one round; used from a single thread.
public protocol LocalTrainingSession: AnyObject {
    /// Adds the algorithm's term to `gradients` (same names as the trainable set). Names
    /// absent from the round's global set are local-only parameters and are left alone.
    func adjustGradients(parameters: ParameterSet, gradients: inout ParameterSet, learningRate: Double) throws

    /// Ends local training; returns the extras to send with the update (may be empty).
    func finishLocalTraining(parameters: ParameterSet) throws -> [String: ParameterSet]
}
