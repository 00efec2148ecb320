// BLAS.parallelGemm splits C over the workers; the split must not change a single bit, or a
// table run with one experiment per core would differ from a serial one.
import Foundation
import Testing
import Tensors

@Suite struct ParallelGemmTests {
    @Test func splittingDoesNotChangeTheBits() {
        var generator = RandomGenerator(seed: 11)
        var mismatches: [String] = []
        for (m, n, k) in [(480, 128, 128), (300, 256, 64), (96, 512, 128), (2048, 256, 256), (37, 1024, 256),
                          (200, 64, 700), (520, 128, 384), (64, 4096, 128), (1000, 96, 96)] {
            for (transposeA, transposeB) in [(false, false), (false, true), (true, false)] {
                let a = Tensor.randomNormal(transposeA ? [k, m] : [m, k], using: &generator)
                let b = Tensor.randomNormal(transposeB ? [n, k] : [k, n], using: &generator)
                func product() -> [UInt32] {
                    Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB).scalars.map(\.bitPattern)
                }
                if product() != ParallelConfiguration.runSerially(product) {
                    mismatches.append("\(m)x\(n)x\(k) tA \(transposeA) tB \(transposeB)")
                }
            }
        }
        #expect(mismatches.isEmpty, "split products differ: \(mismatches)")
    }
}
