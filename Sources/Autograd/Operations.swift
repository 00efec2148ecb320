// The differentiable primitives. Each records one backward rule; comments give the chain
// rule term for each input. Broadcasting ops reduce gradients back to input shapes.

import Tensors

// MARK: - Arithmetic

extension Variable {
    public static func + (lhs: Variable, rhs: Variable) -> Variable {
        let (ls, rs) = (lhs.shape, rhs.shape)
        return record(lhs.value + rhs.value, parents: [lhs, rhs], operation: "add") { g in
            [g.reduced(toShape: ls), g.reduced(toShape: rs)]              // d(a+b)/da = d(a+b)/db = 1
        }
    }

    public static func - (lhs: Variable, rhs: Variable) -> Variable {
        let (ls, rs) = (lhs.shape, rhs.shape)
        return record(lhs.value - rhs.value, parents: [lhs, rhs], operation: "subtract") { g in
            [g.reduced(toShape: ls), (-g).reduced(toShape: rs)]
        }
    }

    public static func * (lhs: Variable, rhs: Variable) -> Variable {
        let (a, b) = (lhs.value, rhs.value)
        return record(a * b, parents: [lhs, rhs], operation: "multiply") { g in
            [lhs.requiresGrad ? (g * b).reduced(toShape: a.shape) : nil,   // d(ab)/da = b
             rhs.requiresGrad ? (g * a).reduced(toShape: b.shape) : nil]   // d(ab)/db = a
        }
    }

    public static func / (lhs: Variable, rhs: Variable) -> Variable {
        let (a, b) = (lhs.value, rhs.value)
        return record(a / b, parents: [lhs, rhs], operation: "divide") { g in
            [lhs.requiresGrad ? (g / b).reduced(toShape: a.shape) : nil,                // 1/b
             rhs.requiresGrad ? (-(g * a) / (b * b)).reduced(toShape: b.shape) : nil]   // −a/b²
        }
    }

    public static func * (lhs: Variable, rhs: Float) -> Variable {
        record(lhs.value * rhs, parents: [lhs], operation: "scale") { g in [g * rhs] }
    }
    public static func * (lhs: Float, rhs: Variable) -> Variable { rhs * lhs }
    public static func + (lhs: Variable, rhs: Float) -> Variable {
        record(lhs.value + rhs, parents: [lhs], operation: "add scalar") { g in [g] }
    }
    public static func - (lhs: Variable, rhs: Float) -> Variable { lhs + (-rhs) }
    public static prefix func - (operand: Variable) -> Variable { operand * -1 }

    /// Element-wise function with a known derivative: y = f(x), dx = g ⊙ f'(x).
    func pointwise(_ name: String, _ forward: (Tensor) -> Tensor, derivative: @escaping (Tensor, Tensor) -> Tensor) -> Variable {
        let x = value
        let y = forward(x)
        return Variable.record(y, parents: [self], operation: name) { g in [g * derivative(x, y)] }
    }

    public func exp() -> Variable { pointwise("exp", { $0.exp() }) { _, y in y } }
    public func log() -> Variable { pointwise("log", { $0.log() }) { x, _ in 1 / x } }
    public func sqrt() -> Variable { pointwise("sqrt", { $0.sqrt() }) { _, y in 0.5 / y } }
    public func squared() -> Variable { pointwise("square", { $0.squared() }) { x, _ in 2 * x } }
    public func tanh() -> Variable { pointwise("tanh", { $0.tanh() }) { _, y in 1 - y.squared() } }
    public func sigmoid() -> Variable { pointwise("sigmoid", { $0.sigmoid() }) { _, y in y * (1 - y) } }
    public func relu() -> Variable { pointwise("relu", { $0.relu() }) { x, _ in x.map { $0 > 0 ? 1 : 0 } } }
    /// Exact (erf) GELU, as `torch.nn.GELU()`.
    public func gelu() -> Variable { pointwise("gelu", { $0.gelu() }) { x, _ in x.geluDerivative() } }
    /// SiLU (swish), used by SwiGLU.
    public func silu() -> Variable { pointwise("silu", { $0.silu() }) { x, _ in x.siluDerivative() } }

