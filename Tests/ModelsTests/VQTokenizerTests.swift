// Tests of the VQ-VAE image tokenizer: nearest-code search, the straight-through estimator
// and its stop-gradients, the loss terms, training on tiny images, and input errors.

import Autograd
import Datasets
import Foundation
import NN
import Tensors
import Testing
@testable import Models

/// Tiny hand-made images and texts shared by the encoder-free tests.
enum EncoderFreeTestData {
    /// An RGB image of side `size` filled with one colour.
    static func solid(_ rgb: [Float], size: Int) -> Image {
        Image(channels: 3, height: size, width: size,
              pixels: rgb.flatMap { [Float](repeating: $0, count: size * size) })
    }

    /// An RGB image whose left half is white and right half black.
    static func whiteLeftHalf(size: Int) -> Image {
        var image = Image(channels: 3, height: size, width: size, fill: 0)
        for c in 0..<3 { for y in 0..<size { for x in 0..<(size / 2) { image[c, y, x] = 1 } } }
        return image
    }

    /// An RGB image whose top half is white and bottom half black.
    static func whiteTopHalf(size: Int) -> Image {
        var image = Image(channels: 3, height: size, width: size, fill: 0)
        for c in 0..<3 { for y in 0..<(size / 2) { for x in 0..<size { image[c, y, x] = 1 } } }
        return image
    }

    /// Four visibly different 8 × 8 images.
    static func distinctImages(size: Int = 8) -> [Image] {
        [solid([1, 0, 0], size: size), solid([0, 1, 0], size: size), solid([0, 0, 1], size: size), whiteLeftHalf(size: size)]
    }

    /// Mean squared difference of two images' pixels.
    static func meanSquaredDifference(_ a: Image, _ b: Image) -> Float {
        zip(a.pixels, b.pixels).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(a.pixels.count)
    }
}

@Suite("VQ image tokenizer")
struct VQTokenizerTests {
    static let config = VQTokenizerConfig(imageSize: 8, channels: 3, hiddenChannels: 16, codeDimension: 8, codebookSize: 16)

    @Test("the nearest code is the codebook row at the smallest squared distance, lowest index on ties")
    func nearestCodes() {
        let tokenizer = VQTokenizer(config: VQTokenizerConfig(imageSize: 4, codeDimension: 2, codebookSize: 3), seed: 1)
        tokenizer.codebook.value = Tensor(shape: [3, 2], scalars: [0, 0, 1, 0, 0, 1])
        // Distances to (0,0), (1,0), (0,1):
        //   (0.9, 0.1): 0.82, 0.02, 1.62 -> 1
        //   (0.2, 0.3): 0.13, 0.73, 0.53 -> 0
        //   (0.4, 0.6): 0.52, 0.72, 0.32 -> 2
        //   (0.5, 0.5): 0.50, 0.50, 0.50 -> 0 (tie)
        //   (-3, 4):    25,   32,   18   -> 2
        let encodings = Tensor(shape: [5, 2], scalars: [0.9, 0.1, 0.2, 0.3, 0.4, 0.6, 0.5, 0.5, -3, 4])
        #expect(tokenizer.nearestCodes(encodings) == [1, 0, 2, 0, 2])
    }

    @Test("encode gives N ids in 0..<K per image; decode gives images of the tokenizer's shape")
    func shapes() throws {
        let tokenizer = VQTokenizer(config: Self.config, seed: 3)
        let codes = try tokenizer.encode(EncoderFreeTestData.distinctImages())
        #expect(codes.count == 4)
        #expect(codes.allSatisfy { $0.count == 4 && $0.allSatisfy { (0..<16).contains($0) } })
        let images = try tokenizer.decode(codes)
        #expect(images.count == 4)
        #expect(images.allSatisfy { $0.channels == 3 && $0.height == 8 && $0.width == 8 })
        #expect(images.allSatisfy { $0.pixels.allSatisfy { $0 >= 0 && $0 <= 1 } })
    }

    @Test("loss terms: total = reconstruction + codebook + 0.25 commitment; the forward pass decodes the chosen codes")
    func lossTerms() throws {
        let tokenizer = VQTokenizer(config: Self.config, seed: 4)
        let images = EncoderFreeTestData.distinctImages()
        let pixels = try tokenizer.pixelTensor(images)
        let losses = withoutGradients { tokenizer.losses(Variable(pixels)) }
        let (r, c, m) = (losses.reconstruction.value.scalar, losses.codebook.value.scalar, losses.commitment.value.scalar)
        #expect(abs(losses.total.value.scalar - (r + c + 0.25 * m)) < 1e-6)
        // Both are the mean of ‖z − e‖²; they differ only in where gradients go.
        #expect(abs(c - m) < 1e-7 * max(1, c))
        #expect(c > 0)
        // The straight-through forward value is the code itself: the reconstruction is that of decode(codes).
        #expect(losses.codes == (try tokenizer.encode(images)))
        let decoded = try tokenizer.decode(losses.codes)
        let decodedPixels = try tokenizer.pixelTensor(decoded)
        let unclamped = withoutGradients {
            tokenizer.decoder(tokenizer.grid(Variable.embedding(tokenizer.codebook, ids: IndexTensor(losses.codes.flatMap { $0 })),
                                             batch: 4)).value
        }
        let expected = (unclamped - pixels).squared().mean()
        #expect(abs(r - expected) < 1e-5)
        #expect(decodedPixels.shape == pixels.shape)
    }

