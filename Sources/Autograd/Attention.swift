// Scaled dot-product attention and rotary position embedding, each one primitive with a
// hand-written backward (attention runs the fused kernel in Tensors/AttentionKernel.swift).
// Shapes: B batch, H query heads, G = H / HKV query heads per key/value head,
// TQ queries, TK keys, D head dimension.
//   q [B, H, TQ, D], k [B, HKV, TK, D], v [B, HKV, TK, D] -> out [B, H, TQ, D]

import Foundation
import Tensors

/// Which keys each query may attend to: the fused kernel's own mask type (causal with an
/// offset, and/or an additive bias for padding and block masks such as the encoder-free model's
/// full-attention image span), so the primitive hands it over unchanged.
public typealias AttentionMask = AttentionKernel.Mask

extension AttentionKernel.Mask {
    /// No masking.
    public static let none = AttentionKernel.Mask()
    /// Causal masking starting at absolute position `offset`.
    public static func causal(offset: Int = 0) -> AttentionKernel.Mask {
        AttentionKernel.Mask(isCausal: true, causalOffset: offset)
    }
}

extension Variable {
    /// softmax(q kᵀ · scale + mask) v with grouped-query heads (k, v shared by G query heads).
    ///
    /// One primitive over the fused kernel `AttentionKernel` (FlashAttention-style tiles with an
    /// online softmax): neither pass materialises the [B, H, TQ, TK] scores or the expanded
    /// GQA keys, and backward recomputes the probabilities from the saved per-row log-sum-exp.
    /// A query row that can see no key gives a zero output and zero gradients.
    /// - Parameter scale: defaults to 1 / sqrt(D).
    public static func scaledDotProductAttention(query q: Variable, key k: Variable, value v: Variable,
                                                 mask: AttentionMask = .none, scale: Float? = nil) -> Variable {
        // The kernel takes views as they are (a KV cache's keys are the first rows of a longer
        // buffer) and makes dense copies only where it needs them.
        let qv = q.value, kv = k.value, vv = v.value
        let (output, logSumExp) = AttentionKernel.forward(query: qv, key: kv, value: vv, mask: mask, scale: scale)
        return record(output, parents: [q, k, v], operation: "attention") { g in
            let gradients = AttentionKernel.backward(query: qv, key: kv, value: vv, output: output, logSumExp: logSumExp,
                                                     outputGradient: g, mask: mask, scale: scale)
            return [q.requiresGrad ? gradients.query : nil, k.requiresGrad ? gradients.key : nil,
                    v.requiresGrad ? gradients.value : nil]
        }
    }

    /// Rotary position embedding (Su et al., 2021) in Llama's "rotate half" layout:
    /// y = x ⊙ cos + rotateHalf(x) ⊙ sin, with rotateHalf([x1, x2]) = [−x2, x1] and angle
    /// position · base^(−2i/D) for i < D/2. x is [B, H, T, D]; positions start at `offset`.
    public func rotaryEmbedding(offset: Int = 0, base: Float = 10_000) -> Variable {
        precondition(shape.count == 4 && shape[3] % 2 == 0, "rotaryEmbedding: x \(shape) must be [B, H, T, D] with even D")
        let tables = RotaryTables(length: shape[2], depth: shape[3], offset: offset, base: base)
        let y = value.rotated(by: tables)
        return Variable.record(y, parents: [self], operation: "rotary embedding") { g in
            [g.rotated(by: tables, inverse: true)]
        }
    }
}