    /// silu(gate) ⊙ up, the gate of a SwiGLU MLP, fused forward and backward
    /// (`Tensor.swiGLU`); equal bit for bit to `gate.silu() * up`.
    public static func swiGLU(gate: Variable, up: Variable) -> Variable {
        let g = gate.value, u = up.value
        return record(Tensor.swiGLU(gate: g, up: u), parents: [gate, up], operation: "swiGLU") { dh in
            let gradients = Tensor.swiGLUBackward(gate: g, up: u, outputGradient: dh)
            return [gate.requiresGrad ? gradients.gate : nil, up.requiresGrad ? gradients.up : nil]
        }
    }
}

// MARK: - Products

extension Variable {
    /// Batched matrix product (see `Tensor.matmul`), optionally with transposed operands.
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        let av = a.value, bv = b.value
        let y = Tensor.matmul(av, bv, transposeA: transposeA, transposeB: transposeB)
        return record(y, parents: [a, b], operation: "matmul") { g in
            // Y = op(A) op(B): d op(A) = G op(B)ᵀ, d op(B) = op(A)ᵀ G.
            var ga: Tensor? = nil, gb: Tensor? = nil
            if a.requiresGrad {
                // With transposeA, dA = (G op(B)ᵀ)ᵀ = op(B) Gᵀ, and op(B) is B transposed exactly when
                // transposeB is set. (Fix: this passed `transposeA: !transposeB`, i.e. op(B)ᵀ Gᵀ,
                // which fails the shape check for non-square operands and is wrong for square ones.)
                let raw = transposeA ? Tensor.matmul(bv, g, transposeA: transposeB, transposeB: true)
                                     : Tensor.matmul(g, bv, transposeB: !transposeB)
                ga = raw.reduced(toShape: av.shape)
            }
            if b.requiresGrad {
                let raw = transposeB ? Tensor.matmul(g, av, transposeA: true, transposeB: transposeA)
                                     : Tensor.matmul(av, g, transposeA: !transposeA)
                gb = raw.reduced(toShape: bv.shape)
            }
            return [ga, gb]
        }
    }

    /// x · op(W) for a layer's weight; a frozen weight, and every weight inside
    /// `PackedWeights.reusingWeights` (decoding), is packed for the GEMM once and reused
    /// (`Tensor.matmul(_:packedWeight:)`, same bits).
    private static func weightProduct(_ x: Tensor, _ w: Tensor, transposeB: Bool = false, frozen: Bool) -> Tensor {
        frozen || PackedWeights.isReusingWeights ? Tensor.matmul(x, packedWeight: w, transposeB: transposeB)
                                                 : Tensor.matmul(x, w, transposeB: transposeB)
    }

    /// y = x Wᵀ + b with x [..., in], W [out, in], b [out] (PyTorch `nn.Linear` layout).
    /// One primitive so the batch folds into a single GEMM forward and backward.
    public static func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        precondition(x.shape.last == inFeatures,
                     "linear: input \(x.shape) does not end in \(inFeatures) features (weight \(weight.shape))")
        if let bias { precondition(bias.shape == [outFeatures], "linear: bias \(bias.shape) must be [\(outFeatures)]") }
        let flat = x.value.reshaped([-1, inFeatures])
        let frozen = !weight.requiresGrad
        var y = weightProduct(flat, weight.value, transposeB: true, frozen: frozen)
        if let bias { y = y + bias.value }
        let outShape = Array(x.shape.dropLast()) + [outFeatures]
        let w = weight.value, xShape = x.shape
        let parents = bias.map { [x, weight, $0] } ?? [x, weight]
        return record(y.reshaped(outShape), parents: parents, operation: "linear") { g in
            let g2 = g.reshaped([-1, outFeatures])
            let dx = x.requiresGrad ? weightProduct(g2, w, frozen: frozen).reshaped(xShape) : nil  // dx = G W
            let dw = weight.requiresGrad ? Tensor.matmul(g2, flat, transposeA: true) : nil      // dW = Gᵀ x
            let db = (bias?.requiresGrad ?? false) ? g2.sum(axis: 0) : nil                      // db = Σ G
            return bias == nil ? [dx, dw] : [dx, dw, db]
        }
    }

    /// A linear layer with a low-rank update, fused (LoRA, Hu et al., 2022):
    /// y = x Wᵀ + b + scale · ((x ⊙ m) Aᵀ) Bᵀ with `down` A [r, in], `up` B [out, r] and an
    /// optional mask m of x's shape on the update's input (inverted dropout).
    /// The update is added by a GEMM that accumulates into the base output, and its backward
    /// adds into the base input gradient the same way, so no [N, out] or [N, in] temporary is
    /// made for the low-rank path; `linear(x, W, b) + linear(linear(x ⊙ m, A), B) · scale`
    /// computes the same values up to rounding.
    public static func lowRankAdaptedLinear(_ x: Variable, weight: Variable, bias: Variable?, down: Variable, up: Variable,
                                            scale: Float, inputMask: Tensor? = nil) -> Variable {
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0], rank = down.shape[0]
        precondition(x.shape.last == inFeatures,
                     "lowRankAdaptedLinear: input \(x.shape) does not end in \(inFeatures) features (weight \(weight.shape))")
        precondition(down.shape == [rank, inFeatures] && up.shape == [outFeatures, rank],
                     "lowRankAdaptedLinear: down \(down.shape) and up \(up.shape) do not fit weight \(weight.shape)")
        if let inputMask { precondition(inputMask.shape == x.shape, "lowRankAdaptedLinear: mask \(inputMask.shape) is not input \(x.shape)") }
        if let bias { precondition(bias.shape == [outFeatures], "lowRankAdaptedLinear: bias \(bias.shape) must be [\(outFeatures)]") }
        let flat = x.value.reshaped([-1, inFeatures])                                  // [N, in]
        let flatMask = inputMask?.reshaped([-1, inFeatures])
        let adapterInput = flatMask.map { flat * $0 } ?? flat                         // x ⊙ m
        let w = weight.value, a = down.value, b = up.value
        let scaledRankOutput = Tensor.matmul(adapterInput, a, transposeB: true) * scale  // s (x ⊙ m) Aᵀ [N, r]
        let frozen = !weight.requiresGrad                                               // the usual case
        var y = weightProduct(flat, w, transposeB: true, frozen: frozen)
        if let bias { y = y + bias.value }
        y.addMatmul(scaledRankOutput, b, transposeB: true)                              // += s (x ⊙ m) Aᵀ Bᵀ
        let outShape = Array(x.shape.dropLast()) + [outFeatures], xShape = x.shape
        let parents = [x, weight, down, up] + [bias].compactMap { $0 }
        return record(y.reshaped(outShape), parents: parents, operation: "lowRankAdaptedLinear") { g in
            let g2 = g.reshaped([-1, outFeatures])                                       // G [N, out]
            let rankGradient = Tensor.matmul(g2, b) * scale                              // d((x ⊙ m) Aᵀ) = s G B [N, r]
            let du = up.requiresGrad ? Tensor.matmul(g2, scaledRankOutput, transposeA: true) : nil   // dB = Gᵀ s(x ⊙ m)Aᵀ
            let dd = down.requiresGrad ? Tensor.matmul(rankGradient, adapterInput, transposeA: true) : nil  // dA
            var dx: Tensor? = nil
            if x.requiresGrad {
                var inputGradient = weightProduct(g2, w, frozen: frozen)               // G W
                if let flatMask {
                    inputGradient += Tensor.matmul(rankGradient, a) * flatMask          // + (s G B A) ⊙ m
                } else {
                    inputGradient.addMatmul(rankGradient, a)                             // + s G B A
                }
                dx = inputGradient.reshaped(xShape)
            }
            let dw = weight.requiresGrad ? Tensor.matmul(g2, flat, transposeA: true) : nil
            let db = (bias?.requiresGrad ?? false) ? g2.sum(axis: 0) : nil
            return bias == nil ? [dx, dw, dd, du] : [dx, dw, dd, du, db]
        }
    }
}

