// A ViT in CLIP's layout (Radford et al., 2021; Dosovitskiy et al., 2021): patch embedding
// (a convolution with stride = patch size, no bias), a learned class token, learned position
// embeddings, a LayerNorm before the blocks ("pre_layrnorm" in CLIP), pre-norm blocks
// [LayerNorm -> attention -> residual -> LayerNorm -> MLP(GELU) -> residual].
// Shapes: B images, C channels, S image side, P patch side, N = (S/P)² patches, E width.
//   images [B, C, S, S] -> hidden states [B, 1 + N, E] (class token first)

import Autograd
import NN
import Tensors

/// Size of a `VisionEncoder`.
public struct VisionEncoderConfig: Codable, Sendable, Equatable {
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var dimension: Int
    public var layers: Int
    public var heads: Int
    public var mlpDimension: Int

    public init(imageSize: Int, patchSize: Int, channels: Int = 3, dimension: Int, layers: Int, heads: Int, mlpDimension: Int? = nil) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channels = channels
        self.dimension = dimension
        self.layers = layers
        self.heads = heads
        self.mlpDimension = mlpDimension ?? 4 * dimension
    }

    /// Patches per image, N.
    public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    public func validate() throws {
        guard imageSize > 0, patchSize > 0, imageSize % patchSize == 0 else {
            throw ModuleError("VisionEncoderConfig: imageSize \(imageSize) must be a positive multiple of patchSize \(patchSize)")
        }
        guard dimension > 0, heads > 0, dimension % heads == 0, layers >= 2 else {
            throw ModuleError("VisionEncoderConfig: dimension \(dimension) must divide into heads \(heads), and layers (\(layers)) must be >= 2 (the VLM reads the second-to-last)")
        }
    }
}

/// CLIP's MLP: fc2(gelu(fc1(x))).
public final class VisionMLP: Module {
    public let fc1: Linear
    public let fc2: Linear
    public init(dimension: Int, hidden: Int, generator: inout RandomGenerator) {
        fc1 = Linear(dimension, hidden, generator: &generator)
        fc2 = Linear(hidden, dimension, generator: &generator)
    }
    public func callAsFunction(_ x: Variable) -> Variable { fc2(fc1(x).gelu()) }
}

/// One pre-norm ViT block.
public final class VisionEncoderLayer: Module {
    public let layerNorm1: LayerNorm
    public let selfAttn: MultiHeadAttention
    public let layerNorm2: LayerNorm
    public let mlp: VisionMLP

    public init(config: VisionEncoderConfig, generator: inout RandomGenerator) {
        layerNorm1 = LayerNorm(config.dimension)
        selfAttn = MultiHeadAttention(dimension: config.dimension, heads: config.heads, bias: true, rotaryBase: nil,
                                      generator: &generator)
        layerNorm2 = LayerNorm(config.dimension)
        mlp = VisionMLP(dimension: config.dimension, hidden: config.mlpDimension, generator: &generator)
    }

    public override func key(forProperty name: String) -> String {
        switch name {
        case "layerNorm1": return "layer_norm1"
        case "layerNorm2": return "layer_norm2"
        default: return Module.snakeCase(name)
        }
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let h = x + selfAttn(layerNorm1(x), mask: .none)
        return h + mlp(layerNorm2(h))
    }
}

/// Patch, class and position embeddings.
public final class VisionEmbeddings: Module {
    /// [E, C, P, P]
    public let patchEmbedding: Variable
    /// [E]
    public let classEmbedding: Variable
    /// [1 + N, E]
    public let positionEmbedding: Variable
    public let patchSize: Int

    public init(config: VisionEncoderConfig, generator: inout RandomGenerator) {
        let fanIn = config.channels * config.patchSize * config.patchSize
        patchEmbedding = Variable(.kaimingUniform([config.dimension, config.channels, config.patchSize, config.patchSize],
                                                  fanIn: fanIn, using: &generator), requiresGrad: true)
        classEmbedding = Variable(.randomNormal([config.dimension], std: 0.02, using: &generator), requiresGrad: true)
        positionEmbedding = Variable(.randomNormal([config.patchCount + 1, config.dimension], std: 0.02, using: &generator),
                                     requiresGrad: true)
        patchSize = config.patchSize
    }

    /// images [B, C, S, S] -> [B, 1 + N, E].
    public func callAsFunction(_ images: Variable) -> Variable {
        let batch = images.shape[0]
        let patches = Variable.conv2d(images, weight: patchEmbedding, bias: nil, stride: patchSize)   // [B, E, S/P, S/P]
        let width = patches.shape[1]
        let tokens = patches.reshaped([batch, width, -1]).transposed(1, 2)                          // [B, N, E]
        let cls = classEmbedding.reshaped([1, 1, width]).broadcast(to: [batch, 1, width])
        return Variable.concatenate([cls, tokens], axis: 1) + positionEmbedding
    }
}

/// CLIP-layout vision transformer.
public final class VisionEncoder: Module {
    public let config: VisionEncoderConfig
    public let embeddings: VisionEmbeddings
    public let preLayrnorm: LayerNorm
    public let layers: [VisionEncoderLayer]
    public let postLayernorm: LayerNorm

    public init(config: VisionEncoderConfig, seed: UInt64) {
        precondition((try? config.validate()) != nil, "VisionEncoder: invalid config \(config)")
        self.config = config
        var generator = RandomGenerator(seed: seed)
        embeddings = VisionEmbeddings(config: config, generator: &generator)
        preLayrnorm = LayerNorm(config.dimension)
        layers = (0..<config.layers).map { _ in VisionEncoderLayer(config: config, generator: &generator) }
        postLayernorm = LayerNorm(config.dimension)
    }

    public override var excludedProperties: Set<String> { ["config"] }

    /// Hidden states after the pre-norm (index 0) and after each block (1...layers): each [B, 1 + N, E].
    public func hiddenStates(_ images: Variable, upTo lastLayer: Int? = nil) -> [Variable] {
        precondition(images.shape.count == 4 && images.shape[1] == config.channels
                     && images.shape[2] == config.imageSize && images.shape[3] == config.imageSize,
                     "VisionEncoder: images \(images.shape) must be [B, \(config.channels), \(config.imageSize), \(config.imageSize)]")
        var states = [preLayrnorm(embeddings(images))]
        for layer in layers.prefix(lastLayer ?? layers.count) { states.append(layer(states.last!)) }
        return states
    }

    /// Patch features the VLM uses, as LLaVA does: the second-to-last layer's hidden states
    /// without the class token, [B, N, E].
    public func patchFeatures(_ images: Variable) -> Variable {
        let states = hiddenStates(images, upTo: config.layers - 1)
        let selected = states[config.layers - 1]
        return selected.sliced(axis: 1, 1..<(config.patchCount + 1))
    }

    /// Pooled image embedding: post-LayerNorm of the final class token, [B, E] (CLIP's pooled output).
    public func pooledFeatures(_ images: Variable) -> Variable {
        let last = hiddenStates(images).last!
        return postLayernorm(last.sliced(axis: 1, 0..<1).reshaped([images.shape[0], config.dimension]))
    }
}
