// The gated activation of a SwiGLU MLP (Shazeer, 2020, "GLU Variants Improve Transformer"),
// h = silu(g) ⊙ u, forward and backward in one pass each.
// Shapes: gate, up, h and their gradients all [..., H] with the same shape, contiguous.
//
// Composed from primitives the forward takes two passes (silu, multiply) and the backward
// four (two products, the silu derivative, one more product), each writing a full [N, H]
// temporary; the hidden layer is the widest activation of the decoder, so these passes cost
// more than the norms. The fused kernels evaluate the same expressions in the same order, so
// their results equal the composition's bit for bit. On AVX-512 CPUs both run their C twins
// (`fedvlm_swiglu`, `fedvlm_swiglu_backward`; see VectorKernels.swift), again the same bits.

import CKernels

extension Tensor {
    /// silu(gate) ⊙ up, where silu(g) = g σ(g). `native` picks the AVX-512 kernel (same bits).
    public static func swiGLU(gate: Tensor, up: Tensor, native: Bool = VectorKernels.native) -> Tensor {
        precondition(gate.shape == up.shape, "swiGLU: gate \(gate.shape) and up \(up.shape) differ")
        let g = gate.contiguous(), u = up.contiguous()
        var result = Tensor(uninitializedShape: gate.shape)
        g.withUnsafeBufferPointer { pg in
            u.withUnsafeBufferPointer { pu in
                result.withUnsafeMutableBufferPointer { ph in
                    guard let gBase = pg.baseAddress, let uBase = pu.baseAddress, let hBase = ph.baseAddress else { return }
                    parallelChunks(ph.count, grain: Tensor.elementwiseGrain) { range in
                        if native {
                            let start = range.lowerBound
                            fedvlm_swiglu(gBase + start, uBase + start, hBase + start, range.count)
                            return
                        }
                        VectorMath.forEachVector(in: range) { i, lanes in
                            let x = VectorMath.load(gBase + i, count: lanes)
                            let silu = x * VectorMath.sigmoid(x)
                            VectorMath.store(silu * VectorMath.load(uBase + i, count: lanes), to: hBase + i, count: lanes)
                        }
                    }
                }
            }
        }
        return result
    }

    /// Gradients of `swiGLU` for the output gradient `outputGradient`:
    /// d gate = dh ⊙ u ⊙ silu'(g) with silu'(g) = σ(g)(1 + g(1 − σ(g))), and d up = dh ⊙ silu(g).
    /// `native` picks the AVX-512 kernel (same bits).
    public static func swiGLUBackward(gate: Tensor, up: Tensor, outputGradient: Tensor,
                                      native: Bool = VectorKernels.native) -> (gate: Tensor, up: Tensor) {
        precondition(gate.shape == up.shape && gate.shape == outputGradient.shape,
                     "swiGLUBackward: gate \(gate.shape), up \(up.shape) and gradient \(outputGradient.shape) differ")
        let g = gate.contiguous(), u = up.contiguous(), dh = outputGradient.contiguous()
        var gateGradient = Tensor(uninitializedShape: gate.shape), upGradient = Tensor(uninitializedShape: gate.shape)
        g.withUnsafeBufferPointer { pg in
            u.withUnsafeBufferPointer { pu in
                dh.withUnsafeBufferPointer { pdh in
                    gateGradient.withUnsafeMutableBufferPointer { pdg in
                        upGradient.withUnsafeMutableBufferPointer { pdu in
                            guard let gBase = pg.baseAddress, let uBase = pu.baseAddress, let dhBase = pdh.baseAddress,
                                  let dgBase = pdg.baseAddress, let duBase = pdu.baseAddress else { return }
                            parallelChunks(pdg.count, grain: Tensor.elementwiseGrain) { range in
                                if native {
                                    let start = range.lowerBound
                                    fedvlm_swiglu_backward(gBase + start, uBase + start, dhBase + start,
                                                           dgBase + start, duBase + start, range.count)
                                    return
                                }
                                VectorMath.forEachVector(in: range) { i, lanes in
                                    let x = VectorMath.load(gBase + i, count: lanes)
                                    let incoming = VectorMath.load(dhBase + i, count: lanes)
                                    let sigma = VectorMath.sigmoid(x)
                                    let silu = x * sigma
                                    let siluDerivative = sigma * (1 + x * (1 - sigma))
                                    let gradientOfSilu = incoming * VectorMath.load(uBase + i, count: lanes)
                                    VectorMath.store(gradientOfSilu * siluDerivative, to: dgBase + i, count: lanes)
                                    VectorMath.store(incoming * silu, to: duBase + i, count: lanes)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (gateGradient, upGradient)
    }
}
