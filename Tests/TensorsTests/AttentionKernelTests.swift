// AttentionKernel directly: output and per-row log-sum-exp against a naive loop in Double, with
// more keys than one key block (the online softmax must rescale when a later block holds the
// row maximum), large score ranges (exponentials that underflow), GQA, and empty rows.
// Gradients are compared with the unfused reference in AutogradTests/FusedAttentionTests.swift.
// Shapes: q [B, H, TQ, D], k and v [B, HKV, TK, D] -> out [B, H, TQ, D], logSumExp [B, H, TQ].
import Foundation
import Testing
import Tensors

/// Naive attention in Double: (output, logSumExp); rows with no visible key give 0 and −∞.
private func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Double, causalOffset: Int?,
                            bias: Tensor?) -> (output: [Double], logSumExp: [Double]) {
    let (batch, heads, queries, depth) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let (keyHeads, keys) = (k.shape[1], k.shape[2])
    let group = heads / keyHeads
    let qs = q.scalars, ks = k.scalars, vs = v.scalars
    let fullBias = bias?.broadcast(to: [batch, heads, queries, keys]).scalars
    var output: [Double] = [], logSumExp: [Double] = []
    for b in 0..<batch {
        for h in 0..<heads {
            let plane = b * heads + h, keyPlane = b * keyHeads + h / group
            for i in 0..<queries {
                var scores = [Double](repeating: -.infinity, count: keys)
                for j in 0..<keys {
                    if let offset = causalOffset, j > offset + i { continue }
                    var dot = 0.0
                    for d in 0..<depth {
                        dot += Double(qs[(plane * queries + i) * depth + d]) * Double(ks[(keyPlane * keys + j) * depth + d])
                    }
                    scores[j] = dot * scale + Double(fullBias?[(plane * queries + i) * keys + j] ?? 0)
                }
                let peak = scores.max()!
                if peak == -.infinity {
                    output += [Double](repeating: 0, count: depth)
                    logSumExp.append(-.infinity)
                    continue
                }
                let weights = scores.map { Foundation.exp($0 - peak) }
                let total = weights.reduce(0, +)
                logSumExp.append(peak + Foundation.log(total))
                for d in 0..<depth {
                    var value = 0.0
                    for j in 0..<keys { value += weights[j] / total * Double(vs[(keyPlane * keys + j) * depth + d]) }
                    output.append(value)
                }
            }
        }
    }
    return (output, logSumExp)
}

@Suite struct AttentionKernelTests {
    private func check(queries: Int, keys: Int, depth: Int, heads: Int = 2, keyHeads: Int = 1, scale: Float,
                       causalOffset: Int?, bias: Tensor?, seed: UInt64) {
        let q = seededTensor([2, heads, queries, depth], seed: seed)
        let k = seededTensor([2, keyHeads, keys, depth], seed: seed + 1)
        let v = seededTensor([2, keyHeads, keys, depth], seed: seed + 2)
        let mask = AttentionKernel.Mask(isCausal: causalOffset != nil, causalOffset: causalOffset ?? 0, bias: bias)
        let (output, logSumExp) = AttentionKernel.forward(query: q, key: k, value: v, mask: mask, scale: scale)
        let expected = naiveAttention(q, k, v, scale: Double(scale), causalOffset: causalOffset, bias: bias)
        #expect(output.shape == q.shape && logSumExp.shape == [2, heads, queries])
        let outputError = zip(output.scalars, expected.output).map { abs(Double($0) - $1) / (1 + abs($1)) }.max()!
        #expect(outputError < 1e-5, "output error \(outputError)")
        for (actual, wanted) in zip(logSumExp.scalars, expected.logSumExp) {
            if wanted == -.infinity { #expect(actual == -.infinity) } else {
                #expect(abs(Double(actual) - wanted) / (1 + abs(wanted)) < 1e-5, "logSumExp \(actual) vs \(wanted)")
            }
        }
    }

    @Test func severalKeyBlocksWithTheMaximumInALaterBlock() {
        // Scale 4 spreads the scores over tens of units: later key blocks often raise the row
        // maximum (rescaling) and many exponentials underflow to 0.
        check(queries: 35, keys: 300, depth: 12, scale: 4, causalOffset: nil, bias: nil, seed: 400)
        check(queries: 35, keys: 300, depth: 12, heads: 4, keyHeads: 2, scale: 4, causalOffset: 265, bias: nil, seed: 410)
    }

    @Test func causalSquareWithOddSizes() {
        check(queries: 37, keys: 37, depth: 24, scale: 1 / Float(24).squareRoot(), causalOffset: 0, bias: nil, seed: 420)
    }

