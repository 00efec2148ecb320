// Scaled dot-product attention and rotary embedding: forward against a naive per-head loop
// in Double, gradients by finite differences for every mask kind, and the properties that make
// rotary embedding a position encoding (rotations preserve norms; scores depend only on the
// distance between positions; an offset continues the sequence).
// Shapes: q [B, H, TQ, D], k and v [B, HKV, TK, D], G = H / HKV.
import Foundation
import Testing
import Autograd
import Tensors

/// Naive attention: for each (b, h, i), softmax_j(q·k / sqrt(D) + bias, masked) · v, using key/value
/// head h / G (grouped-query attention as repeat_interleave).
private func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, causalOffset: Int?, bias: Tensor?) -> Tensor {
    let (batch, heads, queries, depth) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let (keyHeads, keys) = (k.shape[1], k.shape[2])
    let group = heads / keyHeads
    let qs = q.scalars, ks = k.scalars, vs = v.scalars
    let fullBias = bias?.broadcast(to: [batch, heads, queries, keys]).scalars
    var out: [Float] = []
    for b in 0..<batch {
        for h in 0..<heads {
            let kvh = h / group
            for i in 0..<queries {
                var scores = [Double](repeating: -.infinity, count: keys)
                for j in 0..<keys {
                    if let offset = causalOffset, j > offset + i { continue }
                    var dot = 0.0
                    for d in 0..<depth {
                        dot += Double(qs[((b * heads + h) * queries + i) * depth + d])
                            * Double(ks[((b * keyHeads + kvh) * keys + j) * depth + d])
                    }
                    scores[j] = dot / Double(depth).squareRoot()
                        + Double(fullBias?[((b * heads + h) * queries + i) * keys + j] ?? 0)
                }
                let peak = scores.max()!
                let weights = scores.map { Foundation.exp($0 - peak) }
                let total = weights.reduce(0, +)
                for d in 0..<depth {
                    var value = 0.0
                    for j in 0..<keys { value += weights[j] / total * Double(vs[((b * keyHeads + kvh) * keys + j) * depth + d]) }
                    out.append(Float(value))
                }
            }
        }
    }
    return Tensor(shape: [batch, heads, queries, depth], scalars: out)
}

/// A padding-style additive bias [B, 1, TQ, TK]: random finite values, −∞ on the last key of
/// batch 0 and on the last two keys of batch 1.
private func paddingBias(batch: Int, queries: Int, keys: Int) -> Tensor {
    var bias = seededTensor([batch, 1, queries, keys], seed: 77, low: -0.5, high: 0.5)
    for b in 0..<batch {
        for i in 0..<queries {
            for j in (keys - 1 - b)..<keys { bias[b, 0, i, j] = -.infinity }
        }
    }
    return bias
}

@Suite("Attention and rotary embedding")
struct AttentionTests {
    let q = seededTensor([2, 2, 3, 4], seed: 41), k = seededTensor([2, 2, 5, 4], seed: 42)
    let v = seededTensor([2, 2, 5, 4], seed: 43)

    private func attend(_ vars: [Variable], mask: AttentionMask) -> Variable {
        Variable.scaledDotProductAttention(query: vars[0], key: vars[1], value: vars[2], mask: mask)
    }

    @Test func forwardMatchesANaiveLoop() {
        let vars = [q, k, v].map { Variable($0) }
        expectClose(attend(vars, mask: .none).value, naiveAttention(q, k, v, causalOffset: nil, bias: nil))
        expectClose(attend(vars, mask: .causal(offset: 2)).value, naiveAttention(q, k, v, causalOffset: 2, bias: nil))
        let bias = paddingBias(batch: 2, queries: 3, keys: 5)
        expectClose(attend(vars, mask: AttentionMask(bias: bias)).value,
                    naiveAttention(q, k, v, causalOffset: nil, bias: bias))
        expectClose(attend(vars, mask: AttentionMask(isCausal: true, causalOffset: 2, bias: bias)).value,
                    naiveAttention(q, k, v, causalOffset: 2, bias: bias))
        // Grouped-query attention: 4 query heads share the 2 key/value heads.
        let q4 = seededTensor([2, 4, 3, 4], seed: 44)
        let grouped = Variable.scaledDotProductAttention(query: Variable(q4), key: vars[1], value: vars[2])
        expectClose(grouped.value, naiveAttention(q4, k, v, causalOffset: nil, bias: nil))
    }

    @Test func causalMaskHidesTheFuture() {
        // Changing the last key and value must not change the outputs of queries that cannot see it.
        let square = [seededTensor([1, 1, 4, 4], seed: 45), seededTensor([1, 1, 4, 4], seed: 46),
                      seededTensor([1, 1, 4, 4], seed: 47)]
        var changedKey = square[1], changedValue = square[2]
        for d in 0..<4 { changedKey[0, 0, 3, d] += 5; changedValue[0, 0, 3, d] -= 5 }
        let before = attend(square.map { Variable($0) }, mask: .causal()).value
        let after = attend([square[0], changedKey, changedValue].map { Variable($0) }, mask: .causal()).value
        expectClose(after.sliced(axis: 2, 0..<3), before.sliced(axis: 2, 0..<3))
        #expect(after.sliced(axis: 2, 3..<4) != before.sliced(axis: 2, 3..<4))
        // The first query sees only the first key: its output is the first value row.
        expectClose(before.sliced(axis: 2, 0..<1), square[2].sliced(axis: 2, 0..<1))
    }

