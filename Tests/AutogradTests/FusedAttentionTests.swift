// The fused attention primitive (Tensors/AttentionKernel.swift) against the unfused composition
// it replaced: GQA expansion, the full score tensor from batched matmul, the causal mask, the
// additive bias, softmax, and the backward rule through the kept probabilities. Forward values
// and all three gradients are compared for every mask kind, grouped-query heads, KV-cache decoding
// (TQ = 1 with an offset), sizes that are not multiples of the kernel's tiles (including more keys
// than one key block, so the online softmax rescales), and rows that see no key at all.
// Shapes: q [B, H, TQ, D], k and v [B, HKV, TK, D], bias broadcastable to [B, H, TQ, TK].
import Testing
import Autograd
import Tensors

/// The pre-fusion implementation of `Variable.scaledDotProductAttention`, kept as a reference.
private func referenceAttention(query q: Variable, key k: Variable, value v: Variable,
                                mask: AttentionMask, scale: Float? = nil) -> Variable {
    let (batch, heads, queries, depth) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let (keyHeads, keys) = (k.shape[1], k.shape[2])
    let group = heads / keyHeads
    let factor = scale ?? 1 / Float(depth).squareRoot()
    func expand(_ t: Tensor) -> Tensor {
        group == 1 ? t.contiguous()
            : t.reshaped([batch, keyHeads, 1, keys, depth]).broadcast(to: [batch, keyHeads, group, keys, depth])
                .contiguous().reshaped([batch, heads, keys, depth])
    }
    func fold(_ t: Tensor) -> Tensor {
        group == 1 ? t : t.reshaped([batch, keyHeads, group, keys, depth]).sum(axis: 2)
    }
    let qv = q.value.contiguous(), kv = expand(k.value), vv = expand(v.value)
    var scores = Tensor.matmul(qv, kv, transposeB: true)
    scores.withUnsafeMutableBufferPointer { s in
        for i in s.indices { s[i] *= factor }
        if mask.isCausal {
            for plane in 0..<(batch * heads) {
                for i in 0..<queries where mask.causalOffset + i + 1 < keys {
                    for j in (mask.causalOffset + i + 1)..<keys { s[(plane * queries + i) * keys + j] = -.infinity }
                }
            }
        }
    }
    if let bias = mask.bias { scores = scores + bias }
    let probabilities = scores.softmax()
    let output = Tensor.matmul(probabilities, vv)
    return Variable.record(output, parents: [q, k, v], operation: "reference attention") { g in
        let dO = g.contiguous()
        let dV = fold(Tensor.matmul(probabilities, dO, transposeA: true))
        let dP = Tensor.matmul(dO, vv, transposeB: true)
        let dS = Tensor.softmaxBackward(output: probabilities, outputGradient: dP) * factor
        return [Tensor.matmul(dS, kv), fold(Tensor.matmul(dS, qv, transposeA: true)), dV]
    }
}

/// One comparison: shapes, mask and an optional scale.
struct FusedAttentionCase: CustomTestStringConvertible, Sendable {
    let name: String
    let batch: Int, heads: Int, keyHeads: Int, queries: Int, keys: Int, depth: Int
    var isCausal = false
    var offset = 0
    /// "none", "padding" [B, 1, 1, TK], "random" [B, 1, TQ, TK] with −∞ entries, "emptyRows" [B, H, TQ, TK].
    var bias = "none"
    var scale: Float? = nil

    var testDescription: String { name }

    func biasTensor() -> Tensor? {
        switch bias {
        case "padding":
            // The first b + 1 keys of sample b are padding (as after a left-padded prefill).
            var t = Tensor.zeros([batch, 1, 1, keys])
            for b in 0..<batch { for j in 0...min(b, keys - 1) { t[b, 0, 0, j] = -.infinity } }
            return t
        case "random":
            var t = seededTensor([batch, 1, queries, keys], seed: 300, low: -1, high: 1)
            for b in 0..<batch { for i in 0..<queries { t[b, 0, i, (i * 7 + b) % keys] = -.infinity } }
            return t
        case "emptyRows":
            // Query 1 of (0, 0) and the last query of (B−1, H−1) see no key.
            var t = seededTensor([batch, heads, queries, keys], seed: 301, low: -0.5, high: 0.5)
            for j in 0..<keys {
                t[0, 0, min(1, queries - 1), j] = -.infinity
                t[batch - 1, heads - 1, queries - 1, j] = -.infinity
            }
            return t
        default:
            return nil
        }
    }

    var mask: AttentionMask { AttentionMask(isCausal: isCausal, causalOffset: offset, bias: biasTensor()) }

