// Row-wise kernels over the last axis: softmax, log-softmax, layer norm, RMS norm, and the
// backward of each next to its forward. Shapes: x [R, D] (any leading dims fold into R).

import CKernels
import Foundation

extension Tensor {
    /// Rows and row length when the last axis is the one being normalised.
    @usableFromInline var lastAxisRows: (rows: Int, length: Int) {
        let length = shape.last ?? 1
        return (length == 0 ? 0 : scalarCount / length, length)
    }

    /// Rows per worker chunk for row-wise kernels over rows of `length` values (about 4K values).
    @usableFromInline static func rowGrain(_ length: Int) -> Int { Swift.max(1, 4096 / Swift.max(1, length)) }

    /// A tensor of this shape whose rows (last axis) `body(input, output, length)` computes from
    /// the matching rows of `self`, rows on the workers.
    func mapRows(_ body: (_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ length: Int) -> Void) -> Tensor {
        let (rows, length) = lastAxisRows
        var result = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { destination in
                guard let s = source.baseAddress, let d = destination.baseAddress else { return }
                parallelChunks(rows, grain: Tensor.rowGrain(length)) { range in
                    for r in range { body(s + r * length, d + r * length, length) }
                }
            }
        }
        return result
    }

    /// `mapRows` over the rows of two tensors of one shape (an output and its gradient); `name`
    /// appears in the shape error.
    static func zipRows(_ first: Tensor, _ second: Tensor, name: String,
                        _ body: (_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>,
                                 _ output: UnsafeMutablePointer<Float>, _ length: Int) -> Void) -> Tensor {
        precondition(first.shape == second.shape, "\(name): shapes \(first.shape) and \(second.shape) differ")
        let (rows, length) = first.lastAxisRows
        var result = Tensor(uninitializedShape: first.shape)
        first.withUnsafeBufferPointer { p1 in
            second.withUnsafeBufferPointer { p2 in
                result.withUnsafeMutableBufferPointer { pd in
                    guard let b1 = p1.baseAddress, let b2 = p2.baseAddress, let bd = pd.baseAddress else { return }
                    parallelChunks(rows, grain: Tensor.rowGrain(length)) { range in
                        for r in range { body(b1 + r * length, b2 + r * length, bd + r * length, length) }
                    }
                }
            }
        }
        return result
    }

    /// softmax over the last axis (max-subtracted for stability).
    public func softmax() -> Tensor {
        mapRows { x, y, length in
            var peak = VectorMath.maximum(x, count: length)
            if peak == -.infinity { peak = 0 }   // fully masked row: all zeros below
            let total = VectorMath.expShifted(x, shift: peak, into: y, count: length)
            VectorMath.scale(y, by: total > 0 ? 1 / total : 0, count: length)
        }
    }

    /// log-softmax over the last axis.
    public func logSoftmax() -> Tensor {
        mapRows { x, y, length in
            let peak = VectorMath.maximum(x, count: length)
            let total = VectorMath.sumExpShifted(x, shift: peak, count: length)
            let logTotal = peak + Foundation.log(total)
            VectorMath.forEachVector(in: 0..<length) { j, lanes in
                VectorMath.store(VectorMath.load(x + j, count: lanes) - logTotal, to: y + j, count: lanes)
            }
        }
    }

    /// Backward of softmax: dx = y ⊙ (dy − Σ_j dy_j y_j), row-wise.
    public static func softmaxBackward(output y: Tensor, outputGradient dy: Tensor) -> Tensor {
        zipRows(y, dy, name: "softmaxBackward") { yr, gr, dr, length in
            let dot = VectorMath.dot(yr, gr, count: length)
            VectorMath.forEachVector(in: 0..<length) { j, lanes in
                let yj = VectorMath.load(yr + j, count: lanes)
                VectorMath.store(yj * (VectorMath.load(gr + j, count: lanes) - dot), to: dr + j, count: lanes)
            }
        }
    }

    /// Backward of log-softmax: dx = dy − softmax(x) Σ_j dy_j, with softmax = exp(output).
    public static func logSoftmaxBackward(output: Tensor, outputGradient dy: Tensor) -> Tensor {
        zipRows(output, dy, name: "logSoftmaxBackward") { orow, gr, dr, length in
            let total = VectorMath.sum(gr, count: length)
            VectorMath.forEachVector(in: 0..<length) { j, lanes in
                let softmax = VectorMath.exp(VectorMath.load(orow + j, count: lanes))
                VectorMath.store(VectorMath.load(gr + j, count: lanes) - softmax * total, to: dr + j, count: lanes)
            }
        }
    }

    /// Layer norm over the last axis: y = (x − μ) / sqrt(σ² + ε) · γ + β.
    /// Returns the output and the per-row mean and reciprocal standard deviation the backward needs.
    public static func layerNorm(_ x: Tensor, weight gamma: Tensor?, bias beta: Tensor?, epsilon: Float)
        -> (output: Tensor, mean: Tensor, inverseStd: Tensor) {
        let (rows, length) = x.lastAxisRows
        // The kernel reads γ and β as [D] buffers: check so a wrong shape cannot read out of bounds.
        precondition(gamma.map { $0.shape == [length] } ?? true && beta.map { $0.shape == [length] } ?? true,
                     "layerNorm: weight \(gamma?.shape ?? []) and bias \(beta?.shape ?? []) must be [\(length)] for input \(x.shape)")
        var output = Tensor(uninitializedShape: x.shape)
        var mean = Tensor(uninitializedShape: [rows])
        var inverseStd = Tensor(uninitializedShape: [rows])
        let g = gamma?.contiguous(), b = beta?.contiguous()
        x.withUnsafeBufferPointer { px in
            output.withUnsafeMutableBufferPointer { py in
                mean.withUnsafeMutableBufferPointer { pm in
                    inverseStd.withUnsafeMutableBufferPointer { pr in
                        let xb = px.baseAddress!, yb = py.baseAddress!, mb = pm.baseAddress!, rb = pr.baseAddress!
                        let gp = g.map { $0.storage.base + $0.offset }, bp = b.map { $0.storage.base + $0.offset }
                        parallelChunks(rows, grain: Swift.max(1, 8192 / Swift.max(1, length))) { range in
                            for r in range {
                                let xr = xb + r * length, yr = yb + r * length
                                let mu = VectorMath.sum(xr, count: length) / Float(length)
                                var squares = VectorMath.Vector()
                                VectorMath.forEachVector(in: 0..<length) { j, lanes in
                                    // Padding lanes would add (0 − μ)²: keep them out of the sum.
                                    let c = (VectorMath.load(xr + j, count: lanes) - mu)
                                        .replacing(with: 0, where: VectorMath.laneIndices .>= Int32(lanes))
                                    squares += c * c
                                }
                                let rstd = 1 / (squares.sum() / Float(length) + epsilon).squareRoot()
                                mb[r] = mu
                                rb[r] = rstd
                                VectorMath.forEachVector(in: 0..<length) { j, lanes in
                                    var v = (VectorMath.load(xr + j, count: lanes) - mu) * rstd
                                    if let gp { v *= VectorMath.load(gp + j, count: lanes) }
                                    if let bp { v += VectorMath.load(bp + j, count: lanes) }
                                    VectorMath.store(v, to: yr + j, count: lanes)
                                }
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime((g, b)) {}
        return (output, mean, inverseStd)
    }

    /// Backward of layer norm. With x̂ = (x − μ)·r and g = dy·γ:
    /// dx = r · (g − mean(g) − x̂ · mean(g ⊙ x̂)); dγ = Σ_rows dy ⊙ x̂; dβ = Σ_rows dy.
    public static func layerNormBackward(_ x: Tensor, weight gamma: Tensor?, mean: Tensor, inverseStd: Tensor,
                                         outputGradient dy: Tensor)
        -> (input: Tensor, weight: Tensor?, bias: Tensor?) {
        normBackward(x, weight: gamma, mean: mean, inverseStd: inverseStd, outputGradient: dy, centered: true)
    }

    /// RMS norm over the last axis (Llama): y = x / sqrt(mean(x²) + ε) · γ. Returns the reciprocal RMS per row.
    public static func rmsNorm(_ x: Tensor, weight gamma: Tensor?, epsilon: Float) -> (output: Tensor, inverseRMS: Tensor) {
        let (rows, length) = x.lastAxisRows
        precondition(gamma.map { $0.shape == [length] } ?? true,
                     "rmsNorm: weight \(gamma?.shape ?? []) must be [\(length)] for input \(x.shape)")
        var output = Tensor(uninitializedShape: x.shape)
        var inverseRMS = Tensor(uninitializedShape: [rows])
        let g = gamma?.contiguous()
        x.withUnsafeBufferPointer { px in
            output.withUnsafeMutableBufferPointer { py in
                inverseRMS.withUnsafeMutableBufferPointer { pr in
                    let xb = px.baseAddress!, yb = py.baseAddress!, rb = pr.baseAddress!
                    let gp = g.map { $0.storage.base + $0.offset }
                    parallelChunks(rows, grain: Swift.max(1, 8192 / Swift.max(1, length))) { range in
                        for r in range {
                            let xr = xb + r * length, yr = yb + r * length
                            let rrms = 1 / (VectorMath.dot(xr, xr, count: length) / Float(length) + epsilon).squareRoot()
                            rb[r] = rrms
                            VectorMath.forEachVector(in: 0..<length) { j, lanes in
                                var v = VectorMath.load(xr + j, count: lanes) * rrms
                                if let gp { v *= VectorMath.load(gp + j, count: lanes) }
                                VectorMath.store(v, to: yr + j, count: lanes)
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(g) {}
        return (output, inverseRMS)
    }

    /// Backward of RMS norm. With x̂ = x·r and g = dy·γ: dx = r · (g − x̂ · mean(g ⊙ x̂)); dγ = Σ_rows dy ⊙ x̂.
    public static func rmsNormBackward(_ x: Tensor, weight gamma: Tensor?, inverseRMS: Tensor,
                                       outputGradient dy: Tensor) -> (input: Tensor, weight: Tensor?) {
        let result = normBackward(x, weight: gamma, mean: nil, inverseStd: inverseRMS, outputGradient: dy,
                                  centered: false)
        return (result.input, result.weight)
    }

    /// Shared backward of layer norm (centered) and RMS norm (not centered).
    /// `native` runs the AVX-512 twin, `fedvlm_norm_backward` (same bits).
    static func normBackward(_ x: Tensor, weight gamma: Tensor?, mean: Tensor?, inverseStd: Tensor,
                             outputGradient dy: Tensor, centered: Bool, native: Bool = VectorKernels.native)
        -> (input: Tensor, weight: Tensor?, bias: Tensor?) {
        let (rows, length) = x.lastAxisRows
        var dx = Tensor(uninitializedShape: x.shape)
        let workers = Swift.max(1, Swift.min(ParallelConfiguration.currentWorkerCount, rows))
        // Per-worker partial sums of dγ and dβ, added at the end (no shared writes).
        var partialWeight = Tensor.zeros([workers, length])
        var partialBias = Tensor.zeros([workers, length])
        let g = gamma?.contiguous(), mu = mean?.contiguous(), rstd = inverseStd.contiguous()
        x.withUnsafeBufferPointer { px in
            dy.withUnsafeBufferPointer { pg in
                dx.withUnsafeMutableBufferPointer { pd in
                    partialWeight.withUnsafeMutableBufferPointer { pw in
                        partialBias.withUnsafeMutableBufferPointer { pb in
                            let xb = px.baseAddress!, gb = pg.baseAddress!, db = pd.baseAddress!
                            let wb = pw.baseAddress!, bb = pb.baseAddress!
                            let gammaPointer = g.map { $0.storage.base + $0.offset }
                            let meanPointer = mu.map { $0.storage.base + $0.offset }
                            let rstdPointer = rstd.storage.base + rstd.offset
                            let perWorker = (rows + workers - 1) / workers
                            parallelChunks(workers, grain: 1) { workerRange in
                                for worker in workerRange {
                                    let start = worker * perWorker, end = Swift.min(rows, start + perWorker)
                                    let dWeight = wb + worker * length, dBias = bb + worker * length
                                    if native {
                                        if end > start {
                                            fedvlm_norm_backward(xb, gb, db, gammaPointer, meanPointer, rstdPointer, start,
                                                                 end - start, length, centered ? 1 : 0, dWeight, dBias)
                                        }
                                        continue
                                    }
                                    var r = start
                                    while r < end {
                                        let xr = xb + r * length, gr = gb + r * length, dr = db + r * length
                                        let m = meanPointer?[r] ?? 0, s = rstdPointer[r]
                                        // Sixteen lanes at a time; padding lanes load dy = 0, so they
                                        // add nothing to the sums, and their stores are dropped.
                                        var sumG = VectorMath.Vector(), sumGX = VectorMath.Vector()
                                        VectorMath.forEachVector(in: 0..<length) { j, lanes in
                                            let xhat = (VectorMath.load(xr + j, count: lanes) - m) * s
                                            let dyj = VectorMath.load(gr + j, count: lanes)
                                            let gj = gammaPointer.map { dyj * VectorMath.load($0 + j, count: lanes) } ?? dyj
                                            sumG += gj
                                            sumGX += gj * xhat
                                            VectorMath.store(VectorMath.load(dWeight + j, count: lanes) + dyj * xhat,
                                                             to: dWeight + j, count: lanes)
                                            if centered {
                                                VectorMath.store(VectorMath.load(dBias + j, count: lanes) + dyj, to: dBias + j, count: lanes)
                                            }
                                        }
                                        let meanG = centered ? sumG.sum() / Float(length) : 0
                                        let meanGX = sumGX.sum() / Float(length)
                                        VectorMath.forEachVector(in: 0..<length) { j, lanes in
                                            let xhat = (VectorMath.load(xr + j, count: lanes) - m) * s
                                            let dyj = VectorMath.load(gr + j, count: lanes)
                                            let gj = gammaPointer.map { dyj * VectorMath.load($0 + j, count: lanes) } ?? dyj
                                            VectorMath.store(s * (gj - meanG - xhat * meanGX), to: dr + j, count: lanes)
                                        }
                                        r += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime((g, mu, rstd)) {}
        let weightGradient = gamma == nil ? nil : partialWeight.sum(axis: 0)
        let biasGradient = centered ? partialBias.sum(axis: 0) : nil
        return (dx, weightGradient, biasGradient)
    }
}
