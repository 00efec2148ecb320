// 2-D convolution by im2col + GEMM, and its adjoints.
// Shapes: input [B, C, H, W], weight [O, C, KH, KW] -> output [B, O, HO, WO] with
// HO = (H + 2·padding − KH) / stride + 1 (likewise WO).

extension Tensor {
    /// Geometry of a convolution.
    public struct ConvolutionGeometry: Sendable, Equatable {
        public let channels: Int, height: Int, width: Int
        public let kernelHeight: Int, kernelWidth: Int
        public let stride: Int, padding: Int
        public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
        public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
        /// Rows of the column matrix: C·KH·KW.
        public var patchSize: Int { channels * kernelHeight * kernelWidth }
    }

    /// Unfolds one image [C, H, W] into columns [C·KH·KW, HO·WO].
    static func im2col(_ image: UnsafePointer<Float>, _ g: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>) {
        let outH = g.outputHeight, outW = g.outputWidth
        for c in 0..<g.channels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
                    let dst = columns + row * outH * outW
                    for oy in 0..<outH {
                        let y = oy * g.stride - g.padding + ky
                        for ox in 0..<outW {
                            let x = ox * g.stride - g.padding + kx
                            dst[oy * outW + ox] = (y >= 0 && y < g.height && x >= 0 && x < g.width)
                                ? image[(c * g.height + y) * g.width + x] : 0
                        }
                    }
                }
            }
        }
    }

    /// Adjoint of im2col: adds columns back into an image gradient [C, H, W].
    static func col2im(_ columns: UnsafePointer<Float>, _ g: ConvolutionGeometry, into image: UnsafeMutablePointer<Float>) {
        let outH = g.outputHeight, outW = g.outputWidth
        for c in 0..<g.channels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let row = (c * g.kernelHeight + ky) * g.kernelWidth + kx
                    let src = columns + row * outH * outW
                    for oy in 0..<outH {
                        let y = oy * g.stride - g.padding + ky
                        guard y >= 0 && y < g.height else { continue }
                        for ox in 0..<outW {
                            let x = ox * g.stride - g.padding + kx
                            if x >= 0 && x < g.width { image[(c * g.height + y) * g.width + x] += src[oy * outW + ox] }
                        }
                    }
                }
            }
        }
    }

    static func convolutionGeometry(input: Tensor, weight: Tensor, stride: Int, padding: Int) -> ConvolutionGeometry {
        precondition(input.rank == 4 && weight.rank == 4 && input.shape[1] == weight.shape[1],
                     "conv2d: input \(input.shape) and weight \(weight.shape) must be [B, C, H, W] and [O, C, KH, KW]")
        precondition(stride >= 1 && padding >= 0, "conv2d: stride \(stride) must be >= 1 and padding \(padding) >= 0")
        let g = ConvolutionGeometry(channels: input.shape[1], height: input.shape[2], width: input.shape[3],
                                    kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                    stride: stride, padding: padding)
        precondition(g.outputHeight > 0 && g.outputWidth > 0,
                     "conv2d: kernel \(weight.shape) too large for input \(input.shape) with padding \(padding)")
        return g
    }

    /// 2-D cross-correlation (PyTorch `conv2d`), optional bias [O].
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        let g = convolutionGeometry(input: input, weight: weight, stride: stride, padding: padding)
        let batch = input.shape[0], outChannels = weight.shape[0]
        let spatial = g.outputHeight * g.outputWidth
        var output = Tensor(uninitializedShape: [batch, outChannels, g.outputHeight, g.outputWidth])
        var columns = [Float](repeating: 0, count: g.patchSize * spatial)
        input.withUnsafeBufferPointer { px in
            weight.withUnsafeBufferPointer { pw in
                output.withUnsafeMutableBufferPointer { py in
                    columns.withUnsafeMutableBufferPointer { pc in
                        for b in 0..<batch {
                            im2col(px.baseAddress! + b * g.channels * g.height * g.width, g, into: pc.baseAddress!)
                            // y_b [O, HO·WO] = W [O, C·KH·KW] · columns [C·KH·KW, HO·WO]
                            BLAS.parallelGemm(transposeA: false, transposeB: false, m: outChannels, n: spatial, k: g.patchSize,
                                      a: pw.baseAddress!, lda: g.patchSize, b: pc.baseAddress!, ldb: spatial,
                                      c: py.baseAddress! + b * outChannels * spatial, ldc: spatial)
                        }
                    }
                }
            }
        }
        if let bias {
            precondition(bias.shape == [outChannels], "conv2d: bias \(bias.shape) must be [\(outChannels)]")
            output = output + bias.reshaped([1, outChannels, 1, 1])
        }
        return output
    }

    /// Gradients of `conv2d` with respect to input, weight and bias given dy [B, O, HO, WO].
    public static func conv2dBackward(_ input: Tensor, weight: Tensor, outputGradient dy: Tensor, stride: Int, padding: Int)
        -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let g = convolutionGeometry(input: input, weight: weight, stride: stride, padding: padding)
        let batch = input.shape[0], outChannels = weight.shape[0]
        let spatial = g.outputHeight * g.outputWidth
        var dInput = Tensor.zeros(input.shape)
        var dWeight = Tensor.zeros(weight.shape)
        var columns = [Float](repeating: 0, count: g.patchSize * spatial)
        var columnGradient = [Float](repeating: 0, count: g.patchSize * spatial)
        input.withUnsafeBufferPointer { px in
            weight.withUnsafeBufferPointer { pw in
                dy.withUnsafeBufferPointer { pg in
                    dInput.withUnsafeMutableBufferPointer { pdx in
                        dWeight.withUnsafeMutableBufferPointer { pdw in
                            columns.withUnsafeMutableBufferPointer { pc in
                                columnGradient.withUnsafeMutableBufferPointer { pcg in
                                    for b in 0..<batch {
                                        let imageSize = g.channels * g.height * g.width
                                        let gradient = pg.baseAddress! + b * outChannels * spatial
                                        im2col(px.baseAddress! + b * imageSize, g, into: pc.baseAddress!)
                                        // dW += dy_b [O, S] · columnsᵀ [S, P]
                                        BLAS.parallelGemm(transposeA: false, transposeB: true, m: outChannels, n: g.patchSize, k: spatial,
                                                  a: gradient, lda: spatial, b: pc.baseAddress!, ldb: spatial,
                                                  beta: 1, c: pdw.baseAddress!, ldc: g.patchSize)
                                        // dcolumns [P, S] = Wᵀ [P, O] · dy_b [O, S]
                                        BLAS.parallelGemm(transposeA: true, transposeB: false, m: g.patchSize, n: spatial, k: outChannels,
                                                  a: pw.baseAddress!, lda: g.patchSize, b: gradient, ldb: spatial,
                                                  c: pcg.baseAddress!, ldc: spatial)
                                        col2im(pcg.baseAddress!, g, into: pdx.baseAddress! + b * imageSize)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let dBias = dy.sum(axis: 3).sum(axis: 2).sum(axis: 0)
        return (dInput, dWeight, dBias)
    }
}
