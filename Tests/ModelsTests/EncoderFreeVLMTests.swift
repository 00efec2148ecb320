// Tests of the encoder-free (Show-o style) VLM: vocabulary layout, parameter groups and
// strategies, the mixed attention mask (full among image tokens, causal elsewhere), KV-cache
// decoding against the full sequence, overfitting a handful of samples with LoRA alone, and
// input errors that name the sample.

import Autograd
import Datasets
import Foundation
import LoRAAdapters
import NN
import Tensors
import Testing
@testable import Models

/// A tiny encoder-free model and hand-made image-question-answer samples.
enum TinyEncoderFree {
    static let template = ConversationTemplate(system: "Look at the picture.", userRole: "USER", assistantRole: "ASSISTANT")
    static let colourQuestion = "<image>\nWhat colour is the picture?"

    static func sample(_ id: String, _ image: Image, _ prompt: String, _ answer: String) -> Sample {
        Sample(id: id, image: image, conversations: [Turn(from: "human", value: prompt), Turn(from: "gpt", value: answer)],
               task: .vqa, category: answer)
    }

    /// Five samples over four distinct images; two share an image but ask different questions.
    static func samples() -> [Sample] {
        let images = EncoderFreeTestData.distinctImages()
        return [
            sample("red", images[0], colourQuestion, "red"),
            sample("green", images[1], colourQuestion, "green"),
            sample("blue", images[2], colourQuestion, "blue"),
            sample("halves", images[3], colourQuestion, "white and black"),
            sample("left", images[3], "<image>\nWhich colour is on the left?", "white"),
        ]
    }

    static func tokenizer(_ samples: [Sample]) -> WordTokenizer {
        WordTokenizer(corpus: samples.flatMap { [template.promptText($0.prompt), $0.answer] })
    }

    static let imageTokenizerConfig = VQTokenizerConfig(imageSize: 8, channels: 3, hiddenChannels: 16, codeDimension: 8, codebookSize: 16)

    static func config(textVocabulary: Int, dimension: Int = 32, maxSequenceLength: Int = 64) -> EncoderFreeConfig {
        let vocabulary = UnifiedVocabulary(textCount: textVocabulary, codebookSize: imageTokenizerConfig.codebookSize).count
        return EncoderFreeConfig(
            imageTokenizer: imageTokenizerConfig,
            language: LanguageModelConfig(vocabularySize: vocabulary, dimension: dimension, layers: 2, heads: 4,
                                          hiddenDimension: 2 * dimension,
                                          maxSequenceLength: maxSequenceLength),
            lora: LoRAConfigurationBox(LoRAConfiguration(rank: 8, alpha: 16, dropout: 0)))
    }

    static func model(_ samples: [Sample], seed: UInt64 = 11, dimension: Int = 32, maxSequenceLength: Int = 64) throws -> EncoderFreeVLM {
        let tokenizer = tokenizer(samples)
        return try EncoderFreeVLM(config: config(textVocabulary: tokenizer.vocabularySize, dimension: dimension,
                                                 maxSequenceLength: maxSequenceLength),
                                  tokenizer: tokenizer, template: template, seed: seed)
    }

    /// Largest absolute difference between rows `positions` of two logits tensors [1, T, V].
    static func maxDifference(_ a: Tensor, _ b: Tensor, at position: Int) -> Float {
        let vocabulary = a.shape[2]
        let (x, y) = (a.scalars, b.scalars)
        return (0..<vocabulary).map { abs(x[position * vocabulary + $0] - y[position * vocabulary + $0]) }.max()!
    }
}

