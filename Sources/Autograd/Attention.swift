// Scaled dot-product attention and rotary position embedding, each one primitive with a
// hand-written backward (the attention probabilities are kept from the forward pass).
// Shapes: B batch, H query heads, G = H / HKV query heads per key/value head,
// TQ queries, TK keys, D head dimension.
//   q [B, H, TQ, D], k [B, HKV, TK, D], v [B, HKV, TK, D] -> out [B, H, TQ, D]

import Foundation
import Tensors

/// Which keys each query may attend to.
public struct AttentionMask: Sendable {
    /// Query i (absolute position `causalOffset + i`) sees keys 0...causalOffset + i.
    public var isCausal: Bool
    /// Absolute position of the first query (the length of a KV cache before this step).
    public var causalOffset: Int
    /// Additive bias broadcastable to [B, H, TQ, TK]: 0 where allowed, −∞ where masked
    /// (padding masks, block masks such as the encoder-free model's full-attention image span).
    public var bias: Tensor?

    public init(isCausal: Bool = false, causalOffset: Int = 0, bias: Tensor? = nil) {
        self.isCausal = isCausal
        self.causalOffset = causalOffset
        self.bias = bias
    }

    /// No masking.
    public static let none = AttentionMask()
    /// Causal masking starting at absolute position `offset`.
    public static func causal(offset: Int = 0) -> AttentionMask { AttentionMask(isCausal: true, causalOffset: offset) }
}

extension Variable {
    /// softmax(q kᵀ · scale + mask) v with grouped-query heads (k, v shared by G query heads).
    public static func scaledDotProductAttention(query q: Variable, key k: Variable, value v: Variable,
                                                 mask: AttentionMask = .none, scale: Float? = nil) -> Variable {
        precondition(q.shape.count == 4 && k.shape.count == 4 && v.shape.count == 4,
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape) must be [B, H, T, D]")
        let (batch, heads, queries, depth) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (keyHeads, keys) = (k.shape[1], k.shape[2])
        precondition(k.shape == v.shape && k.shape[0] == batch && k.shape[3] == depth && heads % keyHeads == 0,
                     "attention: q \(q.shape) incompatible with k \(k.shape) / v \(v.shape)")
        let group = heads / keyHeads
        let factor = scale ?? 1 / Float(depth).squareRoot()

        // Repeat each key/value head for its G query heads (a no-op when G = 1).
        func expand(_ t: Tensor) -> Tensor {
            group == 1 ? t.contiguous()
                : t.reshaped([batch, keyHeads, 1, keys, depth]).broadcast(to: [batch, keyHeads, group, keys, depth])
                    .contiguous().reshaped([batch, heads, keys, depth])
        }
        func fold(_ t: Tensor) -> Tensor {
            group == 1 ? t : t.reshaped([batch, keyHeads, group, keys, depth]).sum(axis: 2)
        }
        let qv = q.value.contiguous(), kv = expand(k.value), vv = expand(v.value)

        var scores = Tensor.matmul(qv, kv, transposeB: true)           // [B, H, TQ, TK]
        scores.withUnsafeMutableBufferPointer { s in
            for i in s.indices { s[i] *= factor }
            if mask.isCausal {
                let planes = batch * heads
                for plane in 0..<planes {
                    for i in 0..<queries {
                        let firstHidden = mask.causalOffset + i + 1
                        if firstHidden < keys {
                            let row = s.baseAddress! + (plane * queries + i) * keys
                            for j in firstHidden..<keys { row[j] = -.infinity }
                        }
                    }
                }
            }
        }
        if let bias = mask.bias { scores = scores + bias }
        let probabilities = scores.softmax()
        let output = Tensor.matmul(probabilities, vv)                  // [B, H, TQ, D]

        return record(output, parents: [q, k, v], operation: "attention") { g in
            let dO = g.contiguous()
            // out = P V: dV = Pᵀ dO, dP = dO Vᵀ.
            let dV = v.requiresGrad ? fold(Tensor.matmul(probabilities, dO, transposeA: true)) : nil
            let dP = Tensor.matmul(dO, vv, transposeB: true)
            // P = softmax(S): dS = P ⊙ (dP − rowsum(dP ⊙ P)); S = scale q kᵀ.
            let dS = Tensor.softmaxBackward(output: probabilities, outputGradient: dP) * factor
            let dQ = q.requiresGrad ? Tensor.matmul(dS, kv) : nil
            let dK = k.requiresGrad ? fold(Tensor.matmul(dS, qv, transposeA: true)) : nil
            return [dQ, dK, dV]
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
