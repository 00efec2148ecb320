// Server optimisers: the server treats the averaged client update as a (negative) gradient
// and takes an optimiser step with it (Hsu et al., 2019, "Measuring the Effects of
// Non-Identical Data Distribution for Federated Visual Classification": FedAvgM; Reddi et
// al., 2021, "Adaptive Federated Optimization": FedAdagrad, FedAdam, FedYogi).
//
// In this module's sign convention (delta_k = x_k - x), per coordinate and round t:
//   d   = sum_k w_k delta_k                          (w_k uniform or by sample count)
//   m   = beta1 m + c d                              (c = 1 - beta1, or 1 for heavy-ball)
//         the first time: m = d (reference) or m from m0 = 0 (Flower)
//   v   = rule(v, s)                                 (adaptive rules only; s = m or d)
//   x  <- x + eta_t m / (sqrt(v) + tau)              (adaptive)
//   x  <- x + eta_t m                                (momentum only: FedAvgM)
// `ServerOptimizerSettings` picks each variant; `.reference` and `.flower` factories give
// the two published conventions (table in Docs/Aggregators.md).

import Foundation
import Tensors

/// The knobs of a server optimiser and the choices that distinguish the two conventions.
public struct ServerOptimizerSettings: Sendable, Equatable {
    /// How the first moment starts.
    public enum FirstMomentStart: String, Sendable, Equatable {
        /// m = d on the first server step (the reference implementation).
        case firstUpdate
        /// m0 = 0, so the first step applies the rule to zero (Flower).
        case zero
    }

    /// What the second-moment rule squares.
    public enum SecondMomentInput: String, Sendable, Equatable {
        /// The freshly updated first moment m (the reference implementation).
        case firstMoment
        /// The averaged update d (Flower; Reddi et al., 2021).
        case averagedUpdate
    }

    /// Server learning rate eta (> 0).
    public var learningRate: Double
    /// First-moment (momentum) coefficient beta1 in [0, 1).
    public var beta1: Double
    /// Weight of d in the first-moment update: `true` gives m = beta1 m + (1 - beta1) d,
    /// `false` gives the heavy-ball m = beta1 m + d (Flower's FedAvgM).
    public var dampensFirstMoment: Bool
    /// Second-moment coefficient beta2 in [0, 1) (FedAdam, FedYogi).
    public var beta2: Double
    /// Adaptivity tau (> 0): added to sqrt(v); v also starts at tau^2 when
    /// `secondMomentStartsAtTauSquared`.
    public var tau: Double
    /// Client weights in d.
    public var weighting: UpdateWeighting
    public var firstMomentStart: FirstMomentStart
    public var secondMomentInput: SecondMomentInput
    /// v0 = tau^2 (reference) instead of 0 (Flower).
    public var secondMomentStartsAtTauSquared: Bool
    /// Scale eta by sqrt(1 - beta2^(t+1)) / (1 - beta1^(t+1)), t = round (Flower's FedAdam).
    public var biasCorrection: Bool

    public init(learningRate: Double, beta1: Double, dampensFirstMoment: Bool = true, beta2: Double = 0,
                tau: Double = 0, weighting: UpdateWeighting, firstMomentStart: FirstMomentStart,
                secondMomentInput: SecondMomentInput = .averagedUpdate,
                secondMomentStartsAtTauSquared: Bool = false, biasCorrection: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.dampensFirstMoment = dampensFirstMoment
        self.beta2 = beta2
        self.tau = tau
        self.weighting = weighting
        self.firstMomentStart = firstMomentStart
        self.secondMomentInput = secondMomentInput
        self.secondMomentStartsAtTauSquared = secondMomentStartsAtTauSquared
        self.biasCorrection = biasCorrection
    }

    /// The shared shape of the adaptive rules in `convention`, with these defaults.
    static func adaptive(_ convention: Convention, learningRate: Double, beta1: Double, beta2: Double,
                         tau: Double) -> ServerOptimizerSettings {
        switch convention {
        case .reference:
            // Unweighted mean of the client updates; m = d first; v0 = tau^2; v squares m.
            return ServerOptimizerSettings(learningRate: learningRate, beta1: beta1, beta2: beta2, tau: tau,
                                           weighting: .uniform, firstMomentStart: .firstUpdate,
                                           secondMomentInput: .firstMoment, secondMomentStartsAtTauSquared: true)
        case .flower:
            // Sample-weighted mean (FedAvg's result minus x); m0 = v0 = 0; v squares d.
            return ServerOptimizerSettings(learningRate: learningRate, beta1: beta1, beta2: beta2, tau: tau,
                                           weighting: .sampleCount, firstMomentStart: .zero,
                                           secondMomentInput: .averagedUpdate)
        }
    }

