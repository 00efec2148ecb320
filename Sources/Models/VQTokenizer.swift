// The discrete image tokenizer of the encoder-free VLM: a VQ-VAE (van den Oord et al., 2017,
// "Neural Discrete Representation Learning"), trained here on the images it will tokenize.
// Show-o (Xie et al., 2024) uses a MAGVIT-v2 tokenizer; a small VQ-VAE plays the same role:
// every image becomes a grid of ids that the unified decoder reads like words.
//
// Shapes: B images, C channels, S image side, H hidden channels, D code dimension,
// G = S / 4 grid side, N = G² tokens per image (row-major over the grid), K codebook size.
//   pixels [B, C, S, S] in [−1, 1] -> encoder -> z [B, D, G, G] -> nearest codebook row -> ids [B, N]
//   ids -> codebook rows e [B, D, G, G] -> decoder -> reconstruction [B, C, S, S]
//
// Training objective (paper eq. 3), with sg the stop-gradient:
//   L = ‖x − decoder(q)‖² + ‖sg(z) − e‖² + β ‖z − sg(e)‖²,  q = z + sg(e − z)  (straight-through)
// so the reconstruction gradient reaches the encoder through q as if quantisation were the
// identity, the codebook term moves the codes towards the encodings, and the commitment
// term (β = 0.25 in the paper) keeps the encodings near their codes.
// Parameter names: encoder.{down1,down2,project}.{weight,bias}, codebook,
// decoder.{project,up1,up2}.{weight,bias}.

import Autograd
import Datasets
import NN
import Tensors

/// Size of a `VQTokenizer`.
public struct VQTokenizerConfig: Codable, Sendable, Equatable {
    /// S: images are S × S (a multiple of 4).
    public var imageSize: Int
    /// C: 1 (grayscale) or 3 (RGB).
    public var channels: Int
    /// H: width of the convolutional layers.
    public var hiddenChannels: Int
    /// D: length of a code vector.
    public var codeDimension: Int
    /// K: number of codes (image token ids are 0..<K).
    public var codebookSize: Int
    /// β, the weight of the commitment loss (0.25 in the VQ-VAE paper).
    public var commitmentWeight: Float

    /// Each stride-2 convolution of the encoder halves the side, twice.
    public static let downsamplingFactor = 4

    public init(imageSize: Int, channels: Int = 3, hiddenChannels: Int = 32, codeDimension: Int = 16,
                codebookSize: Int = 64, commitmentWeight: Float = 0.25) {
        self.imageSize = imageSize
        self.channels = channels
        self.hiddenChannels = hiddenChannels
        self.codeDimension = codeDimension
        self.codebookSize = codebookSize
        self.commitmentWeight = commitmentWeight
    }

    /// G = S / 4, the side of the token grid.
    public var gridSize: Int { imageSize / Self.downsamplingFactor }
    /// N = G², image tokens per image.
    public var tokensPerImage: Int { gridSize * gridSize }

    /// Throws when the sizes cannot form a tokenizer (names the field).
    public func validate() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw ModuleError("VQTokenizerConfig: \(message)") }
        }
        try require(imageSize > 0 && imageSize % Self.downsamplingFactor == 0,
                    "imageSize \(imageSize) must be a positive multiple of \(Self.downsamplingFactor)")
        try require(channels == 1 || channels == 3, "channels \(channels) must be 1 or 3")
        try require(hiddenChannels > 0, "hiddenChannels \(hiddenChannels) must be positive")
        try require(codeDimension > 0, "codeDimension \(codeDimension) must be positive")
        try require(codebookSize > 1, "codebookSize \(codebookSize) must be at least 2")
        try require(commitmentWeight >= 0 && commitmentWeight.isFinite, "commitmentWeight \(commitmentWeight) must be finite and >= 0")
    }
}