// MARK: - Shape

extension Variable {
    public func reshaped(_ shape: [Int]) -> Variable {
        let original = self.shape
        return Variable.record(value.reshaped(shape), parents: [self], operation: "reshape") { g in [g.reshaped(original)] }
    }

    public func permuted(_ order: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: order.count)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Variable.record(value.permuted(order).contiguous(), parents: [self], operation: "permute") { g in
            [g.permuted(inverse).contiguous()]
        }
    }

    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Variable {
        var order = Array(0..<shape.count)
        order.swapAt(value.normalizedAxis(first), value.normalizedAxis(second))
        return permuted(order)
    }

    /// Elements `range` along `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) -> Variable {
        let a = value.normalizedAxis(axis), full = shape
        return Variable.record(value.sliced(axis: a, range).contiguous(), parents: [self], operation: "slice") { g in
            var before = full, after = full
            before[a] = range.lowerBound
            after[a] = full[a] - range.upperBound
            var parts: [Tensor] = []
            if before[a] > 0 { parts.append(.zeros(before)) }
            parts.append(g)
            if after[a] > 0 { parts.append(.zeros(after)) }
            return [Tensor.concatenate(parts, axis: a)]
        }
    }

    /// Joins variables along `axis`.
    public static func concatenate(_ parts: [Variable], axis: Int) -> Variable {
        let a = parts[0].value.normalizedAxis(axis)
        let sizes = parts.map { $0.shape[a] }
        return record(Tensor.concatenate(parts.map(\.value), axis: a), parents: parts, operation: "concatenate") { g in
            g.split(sizes: sizes, axis: a).map { $0.contiguous() }
        }
    }

    /// Broadcasts to `shape` (materialised).
    public func broadcast(to target: [Int]) -> Variable {
        let original = shape
        return Variable.record(value.broadcast(to: target).contiguous(), parents: [self], operation: "broadcast") { g in
            [g.reduced(toShape: original)]
        }
    }
}

