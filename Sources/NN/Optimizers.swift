// Optimizers, gradient clipping and learning-rate schedules. Optimizer state is keyed by
// parameter name so it can be saved, restored and reset per client.

import Autograd
import Foundation
import Tensors

/// Updates named parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// Current learning rate (set by a schedule between steps).
    var learningRate: Float { get set }
    /// One update of every parameter that has a gradient.
    func step(_ parameters: [(String, Variable)])
    /// Per-parameter state (moments), for checkpoints.
    var state: [String: ParameterSet] { get }
    /// Forgets all state (e.g. a fresh optimizer per federated round, as the reference does).
    func reset()
}

/// SGD with optional momentum (PyTorch form: v = μ v + g; w −= lr v) and L2 weight decay.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    private var velocity: [String: Tensor] = [:]

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [(String, Variable)]) {
        for (name, parameter) in parameters {
            guard var gradient = parameter.grad else { continue }
            if weightDecay != 0 { gradient.addScaled(parameter.value, scale: weightDecay) }
            if momentum != 0 {
                var v = velocity.removeValue(forKey: name) ?? .zeros(gradient.shape)
                v = v * momentum + gradient
                velocity[name] = v
                gradient = v
            }
            parameter.value.addScaled(gradient, scale: -learningRate)
        }
    }

    public var state: [String: ParameterSet] { ["velocity": ParameterSet(velocity.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })] }
    public func reset() { velocity = [:] }
}

/// AdamW (Loshchilov & Hutter, 2019): Adam moments with bias correction and decoupled
/// weight decay w −= lr·λ·w, as `torch.optim.AdamW`.
public final class AdamW: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    private var firstMoment: [String: Tensor] = [:]
    private var secondMoment: [String: Tensor] = [:]
    private var steps: [String: Int] = [:]

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [(String, Variable)]) {
        for (name, parameter) in parameters {
            guard let gradient = parameter.grad else { continue }
            let t = (steps[name] ?? 0) + 1
            steps[name] = t
            var m = firstMoment.removeValue(forKey: name) ?? .zeros(gradient.shape)
            var v = secondMoment.removeValue(forKey: name) ?? .zeros(gradient.shape)
            let correction1 = 1 - Foundation.pow(beta1, Float(t)), correction2 = 1 - Foundation.pow(beta2, Float(t))
            let stepSize = learningRate / correction1
            let decay = 1 - learningRate * weightDecay
            let (b1, b2, eps) = (beta1, beta2, epsilon)
            gradient.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { pm in
                    v.withUnsafeMutableBufferPointer { pv in
                        parameter.value.withUnsafeMutableBufferPointer { w in
                            let (gp, mp, vp, wp) = (g.baseAddress!, pm.baseAddress!, pv.baseAddress!, w.baseAddress!)
                            let inverseSqrtCorrection2 = 1 / correction2.squareRoot()
                            parallelChunks(g.count, grain: 1 << 14) { range in
                                let start = range.lowerBound
                                VectorKernels.adamW(weights: wp + start, firstMoment: mp + start, secondMoment: vp + start,
                                                    gradient: gp + start, count: range.count, beta1: b1, beta2: b2,
                                                    decay: decay, stepSize: stepSize,
                                                    inverseSqrtCorrection2: inverseSqrtCorrection2, epsilon: eps)
                            }
                        }
                    }
                }
            }
            firstMoment[name] = m
            secondMoment[name] = v
        }
    }

    public var state: [String: ParameterSet] {
        func sorted(_ d: [String: Tensor]) -> ParameterSet { ParameterSet(d.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
        return ["exp_avg": sorted(firstMoment), "exp_avg_sq": sorted(secondMoment),
                "step": ParameterSet(steps.sorted { $0.key < $1.key }.map { ($0.key, Tensor(Float($0.value))) })]
    }

    public func reset() {
        firstMoment = [:]
        secondMoment = [:]
        steps = [:]
    }
}

/// Scales all gradients so their joint L2 norm is at most `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [(String, Variable)], maxNorm: Float) -> Float {
    let total = parameters.reduce(0.0) { $0 + ($1.1.grad?.squaredNorm() ?? 0) }.squareRoot()
    let norm = Float(total)
    if norm > maxNorm && norm.isFinite {
        let scale = maxNorm / (norm + 1e-6)
        for (_, parameter) in parameters { parameter.grad = parameter.grad.map { $0 * scale } }
    }
    return norm
}

/// A learning rate as a function of a step (or round) index.
public protocol LearningRateSchedule: Sendable {
    /// Learning rate at `step` (0-based) of `totalSteps`.
    func learningRate(step: Int, totalSteps: Int) -> Float
}

/// The same rate throughout.
public struct ConstantSchedule: LearningRateSchedule {
    public let rate: Float
    public init(_ rate: Float) { self.rate = rate }
    public func learningRate(step: Int, totalSteps: Int) -> Float { rate }
}

/// Cosine decay from `initial` to `minimum` over `totalSteps` with optional linear warm-up:
/// lr = min + (initial − min)·(1 + cos(π·t/T))/2. The reference implementation uses it across
/// federated rounds (lr 1e-4 down to 1e-6), constant within a round.
public struct CosineSchedule: LearningRateSchedule {
    public let initial: Float
    public let minimum: Float
    public let warmupSteps: Int
    public init(initial: Float, minimum: Float = 0, warmupSteps: Int = 0) {
        self.initial = initial
        self.minimum = minimum
        self.warmupSteps = warmupSteps
    }
    public func learningRate(step: Int, totalSteps: Int) -> Float {
        if step < warmupSteps { return initial * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Float(step - warmupSteps) / Float(span))
        return minimum + (initial - minimum) * 0.5 * (1 + Foundation.cos(Float.pi * progress))
    }
}