    /// FedAvgM. Reference: d weighted by samples, m = beta1 m + (1 - beta1) d (m = d first),
    /// x <- x + m, beta1 = 0.9. Flower: v = mu v + d, x <- x + eta v, eta = 1, mu = 0.
    public static func fedAvgM(_ convention: Convention) -> ServerOptimizerSettings {
        switch convention {
        case .reference:
            return ServerOptimizerSettings(learningRate: 1, beta1: 0.9, weighting: .sampleCount,
                                           firstMomentStart: .firstUpdate)
        case .flower:
            return ServerOptimizerSettings(learningRate: 1, beta1: 0, dampensFirstMoment: false,
                                           weighting: .sampleCount, firstMomentStart: .zero)
        }
    }

    /// FedAdam. Reference: eta 1e-3, tau 1e-3, beta1 0.9, beta2 0.99, no bias correction.
    /// Flower: eta 0.1, tau 1e-3, beta1 0.9, beta2 0.99, bias-corrected step.
    public static func fedAdam(_ convention: Convention) -> ServerOptimizerSettings {
        switch convention {
        case .reference:
            return adaptive(.reference, learningRate: 1e-3, beta1: 0.9, beta2: 0.99, tau: 1e-3)
        case .flower:
            var settings = adaptive(.flower, learningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3)
            settings.biasCorrection = true
            return settings
        }
    }

    /// FedYogi. Reference: eta 1e-3, tau 1e-3, beta1 0.9, beta2 0.99. Flower: eta 1e-2,
    /// tau 1e-3, beta1 0.9, beta2 0.99.
    public static func fedYogi(_ convention: Convention) -> ServerOptimizerSettings {
        switch convention {
        case .reference: return adaptive(.reference, learningRate: 1e-3, beta1: 0.9, beta2: 0.99, tau: 1e-3)
        case .flower: return adaptive(.flower, learningRate: 1e-2, beta1: 0.9, beta2: 0.99, tau: 1e-3)
        }
    }

    /// FedAdagrad: m = d (beta1 = 0) in both. Reference: eta 1e-3, tau 1e-3. Flower: eta 0.1,
    /// tau 1e-3.
    public static func fedAdagrad(_ convention: Convention) -> ServerOptimizerSettings {
        switch convention {
        case .reference: return adaptive(.reference, learningRate: 1e-3, beta1: 0, beta2: 0, tau: 1e-3)
        case .flower: return adaptive(.flower, learningRate: 0.1, beta1: 0, beta2: 0, tau: 1e-3)
        }
    }

    /// Every field as text, for `AggregatorState.configuration`.
    var configuration: [String: String] {
        ["eta": learningRate.configurationText, "beta1": beta1.configurationText,
         "beta2": beta2.configurationText, "tau": tau.configurationText,
         "dampensFirstMoment": "\(dampensFirstMoment)", "weighting": weighting.rawValue,
         "firstMomentStart": firstMomentStart.rawValue, "secondMomentInput": secondMomentInput.rawValue,
         "secondMomentStartsAtTauSquared": "\(secondMomentStartsAtTauSquared)",
         "biasCorrection": "\(biasCorrection)"]
    }
}

/// The shared base of the server optimisers: computes d, keeps the first moment m, the
/// second moment v and the step count, and applies the step.
///
/// As a base it is server SGD with momentum (no second moment): that is FedAvgM. Adaptive
/// rules subclass `AdaptiveServerOptimizer` and override `nextSecondMoment`.
open class ServerOptimizerAggregator: Aggregator {
    /// The rule's hyperparameters and variant choices.
    public let settings: ServerOptimizerSettings
    /// The convention the settings came from (recorded in snapshots; informational when
    /// the settings were edited).
    public let convention: Convention
    /// m, named like the global set; nil before the first server step.
    public private(set) var firstMoment: ParameterSet?
    /// v (adaptive rules only); nil before the first server step.
    public private(set) var secondMoment: ParameterSet?
    /// Server steps taken so far.
    public private(set) var stepCount = 0

    /// - Throws: `AggregatorError.invalidOption` naming the first hyperparameter out of range.
    public init(settings: ServerOptimizerSettings, convention: Convention) throws {
        self.settings = settings
        self.convention = convention
        try validateSettings()
    }

    /// Registry name; subclasses return their own ("fedavgm", "fedadam", ...).
    open var name: String { "serveroptimizer" }

    /// True when the step divides by sqrt(v) + tau.
    open var usesSecondMoment: Bool { false }

