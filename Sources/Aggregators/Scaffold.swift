// SCAFFOLD (Karimireddy et al., 2020, "SCAFFOLD: Stochastic Controlled Averaging for
// Federated Learning"), Algorithm 1 with option II for the client control variate.
//
//   client k, each local step:   y <- y - eta_l (g(y) + c - c_k)        (gradient + correction)
//   client k, after S steps:      c_k+ = c_k - c + (x - y) / sum_s eta_l,s
//                                 sends delta_k = y - x and dc_k = c_k+ - c_k
//   server:                       x <- x + eta_g sum_k w_k delta_k
//                                 c <- c + (1 / N) sum_k dc_k         (N = clients in the federation)
//
// The paper's K eta_l (K steps at a constant rate) is generalised to the sum of the rates
// actually used, which is the same for a constant rate and stays correct under a schedule.
// Option II assumes plain SGD steps; with Adam-type local optimisers it is the usual
// heuristic (the correction is still added to the gradient before the optimiser).

import Synchronization
import Tensors

/// SCAFFOLD's server side; owns the matching `ScaffoldClient`.
public final class Scaffold: Aggregator {
    /// `ClientUpdate.extras` key of dc_k, the client control-variate change.
    public static let controlVariateDeltaKey = "scaffold.controlVariateDelta"
    /// `broadcastExtras` key of c, the server control variate.
    public static let serverControlVariateKey = "scaffold.serverControlVariate"

    /// Global step size eta_g (1 in the paper's experiments).
    public let serverLearningRate: Double
    /// Weights of the client updates in the x step (the control variates always use 1/N).
    public let weighting: UpdateWeighting
    /// The server control variate c; nil before the first round (c = 0).
    public private(set) var serverControlVariate: ParameterSet?
    /// Server steps taken so far.
    public private(set) var stepCount = 0
    private let client = ScaffoldClient()

    /// - Parameters:
    ///   - serverLearningRate: eta_g > 0.
    ///   - weighting: `.sampleCount` (default, as this library's FedAvg) or `.uniform` (the
    ///     paper's 1/|S|).
    public init(serverLearningRate: Double = 1, weighting: UpdateWeighting = .sampleCount) throws {
        guard serverLearningRate.isFinite, serverLearningRate > 0 else {
            throw AggregatorError(.invalidOption, "scaffold: eta (server learning rate) must be > 0, got \(serverLearningRate)")
        }
        self.serverLearningRate = serverLearningRate
        self.weighting = weighting
    }

    public var name: String { "scaffold" }
    public var clientAlgorithm: (any ClientAlgorithm)? { client }

    var configuration: [String: String] {
        ["eta": serverLearningRate.configurationText, "weighting": weighting.rawValue]
    }

    /// c, or zeros shaped like `global` before the first round.
    public func broadcastExtras(global: ParameterSet) -> [String: ParameterSet] {
        [Scaffold.serverControlVariateKey: serverControlVariate ?? global.mapTensors { Tensor.zeros($1.shape) }]
    }