    @Test("stop-gradients: reconstruction reaches encoder and decoder but not the codebook; codebook loss only the codebook; commitment only the encoder")
    func straightThroughGradients() throws {
        let tokenizer = VQTokenizer(config: Self.config, seed: 5)
        let pixels = Variable(try tokenizer.pixelTensor(EncoderFreeTestData.distinctImages()))
        func gradientNorms(_ pick: (VQLosses) -> Variable) -> (encoder: Double, codebook: Double?, decoder: Double) {
            tokenizer.zeroGradients()
            pick(tokenizer.losses(pixels)).backward()
            let encoder = tokenizer.encoder.namedParameters().reduce(0.0) { $0 + ($1.1.grad?.squaredNorm() ?? 0) }
            let decoder = tokenizer.decoder.namedParameters().reduce(0.0) { $0 + ($1.1.grad?.squaredNorm() ?? 0) }
            return (encoder, tokenizer.codebook.grad?.squaredNorm(), decoder)
        }
        let reconstruction = gradientNorms(\.reconstruction)
        #expect(reconstruction.encoder > 0)       // straight-through: the decoder's input gradient reaches z
        #expect(reconstruction.decoder > 0)
        #expect(reconstruction.codebook == nil)   // sg(e − z) cuts the codebook out
        let codebook = gradientNorms(\.codebook)
        #expect(codebook.encoder == 0 && codebook.decoder == 0)
        #expect((codebook.codebook ?? 0) > 0)
        let commitment = gradientNorms(\.commitment)
        #expect(commitment.encoder > 0 && commitment.decoder == 0)
        #expect(commitment.codebook == nil)
    }

    @Test("nearest-neighbour upsampling has the gradient of its adjoint (sum over 2×2 blocks)")
    func upsamplingGradient() {
        var generator = RandomGenerator(seed: 9)
        let weights = Tensor.randomNormal([1, 2, 4, 6], using: &generator)
        let input = Tensor.randomNormal([1, 2, 2, 3], using: &generator)
        let report = GradientCheck.check([input]) { x in (upsampledTwice(x[0]) * Variable(weights)).sum() }
        #expect(report.maxError < 1e-2, "\(report)")
        let up = upsampledTwice(Variable(input)).value
        #expect(up[0, 1, 3, 5] == input[0, 1, 1, 2] && up[0, 0, 2, 1] == input[0, 0, 1, 0])
    }

    @Test("training lowers the loss, separates distinct images and reconstructs them; same seed, same curve")
    func training() throws {
        let images = EncoderFreeTestData.distinctImages()
        let tokenizer = VQTokenizer(config: Self.config, seed: 6)
        tokenizer.freeze()
        let before = try tokenizer.decode(try tokenizer.encode(images))
        let curve = try tokenizer.train(images: images, steps: 150, learningRate: 3e-3, batchSize: 4, seed: 7)
        #expect(curve.count == 150)
        #expect(curve.allSatisfy { $0.isFinite })
        let early = curve.prefix(10).reduce(0, +) / 10, late = curve.suffix(10).reduce(0, +) / 10
        #expect(late < 0.2 * early, "loss \(early) -> \(late)")
        let codes = try tokenizer.encode(images)
        #expect(Set(codes).count == images.count, "distinct images must get distinct codes: \(codes)")
        let after = try tokenizer.decode(codes)
        for (index, image) in images.enumerated() {
            let errorBefore = EncoderFreeTestData.meanSquaredDifference(before[index], image)
            let errorAfter = EncoderFreeTestData.meanSquaredDifference(after[index], image)
            #expect(errorAfter < 0.02 && errorAfter < errorBefore, "image \(index): \(errorBefore) -> \(errorAfter)")
        }
        // Frozen flags survive training.
        #expect(tokenizer.namedParameters().allSatisfy { !$0.1.requiresGrad })
        let again = VQTokenizer(config: Self.config, seed: 6)
        #expect(try again.train(images: images, steps: 150, learningRate: 3e-3, batchSize: 4, seed: 7) == curve)
    }

    @Test("bad inputs throw errors naming the image, sequence, position or field")
    func errors() {
        let tokenizer = VQTokenizer(config: Self.config, seed: 8)
        let wrongSize = [EncoderFreeTestData.solid([1, 0, 0], size: 8), EncoderFreeTestData.solid([1, 0, 0], size: 12)]
        #expect { try tokenizer.encode(wrongSize) } throws: { "\($0)".contains("image 1 is [3, 12, 12]") }
        #expect { try tokenizer.decode([[0, 1, 2]]) } throws: { "\($0)".contains("token sequence 0 has 3 ids") }
        #expect { try tokenizer.decode([[0, 1, 2, 3], [0, 16, 2, 3]]) } throws: {
            "\($0)".contains("token sequence 1, position 1: id 16")
        }
        #expect { try tokenizer.train(images: [], steps: 1, seed: 0) } throws: { "\($0)".contains("no images") }
        #expect { try VQTokenizerConfig(imageSize: 10).validate() } throws: { "\($0)".contains("imageSize 10") }
        #expect { try VQTokenizerConfig(imageSize: 8, codebookSize: 1).validate() } throws: { "\($0)".contains("codebookSize 1") }
    }
}
