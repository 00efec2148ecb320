// A Llama-style decoder-only language model of any size (Touvron et al., 2023): token
// embedding, N blocks of [RMSNorm -> grouped-query attention with rotary positions ->
// residual -> RMSNorm -> SwiGLU MLP -> residual], final RMSNorm, output head (optionally
// tied to the embedding). Parameter names follow Hugging Face's Llama:
// embed_tokens, layers.{i}.self_attn.{q,k,v,o}_proj, layers.{i}.mlp.{gate,up,down}_proj,
// layers.{i}.input_layernorm, layers.{i}.post_attention_layernorm, norm, lm_head.
// Shapes: B batch, T tokens, C = dimension, V = vocabularySize.

import Autograd
import NN
import Tensors

/// Size and shape of a `LanguageModel`.
public struct LanguageModelConfig: Codable, Sendable, Equatable {
    public var vocabularySize: Int
    public var dimension: Int
    public var layers: Int
    public var heads: Int
    public var keyValueHeads: Int
    /// Width of the SwiGLU hidden layer.
    public var hiddenDimension: Int
    public var maxSequenceLength: Int
    public var rotaryBase: Float
    public var normEpsilon: Float
    /// Share the output head with the token embedding.
    public var tieWordEmbeddings: Bool

    public init(vocabularySize: Int, dimension: Int, layers: Int, heads: Int, keyValueHeads: Int? = nil,
                hiddenDimension: Int? = nil, maxSequenceLength: Int = 512, rotaryBase: Float = 10_000,
                normEpsilon: Float = 1e-6, tieWordEmbeddings: Bool = false) {
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        self.layers = layers
        self.heads = heads
        self.keyValueHeads = keyValueHeads ?? heads
        self.hiddenDimension = hiddenDimension ?? 4 * dimension
        self.maxSequenceLength = maxSequenceLength
        self.rotaryBase = rotaryBase
        self.normEpsilon = normEpsilon
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    /// Throws when the sizes cannot form a model (names the field).
    public func validate() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw ModuleError("LanguageModelConfig: \(message)") }
        }
        try require(vocabularySize > 0, "vocabularySize \(vocabularySize) must be positive")
        try require(dimension > 0 && layers > 0 && heads > 0, "dimension, layers and heads must be positive")
        try require(dimension % heads == 0, "dimension \(dimension) is not divisible by heads \(heads)")
        try require(keyValueHeads > 0 && heads % keyValueHeads == 0, "heads \(heads) not divisible by keyValueHeads \(keyValueHeads)")
        try require((dimension / heads) % 2 == 0, "head dimension \(dimension / heads) must be even for rotary embedding")
        try require(hiddenDimension > 0 && maxSequenceLength > 0, "hiddenDimension and maxSequenceLength must be positive")
    }
}

/// One pre-norm decoder block.
public final class DecoderLayer: Module {
    public let selfAttn: MultiHeadAttention
    public let mlp: SwiGLU
    public let inputLayernorm: RMSNorm
    public let postAttentionLayernorm: RMSNorm

    public init(config: LanguageModelConfig, generator: inout RandomGenerator) {
        selfAttn = MultiHeadAttention(dimension: config.dimension, heads: config.heads, keyValueHeads: config.keyValueHeads,
                                      bias: false, rotaryBase: config.rotaryBase, generator: &generator)
        mlp = SwiGLU(dimension: config.dimension, hiddenDimension: config.hiddenDimension, generator: &generator)
        inputLayernorm = RMSNorm(config.dimension, epsilon: config.normEpsilon)
        postAttentionLayernorm = RMSNorm(config.dimension, epsilon: config.normEpsilon)
    }

    /// x [B, T, C] -> [B, T, C].
    public func callAsFunction(_ x: Variable, mask: AttentionMask, cache: KVCache?, layerIndex: Int) -> Variable {
        let h = x + selfAttn(inputLayernorm(x), mask: mask, cache: cache, layerIndex: layerIndex)
        return h + mlp(postAttentionLayernorm(h))
    }
}

/// Decoder-only language model.
public final class LanguageModel: Module {
    public let config: LanguageModelConfig
    public let embedTokens: Embedding
    public let layers: [DecoderLayer]
    public let norm: RMSNorm
    /// nil when tied to `embedTokens`.
    public let lmHead: Linear?

    /// A randomly initialised model (embedding N(0, 0.02²), Linear layers PyTorch-default).
    public init(config: LanguageModelConfig, seed: UInt64) {
        precondition((try? config.validate()) != nil, "LanguageModel: invalid config \(config)")
        self.config = config
        var generator = RandomGenerator(seed: seed)
        embedTokens = Embedding(config.vocabularySize, config.dimension, generator: &generator, std: 0.02)
        layers = (0..<config.layers).map { _ in DecoderLayer(config: config, generator: &generator) }
        norm = RMSNorm(config.dimension, epsilon: config.normEpsilon)
        lmHead = config.tieWordEmbeddings ? nil : Linear(config.dimension, config.vocabularySize, bias: false, generator: &generator)
    }

    public override var excludedProperties: Set<String> { ["config"] }

    /// Token embeddings [B, T, C] for ids [B, T].
    public func embed(_ ids: IndexTensor) -> Variable { embedTokens(ids) }

    /// Final hidden states [B, T, C] for input embeddings [B, T, C].
    public func hiddenStates(_ embeddings: Variable, mask: AttentionMask = .causal(), cache: KVCache? = nil) -> Variable {
        var h = embeddings
        for (index, layer) in layers.enumerated() { h = layer(h, mask: mask, cache: cache, layerIndex: index) }
        return norm(h)
    }

    /// Vocabulary logits [..., V] for hidden states [..., C].
    public func logits(_ hidden: Variable) -> Variable {
        if let lmHead { return lmHead(hidden) }
        return Variable.linear(hidden, weight: embedTokens.weight, bias: nil)
    }

    /// Logits [B, T, V] for token ids [B, T] under a causal mask.
    public func callAsFunction(_ ids: IndexTensor, mask: AttentionMask = .causal(), cache: KVCache? = nil) -> Variable {
        logits(hiddenStates(embed(ids), mask: mask, cache: cache))
    }

    /// A fresh cache with one slot per layer.
    public func makeCache() -> KVCache { KVCache(layers: layers.count) }
}