@Suite("Encoder-free VLM")
struct EncoderFreeVLMTests {
    @Test("unified vocabulary: text ids, then K image codes, then <soi>, <eoi>; a decoder too small is an error naming the field")
    func vocabulary() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples)
        let text = model.tokenizer.vocabularySize
        #expect(model.vocabulary == UnifiedVocabulary(textCount: text, codebookSize: 16))
        #expect(model.vocabulary.id(ofCode: 0) == text && model.vocabulary.id(ofCode: 15) == text + 15)
        #expect(model.vocabulary.startOfImage == text + 16 && model.vocabulary.endOfImage == text + 17)
        #expect(model.vocabulary.count == text + 18)
        #expect(model.vocabulary.isText(text - 1) && !model.vocabulary.isText(text))

        var small = TinyEncoderFree.config(textVocabulary: text)
        small.language.vocabularySize = text + 17
        #expect { try EncoderFreeVLM(config: small, tokenizer: model.tokenizer, seed: 1) } throws: {
            "\($0)".contains("language.vocabularySize \(text + 17)")
        }
        var badImage = TinyEncoderFree.config(textVocabulary: text)
        badImage.imageTokenizer.imageSize = 6
        #expect { try EncoderFreeVLM(config: badImage, tokenizer: model.tokenizer, seed: 1) } throws: { "\($0)".contains("imageSize 6") }
    }

    @Test("the <image> placeholder becomes <soi> codes <eoi>; the image span covers exactly the codes")
    func mixedSequenceLayout() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples)
        let sequences = try model.mixedSequences(samples, includeAnswer: true)
        let codes = try model.imageTokenizer.encode(samples.map(\.image))
        for (index, sample) in samples.enumerated() {
            let tokenized = try model.template.tokenize(sample, tokenizer: model.tokenizer)
            let sequence = sequences[index]
            let p = tokenized.imagePosition
            #expect(sequence.id == sample.id)
            #expect(sequence.imageSpan == (p + 1)..<(p + 5))
            #expect(Array(sequence.ids[..<p]) == Array(tokenized.ids[..<p]))
            #expect(sequence.ids[p] == model.vocabulary.startOfImage)
            #expect(Array(sequence.ids[sequence.imageSpan]) == codes[index].map { model.vocabulary.id(ofCode: $0) })
            #expect(sequence.ids[sequence.imageSpan.upperBound] == model.vocabulary.endOfImage)
            #expect(Array(sequence.ids[(sequence.imageSpan.upperBound + 1)...]) == Array(tokenized.ids[(p + 1)...]))
            #expect(Array(sequence.ids[sequence.answerStart...])
                    == model.tokenizer.encode(sample.answer) + [model.tokenizer.specialTokens.eos])
        }
        let prompts = try model.mixedSequences(samples, includeAnswer: false)
        #expect(prompts.allSatisfy { $0.answerStart == $0.ids.count })
        #expect(zip(prompts, sequences).allSatisfy { Array($1.ids[..<$1.answerStart]) == $0.ids })
    }

    @Test("parameter groups: no connector, LoRA adapters of the decoder train, everything else is frozen")
    func parameterGroups() throws {
        let model = try TinyEncoderFree.model(TinyEncoderFree.samples())
        let all = model.namedParameters().map(\.0)
        #expect(model.parameterNames(in: .connector).isEmpty)
        let lora = model.parameterNames(in: .languageModelLoRA)
        #expect(!lora.isEmpty)
        #expect(lora.allSatisfy { $0.hasPrefix("language_model.") && ($0.hasSuffix(".lora_A") || $0.hasSuffix(".lora_B")) })
        #expect(!lora.contains { $0.contains("lm_head") })
        #expect(Set(model.trainableParameters().map(\.0)) == Set(lora))
        let frozen = model.parameterNames(in: .frozenBase)
        #expect(Set(frozen).union(lora) == Set(all) && Set(frozen).isDisjoint(with: lora))
        let tokenizerNames = all.filter { $0.hasPrefix("image_tokenizer.") }
        #expect(tokenizerNames.contains("image_tokenizer.codebook"))
        #expect(tokenizerNames.contains("image_tokenizer.encoder.down1.weight"))
        #expect(tokenizerNames.contains("image_tokenizer.decoder.up2.bias"))
        #expect(all.allSatisfy { $0.hasPrefix("image_tokenizer.") || $0.hasPrefix("language_model.") })
        // 2 layers × 7 Linear layers (q, k, v, o, gate, up, down) × (A, B).
        #expect(lora.count == 2 * 7 * 2)
    }

    @Test("strategies: only F-L is valid for the encoder-free architecture")
    func strategies() throws {
        let model = try TinyEncoderFree.model(TinyEncoderFree.samples())
        #expect(model.architecture == .encoderFree)
        try FineTuningStrategy.languageModelLoRA.validate(for: model.architecture)
        for strategy in [FineTuningStrategy.connectorOnly, .connectorAndLoRA, .twoStage(connectorFraction: 0.5)] {
            #expect { try strategy.validate(for: model.architecture) } throws: { "\($0)".contains("encoder-free models support only F-L") }
        }
        #expect(model.names(in: FineTuningStrategy.languageModelLoRA.allGroups) == Set(model.parameterNames(in: .languageModelLoRA)))
    }

    @Test("changing any image token changes the outputs at every image position (and at no earlier text position)")
    func fullAttentionInsideImageSpan() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples)
        let sequence = try model.mixedSequences([samples[0]], includeAnswer: true)[0]
        let span = sequence.imageSpan
        let base = withoutGradients { model.logits(sequences: [sequence.ids], imageSpans: [span]).value }
        for changed in span {
            var ids = sequence.ids
            let code = ids[changed] - model.vocabulary.textCount
            ids[changed] = model.vocabulary.id(ofCode: (code + 5) % 16)
            let perturbed = withoutGradients { model.logits(sequences: [ids], imageSpans: [span]).value }
            for position in span {
                let difference = TinyEncoderFree.maxDifference(base, perturbed, at: position)
                #expect(difference > 1e-5, "image token \(changed) changed: output at image position \(position) moved only \(difference)")
            }
            for position in 0..<span.lowerBound {
                #expect(TinyEncoderFree.maxDifference(base, perturbed, at: position) == 0, "text position \(position) saw image token \(changed)")
            }
            for position in span.upperBound..<ids.count {
                #expect(TinyEncoderFree.maxDifference(base, perturbed, at: position) > 1e-5)
            }
        }
        // Control: under a purely causal mask the first image position cannot see the last one,
        // so the property above really comes from the mixed mask.
        var ids = sequence.ids
        ids[span.upperBound - 1] = model.vocabulary.id(ofCode: (ids[span.upperBound - 1] - model.vocabulary.textCount + 5) % 16)
        let causalBase = withoutGradients { model.logits(sequences: [sequence.ids], imageSpans: [nil]).value }
        let causalPerturbed = withoutGradients { model.logits(sequences: [ids], imageSpans: [nil]).value }
        #expect(TinyEncoderFree.maxDifference(causalBase, causalPerturbed, at: span.lowerBound) == 0)
    }

    @Test("changing a later text token never changes earlier logits")
    func causalOutsideImageSpan() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples)
        // Two sequences of different lengths in one padded batch: the shorter one is right-padded.
        let sequences = try model.mixedSequences([samples[3], samples[0]], includeAnswer: true)
        let spans = sequences.map { Optional($0.imageSpan) }
        let base = withoutGradients { model.logits(sequences: sequences.map(\.ids), imageSpans: spans).value }
        let (longest, vocabulary) = (base.shape[1], base.shape[2])
        let textPositions = sequences[0].ids.indices.filter { !sequences[0].imageSpan.contains($0) && $0 > 0 }
        #expect(textPositions.count > 10)
        for changed in textPositions {
            var ids = sequences.map(\.ids)
            ids[0][changed] = (ids[0][changed] + 7) % model.vocabulary.textCount
            let perturbed = withoutGradients { model.logits(sequences: ids, imageSpans: spans).value }
            let (a, b) = (base.scalars, perturbed.scalars)
            let earlier = (0..<(changed * vocabulary)).map { abs(a[$0] - b[$0]) }.max() ?? 0
            #expect(earlier == 0, "changing text token \(changed) moved an earlier logit by \(earlier)")
            let atOrAfter = ((changed * vocabulary)..<(longest * vocabulary)).map { abs(a[$0] - b[$0]) }.max() ?? 0
            #expect(atOrAfter > 1e-5, "changing text token \(changed) changed nothing")
            // The other sequence of the batch is untouched.
            let other = ((longest * vocabulary)..<(2 * longest * vocabulary)).map { abs(a[$0] - b[$0]) }.max() ?? 0
            #expect(other == 0)
        }
    }

    @Test("KV-cache decoding gives the same tokens and logits (within 1e-4) as running the full sequence")
    func cacheMatchesFullSequence() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples, seed: 21)
        let batch = [samples[4], samples[0]]                        // prompts of different lengths
        let prompts = try model.mixedSequences(batch, includeAnswer: false)
        #expect(prompts[0].ids.count != prompts[1].ids.count)
        let lm = model.languageModel
        let newTokens = 6
        // Never stop early, so every step is compared.
        let options = GenerationOptions(maxNewTokens: newTokens)
        let generated = lm.generate(prompts: prompts.map { lm.embed(IndexTensor($0.ids)).value },
                                    fullSpans: prompts.map(\.imageSpan), stopToken: -1, options: options)
        #expect(generated.allSatisfy { $0.count == newTokens })

        // The full sequences, prompt + generated tokens, in one right-padded teacher-forced pass.
        let full = zip(prompts, generated).map { $0.ids + $1 }
        let fullLogits = withoutGradients { model.logits(sequences: full, imageSpans: prompts.map(\.imageSpan)).value }
        let (longest, vocabulary) = (fullLogits.shape[1], fullLogits.shape[2])
        let fullArgmax = fullLogits.argmaxLastAxis()
        for (b, prompt) in prompts.enumerated() {
            let positions = (prompt.ids.count - 1)..<(prompt.ids.count - 1 + newTokens)
            #expect(positions.map { fullArgmax[b * longest + $0] } == generated[b])
        }

        // The same decoding step by step through the cache (left-padded prefill, then one token a
        // step), keeping every step's logits.
        let stepLogits: [Tensor] = withoutGradients {
            let lengths = prompts.map(\.ids.count)
            let paddedLength = lengths.max()!
            let padding = lengths.map { paddedLength - $0 }
            let pad = model.tokenizer.specialTokens.pad
            let leftPadded = zip(prompts, padding).flatMap { Array(repeating: pad, count: $1) + $0.ids }.map(Int32.init)
            let cache = lm.makeCache()
            let prefillBias = AttentionMasks.bias(lengths: lengths, paddedLength: paddedLength, leftPadded: true,
                                                  fullSpans: prompts.map(\.imageSpan))
            var hidden = lm.hiddenStates(lm.embed(IndexTensor(shape: [2, paddedLength], values: leftPadded)),
                                         mask: AttentionMask(bias: prefillBias), cache: cache)
            var result: [Tensor] = []
            for step in 0..<newTokens {
                let last = hidden.value.sliced(axis: 1, (hidden.shape[1] - 1)..<hidden.shape[1]).contiguous()
                result.append(lm.logits(Variable(last)).value.reshaped([2, vocabulary]))
                let next = IndexTensor(shape: [2, 1], values: generated.map { Int32($0[step]) })
                hidden = lm.hiddenStates(lm.embed(next), mask: AttentionMask(bias: AttentionMasks.decodingBias(
                    padding: padding, keyLength: cache.length + 1)), cache: cache)
            }
            return result
        }
        let fullValues = fullLogits.scalars
        var worst: Float = 0
        for step in 0..<newTokens {
            let cached = stepLogits[step].scalars
            for b in 0..<2 {
                let position = prompts[b].ids.count - 1 + step
                for v in 0..<vocabulary {
                    worst = max(worst, abs(cached[b * vocabulary + v] - fullValues[(b * longest + position) * vocabulary + v]))
                }
            }
        }
        #expect(worst < 1e-4, "largest cached-vs-full logit difference \(worst)")
    }

    @Test("LoRA alone overfits five image-question-answer samples to 100% teacher-forced and generated accuracy")
    func overfitsHandfulOfSamples() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples, seed: 31, dimension: 64)
        // Stage 1: train the image tokenizer on the distinct images.
        try model.imageTokenizer.train(images: EncoderFreeTestData.distinctImages(), steps: 150, learningRate: 3e-3,
                                       batchSize: 4, seed: 32)
        let codes = try model.imageCodes(samples)
        #expect(Set(codes).count == 4, "the four distinct images need distinct token sequences: \(codes)")
        #expect(model.trainableParameters().allSatisfy { isLoRAParameter($0.0) })

        // Stage 2: LoRA fine-tuning of the decoder; the tokenizer and the decoder's base stay frozen.
        // With a frozen random output head the logits are bounded (|w||h| with RMS-normalised h),
        // so the loss levels off near 0.5, but the argmax becomes right everywhere within ~20 steps
        // (checked over several seeds); 60 steps leave a margin.
        let frozenBefore = model.parameterSet { !isLoRAParameter($0) }
        let trainable = model.trainableParameters()
        let optimizer = AdamW(learningRate: 1e-2, weightDecay: 0)
        var losses: [Float] = []
        model.train()
        for _ in 0..<60 {
            model.zeroGradients()
            let loss = try model.loss(samples)
            loss.backward()
            optimizer.step(trainable)
            losses.append(loss.value.scalar)
        }
        model.eval()
        #expect(losses.last! < 0.25 * losses.first!)
        #expect(model.parameterSet { !isLoRAParameter($0) } == frozenBefore)
        let answers = samples.map(\.answer)
        #expect(try model.teacherForcedAnswers(samples) == answers, "loss \(losses.first!) -> \(losses.last!) in \(losses.count) steps")
        #expect(try model.generateAnswers(samples, options: GenerationOptions(maxNewTokens: 8)) == answers)
        // The answer depends on the image: the same question on another image gives another answer.
        var swapped = samples[0]
        swapped.id = "red-question-on-blue-image"
        swapped.image = samples[2].image
        #expect(try model.generateAnswers([swapped], options: GenerationOptions(maxNewTokens: 8)) == ["blue"])
    }

    @Test("image codes are cached by sample id and recomputed when the tokenizer's weights change")
    func imageCodeCache() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples)
        let first = try model.imageCodes(samples)
        #expect(first == (try model.imageTokenizer.encode(samples.map(\.image))))
        #expect(try model.imageCodes(samples) == first)
        let other = VQTokenizer(config: TinyEncoderFree.imageTokenizerConfig, seed: 99)
        try other.train(images: EncoderFreeTestData.distinctImages(), steps: 5, learningRate: 3e-3, batchSize: 4, seed: 98)
        let expected = try other.encode(samples.map(\.image))
        try #require(expected != first)
        try model.imageTokenizer.load(other.parameterSet(), strict: true)
        #expect(try model.imageCodes(samples) == expected)
        // Training in place (same storage objects may be reused) also invalidates the cache.
        try model.imageTokenizer.train(images: EncoderFreeTestData.distinctImages(), steps: 30, learningRate: 3e-3, batchSize: 4, seed: 97)
        #expect(try model.imageCodes(samples) == (try model.imageTokenizer.encode(samples.map(\.image))))
    }

    @Test("ids outside the text vocabulary decode as <unk>; the answer stops at </s>")
    func answerText() throws {
        let model = try TinyEncoderFree.model(TinyEncoderFree.samples())
        let tokenizer = model.tokenizer
        let red = tokenizer.encode("red")
        let ids = red + [model.vocabulary.id(ofCode: 3), model.vocabulary.endOfImage, tokenizer.specialTokens.eos] + red
        #expect(model.answerText(ids) == "red<unk><unk>")
    }

    @Test("bad input is a thrown error naming the sample")
    func badInput() throws {
        let samples = TinyEncoderFree.samples()
        let model = try TinyEncoderFree.model(samples, maxSequenceLength: 40)
        let options = GenerationOptions(maxNewTokens: 2)
        let good = samples[0]
        let wrongSize = TinyEncoderFree.sample("big-image", EncoderFreeTestData.solid([1, 0, 0], size: 16), TinyEncoderFree.colourQuestion, "red")
        let noImage = TinyEncoderFree.sample("no-placeholder", good.image, "What colour is the picture?", "red")
        let twoImages = TinyEncoderFree.sample("two-placeholders", good.image, "<image> <image>\nWhat colour is the picture?", "red")
        let longAnswer = TinyEncoderFree.sample("long-answer", good.image, TinyEncoderFree.colourQuestion,
                                                Array(repeating: "red", count: 40).joined(separator: " "))
        for (sample, detail) in [(wrongSize, "image is [3, 16, 16]"), (noImage, "exactly one <image>, found 0"),
                                 (twoImages, "exactly one <image>, found 2"), (longAnswer, "exceed the context of 40")] {
            #expect { try model.loss([good, sample]) } throws: { "\($0)".contains("sample \(sample.id)") && "\($0)".contains(detail) }
            #expect { try model.teacherForcedAnswers([sample]) } throws: { "\($0)".contains("sample \(sample.id)") }
        }
        for sample in [wrongSize, noImage, twoImages] {
            #expect { try model.generateAnswers([good, sample], options: options) } throws: { "\($0)".contains("sample \(sample.id)") }
        }
        // The long answer is only a problem when it is part of the sequence.
        #expect(try model.generateAnswers([longAnswer], options: options).count == 1)
    }
}
