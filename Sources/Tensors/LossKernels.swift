// Fused softmax + cross-entropy. Shapes: logits [N, V], targets [N] (class ids; rows whose
// target equals `ignoreIndex` do not count, as answer-only losses in instruction tuning need).

import Foundation

extension Tensor {
    /// Mean cross-entropy over the counted rows and its gradient with respect to the logits,
    /// computed in one pass: dlogits = (softmax − onehot) / counted for counted rows, 0 otherwise.
    /// Returns loss 0 and a zero gradient when no row counts.
    public static func softmaxCrossEntropy(logits: Tensor, targets: [Int32], ignoreIndex: Int32 = -100)
        -> (loss: Float, gradient: Tensor, counted: Int) {
        precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                     "softmaxCrossEntropy: logits \(logits.shape) do not match \(targets.count) targets")
        let rows = logits.shape[0], vocabulary = logits.shape[1]
        let counted = targets.filter { $0 != ignoreIndex }.count
        var gradient = Tensor(uninitializedShape: logits.shape)
        var rowLoss = [Double](repeating: 0, count: rows)
        let scale = counted > 0 ? 1 / Float(counted) : 0
        logits.withUnsafeBufferPointer { src in
            gradient.withUnsafeMutableBufferPointer { dst in
                rowLoss.withUnsafeMutableBufferPointer { losses in
                    let s = src.baseAddress!, d = dst.baseAddress!, l = losses.baseAddress!
                    parallelChunks(rows, grain: Tensor.rowGrain(vocabulary)) { range in
                        for r in range {
                            let x = s + r * vocabulary, g = d + r * vocabulary
                            let target = targets[r]
                            if target == ignoreIndex {
                                g.initialize(repeating: 0, count: vocabulary)
                                continue
                            }
                            precondition(target >= 0 && Int(target) < vocabulary,
                                         "softmaxCrossEntropy: target \(target) in row \(r) outside 0..<\(vocabulary)")
                            let peak = VectorMath.maximum(x, count: vocabulary)
                            let total = VectorMath.expShifted(x, shift: peak, into: g, count: vocabulary)
                            l[r] = Double(Foundation.log(total) + peak - x[Int(target)])
                            VectorMath.scale(g, by: scale / total, count: vocabulary)
                            g[Int(target)] -= scale
                        }
                    }
                }
            }
        }
        let loss = counted > 0 ? Float(rowLoss.reduce(0, +) / Double(counted)) : 0
        return (loss, gradient, counted)
    }
}
