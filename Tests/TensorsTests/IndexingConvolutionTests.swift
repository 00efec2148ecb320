// Row gather / scatter-add, concatenate / split, and conv2d against a naive loop; the
// backward kernels (scatter-add, conv2dBackward) are checked as exact adjoints of their forward:
// <forward(x), y> = <x, adjoint(y)> for random x and y.
// Shapes: table [V, D]; conv input [B, C, H, W], weight [O, C, KH, KW].
import Testing
import Tensors

/// Naive PyTorch-style conv2d (cross-correlation, zero padding).
private func naiveConv2d(_ x: Tensor, _ w: Tensor, bias: Tensor?, stride: Int, padding: Int) -> Tensor {
    let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outChannels, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let outH = (height + 2 * padding - kh) / stride + 1, outW = (width + 2 * padding - kw) / stride + 1
    var values: [Float] = []
    for b in 0..<batch {
        for o in 0..<outChannels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var total = Double(bias.map { element($0, [o]) } ?? 0)
                    for c in 0..<channels {
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let y = oy * stride - padding + ky, xx = ox * stride - padding + kx
                                guard y >= 0, y < height, xx >= 0, xx < width else { continue }
                                total += Double(element(x, [b, c, y, xx])) * Double(element(w, [o, c, ky, kx]))
                            }
                        }
                    }
                    values.append(Float(total))
                }
            }
        }
    }
    return Tensor(shape: [batch, outChannels, outH, outW], scalars: values)
}

@Suite("Indexing and convolution")
struct IndexingConvolutionTests {
    @Test func gatherRowsPicksRows() {
        let table = Tensor.arange(12).reshaped([4, 3])
        let rows = Tensor.gatherRows(table, indices: [2, 0, 2])
        #expect(rows.shape == [3, 3])
        #expect(rows.scalars == [6, 7, 8, 0, 1, 2, 6, 7, 8])
        // A transposed table is read in logical order.
        let transposed = Tensor.arange(12).reshaped([3, 4]).transposed()   // [4, 3]
        #expect(Tensor.gatherRows(transposed, indices: [1]).scalars == [1, 5, 9])
        #expect(Tensor.gatherRows(table, indices: []).shape == [0, 3])
    }

    @Test func scatterAddRowsSumsRepeatedIndicesAndIsTheAdjoint() {
        let values = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let scattered = Tensor.scatterAddRows(values, indices: [2, 0, 2], rowCount: 4)
        #expect(scattered.scalars == [3, 4, 0, 0, 6, 8, 0, 0])
        let table = seededTensor([5, 3], seed: 31), upstream = seededTensor([6, 3], seed: 32)
        let indices: [Int32] = [4, 1, 1, 0, 4, 3]
        let lhs = innerProduct(Tensor.gatherRows(table, indices: indices), upstream)
        let rhs = innerProduct(table, Tensor.scatterAddRows(upstream, indices: indices, rowCount: 5))
        #expect(Swift.abs(lhs - rhs) < 1e-5)
    }

    @Test func concatenateAlongEachAxis() {
        let a = Tensor.arange(6).reshaped([2, 3]), b = Tensor.arange(4).reshaped([2, 2]) + 10
        #expect(Tensor.concatenate([a, b], axis: 1).scalars == [0, 1, 2, 10, 11, 3, 4, 5, 12, 13])
        #expect(Tensor.concatenate([a, b], axis: -1).shape == [2, 5])
        let c = Tensor.arange(3).reshaped([1, 3]) + 20
        #expect(Tensor.concatenate([a, c], axis: 0).scalars == [0, 1, 2, 3, 4, 5, 20, 21, 22])
        // Views as parts, and an empty part.
        let viewed = Tensor.concatenate([a.transposed(), Tensor.zeros([3, 0]), a.transposed()], axis: 1)
        #expect(viewed.shape == [3, 4])
        #expect(viewed.scalars == [0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5])
    }

    @Test func splitReturnsViewsThatConcatenateBack() {
        let x = seededTensor([2, 7, 3], seed: 33)
        for axis in 0..<3 {
            let length = x.shape[axis]
            let sizes = length == 2 ? [1, 1] : (length == 7 ? [3, 0, 4] : [1, 2])
            let parts = x.split(sizes: sizes, axis: axis)
            #expect(parts.map { $0.shape[axis] } == sizes)
            #expect(parts.allSatisfy { $0.storage === x.storage })
            #expect(Tensor.concatenate(parts, axis: axis) == x)
        }
    }

    @Test func indexTensorHoldsShapeAndValues() {
        let ids = IndexTensor(shape: [2, 2], values: [1, 2, 3, 4])
        #expect(ids.scalarCount == 4)
        #expect(IndexTensor([5, 6]) == IndexTensor(shape: [2], values: [5, 6]))
    }

    @Test(arguments: [(1, 0), (1, 1), (2, 1), (2, 0), (3, 2)])
    func conv2dMatchesANaiveLoop(stride: Int, padding: Int) {
        let x = seededTensor([2, 3, 6, 5], seed: 34)
        let w = seededTensor([4, 3, 3, 2], seed: 35)                // non-square kernel
        let bias = seededTensor([4], seed: 36)
        let y = Tensor.conv2d(x, weight: w, bias: bias, stride: stride, padding: padding)
        expectClose(y, naiveConv2d(x, w, bias: bias, stride: stride, padding: padding))
        expectClose(Tensor.conv2d(x, weight: w, stride: stride, padding: padding),
                    naiveConv2d(x, w, bias: nil, stride: stride, padding: padding))
    }

    @Test(arguments: [(1, 0), (2, 1), (3, 2)])
    func conv2dBackwardIsTheAdjointOfTheForward(stride: Int, padding: Int) {
        let x = seededTensor([2, 3, 6, 5], seed: 37), w = seededTensor([4, 3, 3, 2], seed: 38)
        let y = Tensor.conv2d(x, weight: w, stride: stride, padding: padding)
        let dy = seededTensor(y.shape, seed: 39)
        let grads = Tensor.conv2dBackward(x, weight: w, outputGradient: dy, stride: stride, padding: padding)
        // The output is bilinear in (x, w): <conv(x, w), dy> = <x, dx> = <w, dw>.
        let forward = innerProduct(y, dy)
        #expect(Swift.abs(forward - innerProduct(x, grads.input)) < 1e-3)
        #expect(Swift.abs(forward - innerProduct(w, grads.weight)) < 1e-3)
        // The bias gradient sums dy over batch and space.
        expectClose(grads.bias, dy.sum(axis: 3).sum(axis: 2).sum(axis: 0))
        #expect(grads.input.shape == x.shape && grads.weight.shape == w.shape && grads.bias.shape == [4])
    }
}
