// Multi-head attention with grouped-query heads, rotary positions and a KV cache.
// Shapes: B batch, T new tokens, C model width, H heads, HKV key/value heads, D = C / H.
//   x [B, T, C] -> q [B, H, T, D], k, v [B, HKV, T, D] -> out [B, T, C]

import Autograd
import Tensors

/// Keys and values of earlier positions, per layer, for incremental decoding. Inference
/// only: cached tensors carry no gradient.
///
/// Each layer's keys and values live in a [B, HKV, capacity, D] buffer whose capacity doubles
/// when it fills, so appending a step writes only the new rows (amortised O(1) per position,
/// where concatenating would copy the whole cache every step). `keys` and `values` are views of
/// the first `length` positions, which the attention kernel reads in place.
public final class KVCache {
    private var keyBuffers: [Tensor?], valueBuffers: [Tensor?]
    private var lengths: [Int]

    public init(layers: Int) {
        keyBuffers = Array(repeating: nil, count: layers)
        valueBuffers = Array(repeating: nil, count: layers)
        lengths = Array(repeating: 0, count: layers)
    }

    /// Cached keys [B, HKV, length, D] per layer (nil before the layer's first step).
    public var keys: [Tensor?] { zip(keyBuffers, lengths).map { buffer, length in buffer?.sliced(axis: 2, 0..<length) } }
    /// Cached values [B, HKV, length, D] per layer.
    public var values: [Tensor?] { zip(valueBuffers, lengths).map { buffer, length in buffer?.sliced(axis: 2, 0..<length) } }

    /// Number of cached positions (those of layer 0).
    public var length: Int { lengths.first ?? 0 }

    /// Positions cached for `layer`.
    func length(layer: Int) -> Int { lengths[layer] }

    /// Appends new keys/values [B, HKV, T, D] for `layer` and returns the full ones (views).
    func append(layer: Int, key: Tensor, value: Tensor) -> (Tensor, Tensor) {
        precondition(key.rank == 4 && key.shape == value.shape,
                     "KVCache.append: keys \(key.shape) and values \(value.shape) must be one [B, HKV, T, D] shape")
        let old = lengths[layer], new = old + key.shape[2]
        KVCache.write(key, into: &keyBuffers[layer], at: old)
        KVCache.write(value, into: &valueBuffers[layer], at: old)
        lengths[layer] = new
        return (keyBuffers[layer]!.sliced(axis: 2, 0..<new), valueBuffers[layer]!.sliced(axis: 2, 0..<new))
    }

    /// Copies `rows` [B, HKV, T, D] into positions `start ..< start + T` of `buffer`, first
    /// moving the buffer to one of twice the capacity (at least 16) when it is too short.
    private static func write(_ rows: Tensor, into buffer: inout Tensor?, at start: Int) {
        let (batch, heads, count, depth) = (rows.shape[0], rows.shape[1], rows.shape[2], rows.shape[3])
        if let existing = buffer {
            precondition([existing.shape[0], existing.shape[1], existing.shape[3]] == [batch, heads, depth],
                         "KVCache.append: new rows \(rows.shape) do not match the cache \(existing.shape)")
        }
        let capacity = buffer?.shape[2] ?? 0
        if start + count > capacity {
            var grown = Tensor(uninitializedShape: [batch, heads, Swift.max(16, 2 * capacity, start + count), depth])
            if let existing = buffer, start > 0 {
                copyRows(existing.sliced(axis: 2, 0..<start), into: &grown, at: 0)
            }
            buffer = grown
        }
        copyRows(rows, into: &buffer!, at: start)
    }

    /// Copies `rows` [B, H, T, D] into positions `start ..< start + T` of the dense `buffer`.
    private static func copyRows(_ rows: Tensor, into buffer: inout Tensor, at start: Int) {
        let dense = rows.contiguous()
        let (planes, count, depth, capacity) = (rows.shape[0] * rows.shape[1], rows.shape[2], rows.shape[3], buffer.shape[2])
        dense.withUnsafeBufferPointer { source in
            buffer.withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                for plane in 0..<planes {
                    (to + (plane * capacity + start) * depth).update(from: from + plane * count * depth, count: count * depth)
                }
            }
        }
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
        let offset = cache.map { $0.length(layer: layerIndex) } ?? 0
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