// MARK: - Reductions

extension Variable {
    /// Sum of all elements (a scalar of shape []).
    public func sum() -> Variable {
        let original = shape
        return Variable.record(Tensor(value.sum()), parents: [self], operation: "sum") { g in
            [Tensor(repeating: g.scalar, shape: original)]
        }
    }

    /// Mean of all elements.
    public func mean() -> Variable { sum() * (1 / Float(max(1, value.scalarCount))) }

    /// Sum along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Variable {
        let a = value.normalizedAxis(axis), original = shape
        return Variable.record(value.sum(axis: a, keepDims: keepDims), parents: [self], operation: "sum axis") { g in
            [(keepDims ? g : g.unsqueezed(a)).broadcast(to: original).contiguous()]
        }
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Variable {
        sum(axis: axis, keepDims: keepDims) * (1 / Float(shape[value.normalizedAxis(axis)]))
    }
}

// MARK: - Normalisation and probabilities (fused backward)

extension Variable {
    /// softmax over the last axis.
    public func softmax() -> Variable {
        let y = value.softmax()
        return Variable.record(y, parents: [self], operation: "softmax") { g in
            [Tensor.softmaxBackward(output: y, outputGradient: g)]
        }
    }

    /// log-softmax over the last axis.
    public func logSoftmax() -> Variable {
        let y = value.logSoftmax()
        return Variable.record(y, parents: [self], operation: "log softmax") { g in
            [Tensor.logSoftmaxBackward(output: y, outputGradient: g)]
        }
    }

    /// Layer norm over the last axis with optional affine weight and bias.
    public static func layerNorm(_ x: Variable, weight: Variable?, bias: Variable?, epsilon: Float = 1e-5) -> Variable {
        let xv = x.value.contiguous(), w = weight?.value
        let (y, mean, inverseStd) = Tensor.layerNorm(xv, weight: w, bias: bias?.value, epsilon: epsilon)
        let parents = [x] + [weight, bias].compactMap { $0 }
        return record(y, parents: parents, operation: "layer norm") { g in
            let grads = Tensor.layerNormBackward(xv, weight: w, mean: mean, inverseStd: inverseStd, outputGradient: g.contiguous())
            var result: [Tensor?] = [grads.input]
            if weight != nil { result.append(grads.weight) }
            if bias != nil { result.append(grads.bias) }
            return result
        }
    }

