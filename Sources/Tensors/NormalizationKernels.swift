// Row-wise kernels over the last axis: softmax, log-softmax, layer norm, RMS norm, and the
// backward of each next to its forward. Shapes: x [R, D] (any leading dims fold into R).

import Foundation

extension Tensor {
    /// Rows and row length when the last axis is the one being normalised.
    @usableFromInline var lastAxisRows: (rows: Int, length: Int) {
        let length = shape.last ?? 1
        return (length == 0 ? 0 : scalarCount / length, length)
    }

    /// softmax over the last axis (max-subtracted for stability).
    public func softmax() -> Tensor {
        let (rows, length) = lastAxisRows
        var result = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                parallelChunks(rows, grain: Swift.max(1, 4096 / Swift.max(1, length))) { range in
                    for r in range {
                        let x = s + r * length, y = d + r * length
                        var peak = VectorMath.maximum(x, count: length)
                        if peak == -.infinity { peak = 0 }   // fully masked row: all zeros below
                        let total = VectorMath.expShifted(x, shift: peak, into: y, count: length)
                        VectorMath.scale(y, by: total > 0 ? 1 / total : 0, count: length)
                    }
                }
            }
        }
        return result
    }

    /// log-softmax over the last axis.
    public func logSoftmax() -> Tensor {
        let (rows, length) = lastAxisRows
        var result = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                parallelChunks(rows, grain: Swift.max(1, 4096 / Swift.max(1, length))) { range in
                    for r in range {
                        let x = s + r * length, y = d + r * length
                        let peak = VectorMath.maximum(x, count: length)
                        let total = VectorMath.sumExpShifted(x, shift: peak, count: length)
                        let logTotal = peak + Foundation.log(total)
                        for j in 0..<length { y[j] = x[j] - logTotal }
                    }
                }
            }
        }
        return result
    }

    /// Backward of softmax: dx = y ⊙ (dy − Σ_j dy_j y_j), row-wise.
    public static func softmaxBackward(output y: Tensor, outputGradient dy: Tensor) -> Tensor {
        let (rows, length) = y.lastAxisRows
        var result = Tensor(uninitializedShape: y.shape)
        y.withUnsafeBufferPointer { py in
            dy.withUnsafeBufferPointer { pg in
                result.withUnsafeMutableBufferPointer { pd in
                    let yb = py.baseAddress!, gb = pg.baseAddress!, db = pd.baseAddress!
                    parallelChunks(rows, grain: Swift.max(1, 4096 / Swift.max(1, length))) { range in
                        for r in range {
                            let yr = yb + r * length, gr = gb + r * length, dr = db + r * length
                            var dot: Float = 0
                            for j in 0..<length { dot += yr[j] * gr[j] }
                            for j in 0..<length { dr[j] = yr[j] * (gr[j] - dot) }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Backward of log-softmax: dx = dy − softmax(x) Σ_j dy_j, with softmax = exp(output).
    public static func logSoftmaxBackward(output: Tensor, outputGradient dy: Tensor) -> Tensor {
        let (rows, length) = output.lastAxisRows
        var result = Tensor(uninitializedShape: output.shape)
        output.withUnsafeBufferPointer { po in
            dy.withUnsafeBufferPointer { pg in
                result.withUnsafeMutableBufferPointer { pd in
                    let ob = po.baseAddress!, gb = pg.baseAddress!, db = pd.baseAddress!
                    parallelChunks(rows, grain: Swift.max(1, 4096 / Swift.max(1, length))) { range in
                        for r in range {
                            let orow = ob + r * length, gr = gb + r * length, dr = db + r * length
                            var total: Float = 0
                            for j in 0..<length { total += gr[j] }
                            for j in 0..<length { dr[j] = gr[j] - Foundation.exp(orow[j]) * total }
                        }
                    }
                }
            }
        }
        return result
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
                                var sum: Float = 0
                                for j in 0..<length { sum += xr[j] }
                                let mu = sum / Float(length)
                                var variance: Float = 0
                                for j in 0..<length { let c = xr[j] - mu; variance += c * c }
                                let rstd = 1 / (variance / Float(length) + epsilon).squareRoot()
                                mb[r] = mu
                                rb[r] = rstd
                                for j in 0..<length {
                                    var v = (xr[j] - mu) * rstd
                                    if let gp { v *= gp[j] }
                                    if let bp { v += bp[j] }
                                    yr[j] = v
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
                            var squares: Float = 0
                            for j in 0..<length { squares += xr[j] * xr[j] }
                            let rrms = 1 / (squares / Float(length) + epsilon).squareRoot()
                            rb[r] = rrms
                            for j in 0..<length { yr[j] = xr[j] * rrms * (gp?[j] ?? 1) }
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
    static func normBackward(_ x: Tensor, weight gamma: Tensor?, mean: Tensor?, inverseStd: Tensor,
                             outputGradient dy: Tensor, centered: Bool)
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
                                    var r = start
                                    while r < end {
                                        let xr = xb + r * length, gr = gb + r * length, dr = db + r * length
                                        let m = meanPointer?[r] ?? 0, s = rstdPointer[r]
                                        var sumG: Float = 0, sumGX: Float = 0
                                        for j in 0..<length {
                                            let xhat = (xr[j] - m) * s
                                            let gj = gr[j] * (gammaPointer?[j] ?? 1)
                                            sumG += gj
                                            sumGX += gj * xhat
                                            dWeight[j] += gr[j] * xhat
                                            dBias[j] += gr[j]
                                        }
                                        let meanG = centered ? sumG / Float(length) : 0
                                        let meanGX = sumGX / Float(length)
                                        for j in 0..<length {
                                            let xhat = (xr[j] - m) * s
                                            let gj = gr[j] * (gammaPointer?[j] ?? 1)
                                            dr[j] = s * (gj - meanG - xhat * meanGX)
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