    /// The new second moment of one coordinate from the previous value `v` and the input `s`
    /// (m or d, per `settings.secondMomentInput`). Called concurrently for different
    /// coordinates, so it must not touch shared mutable state. The base rule is Adagrad's
    /// accumulation v + s^2.
    open func nextSecondMoment(previous v: Double, input s: Double) -> Double { v + s * s }

    /// eta_t for this round: eta, or with `biasCorrection` eta sqrt(1 - beta2^(t+1)) /
    /// (1 - beta1^(t+1)) where t is the round number (as Flower's FedAdam).
    open func stepSize(context: RoundContext) -> Double {
        guard settings.biasCorrection else { return settings.learningRate }
        let t = Double(context.round)
        return settings.learningRate * (1 - Foundation.pow(settings.beta2, t + 1)).squareRoot()
            / (1 - Foundation.pow(settings.beta1, t + 1))
    }

    /// Plain local training.
    open var clientAlgorithm: (any ClientAlgorithm)? { nil }

    /// Hyperparameters and convention, as recorded in snapshots.
    open var configuration: [String: String] {
        settings.configuration.merging(["convention": convention.rawValue]) { $1 }
    }

    open func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                        context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                     algorithm: name)
        let source = "\(name), round \(context.round): server state"
        if let firstMoment { try RoundValidation.requireSameLayout(firstMoment, as: global, source: "\(source) (first moment)") }
        if let secondMoment { try RoundValidation.requireSameLayout(secondMoment, as: global, source: "\(source) (second moment)") }

        let adaptive = usesSecondMoment
        let eta = stepSize(context: context)
        let beta1 = settings.beta1, tau = settings.tau
        let dampening = settings.dampensFirstMoment ? 1 - beta1 : 1
        let startsAtUpdate = firstMoment == nil && settings.firstMomentStart == .firstUpdate
        let squaresFirstMoment = settings.secondMomentInput == .firstMoment
        let initialV = Float(settings.secondMomentStartsAtTauSquared ? tau * tau : 0)
        var newFirst: [(String, Tensor)] = [], newSecond: [(String, Tensor)] = []

        let result = AggregationMath.mapWeightedDelta(
            global: global, clients: updates.map(\.parameters), weights: settings.weighting.weights(of: updates)
        ) { name, x, delta, output in
            let shape = global[name]!.shape
            // Writing makes these unique copies, so the previous state stays intact if a later
            // tensor of this round fails.
            var m = firstMoment?[name] ?? Tensor.zeros(shape)
            var v = adaptive ? (secondMoment?[name] ?? Tensor(repeating: initialV, shape: shape)) : Tensor.zeros([0])
            m.withUnsafeMutableBufferPointer { mBuffer in
                v.withUnsafeMutableBufferPointer { vBuffer in
                    let mp = mBuffer.baseAddress!, vp = vBuffer.baseAddress
                    parallelChunks(delta.count, grain: 1 << 14) { range in
                        for index in range {
                            let d = delta[index]
                            let mValue = startsAtUpdate ? Float(d) : Float(beta1 * Double(mp[index]) + dampening * d)
                            mp[index] = mValue
                            if adaptive, let vp {
                                let input = squaresFirstMoment ? Double(mValue) : d
                                let vValue = Float(self.nextSecondMoment(previous: Double(vp[index]), input: input))
                                vp[index] = vValue
                                output[index] = Float(Double(x[index])
                                                      + eta * Double(mValue) / (Double(vValue).squareRoot() + tau))
                            } else {
                                output[index] = Float(Double(x[index]) + eta * Double(mValue))
                            }
                        }
                    }
                }
            }
            newFirst.append((name, m))
            if adaptive { newSecond.append((name, v)) }
        }
        firstMoment = ParameterSet(newFirst)
        secondMoment = adaptive ? ParameterSet(newSecond) : nil
        stepCount += 1
        return result
    }

    open func stateSnapshot() -> AggregatorState {
        var sets: [String: StoredParameterSet] = [:]
        if let firstMoment { sets["firstMoment"] = StoredParameterSet(firstMoment) }
        if let secondMoment { sets["secondMoment"] = StoredParameterSet(secondMoment) }
        return AggregatorState(algorithm: name, configuration: configuration, counters: ["step": stepCount],
                               parameterSets: sets)
    }

    open func restore(_ state: AggregatorState) throws {
        try state.requireMatches(algorithm: name, configuration: configuration)
        let steps = try state.counter("step")
        let first = try state.parameterSet("firstMoment")
        let second = try state.parameterSet("secondMoment")
        guard steps >= 0, (steps == 0) == (first == nil), !usesSecondMoment || (first == nil) == (second == nil) else {
            throw AggregatorError(.invalidState,
                                  "\(name): saved state has step \(steps) but first moment "
                                  + "\(first == nil ? "absent" : "present"), second moment \(second == nil ? "absent" : "present")")
        }
        if let first, let second {
            try RoundValidation.requireSameLayout(second, as: first, source: "\(name): saved second moment")
        }
        stepCount = steps
        firstMoment = first
        secondMoment = usesSecondMoment ? second : nil
    }

    private func validateSettings() throws {
        func require(_ condition: Bool, _ what: String) throws {
            if !condition { throw AggregatorError(.invalidOption, "\(name): \(what)") }
        }
        try require(settings.learningRate.isFinite && settings.learningRate > 0,
                    "eta (server learning rate) must be > 0, got \(settings.learningRate)")
        try require(settings.beta1 >= 0 && settings.beta1 < 1, "beta1 must be in [0, 1), got \(settings.beta1)")
        if usesSecondMoment {
            try require(settings.beta2 >= 0 && settings.beta2 < 1, "beta2 must be in [0, 1), got \(settings.beta2)")
            try require(settings.tau.isFinite && settings.tau > 0, "tau must be > 0, got \(settings.tau)")
        }
    }
}

