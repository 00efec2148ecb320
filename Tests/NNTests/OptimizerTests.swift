// Optimizers, gradient clipping and schedules. SGD, AdamW and clipping are compared with
// torch.optim / torch.nn.utils.clip_grad_norm_ run in float32 on the same gradients
// (Fixtures/nn_optimizers.json); the cosine schedule against values worked out by hand.

import Autograd
import Foundation
import Testing
import Tensors
@testable import NN

struct OptimizerFixtures: Decodable {
    struct Options: Decodable {
        let learning_rate: Float
        let momentum: Float?
        let weight_decay: Float
        let beta1: Float?
        let beta2: Float?
        let epsilon: Float?
    }
    struct Step: Decodable {
        /// Gradient per parameter; a parameter absent here has no gradient at this step.
        let gradients: [String: TensorFixture]
        /// Parameters after the step.
        let parameters: [String: TensorFixture]
    }
    struct OptimizerCase: Decodable {
        let name: String
        let options: Options
        let initial: [String: TensorFixture]
        let steps: [Step]
    }
    struct ClipCase: Decodable {
        let name: String
        let max_norm: Float
        let gradients: [String: TensorFixture]
        let total_norm: Float
        let clipped: [String: TensorFixture]
    }
    let optimizers: [OptimizerCase]
    let clipping: [ClipCase]
}

@Suite struct OptimizerParityTests {
    let fixtures: OptimizerFixtures
    init() throws { fixtures = try loadFixture("nn_optimizers.json", as: OptimizerFixtures.self) }

    func optimizerCase(_ name: String) throws -> OptimizerFixtures.OptimizerCase {
        try #require(fixtures.optimizers.first { $0.name == name }, "no case \(name)")
    }

    /// Replays the torch run: same initial values, same gradients (none for `bias` at one step),
    /// parameters compared after every step within 1e-6 relative (to max(|value|, 1), as the
    /// values are of order one and float32 rounds at about 6e-8).
    func replay(_ fixture: OptimizerFixtures.OptimizerCase, with optimizer: Optimizer) {
        let names = ["weight", "bias"]
        let parameters = names.map { ($0, Variable(fixture.initial[$0]!.tensor, requiresGrad: true)) }
        for (index, step) in fixture.steps.enumerated() {
            for (name, parameter) in parameters { parameter.grad = step.gradients[name]?.tensor }
            optimizer.step(parameters)
            for (name, parameter) in parameters {
                expectClose(parameter.value, step.parameters[name]!.tensor, absolute: 1e-6, relative: 1e-6,
                            "\(fixture.name) step \(index + 1) \(name)")
            }
        }
    }

    @Test func sgdWithMomentumAndWeightDecayMatchesTorch() throws {
        let fixture = try optimizerCase("sgd_momentum")
        #expect(fixture.steps.contains { $0.gradients["bias"] == nil }, "fixture must skip a gradient")
        let options = fixture.options
        replay(fixture, with: SGD(learningRate: options.learning_rate, momentum: options.momentum!, weightDecay: options.weight_decay))
    }

    @Test func plainSGDMatchesTorch() throws {
        let fixture = try optimizerCase("sgd_plain")
        replay(fixture, with: SGD(learningRate: fixture.options.learning_rate))
    }

    @Test func adamWMatchesTorch() throws {
        let fixture = try optimizerCase("adamw")
        let options = fixture.options
        let optimizer = AdamW(learningRate: options.learning_rate, beta1: options.beta1!, beta2: options.beta2!,
                              epsilon: options.epsilon!, weightDecay: options.weight_decay)
        replay(fixture, with: optimizer)
        // `bias` missed one gradient, so its step count is one lower (per-parameter state, as torch).
        let steps = optimizer.state["step"]!
        #expect(steps["weight"]?.scalar == Float(fixture.steps.count))
        #expect(steps["bias"]?.scalar == Float(fixture.steps.count - 1))
    }

