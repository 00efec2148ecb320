// Multi-head attention with grouped-query heads, rotary positions and a KV cache.
// Shapes: B batch, T new tokens, C model width, H heads, HKV key/value heads, D = C / H.
//   x [B, T, C] -> q [B, H, T, D], k, v [B, HKV, T, D] -> out [B, T, C]

import Autograd
import Tensors

/// Keys and values of earlier positions, per layer, for incremental decoding. Inference
/// only: cached tensors carry no gradient.
public final class KVCache {
    public private(set) var keys: [Tensor?]
    public private(set) var values: [Tensor?]

    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Number of cached positions (those of layer 0).
    public var length: Int { keys.first??.shape[2] ?? 0 }

    /// Appends new keys/values [B, HKV, T, D] for `layer` and returns the full ones.
    func append(layer: Int, key: Tensor, value: Tensor) -> (Tensor, Tensor) {
        let fullKey = keys[layer].map { Tensor.concatenate([$0, key], axis: 2) } ?? key.contiguous()
        let fullValue = values[layer].map { Tensor.concatenate([$0, value], axis: 2) } ?? value.contiguous()
        keys[layer] = fullKey
        values[layer] = fullValue
        return (fullKey, fullValue)
    }
}

/// Multi-head self-attention (Llama names: q_proj, k_proj, v_proj, o_proj).
public final class MultiHeadAttention: Module {
    public let qProj: Linear
    public let kProj: Linear
    public let vProj: Linear
    public let oProj: Linear
    public let heads: Int
    public let keyValueHeads: Int
    public let headDimension: Int
    /// Rotary base (θ); nil disables rotary embedding (e.g. in a ViT with learned positions).
    public let rotaryBase: Float?

    /// - Parameters:
    ///   - dimension: model width C (divisible by `heads`).
    ///   - keyValueHeads: HKV, dividing `heads` (grouped-query attention; equal to heads for MHA).
    public init(dimension: Int, heads: Int, keyValueHeads: Int? = nil, bias: Bool = false,
                rotaryBase: Float? = 10_000, generator: inout RandomGenerator) {
        let kvHeads = keyValueHeads ?? heads
        precondition(dimension % heads == 0 && heads % kvHeads == 0,
                     "MultiHeadAttention: dimension \(dimension), heads \(heads), kv heads \(kvHeads) do not divide")
        self.heads = heads
        self.keyValueHeads = kvHeads
        self.headDimension = dimension / heads
        self.rotaryBase = rotaryBase
        qProj = Linear(dimension, dimension, bias: bias, generator: &generator)
        kProj = Linear(dimension, kvHeads * headDimension, bias: bias, generator: &generator)
        vProj = Linear(dimension, kvHeads * headDimension, bias: bias, generator: &generator)
        oProj = Linear(dimension, dimension, bias: bias, generator: &generator)
    }

    /// Attends over `x` [B, T, C].
    /// - Parameters:
    ///   - mask: causal flag and/or additive bias over [B, H, T, TK] (TK includes cached keys).
    ///   - cache: when given (inference), keys/values are appended to layer `layerIndex` of it and
    ///     positions start after the cached ones.
    public func callAsFunction(_ x: Variable, mask: AttentionMask, cache: KVCache? = nil, layerIndex: Int = 0) -> Variable {
        precondition(x.shape.count == 3, "MultiHeadAttention: input \(x.shape) must be [B, T, C]")
        let (batch, length) = (x.shape[0], x.shape[1])
        func split(_ y: Variable, _ count: Int) -> Variable {
            y.reshaped([batch, length, count, headDimension]).transposed(1, 2)    // [B, count, T, D]
        }
        // Positions already cached for *this* layer: `cache.length` counts layer 0, which has
        // already appended this step's keys by the time later layers run.
        let offset = cache.map { $0.keys[layerIndex]?.shape[2] ?? 0 } ?? 0
        var q = split(qProj(x), heads)
        var k = split(kProj(x), keyValueHeads)
        var v = split(vProj(x), keyValueHeads)
        if let rotaryBase {
            q = q.rotaryEmbedding(offset: offset, base: rotaryBase)
            k = k.rotaryEmbedding(offset: offset, base: rotaryBase)
        }
        var effectiveMask = mask
        if let cache {
            let (fullKey, fullValue) = cache.append(layer: layerIndex, key: k.value, value: v.value)
            k = Variable(fullKey)
            v = Variable(fullValue)
            effectiveMask.causalOffset = offset
        }
        let attended = Variable.scaledDotProductAttention(query: q, key: k, value: v, mask: effectiveMask)
        return oProj(attended.transposed(1, 2).reshaped([batch, length, heads * headDimension]))
    }
}