    public func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                          context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                     algorithm: name)
        let prefix = "\(name), round \(context.round)"
        var controlDeltas: [ParameterSet] = []
        for update in updates {
            guard let delta = update.extras[Scaffold.controlVariateDeltaKey] else {
                throw AggregatorError(.incompatibleUpdate,
                                      "\(prefix): update from client \(update.clientID) lacks the extra "
                                      + "\(Scaffold.controlVariateDeltaKey) (is the SCAFFOLD client side running?)")
            }
            try RoundValidation.requireSameLayout(delta, as: global,
                                                  source: "\(prefix): \(Scaffold.controlVariateDeltaKey) from client \(update.clientID)")
            controlDeltas.append(delta)
        }
        let federationSize = context.totalClients ?? updates.count
        guard federationSize >= updates.count else {
            throw AggregatorError(.invalidUpdate,
                                  "\(prefix): \(updates.count) updates but totalClients is \(federationSize)")
        }
        let control = serverControlVariate ?? global.mapTensors { Tensor.zeros($1.shape) }
        try RoundValidation.requireSameLayout(control, as: global, source: "\(prefix): server control variate")

        let eta = serverLearningRate
        let next = AggregationMath.mapWeightedDelta(global: global, clients: updates.map(\.parameters),
                                                    weights: weighting.weights(of: updates)) { _, x, delta, output in
            for index in delta.indices { output[index] = Float(Double(x[index]) + eta * delta[index]) }
        }
        let share = 1 / Double(federationSize)
        serverControlVariate = reorder(
            AggregationMath.weightedSum([control] + controlDeltas,
                                        weights: [1] + [Double](repeating: share, count: controlDeltas.count)),
            like: global)
        stepCount += 1
        return next
    }

    /// Server c, the step count and (simulation) every client's c_k, stored as
    /// "clientControlVariate.<id>".
    public func stateSnapshot() -> AggregatorState {
        var sets = client.stateSnapshot().parameterSets
        if let serverControlVariate { sets["serverControlVariate"] = StoredParameterSet(serverControlVariate) }
        return AggregatorState(algorithm: name, configuration: configuration, counters: ["step": stepCount],
                               parameterSets: sets)
    }

    public func restore(_ state: AggregatorState) throws {
        try state.requireMatches(algorithm: name, configuration: configuration)
        let steps = try state.counter("step")
        let control = try state.parameterSet("serverControlVariate")
        var clientState = AggregatorState(algorithm: client.name)
        clientState.parameterSets = state.parameterSets.filter { $0.key != "serverControlVariate" }
        try client.restore(clientState)
        stepCount = steps
        serverControlVariate = control
    }
}

/// SCAFFOLD's client side: keeps each client's control variate c_k (zero until the client
/// first finishes a round) and opens a session that adds c - c_k to every gradient.
public final class ScaffoldClient: ClientAlgorithm {
    private let controlVariates = Mutex<[Int: ParameterSet]>([:])
    private static let clientPrefix = "clientControlVariate."

    public init() {}

    public var name: String { "scaffold.client" }

    /// c_k of `clientID`, or nil before its first finished round.
    public func controlVariate(clientID: Int) -> ParameterSet? {
        controlVariates.withLock { $0[clientID] }
    }

    public func beginLocalTraining(global: ParameterSet, serverExtras: [String: ParameterSet], clientID: Int,
                                   context: RoundContext) throws -> any LocalTrainingSession {
        let source = "scaffold client \(clientID), round \(context.round)"
        guard let serverControl = serverExtras[Scaffold.serverControlVariateKey] else {
            throw AggregatorError(.invalidClientInput,
                                  "\(source): server extras lack \(Scaffold.serverControlVariateKey) "
                                  + "(pass Aggregator.broadcastExtras(global:) to beginLocalTraining)")
        }
        try RoundValidation.requireSameLayout(serverControl, as: global, source: "\(source): server control variate")
        let own = controlVariate(clientID: clientID) ?? global.mapTensors { Tensor.zeros($1.shape) }
        try RoundValidation.requireSameLayout(own, as: global, source: "\(source): client control variate")
        return ScaffoldSession(owner: self, clientID: clientID, source: source, global: global,
                               serverControl: serverControl, clientControl: own)
    }

    fileprivate func commit(_ controlVariate: ParameterSet, clientID: Int) {
        controlVariates.withLock { $0[clientID] = controlVariate }
    }

    /// Every client's c_k as "clientControlVariate.<id>".
    public func stateSnapshot() -> AggregatorState {
        let all = controlVariates.withLock { $0 }
        var sets: [String: StoredParameterSet] = [:]
        for (clientID, set) in all { sets[ScaffoldClient.clientPrefix + String(clientID)] = StoredParameterSet(set) }
        return AggregatorState(algorithm: name, parameterSets: sets)
    }