    @Test func resetForgetsMoments() throws {
        let fixture = try optimizerCase("adamw")
        let options = fixture.options
        let optimizer = AdamW(learningRate: options.learning_rate, beta1: options.beta1!, beta2: options.beta2!,
                              epsilon: options.epsilon!, weightDecay: options.weight_decay)
        let warm = Variable(fixture.initial["weight"]!.tensor, requiresGrad: true)
        warm.grad = fixture.steps[0].gradients["weight"]!.tensor
        optimizer.step([("weight", warm)])
        optimizer.reset()
        #expect(optimizer.state["exp_avg"]!.isEmpty)
        // After a reset the first step equals torch's first step from the same start.
        let fresh = Variable(fixture.initial["weight"]!.tensor, requiresGrad: true)
        fresh.grad = fixture.steps[0].gradients["weight"]!.tensor
        optimizer.step([("weight", fresh)])
        expectClose(fresh.value, fixture.steps[0].parameters["weight"]!.tensor, absolute: 1e-6, relative: 1e-6, "after reset")
    }

    @Test(arguments: ["clips", "below_limit"])
    func clipGradientNormMatchesTorch(_ name: String) throws {
        let fixture = try #require(fixtures.clipping.first { $0.name == name })
        let parameters = fixture.gradients.keys.sorted().map { key -> (String, Variable) in
            let parameter = Variable(.zeros(fixture.gradients[key]!.shape), requiresGrad: true)
            parameter.grad = fixture.gradients[key]!.tensor
            return (key, parameter)
        }
        let norm = clipGradientNorm(parameters, maxNorm: fixture.max_norm)
        #expect(abs(norm - fixture.total_norm) <= 1e-6 * fixture.total_norm)
        for (key, parameter) in parameters {
            expectClose(parameter.grad!, fixture.clipped[key]!.tensor, absolute: 1e-7, relative: 1e-6, "\(name) \(key)")
        }
        if name == "clips" { #expect(fixture.total_norm > fixture.max_norm) }
    }
}

@Suite struct ScheduleTests {
    /// lr(t) = min + (initial − min)(1 + cos(πt/T))/2 with initial 1e-4, min 1e-6, T = 50
    /// (the reference implementation's round schedule). By hand: t = 0: cos 0 = 1 -> 1e-4;
    /// t = 12: cos(0.24π) = 0.728969 -> 1e-6 + 99e-6 · 0.864484 = 8.658395e-5;
    /// t = 25: cos(π/2) = 0 -> 1e-6 + 99e-6 / 2 = 5.05e-5; t = 50: cos π = −1 -> 1e-6;
    /// steps past T stay at the minimum. With T = 100, t = 25: cos(π/4) = √2/2 ->
    /// 1e-6 + 99e-6 · 0.853553 = 8.550179e-5.
    @Test func cosineDecayValues() {
        let schedule = CosineSchedule(initial: 1e-4, minimum: 1e-6)
        let expected: [(Int, Float)] = [(0, 1e-4), (12, 8.658395e-5), (25, 5.05e-5), (50, 1e-6), (60, 1e-6)]
        for (step, value) in expected {
            let rate = schedule.learningRate(step: step, totalSteps: 50)
            #expect(abs(rate - value) <= 1e-6 * value + 1e-12, "step \(step): \(rate) != \(value)")
        }
        #expect(abs(schedule.learningRate(step: 25, totalSteps: 100) - 8.550179e-5) <= 1e-6 * 8.550179e-5)
    }

    /// Warm-up of 4 steps to 0.1, then cosine over the remaining 8 steps to 0:
    /// steps 0..3 -> 0.025, 0.05, 0.075, 0.1; step 4 -> 0.1; step 8 -> 0.05 (half-way);
    /// step 6 -> 0.05(1 + cos(π/4)) = 0.0853553; step 12 -> 0.
    @Test func warmupThenCosine() {
        let schedule = CosineSchedule(initial: 0.1, minimum: 0, warmupSteps: 4)
        let expected: [(Int, Float)] = [(0, 0.025), (1, 0.05), (2, 0.075), (3, 0.1), (4, 0.1), (6, 0.0853553),
                                         (8, 0.05), (12, 0)]
        for (step, value) in expected {
            let rate = schedule.learningRate(step: step, totalSteps: 12)
            #expect(abs(rate - value) <= 1e-6, "step \(step): \(rate) != \(value)")
        }
    }

    @Test func constantScheduleIgnoresTheStep() {
        let schedule = ConstantSchedule(3e-4)
        #expect([0, 7, 1000].allSatisfy { schedule.learningRate(step: $0, totalSteps: 10) == 3e-4 })
    }
}
