// Basic layers. Shapes: x [..., in] -> [..., out] unless stated.

import Autograd
import Tensors

/// Something added to a `Linear` layer's output, computed from the same input (LoRA).
/// Its parameters appear beside the layer's own (`q_proj.lora_A` next to `q_proj.weight`).
open class LinearAdapter: Module {
    /// The term added to the frozen layer's output for input `x` [..., in] -> [..., out].
    open func delta(_ x: Variable) -> Variable {
        preconditionFailure("\(type(of: self)) must override delta(_:)")
    }

    /// The adapted layer's output for input `x`: by default the base layer's output plus
    /// `delta(x)`. Adapters override it to fuse their term into the base product.
    open func output(_ x: Variable, base layer: Linear) -> Variable {
        Variable.linear(x, weight: layer.weight, bias: layer.bias) + delta(x)
    }
}

/// y = x Wᵀ + b, weight [out, in] (PyTorch layout), optional adapter.
public final class Linear: Module {
    public let weight: Variable
    public let bias: Variable?
    /// Optional adapter (e.g. LoRA) whose output is added.
    public var adapter: LinearAdapter?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// PyTorch's default init: weight and bias uniform in ±1/sqrt(in).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
        weight = Variable(.kaimingUniform([outFeatures, inFeatures], fanIn: inFeatures, using: &generator), requiresGrad: true)
        let bound = 1 / Float(inFeatures).squareRoot()
        self.bias = bias ? Variable(.randomUniform([outFeatures], low: -bound, high: bound, using: &generator), requiresGrad: true) : nil
    }

    /// A layer with the given weight [out, in] and bias [out].
    public init(weight: Tensor, bias: Tensor?) {
        self.weight = Variable(weight, requiresGrad: true)
        self.bias = bias.map { Variable($0, requiresGrad: true) }
    }

    public override func key(forProperty name: String) -> String { name == "adapter" ? "" : Module.snakeCase(name) }

    public func callAsFunction(_ x: Variable) -> Variable {
        guard let adapter else { return Variable.linear(x, weight: weight, bias: bias) }
        return adapter.output(x, base: self)
    }
}

/// Token embedding table [vocabulary, dimension].
public final class Embedding: Module {
    public let weight: Variable
    /// Normal(0, 1) init as `torch.nn.Embedding`.
    public init(_ vocabularySize: Int, _ dimension: Int, generator: inout RandomGenerator, std: Float = 1) {
        weight = Variable(.randomNormal([vocabularySize, dimension], std: std, using: &generator), requiresGrad: true)
    }
    /// ids of any shape -> ids.shape + [dimension].
    public func callAsFunction(_ ids: IndexTensor) -> Variable { .embedding(weight, ids: ids) }
}

/// Layer normalisation over the last axis (weight 1, bias 0 at init).
public final class LayerNorm: Module {
    public let weight: Variable
    public let bias: Variable?
    public let epsilon: Float
    public init(_ dimension: Int, epsilon: Float = 1e-5, affineBias: Bool = true) {
        weight = Variable(.ones([dimension]), requiresGrad: true)
        bias = affineBias ? Variable(.zeros([dimension]), requiresGrad: true) : nil
        self.epsilon = epsilon
    }
    public func callAsFunction(_ x: Variable) -> Variable { .layerNorm(x, weight: weight, bias: bias, epsilon: epsilon) }
}

/// RMS normalisation over the last axis (Llama), weight 1 at init.
public final class RMSNorm: Module {
    public let weight: Variable
    public let epsilon: Float
    public init(_ dimension: Int, epsilon: Float = 1e-6) {
        weight = Variable(.ones([dimension]), requiresGrad: true)
        self.epsilon = epsilon
    }
    public func callAsFunction(_ x: Variable) -> Variable { .rmsNorm(x, weight: weight, epsilon: epsilon) }
}

/// Exact GELU as a module (for sequential stacks such as connectors).
public final class GELU: Module {
    public override init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.gelu() }
}

/// SiLU as a module.
public final class SiLU: Module {
    public override init() {}
    public func callAsFunction(_ x: Variable) -> Variable { x.silu() }
}

/// Inverted dropout, active only in training mode. Its mask stream comes from its own
/// seeded generator; `reseed` restarts it (e.g. per client and round).
public final class Dropout: Module {
    public let rate: Float
    private var _generator: RandomGenerator
    public init(rate: Float, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate \(rate) must be in [0, 1)")
        self.rate = rate
        _generator = RandomGenerator(seed: seed)
    }
    public func reseed(_ seed: UInt64) { _generator = RandomGenerator(seed: seed) }
    public func callAsFunction(_ x: Variable) -> Variable {
        guard isTraining, rate > 0 else { return x }
        return x.dropout(rate: rate, generator: &_generator)
    }
    /// The next mask this layer would apply to an input of `shape`, or nil when it passes
    /// inputs through unchanged (evaluation mode or rate 0). Draws from the same stream as
    /// `callAsFunction`, for layers that fuse the mask into another operation.
    public func nextMask(shape: [Int]) -> Tensor? {
        guard isTraining, rate > 0 else { return nil }
        return Tensor.dropoutMask(shape: shape, rate: rate, generator: &_generator)
    }
}

/// Llama's gated MLP: down(silu(gate(x)) ⊙ up(x)).
public final class SwiGLU: Module {
    public let gateProj: Linear
    public let upProj: Linear
    public let downProj: Linear
    public init(dimension: Int, hiddenDimension: Int, generator: inout RandomGenerator) {
        gateProj = Linear(dimension, hiddenDimension, bias: false, generator: &generator)
        upProj = Linear(dimension, hiddenDimension, bias: false, generator: &generator)
        downProj = Linear(hiddenDimension, dimension, bias: false, generator: &generator)
    }
    public func callAsFunction(_ x: Variable) -> Variable { downProj(.swiGLU(gate: gateProj(x), up: upProj(x))) }
}
