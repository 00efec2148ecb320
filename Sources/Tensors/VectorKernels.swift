// The choice between the Swift element-wise kernels and their AVX-512 twins in C
// (CKernels/vector_kernels.c), plus the AdamW update that NN's optimizer runs.
//
// The Swift targets are compiled for baseline x86-64 (no per-target flags, see
// Docs/Architecture.md), where a SIMD16<Float> is four SSE registers and long expressions such
// as e^x spill to the stack. The C twins carry an AVX-512 target attribute and perform the same
// IEEE operations in the same order, so a result never depends on which one ran.

import CKernels
import Foundation

/// Which implementation the hot element-wise kernels use.
public enum VectorKernels {
    /// True when SwiGLU, the AdamW update, the shifted exponentials of softmax and
    /// cross-entropy, rotary embedding, the norm backward and the attention kernel's row
    /// exponentials and maxima run their AVX-512 versions: the CPU has AVX-512F and AVX-512DQ and the
    /// environment variable `FEDVLM_VECTOR_KERNELS` is not `swift` (read once). Both paths give
    /// the same bits; the variable exists to measure the difference.
    public static let native: Bool = {
        if ProcessInfo.processInfo.environment["FEDVLM_VECTOR_KERNELS"]?.lowercased() == "swift" { return false }
        return fedvlm_vector_kernels_available() != 0
    }()

    /// One AdamW update (Loshchilov & Hutter, decoupled weight decay) of `count` parameters in
    /// place, with the bias corrections already folded into the scalars:
    ///   m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
    ///   w ← w · decay − stepSize · m / (√v · inverseSqrtCorrection2 + ε),
    /// where decay = 1 − lr·λ, stepSize = lr / (1 − β₁ᵗ), inverseSqrtCorrection2 = 1/√(1 − β₂ᵗ).
    /// Single-threaded; callers split large tensors into ranges.
    public static func adamW(weights: UnsafeMutablePointer<Float>, firstMoment: UnsafeMutablePointer<Float>,
                             secondMoment: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, count: Int,
                             beta1: Float, beta2: Float, decay: Float, stepSize: Float,
                             inverseSqrtCorrection2: Float, epsilon: Float, native: Bool = VectorKernels.native) {
        if native {
            fedvlm_adamw(weights, firstMoment, secondMoment, gradient, count, beta1, beta2, decay, stepSize,
                         inverseSqrtCorrection2, epsilon)
            return
        }
        VectorMath.forEachVector(in: 0..<count) { i, lanes in
            let g = VectorMath.load(gradient + i, count: lanes)
            let m = beta1 * VectorMath.load(firstMoment + i, count: lanes) + (1 - beta1) * g
            let v = beta2 * VectorMath.load(secondMoment + i, count: lanes) + (1 - beta2) * g * g
            let w = VectorMath.load(weights + i, count: lanes) * decay
                - stepSize * m / (v.squareRoot() * inverseSqrtCorrection2 + epsilon)
            VectorMath.store(m, to: firstMoment + i, count: lanes)
            VectorMath.store(v, to: secondMoment + i, count: lanes)
            VectorMath.store(w, to: weights + i, count: lanes)
        }
    }
}