    @Test func biasWithEmptyRowsAndKeysNoQuerySees() {
        // Row 3 of every plane sees no key; under causal offset 0 with TK > TQ the last keys are unseen.
        var bias = seededTensor([2, 1, 6, 9], seed: 430, low: -1, high: 1)
        for b in 0..<2 { for j in 0..<9 { bias[b, 0, 3, j] = -.infinity } }
        check(queries: 6, keys: 9, depth: 8, scale: 0.5, causalOffset: 0, bias: bias, seed: 431)
        check(queries: 6, keys: 9, depth: 8, scale: 0.5, causalOffset: nil, bias: bias, seed: 432)
    }

    @Test func backwardGivesZeroKeyAndValueGradientsForUnseenKeys() {
        let q = seededTensor([1, 2, 3, 4], seed: 440), k = seededTensor([1, 2, 8, 4], seed: 441)
        let v = seededTensor([1, 2, 8, 4], seed: 442)
        let mask = AttentionKernel.Mask(isCausal: true, causalOffset: 2)        // queries see keys 0...4 at most
        let (output, logSumExp) = AttentionKernel.forward(query: q, key: k, value: v, mask: mask)
        let gradients = AttentionKernel.backward(query: q, key: k, value: v, output: output, logSumExp: logSumExp,
                                                 outputGradient: seededTensor([1, 2, 3, 4], seed: 443), mask: mask)
        for h in 0..<2 {
            for j in 5..<8 {
                for d in 0..<4 { #expect(gradients.key[0, h, j, d] == 0 && gradients.value[0, h, j, d] == 0) }
            }
        }
        #expect(gradients.value.scalars.contains { $0 != 0 })
    }

    /// Keys and values that are the first rows of longer buffers (a KV cache's views) are read
    /// in place and give the same bits as their dense copies, with several key heads and with
    /// one (where the batch stride is the distance between planes), and for views whose planes
    /// are not evenly spaced (then copied).
    @Test func keysReadInPlaceFromALongerBuffer() {
        for (keyHeads, heads) in [(2, 4), (1, 2)] {
            let q = seededTensor([3, heads, 2, 8], seed: 460)
            let keyBuffer = seededTensor([3, keyHeads, 40, 8], seed: 461), valueBuffer = seededTensor([3, keyHeads, 40, 8], seed: 462)
            let k = keyBuffer.sliced(axis: 2, 0..<23), v = valueBuffer.sliced(axis: 2, 0..<23)
            #expect(!k.isContiguous)
            let mask = AttentionKernel.Mask(isCausal: true, causalOffset: 21)
            let (viewOutput, viewLSE) = AttentionKernel.forward(query: q, key: k, value: v, mask: mask)
            let (denseOutput, denseLSE) = AttentionKernel.forward(query: q, key: k.contiguous(), value: v.contiguous(), mask: mask)
            #expect(viewOutput.scalars.map(\.bitPattern) == denseOutput.scalars.map(\.bitPattern))
            #expect(viewLSE.scalars.map(\.bitPattern) == denseLSE.scalars.map(\.bitPattern))
        }
        // Heads taken from a [B, T, H, D] layout: rows are not dense, so the kernel copies.
        let q = seededTensor([2, 2, 3, 4], seed: 470)
        let k = seededTensor([2, 5, 2, 4], seed: 471).permuted([0, 2, 1, 3]), v = seededTensor([2, 5, 2, 4], seed: 472).permuted([0, 2, 1, 3])
        let (output, _) = AttentionKernel.forward(query: q, key: k, value: v)
        let (dense, _) = AttentionKernel.forward(query: q, key: k.contiguous(), value: v.contiguous())
        #expect(output.scalars.map(\.bitPattern) == dense.scalars.map(\.bitPattern))
    }

    @Test func emptyKeysAndEmptyHeadDimension() {
        // No keys: every row sees nothing (zero output, log-sum-exp −∞, zero dQ).
        let q = seededTensor([1, 2, 9, 4], seed: 450), none = Tensor.zeros([1, 2, 0, 4])
        let (output, logSumExp) = AttentionKernel.forward(query: q, key: none, value: none)
        #expect(output.scalars.allSatisfy { $0 == 0 } && logSumExp.scalars.allSatisfy { $0 == -.infinity })
        let gradients = AttentionKernel.backward(query: q, key: none, value: none, output: output, logSumExp: logSumExp,
                                                 outputGradient: seededTensor([1, 2, 9, 4], seed: 451))
        #expect(gradients.query.scalars.allSatisfy { $0 == 0 } && gradients.key.shape == [1, 2, 0, 4])
        // D = 0: nothing to compute, shapes still right.
        let flat = Tensor.zeros([1, 1, 3, 0])
        let empty = AttentionKernel.forward(query: flat, key: flat, value: flat, mask: .init(isCausal: true))
        #expect(empty.output.shape == [1, 1, 3, 0] && empty.logSumExp.shape == [1, 1, 3])
        #expect(abs(empty.logSumExp[0, 0, 2] - Foundation.log(3)) < 1e-6)
    }
}