/// FedAvgM (Hsu et al., 2019): server momentum on the sample-weighted client update.
public final class FedAvgM: ServerOptimizerAggregator {
    /// `settings` defaults to `ServerOptimizerSettings.fedAvgM(convention)`.
    public init(convention: Convention = .reference, settings: ServerOptimizerSettings? = nil) throws {
        try super.init(settings: settings ?? .fedAvgM(convention), convention: convention)
    }

    public override var name: String { "fedavgm" }

    /// Under Flower's convention with eta = 1 and momentum 0 the strategy is plain FedAvg
    /// (Flower skips the server step then); otherwise the base step.
    public override func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                                   context: RoundContext) throws -> ParameterSet {
        if convention == .flower && settings.learningRate == 1 && settings.beta1 == 0 {
            try RoundValidation.validate(global: global, updates: updates, failures: failures, context: context,
                                         algorithm: name)
            let average = AggregationMath.weightedSum(updates.map(\.parameters),
                                                      weights: UpdateWeighting.sampleCount.weights(of: updates))
            return reorder(average, like: global)
        }
        return try super.aggregate(global: global, updates: updates, failures: failures, context: context)
    }
}

/// Base of the adaptive server optimisers (Reddi et al., 2021): the step divides by
/// sqrt(v) + tau. Subclasses override `nextSecondMoment`; the inherited rule is Adagrad's.
open class AdaptiveServerOptimizer: ServerOptimizerAggregator {
    open override var usesSecondMoment: Bool { true }
}

/// FedAdam: v = beta2 v + (1 - beta2) s^2.
public final class FedAdam: AdaptiveServerOptimizer {
    /// `settings` defaults to `ServerOptimizerSettings.fedAdam(convention)`.
    public init(convention: Convention = .reference, settings: ServerOptimizerSettings? = nil) throws {
        try super.init(settings: settings ?? .fedAdam(convention), convention: convention)
    }

    public override var name: String { "fedadam" }

    public override func nextSecondMoment(previous v: Double, input s: Double) -> Double {
        settings.beta2 * v + (1 - settings.beta2) * s * s
    }
}

/// FedYogi: v = v - (1 - beta2) s^2 sign(v - s^2), with sign(0) = 0.
public final class FedYogi: AdaptiveServerOptimizer {
    /// `settings` defaults to `ServerOptimizerSettings.fedYogi(convention)`.
    public init(convention: Convention = .reference, settings: ServerOptimizerSettings? = nil) throws {
        try super.init(settings: settings ?? .fedYogi(convention), convention: convention)
    }

    public override var name: String { "fedyogi" }

    public override func nextSecondMoment(previous v: Double, input s: Double) -> Double {
        let square = s * s
        return v - (1 - settings.beta2) * square * AggregationMath.signum(v - square)
    }
}

/// FedAdagrad: v = v + s^2 (the inherited rule), m = d (beta1 = 0).
public final class FedAdagrad: AdaptiveServerOptimizer {
    /// `settings` defaults to `ServerOptimizerSettings.fedAdagrad(convention)`.
    public init(convention: Convention = .reference, settings: ServerOptimizerSettings? = nil) throws {
        try super.init(settings: settings ?? .fedAdagrad(convention), convention: convention)
    }

    public override var name: String { "fedadagrad" }
}