    public func restore(_ state: AggregatorState) throws {
        try state.requireMatches(algorithm: name, configuration: [:])
        var restored: [Int: ParameterSet] = [:]
        for key in state.parameterSets.keys {
            guard key.hasPrefix(ScaffoldClient.clientPrefix),
                  let clientID = Int(key.dropFirst(ScaffoldClient.clientPrefix.count)) else {
                throw AggregatorError(.invalidState, "\(name): unexpected saved entry \(key)")
            }
            restored[clientID] = try state.parameterSet(key)
        }
        controlVariates.withLock { $0 = restored }
    }
}

/// One client's SCAFFOLD round: the correction c - c_k and the learning rates used.
final class ScaffoldSession: LocalTrainingSession {
    let owner: ScaffoldClient
    let clientID: Int
    let source: String
    let global: ParameterSet
    let serverControl: ParameterSet
    let clientControl: ParameterSet
    let correction: ParameterSet
    private(set) var stepCount = 0
    private(set) var learningRateSum = 0.0

    init(owner: ScaffoldClient, clientID: Int, source: String, global: ParameterSet, serverControl: ParameterSet,
         clientControl: ParameterSet) {
        self.owner = owner
        self.clientID = clientID
        self.source = source
        self.global = global
        self.serverControl = serverControl
        self.clientControl = clientControl
        self.correction = serverControl.mapTensors { name, c in c - clientControl[name]! }
    }

    /// g += c - c_k for every gradient the global set also holds; counts the step and its rate.
    func adjustGradients(parameters: ParameterSet, gradients: inout ParameterSet, learningRate: Double) throws {
        guard learningRate.isFinite, learningRate > 0 else {
            throw AggregatorError(.invalidClientInput, "\(source): learning rate must be > 0, got \(learningRate)")
        }
        for name in gradients.names {
            guard let shift = correction[name] else { continue }
            var gradient = gradients[name]!
            guard gradient.shape == shift.shape else {
                throw AggregatorError(.invalidClientInput,
                                      "\(source): gradient \(name) has shape \(gradient.shape), "
                                      + "the global set has \(shift.shape)")
            }
            gradient.addScaled(shift, scale: 1)
            gradients[name] = gradient
        }
        stepCount += 1
        learningRateSum += learningRate
    }

    /// Option II: c_k+ = c_k - c + (x - y) / sum of step rates; stores c_k+ for the client and
    /// returns dc_k = c_k+ - c_k under `Scaffold.controlVariateDeltaKey`.
    func finishLocalTraining(parameters: ParameterSet) throws -> [String: ParameterSet] {
        guard stepCount >= 1 else {
            throw AggregatorError(.invalidClientInput,
                                  "\(source): finishLocalTraining after 0 optimiser steps; call adjustGradients once per step")
        }
        let trained = try ParameterSet(global.names.map { name -> (String, Tensor) in
            guard let value = parameters[name], value.shape == global[name]!.shape else {
                throw AggregatorError(.invalidClientInput,
                                      "\(source): trained parameters lack \(name) of shape \(global[name]!.shape)")
            }
            return (name, value)
        })
        let inverseRate = 1 / learningRateSum
        var delta: [(String, Tensor)] = []
        let newSet = AggregationMath.mapCoordinates(reference: global,
                                                    sets: [global, trained, serverControl, clientControl]) {
            name, pointers, output, count in
            let x = pointers[0], y = pointers[1], c = pointers[2], ck = pointers[3]
            var change = Tensor(uninitializedShape: global[name]!.shape)
            change.withUnsafeMutableBufferPointer { changeValues in
                for index in 0..<count {
                    let updated = Float(Double(ck[index]) - Double(c[index])
                                        + (Double(x[index]) - Double(y[index])) * inverseRate)
                    output[index] = updated
                    changeValues[index] = updated - ck[index]
                }
            }
            delta.append((name, change))
        }
        let deltaSet = ParameterSet(delta)
        guard newSet.isFinite, deltaSet.isFinite else {
            throw AggregatorError(.invalidClientInput,
                                  "\(source): the new control variate is not finite (non-finite trained values?); "
                                  + "c_k was left unchanged")
        }
        owner.commit(newSet, clientID: clientID)
        return [Scaffold.controlVariateDeltaKey: deltaSet]
    }
}