    static let all: [FusedAttentionCase] = [
        FusedAttentionCase(name: "no mask", batch: 2, heads: 2, keyHeads: 2, queries: 5, keys: 7, depth: 8),
        FusedAttentionCase(name: "causal", batch: 2, heads: 2, keyHeads: 2, queries: 9, keys: 9, depth: 8, isCausal: true),
        FusedAttentionCase(name: "causal with offset", batch: 1, heads: 2, keyHeads: 2, queries: 4, keys: 10, depth: 8,
                           isCausal: true, offset: 6),
        FusedAttentionCase(name: "padding bias", batch: 3, heads: 2, keyHeads: 2, queries: 6, keys: 6, depth: 8,
                           bias: "padding"),
        FusedAttentionCase(name: "causal and random bias", batch: 2, heads: 2, keyHeads: 1, queries: 7, keys: 7, depth: 8,
                           isCausal: true, bias: "random"),
        FusedAttentionCase(name: "GQA G=2 causal", batch: 2, heads: 4, keyHeads: 2, queries: 6, keys: 6, depth: 8,
                           isCausal: true),
        FusedAttentionCase(name: "KV-cache decoding step", batch: 2, heads: 4, keyHeads: 2, queries: 1, keys: 12, depth: 8,
                           isCausal: true, offset: 11, bias: "padding"),
        FusedAttentionCase(name: "odd sizes T=37 D=24", batch: 1, heads: 2, keyHeads: 1, queries: 37, keys: 37, depth: 24,
                           isCausal: true),
        FusedAttentionCase(name: "several query and key blocks", batch: 1, heads: 2, keyHeads: 1, queries: 70, keys: 300,
                           depth: 8, bias: "random"),
        FusedAttentionCase(name: "several blocks, causal offset", batch: 1, heads: 1, keyHeads: 1, queries: 40, keys: 290,
                           depth: 16, isCausal: true, offset: 250),
        FusedAttentionCase(name: "rows that see no key", batch: 2, heads: 2, keyHeads: 2, queries: 4, keys: 5, depth: 8,
                           bias: "emptyRows"),
        FusedAttentionCase(name: "explicit scale", batch: 1, heads: 2, keyHeads: 2, queries: 5, keys: 5, depth: 8,
                           isCausal: true, scale: 0.7),
    ]
}

@Suite("Fused attention against the unfused reference")
struct FusedAttentionTests {
    @Test(arguments: FusedAttentionCase.all)
    func matchesTheReferenceCompositionWithGradients(_ c: FusedAttentionCase) {
        let q = seededTensor([c.batch, c.heads, c.queries, c.depth], seed: 310)
        let k = seededTensor([c.batch, c.keyHeads, c.keys, c.depth], seed: 311)
        let v = seededTensor([c.batch, c.keyHeads, c.keys, c.depth], seed: 312)
        let seed = seededTensor([c.batch, c.heads, c.queries, c.depth], seed: 313)
        let mask = c.mask
        func run(_ f: (Variable, Variable, Variable) -> Variable) -> [Tensor?] {
            let vars = [q, k, v].map { Variable($0, requiresGrad: true) }
            let out = f(vars[0], vars[1], vars[2])
            out.backward(seed: seed)
            return [out.value] + vars.map(\.grad)
        }
        let fused = run { Variable.scaledDotProductAttention(query: $0, key: $1, value: $2, mask: mask, scale: c.scale) }
        let reference = run { referenceAttention(query: $0, key: $1, value: $2, mask: mask, scale: c.scale) }
        for (index, name) in ["output", "dQ", "dK", "dV"].enumerated() {
            guard let expected = reference[index] else { Issue.record("reference \(name) missing"); continue }
            #expect(fused[index]?.scalars.allSatisfy(\.isFinite) == true, "\(name) has a non-finite value")
            expectClose(fused[index], expected, tolerance: 2e-5)
        }
    }

    @Test func rowsThatSeeNoKeyGiveZeroOutputAndGradient() {
        let c = FusedAttentionCase.all.first { $0.bias == "emptyRows" }!
        let vars = [seededTensor([2, 2, 4, 8], seed: 320), seededTensor([2, 2, 5, 8], seed: 321),
                    seededTensor([2, 2, 5, 8], seed: 322)].map { Variable($0, requiresGrad: true) }
        let out = Variable.scaledDotProductAttention(query: vars[0], key: vars[1], value: vars[2], mask: c.mask)
        out.backward(seed: seededTensor(out.shape, seed: 323))
        for d in 0..<8 {
            #expect(out.value[0, 0, 1, d] == 0 && out.value[1, 1, 3, d] == 0)
            #expect(vars[0].grad![0, 0, 1, d] == 0 && vars[0].grad![1, 1, 3, d] == 0)
        }
        #expect(vars.allSatisfy { $0.grad!.scalars.allSatisfy(\.isFinite) })
    }

    @Test func finiteDifferencesOnOddSizesWithCausalAndBias() {
        // Tiny but irregular: TQ = 3 queries against TK = 5 keys, D = 3, GQA G = 2, causal offset 2
        // plus a random bias with −∞ entries.
        let bias = seededTensor([1, 1, 3, 5], seed: 330, low: -0.5, high: 0.5)
        var masked = bias
        masked[0, 0, 0, 1] = -.infinity
        masked[0, 0, 2, 0] = -.infinity
        let mask = AttentionMask(isCausal: true, causalOffset: 2, bias: masked)
        expectGradientsMatch([seededTensor([1, 4, 3, 3], seed: 331), seededTensor([1, 2, 5, 3], seed: 332),
                              seededTensor([1, 2, 5, 3], seed: 333)]) { vars in
            probe(Variable.scaledDotProductAttention(query: vars[0], key: vars[1], value: vars[2], mask: mask))
        }
    }

    @Test func finiteDifferencesForADecodingStep() {
        let mask = AttentionMask(isCausal: true, causalOffset: 4, bias: Tensor(shape: [1, 1, 1, 5],
                                                                                scalars: [-.infinity, 0, 0, 0, 0]))
        expectGradientsMatch([seededTensor([1, 2, 1, 4], seed: 334), seededTensor([1, 1, 5, 4], seed: 335),
                              seededTensor([1, 1, 5, 4], seed: 336)]) { vars in
            probe(Variable.scaledDotProductAttention(query: vars[0], key: vars[1], value: vars[2], mask: mask))
        }
    }
}