    /// RMS norm over the last axis with optional weight (Llama's RMSNorm).
    public static func rmsNorm(_ x: Variable, weight: Variable?, epsilon: Float = 1e-6) -> Variable {
        let xv = x.value.contiguous(), w = weight?.value
        let (y, inverseRMS) = Tensor.rmsNorm(xv, weight: w, epsilon: epsilon)
        let parents = [x] + [weight].compactMap { $0 }
        return record(y, parents: parents, operation: "rms norm") { g in
            let grads = Tensor.rmsNormBackward(xv, weight: w, inverseRMS: inverseRMS, outputGradient: g.contiguous())
            return weight == nil ? [grads.input] : [grads.input, grads.weight]
        }
    }
}

// MARK: - Embedding, losses, convolution, dropout

extension Variable {
    /// Rows of `table` [V, D] for token ids of any shape: result shape ids.shape + [D].
    public static func embedding(_ table: Variable, ids: IndexTensor) -> Variable {
        let rows = table.shape[0], width = table.shape[1]
        for (position, id) in ids.values.enumerated() where id < 0 || Int(id) >= rows {
            preconditionFailure("embedding: token id \(id) at position \(position) outside vocabulary 0..<\(rows)")
        }
        let y = Tensor.gatherRows(table.value, indices: ids.values).reshaped(ids.shape + [width])
        return record(y, parents: [table], operation: "embedding") { g in
            [Tensor.scatterAddRows(g.reshaped([-1, width]), indices: ids.values, rowCount: rows)]
        }
    }

    /// Mean cross-entropy of logits [..., V] against integer targets (same leading shape);
    /// targets equal to `ignoreIndex` do not count. Softmax and loss are fused.
    public static func crossEntropy(logits: Variable, targets: IndexTensor, ignoreIndex: Int32 = -100) -> Variable {
        let vocabulary = logits.shape.last ?? 0
        precondition(Array(logits.shape.dropLast()) == targets.shape,
                     "crossEntropy: logits \(logits.shape) do not match targets \(targets.shape)")
        let flat = logits.value.reshaped([-1, vocabulary])
        let (loss, gradient, _) = Tensor.softmaxCrossEntropy(logits: flat, targets: targets.values, ignoreIndex: ignoreIndex)
        let logitShape = logits.shape
        return record(Tensor(loss), parents: [logits], operation: "cross entropy") { g in
            // The loss is usually the graph's root (g = 1): skip a pass over [tokens, vocabulary].
            let scale = g.scalar
            return [(scale == 1 ? gradient : gradient * scale).reshaped(logitShape)]
        }
    }

    /// Mean squared error between `prediction` and a constant `target`.
    public static func meanSquaredError(_ prediction: Variable, _ target: Tensor) -> Variable {
        precondition(prediction.shape == target.shape, "meanSquaredError: \(prediction.shape) vs \(target.shape)")
        let difference = prediction - Variable(target)
        return (difference * difference).mean()
    }

    /// 2-D convolution (see `Tensor.conv2d`).
    public static func conv2d(_ input: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0) -> Variable {
        let x = input.value.contiguous(), w = weight.value.contiguous()
        let y = Tensor.conv2d(x, weight: w, bias: bias?.value, stride: stride, padding: padding)
        let parents = [input, weight] + [bias].compactMap { $0 }
        return record(y, parents: parents, operation: "conv2d") { g in
            let grads = Tensor.conv2dBackward(x, weight: w, outputGradient: g.contiguous(), stride: stride, padding: padding)
            return bias == nil ? [grads.input, grads.weight] : [grads.input, grads.weight, grads.bias]
        }
    }

    /// Inverted dropout: zeroes each element with probability `rate` and scales the rest by
    /// 1/(1 − rate); the mask comes from `generator`.
    public func dropout(rate: Float, generator: inout RandomGenerator) -> Variable {
        precondition(rate >= 0 && rate < 1, "dropout: rate \(rate) must be in [0, 1)")
        if rate == 0 { return self }
        let mask = Tensor.dropoutMask(shape: shape, rate: rate, generator: &generator)
        return Variable.record(value * mask, parents: [self], operation: "dropout") { g in [g * mask] }
    }
}