    @Test func explicitScale() {
        let vars = [q, k, v].map { Variable($0) }
        let scaled = Variable.scaledDotProductAttention(query: vars[0], key: vars[1], value: vars[2], scale: 1)
        let equivalent = attend([q * 2, k, v].map { Variable($0) }, mask: .none)     // 1 = 2 / sqrt(4)
        expectClose(scaled.value, equivalent.value)
    }

    @Test func gradientsWithoutMask() {
        expectGradientsMatch([q, k, v]) { vars in probe(attend(vars, mask: .none)) }
    }

    @Test func gradientsCausal() {
        let square = [seededTensor([1, 2, 4, 4], seed: 48), seededTensor([1, 2, 4, 4], seed: 49),
                      seededTensor([1, 2, 4, 4], seed: 50)]
        expectGradientsMatch(square) { vars in probe(attend(vars, mask: .causal())) }
    }

    @Test func gradientsCausalWithOffset() {
        expectGradientsMatch([q, k, v]) { vars in probe(attend(vars, mask: .causal(offset: 2))) }
    }

    @Test func gradientsWithAdditiveBiasMask() {
        let bias = paddingBias(batch: 2, queries: 3, keys: 5)
        expectGradientsMatch([q, k, v]) { vars in probe(attend(vars, mask: AttentionMask(bias: bias))) }
    }

    @Test func gradientsGroupedQueryAttention() {
        let q4 = seededTensor([1, 4, 3, 4], seed: 51)
        let k2 = seededTensor([1, 2, 5, 4], seed: 52), v2 = seededTensor([1, 2, 5, 4], seed: 53)
        expectGradientsMatch([q4, k2, v2]) { vars in probe(attend(vars, mask: .none)) }
        expectGradientsMatch([q4, k2, v2]) { vars in probe(attend(vars, mask: .causal(offset: 2))) }
    }

    @Test func rotaryGradientsWithOffset() {
        let x = seededTensor([1, 2, 3, 6], seed: 54)
        expectGradientsMatch([x]) { vars in probe(vars[0].rotaryEmbedding(offset: 5)) }
        expectGradientsMatch([x]) { vars in probe(vars[0].rotaryEmbedding(offset: 0, base: 100)) }
    }

    @Test func rotaryRotatesPairsByPositionDependentAngles() {
        let depth = 6, half = 3
        let x = seededTensor([1, 1, 4, depth], seed: 55)
        let y = Variable(x).rotaryEmbedding(offset: 2).value
        for t in 0..<4 {
            for i in 0..<half {
                // Pair (i, i + D/2) is rotated by angle (offset + t) · 10000^(−2i/D).
                let angle = Double(2 + t) * Foundation.pow(10_000, -2 * Double(i) / Double(depth))
                let (a, b) = (Double(x[0, 0, t, i]), Double(x[0, 0, t, i + half]))
                let expectedFirst = a * Foundation.cos(angle) - b * Foundation.sin(angle)
                let expectedSecond = b * Foundation.cos(angle) + a * Foundation.sin(angle)
                #expect(Swift.abs(Double(y[0, 0, t, i]) - expectedFirst) < 1e-5)
                #expect(Swift.abs(Double(y[0, 0, t, i + half]) - expectedSecond) < 1e-5)
            }
        }
        // Position 0 without offset is the identity.
        let first = Variable(x).rotaryEmbedding().value.sliced(axis: 2, 0..<1)
        expectClose(first, x.sliced(axis: 2, 0..<1))
    }

    @Test func rotaryOffsetContinuesTheSequenceAndScoresDependOnDistance() {
        let x = seededTensor([1, 2, 6, 8], seed: 56)
        let whole = Variable(x).rotaryEmbedding().value
        let tail = Variable(x.sliced(axis: 2, 4..<6)).rotaryEmbedding(offset: 4).value
        expectClose(tail, whole.sliced(axis: 2, 4..<6))
        // <R_m q, R_n k> depends only on m − n: the same vectors at positions (3, 1) and (7, 5).
        let pair = seededTensor([1, 1, 2, 8], seed: 57)
        func score(_ m: Int, _ n: Int) -> Float {
            let a = Variable(pair.sliced(axis: 2, 0..<1)).rotaryEmbedding(offset: m).value
            let b = Variable(pair.sliced(axis: 2, 1..<2)).rotaryEmbedding(offset: n).value
            return (a * b).sum()
        }
        #expect(Swift.abs(score(3, 1) - score(7, 5)) < 1e-5)
        #expect(Swift.abs(score(3, 1) - score(3, 2)) > 1e-4)
    }
}
