// Attention masks for batches of different lengths and for the encoder-free model's
// mixed mask (full attention inside the image span, causal elsewhere; Show-o, Xie et al., 2024).
// Shapes: B sequences padded to T positions -> additive bias [B, 1, T, T] (0 allowed, −∞ masked).

import Autograd
import Tensors

public enum AttentionMasks {
    /// Additive bias for sequences of `lengths` padded to `paddedLength`, on the left
    /// (`leftPadded`, for generation) or on the right (training). Query i sees key j when j is
    /// real and j ≤ i, or when both lie in the sample's `fullSpans` entry (given in unpadded
    /// positions). Padding queries see only themselves, so no row is empty.
    public static func bias(lengths: [Int], paddedLength: Int, leftPadded: Bool, fullSpans: [Range<Int>?]) -> Tensor {
        precondition(fullSpans.count == lengths.count, "AttentionMasks.bias: \(fullSpans.count) spans for \(lengths.count) sequences")
        let t = paddedLength
        var bias = Tensor(repeating: -.infinity, shape: [lengths.count, 1, t, t])
        bias.withUnsafeMutableBufferPointer { b in
            for (index, length) in lengths.enumerated() {
                precondition(length <= t, "AttentionMasks.bias: length \(length) exceeds padded length \(t)")
                let shift = leftPadded ? t - length : 0
                let plane = b.baseAddress! + index * t * t
                let span = fullSpans[index].map { ($0.lowerBound + shift)..<($0.upperBound + shift) }
                for i in 0..<t {
                    let queryReal = i >= shift && i < shift + length
                    if !queryReal { plane[i * t + i] = 0; continue }
                    for j in shift...i { plane[i * t + j] = 0 }
                    if let span, span.contains(i) { for j in span { plane[i * t + j] = 0 } }
                }
            }
        }
        return bias
    }

    /// Bias [B, 1, 1, TK] for one decoding step after a left-padded prefill: every key is
    /// visible except the padding of each sample (`padding[b]` leading positions).
    public static func decodingBias(padding: [Int], keyLength: Int) -> Tensor {
        var bias = Tensor.zeros([padding.count, 1, 1, keyLength])
        bias.withUnsafeMutableBufferPointer { b in
            for (index, pad) in padding.enumerated() where pad > 0 {
                for j in 0..<pad { b[index * keyLength + j] = -.infinity }
            }
        }
        return bias
    }
}

extension LanguageModel {
    /// Greedy (or sampled) batched decoding with a KV cache from prompt embeddings.
    /// - Parameters:
    ///   - prompts: per sample, prompt embeddings [L_b, C] (already including image features or tokens).
    ///   - fullSpans: per sample, an optional span of prompt positions with full attention (encoder-free image tokens).
    ///   - stopToken: decoding of a sample stops after it emits this id (typically `</s>`).
    ///   - tokenEmbedding: turns new token ids into embeddings [B, 1, C] (usually `embed`).
    /// - Returns: the generated ids per sample, without the stop token.
    public func generate(prompts: [Tensor], fullSpans: [Range<Int>?], stopToken: Int, options: GenerationOptions,
                         tokenEmbedding: ((IndexTensor) -> Variable)? = nil) -> [[Int]] {
        // Each decoding step multiplies a few rows by every weight: pack the weights once.
        withoutGradients { PackedWeights.reusingWeights {
            let batch = prompts.count
            guard batch > 0 else { return [] }
            let width = config.dimension
            let lengths = prompts.map { $0.shape[0] }
            let longest = lengths.max()!
            let padding = lengths.map { longest - $0 }
            // Left-pad with zero embeddings so every sample's last prompt token is at the same position.
            let padded = prompts.enumerated().map { index, prompt -> Tensor in
                padding[index] == 0 ? prompt : Tensor.concatenate([.zeros([padding[index], width]), prompt], axis: 0)
            }
            let input = Tensor.concatenate(padded.map { $0.unsqueezed(0) }, axis: 0)     // [B, T, C]
            let cache = makeCache()
            let prefillBias = AttentionMasks.bias(lengths: lengths, paddedLength: longest, leftPadded: true, fullSpans: fullSpans)
            var hidden = hiddenStates(Variable(input), mask: AttentionMask(isCausal: false, bias: prefillBias), cache: cache)
            var generated = [[Int]](repeating: [], count: batch)
            var finished = [Bool](repeating: false, count: batch)
            var generator = RandomGenerator(seed: options.seed)
            let embedNew = tokenEmbedding ?? { self.embed($0) }
            for step in 0..<options.maxNewTokens {
                let last = hidden.value.sliced(axis: 1, (hidden.shape[1] - 1)..<hidden.shape[1])   // [B, 1, C]
                let logits = self.logits(Variable(last.contiguous())).value.reshaped([batch, -1])
                let next = Self.chooseTokens(logits, options: options, generator: &generator)
                for b in 0..<batch where !finished[b] {
                    if next[b] == stopToken { finished[b] = true } else { generated[b].append(next[b]) }
                }
                // The last token needs no forward pass: nothing reads its hidden state.
                if finished.allSatisfy({ $0 }) || step == options.maxNewTokens - 1 { break }
                let ids = IndexTensor(shape: [batch, 1], values: next.map { Int32($0) })
                let keyLength = cache.length + 1
                hidden = hiddenStates(embedNew(ids), mask: AttentionMask(isCausal: false,
                                      bias: AttentionMasks.decodingBias(padding: padding, keyLength: keyLength)), cache: cache)
            }
            return generated
        } }
    }

    /// Argmax per row, or a temperature / top-k sample when `options.temperature > 0`.
    static func chooseTokens(_ logits: Tensor, options: GenerationOptions, generator: inout RandomGenerator) -> [Int] {
        if options.temperature <= 0 { return logits.argmaxLastAxis() }
        let vocabulary = logits.shape[1]
        let rows = logits.scalars
        return (0..<logits.shape[0]).map { row in
            var values = Array(rows[(row * vocabulary)..<((row + 1) * vocabulary)]).map { $0 / options.temperature }
            if options.topK > 0 && options.topK < vocabulary {
                let threshold = values.sorted(by: >)[options.topK - 1]
                values = values.map { $0 >= threshold ? $0 : -.infinity }
            }
            let probabilities = Tensor(shape: [vocabulary], scalars: values).softmax().scalars
            var draw = generator.nextUniform()
            for (index, p) in probabilities.enumerated() {
                draw -= p
                if draw < 0 { return index }
            }
            return probabilities.indices.last { probabilities[$0] > 0 } ?? 0
        }
    }
}
