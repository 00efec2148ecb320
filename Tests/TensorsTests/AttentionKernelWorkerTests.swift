// The fused attention kernel gives the same bits whatever the number of workers: tables run
// one experiment per core (each kernel confined to its thread) and must equal a serial run.
import Foundation
import Testing
import Tensors

@Suite struct AttentionKernelWorkerTests {
    @Test(arguments: [(2, 4, 2, 45, 32, true), (3, 4, 4, 17, 16, false), (4, 4, 2, 61, 32, true), (1, 8, 2, 140, 64, true)])
    func sameBitsOnOneOrAllWorkers(shape: (Int, Int, Int, Int, Int, Bool)) {
        let (batch, heads, keyHeads, length, depth, causal) = shape
        var generator = RandomGenerator(seed: UInt64(batch * 1000 + length))
        let q = Tensor.randomNormal([batch, heads, length, depth], using: &generator) * 2
        let k = Tensor.randomNormal([batch, keyHeads, length, depth], using: &generator) * 2
        let v = Tensor.randomNormal([batch, keyHeads, length, depth], using: &generator)
        let dO = Tensor.randomNormal([batch, heads, length, depth], using: &generator)
        let mask = AttentionKernel.Mask(isCausal: causal, causalOffset: 0, bias: nil)
        func run() -> [Tensor] {
            let (o, lse) = AttentionKernel.forward(query: q, key: k, value: v, mask: mask)
            let g = AttentionKernel.backward(query: q, key: k, value: v, output: o, logSumExp: lse, outputGradient: dO, mask: mask)
            return [o, lse, g.query, g.key, g.value]
        }
        let parallel = run()
        let serial = ParallelConfiguration.runSerially { run() }
        for (index, pair) in zip(parallel, serial).enumerated() {
            #expect(pair.0.scalars.map(\.bitPattern) == pair.1.scalars.map(\.bitPattern), "output \(index) differs")
        }
    }
}
