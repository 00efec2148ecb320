// The vectorised exp against Foundation's over the whole Float range, its special values, and
// the buffer helpers' tail handling.
import Foundation
import Testing
import Tensors

@Suite struct VectorMathTests {
    /// Distance in units in the last place between two positive finite floats.
    private func ulps(_ a: Float, _ b: Float) -> Int {
        abs(Int(Int32(bitPattern: a.bitPattern)) - Int(Int32(bitPattern: b.bitPattern)))
    }

    /// Calls `check(x, f(x))` for x from `start` up to `end`: vectors of sixteen inputs
    /// `laneSpacing` apart, their first lanes `step` apart.
    private func sweep(_ f: (VectorMath.Vector) -> VectorMath.Vector, from start: Float, below end: Float,
                       step: Float, laneSpacing: Float, _ check: (Float, Float) -> Void) {
        var x = start
        while x < end {
            var lanes = VectorMath.Vector()
            for lane in 0..<16 { lanes[lane] = x + Float(lane) * laneSpacing }
            let result = f(lanes)
            for lane in 0..<16 { check(lanes[lane], result[lane]) }
            x += step
        }
    }

    @Test func expMatchesFoundationWithinTwoUlps() {
        var worst = 0
        sweep(VectorMath.exp, from: -87, below: 88.3, step: 0.0131, laneSpacing: 0.000731) { input, result in
            let expected = Foundation.exp(input)
            guard expected.isNormal else { return }
            worst = max(worst, ulps(result, expected))
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func expSpecialValues() {
        var v = VectorMath.Vector(repeating: 0)
        v[0] = -.infinity; v[1] = .infinity; v[2] = .nan; v[3] = -200; v[4] = 200; v[5] = 0; v[6] = 1
        let r = VectorMath.exp(v)
        #expect(r[0] == 0)
        #expect(r[1] == .infinity)
        #expect(r[2].isNaN)
        #expect(r[3] == 0)
        #expect(r[4] == .infinity)
        #expect(r[5] == 1)
        #expect(abs(r[6] - Float(M_E)) <= Float(M_E).ulp)
    }

    @Test func bufferExpHandlesTails() {
        for count in [0, 1, 15, 16, 17, 40] {
            let input = (0..<count).map { Float($0) * 0.37 - 5 }
            var output = [Float](repeating: -1, count: count + 1)
            input.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    if let s = src.baseAddress { VectorMath.exp(count, s, dst.baseAddress!) }
                }
            }
            for i in 0..<count { #expect(abs(output[i] - Foundation.exp(input[i])) <= 2 * Foundation.exp(input[i]).ulp) }
            #expect(output[count] == -1, "wrote past the end for count \(count)")
        }
    }

    /// Φ against float64 erfc: absolute error below 1e−6 everywhere, and a small relative error
    /// in the lower tail, where GELU's values are tiny (1 + erf would cancel there).
    @Test func normalCDFMatchesFloat64() {
        var worstAbsolute = 0.0, worstTailRelative = 0.0
        sweep(VectorMath.normalCDF, from: -12, below: 12, step: 0.0149, laneSpacing: 0.00093) { input, result in
            let exact = 0.5 * Foundation.erfc(-Double(input) / 2.0.squareRoot())
            worstAbsolute = max(worstAbsolute, abs(Double(result) - exact))
            if input < 0 && input > -9 {
                worstTailRelative = max(worstTailRelative, abs(Double(result) - exact) / exact)
            }
        }
        #expect(worstAbsolute < 1e-6, "worst absolute error \(worstAbsolute)")
        #expect(worstTailRelative < 2e-5, "worst relative error in the lower tail \(worstTailRelative)")
        var special = VectorMath.Vector(repeating: 0)
        special[1] = .infinity; special[2] = -.infinity; special[3] = .nan
        let r = VectorMath.normalCDF(special)
        #expect(r[0] == 0.5 && r[1] == 1 && r[2] == 0 && r[3].isNaN)
    }

    /// GELU and its derivative through the tensor kernels against the float64 formulas.
    @Test func geluKernelsMatchFloat64() {
        let values = (0..<301).map { Float($0) * 0.05 - 7.5 }
        let x = Tensor(shape: [values.count], scalars: values)
        let gelus = x.gelu().scalars, derivatives = x.geluDerivative().scalars
        for (index, value) in values.enumerated() {
            let v = Double(value), cdf = 0.5 * Foundation.erfc(-v / 2.0.squareRoot())
            let gelu = v * cdf, derivative = cdf + v * Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
            #expect(abs(Double(gelus[index]) - gelu) <= 1e-6 * max(1, abs(gelu)), "gelu(\(value))")
            #expect(abs(Double(derivatives[index]) - derivative) <= 2e-6, "gelu'(\(value))")
        }
    }
}