/// A 2-D convolution layer: weight [O, I, k, k], bias [O] (PyTorch `nn.Conv2d` layout and init).
public final class Conv2dLayer: Module {
    public let weight: Variable
    public let bias: Variable
    public let stride: Int
    public let padding: Int

    /// Weight Kaiming-uniform and bias uniform in ±1/sqrt(I·k²), as PyTorch's default.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                generator: inout RandomGenerator) {
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Variable(.kaimingUniform([outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, using: &generator),
                          requiresGrad: true)
        let bound = 1 / Float(fanIn).squareRoot()
        bias = Variable(.randomUniform([outChannels], low: -bound, high: bound, using: &generator), requiresGrad: true)
        self.stride = stride
        self.padding = padding
    }

    /// x [B, I, H, W] -> [B, O, H', W'].
    public func callAsFunction(_ x: Variable) -> Variable {
        .conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// Nearest-neighbour 2× upsampling [B, C, H, W] -> [B, C, 2H, 2W], built from reshape and
/// broadcast so its gradient (a sum over each 2 × 2 block) comes for free.
func upsampledTwice(_ x: Variable) -> Variable {
    let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    return x.reshaped([batch, channels, height, 1, width, 1])
        .broadcast(to: [batch, channels, height, 2, width, 2])
        .reshaped([batch, channels, 2 * height, 2 * width])
}

/// The VQ-VAE encoder: two stride-2 4×4 convolutions with ReLU, then a 1×1 projection to D.
public final class VQEncoder: Module {
    public let down1: Conv2dLayer
    public let down2: Conv2dLayer
    public let project: Conv2dLayer

    init(config: VQTokenizerConfig, generator: inout RandomGenerator) {
        down1 = Conv2dLayer(config.channels, config.hiddenChannels, kernelSize: 4, stride: 2, padding: 1, generator: &generator)
        down2 = Conv2dLayer(config.hiddenChannels, config.hiddenChannels, kernelSize: 4, stride: 2, padding: 1, generator: &generator)
        project = Conv2dLayer(config.hiddenChannels, config.codeDimension, kernelSize: 1, generator: &generator)
    }

    /// pixels [B, C, S, S] -> z [B, D, G, G].
    public func callAsFunction(_ pixels: Variable) -> Variable {
        project(down2(down1(pixels).relu()).relu())
    }
}

/// The VQ-VAE decoder: a 3×3 projection from D, then twice (2× nearest upsampling -> 3×3
/// convolution), with ReLU between, ending in C channels (no activation: targets are in [−1, 1]).
public final class VQDecoder: Module {
    public let project: Conv2dLayer
    public let up1: Conv2dLayer
    public let up2: Conv2dLayer

    init(config: VQTokenizerConfig, generator: inout RandomGenerator) {
        project = Conv2dLayer(config.codeDimension, config.hiddenChannels, kernelSize: 3, padding: 1, generator: &generator)
        up1 = Conv2dLayer(config.hiddenChannels, config.hiddenChannels, kernelSize: 3, padding: 1, generator: &generator)
        up2 = Conv2dLayer(config.hiddenChannels, config.channels, kernelSize: 3, padding: 1, generator: &generator)
    }

    /// quantised codes [B, D, G, G] -> reconstruction [B, C, S, S] in pixel units of [−1, 1].
    public func callAsFunction(_ codes: Variable) -> Variable {
        let h = project(codes).relu()
        return up2(upsampledTwice(up1(upsampledTwice(h)).relu()))
    }
}

/// The terms of the VQ-VAE objective for one batch, and the codes it chose.
public struct VQLosses: Sendable {
    /// Mean squared error between pixels and reconstruction (both in [−1, 1]).
    public let reconstruction: Variable
    /// Mean ‖sg(z) − e‖² (moves codes; no gradient to the encoder).
    public let codebook: Variable
    /// Mean ‖z − sg(e)‖² (moves encodings; no gradient to the codebook).
    public let commitment: Variable
    /// reconstruction + codebook + β · commitment.
    public let total: Variable
    /// The chosen code of every grid cell, per image (row-major, N per image).
    public let codes: [[Int]]
    /// The encoder outputs z as rows [B·N, D] (no gradient), used to restart unused codes.
    public let encodings: Tensor
}

/// Errors a user can cause with the image tokenizer (wrong image sizes, bad code ids).
public struct ImageTokenizerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A VQ-VAE that turns images into grids of discrete codes and back (see the file header).
public final class VQTokenizer: Module {
    public let config: VQTokenizerConfig
    public let encoder: VQEncoder
    /// [K, D]: code k is row k.
    public let codebook: Variable
    public let decoder: VQDecoder
    /// Increases whenever `train` changes the weights in place, so users that cache codes
    /// (the encoder-free VLM) know when to recompute them.
    public private(set) var revision = 0

    /// A randomly initialised tokenizer; the codebook starts uniform in ±1/K as in the
    /// reference VQ-VAE code, and `train` re-seeds it from data on its first step.
    public init(config: VQTokenizerConfig, seed: UInt64) {
        precondition((try? config.validate()) != nil, "VQTokenizer: invalid config \(config)")
        self.config = config
        var generator = RandomGenerator(seed: seed)
        encoder = VQEncoder(config: config, generator: &generator)
        let bound = 1 / Float(config.codebookSize)
        codebook = Variable(.randomUniform([config.codebookSize, config.codeDimension], low: -bound, high: bound,
                                           using: &generator), requiresGrad: true)
        decoder = VQDecoder(config: config, generator: &generator)
    }

    public override var excludedProperties: Set<String> { ["config"] }

    // MARK: Pixels

    /// Images as pixels [B, C, S, S] scaled from [0, 1] to [−1, 1].
    /// - Throws: `ImageTokenizerError` naming the first image whose shape is not [C, S, S].
    public func pixelTensor(_ images: [Image]) throws -> Tensor {
        let (c, s) = (config.channels, config.imageSize)
        var values: [Float] = []
        values.reserveCapacity(images.count * c * s * s)
        for (index, image) in images.enumerated() {
            guard image.channels == c, image.height == s, image.width == s else {
                throw ImageTokenizerError("image \(index) is [\(image.channels), \(image.height), \(image.width)] but the image tokenizer takes [\(c), \(s), \(s)]")
            }
            values.append(contentsOf: image.pixels.map { 2 * $0 - 1 })
        }
        return Tensor(shape: [images.count, c, s, s], scalars: values)
    }

    // MARK: Quantisation

    /// Index of the nearest codebook row (squared Euclidean distance, lowest index on ties)
    /// for every row of `encodings` [M, D].
    public func nearestCodes(_ encodings: Tensor) -> [Int] {
        precondition(encodings.rank == 2 && encodings.shape[1] == config.codeDimension,
                     "VQTokenizer.nearestCodes: encodings \(encodings.shape) must be [M, \(config.codeDimension)]")
        let codes = codebook.value
        let rows = encodings.shape[0], count = config.codebookSize
        // ‖z − e_k‖² = ‖z‖² − 2 z·e_k + ‖e_k‖²; ‖z‖² is the same for every k, so it is dropped.
        let products = Tensor.matmul(encodings, codes, transposeB: true).scalars     // [M, K]
        let codeNorms = codes.squared().sum(axis: 1).scalars                          // [K]
        return (0..<rows).map { row in
            var best = 0
            var bestDistance = Float.infinity
            for k in 0..<count {
                let distance = codeNorms[k] - 2 * products[row * count + k]
                if distance < bestDistance { bestDistance = distance; best = k }
            }
            return best
        }
    }

    /// Encoder outputs z [B, D, G, G] as rows [B·G·G, D] (row-major over the grid).
    func encodingRows(_ z: Variable) -> Variable {
        z.permuted([0, 2, 3, 1]).reshaped([-1, config.codeDimension])
    }

    /// Rows [B·N, D] back to a code grid [B, D, G, G].
    func grid(_ rows: Variable, batch: Int) -> Variable {
        rows.reshaped([batch, config.gridSize, config.gridSize, config.codeDimension]).permuted([0, 3, 1, 2])
    }

    /// The VQ-VAE objective for pixels [B, C, S, S] in [−1, 1] (see the file header).
    public func losses(_ pixels: Variable) -> VQLosses {
        precondition(pixels.shape.count == 4 && pixels.shape[1] == config.channels
                     && pixels.shape[2] == config.imageSize && pixels.shape[3] == config.imageSize,
                     "VQTokenizer.losses: pixels \(pixels.shape) must be [B, \(config.channels), \(config.imageSize), \(config.imageSize)]")
        let batch = pixels.shape[0]
        let z = encodingRows(encoder(pixels))                                       // [B·N, D]
        let ids = nearestCodes(z.value)
        let e = Variable.embedding(codebook, ids: IndexTensor(ids))                 // [B·N, D]
        // Straight-through: the forward value is e, the gradient passes to z unchanged.
        let quantised = z + (e - z).detached()
        let reconstruction = Variable.meanSquaredError(decoder(grid(quantised, batch: batch)), pixels.value)
        let codebookLoss = Variable.meanSquaredError(e, z.value)                    // ‖sg(z) − e‖²
        let commitment = Variable.meanSquaredError(z, e.value)                      // ‖z − sg(e)‖²
        let total = reconstruction + codebookLoss + commitment * config.commitmentWeight
        let perImage = config.tokensPerImage
        let codes = (0..<batch).map { Array(ids[($0 * perImage)..<(($0 + 1) * perImage)]) }
        return VQLosses(reconstruction: reconstruction, codebook: codebookLoss, commitment: commitment,
                        total: total, codes: codes, encodings: z.value)
    }

    // MARK: Tokenising

    /// Token ids (codebook indices 0..<K, N per image, row-major over the grid) of `images`.
    /// - Throws: `ImageTokenizerError` naming an image whose shape is not [C, S, S].
    public func encode(_ images: [Image]) throws -> [[Int]] {
        guard !images.isEmpty else { return [] }
        let pixels = try pixelTensor(images)
        let ids = withoutGradients { nearestCodes(encodingRows(encoder(Variable(pixels))).value) }
        let perImage = config.tokensPerImage
        return (0..<images.count).map { Array(ids[($0 * perImage)..<(($0 + 1) * perImage)]) }
    }

    /// Images reconstructed from token ids (values clamped to [0, 1]).
    /// - Throws: `ImageTokenizerError` naming the sequence and position of a wrong count or an
    ///   id outside 0..<K.
    public func decode(_ ids: [[Int]]) throws -> [Image] {
        guard !ids.isEmpty else { return [] }
        for (index, sequence) in ids.enumerated() {
            guard sequence.count == config.tokensPerImage else {
                throw ImageTokenizerError("token sequence \(index) has \(sequence.count) ids; an image takes \(config.tokensPerImage) (\(config.gridSize) × \(config.gridSize))")
            }
            if let position = sequence.firstIndex(where: { $0 < 0 || $0 >= config.codebookSize }) {
                throw ImageTokenizerError("token sequence \(index), position \(position): id \(sequence[position]) is outside the codebook 0..<\(config.codebookSize)")
            }
        }
        let output = withoutGradients {
            let rows = Variable.embedding(codebook, ids: IndexTensor(ids.flatMap { $0 }))
            return decoder(grid(rows, batch: ids.count)).value
        }
        let (c, s) = (config.channels, config.imageSize)
        let values = output.scalars
        let plane = c * s * s
        return (0..<ids.count).map { b in
            Image(channels: c, height: s, width: s,
                  pixels: values[(b * plane)..<((b + 1) * plane)].map { Swift.min(1, Swift.max(0, ($0 + 1) / 2)) })
        }
    }

    // MARK: Training

    /// Trains the tokenizer on `images` with AdamW (no weight decay) and returns the total loss
    /// of every step.
    ///
    /// Batches are drawn without replacement from a seeded permutation, reshuffled each epoch.
    /// On the first step the codebook is set to encoder outputs of the batch (data-dependent
    /// initialisation), and every `deadCodeRestartInterval` steps each code no batch used since
    /// the last check is moved onto a random encoding of the current batch (the codebook
    /// restart of Dhariwal et al., 2020, "Jukebox"), so few codes stay unused. All parameters
    /// train here even when the tokenizer is frozen inside a VLM; their flags are restored.
    /// - Throws: `ImageTokenizerError` for no images, bad sizes or non-positive settings.
    @discardableResult
    public func train(images: [Image], steps: Int, learningRate: Float = 2e-3, batchSize: Int = 16,
                      deadCodeRestartInterval: Int = 20, seed: UInt64) throws -> [Float] {
        guard !images.isEmpty else { throw ImageTokenizerError("VQTokenizer.train: no images") }
        guard steps >= 0, batchSize > 0, learningRate > 0, deadCodeRestartInterval >= 0 else {
            throw ImageTokenizerError("VQTokenizer.train: steps \(steps) must be >= 0, batchSize \(batchSize) and learningRate \(learningRate) > 0, deadCodeRestartInterval \(deadCodeRestartInterval) >= 0")
        }
        let pixels = try pixelTensor(images)
        let parameters = namedParameters()
        let savedFlags = parameters.map { $0.1.requiresGrad }
        unfreeze()
        defer { for ((_, parameter), flag) in zip(parameters, savedFlags) { parameter.requiresGrad = flag } }

        let optimizer = AdamW(learningRate: learningRate, weightDecay: 0)
        var generator = RandomGenerator(seed: seed)
        var order: [Int] = []
        var usage = [Int](repeating: 0, count: config.codebookSize)
        var curve: [Float] = []
        for step in 0..<steps {
            if order.count < Swift.min(batchSize, images.count) { order += generator.permutation(images.count) }
            let chosen = Array(order.prefix(Swift.min(batchSize, images.count)))
            order.removeFirst(chosen.count)
            let batch = Tensor.concatenate(chosen.map { pixels.sliced(axis: 0, $0..<($0 + 1)) }, axis: 0)
            if step == 0 {
                let encodings = withoutGradients { encodingRows(encoder(Variable(batch))).value }
                restartCodes(Array(0..<config.codebookSize), from: encodings, generator: &generator)
            }
            zeroGradients()
            let result = losses(Variable(batch))
            result.total.backward()
            optimizer.step(parameters)
            revision += 1
            curve.append(result.total.value.scalar)
            for code in result.codes.joined() { usage[code] += 1 }
            if deadCodeRestartInterval > 0 && (step + 1) % deadCodeRestartInterval == 0 && step + 1 < steps {
                let unused = usage.indices.filter { usage[$0] == 0 }
                restartCodes(unused, from: result.encodings, generator: &generator)
                usage = [Int](repeating: 0, count: config.codebookSize)
            }
        }
        zeroGradients()
        return curve
    }

    /// Sets each code in `codes` to a randomly chosen row of `encodings` [M, D].
    func restartCodes(_ codes: [Int], from encodings: Tensor, generator: inout RandomGenerator) {
        guard !codes.isEmpty else { return }
        let rows = encodings.shape[0], width = config.codeDimension
        let source = encodings.scalars
        var values = codebook.value
        values.withUnsafeMutableBufferPointer { table in
            for code in codes {
                let row = Int(generator.next() % UInt64(rows))
                for d in 0..<width { table[code * width + d] = source[row * width + d] }
            }
        }
        codebook.value = values
        revision += 1
    }
}
